//! User and group id maps of a user namespace (`/proc/PID/uid_map`, `gid_map`,
//! `setgroups`), validated before anything is written.
//!
//! A new user namespace maps nothing: until its maps are written, every id inside shows as
//! the overflow id (65534) and the process has no usable identity. The usual rootless map is
//! one line, "the caller's own uid is root inside" ([`IdMap::single`]`(0, outer_uid)`), the
//! only map an unprivileged process may write for itself; wider maps need
//! `CAP_SETUID`/`CAP_SETGID` in the parent user namespace (root, or `newuidmap(1)`).
//!
//! See `user_namespaces(7)`.

use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::{Errno, Error, Result};
use crate::ns::Namespaces;
use crate::process::Pid;

/// The kernel's limit on lines in one map (Linux 4.15; 5 before).
pub const MAX_MAP_LINES: usize = 340;

/// One line of a uid or gid map: ids `inside..inside+count` in the namespace are ids
/// `outside..outside+count` in the parent user namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IdMap {
    /// First id inside the namespace.
    pub inside: u32,
    /// First id in the parent user namespace.
    pub outside: u32,
    /// Number of ids (at least 1).
    pub count: u32,
}

impl IdMap {
    /// A map line of `count` ids.
    pub const fn new(inside: u32, outside: u32, count: u32) -> IdMap {
        IdMap {
            inside,
            outside,
            count,
        }
    }

    /// One id: `inside` in the namespace is `outside` outside.
    pub const fn single(inside: u32, outside: u32) -> IdMap {
        IdMap::new(inside, outside, 1)
    }

    fn end_inside(&self) -> u64 {
        u64::from(self.inside) + u64::from(self.count)
    }

    fn end_outside(&self) -> u64 {
        u64::from(self.outside) + u64::from(self.count)
    }
}

impl fmt::Display for IdMap {
    /// The line as the kernel reads it: `inside outside count`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.inside, self.outside, self.count)
    }
}

impl FromStr for IdMap {
    type Err = Error;

    /// Parses `inside outside count` (whitespace-separated, as in `/proc/PID/uid_map`), or
    /// `inside:outside:count` (as `--uid-map` options are often written).
    fn from_str(s: &str) -> Result<IdMap> {
        let bad = |why: &str| Error::invalid("parse id map", format!("{s:?}: {why}"));
        let parts: Vec<&str> = if s.contains(':') {
            s.split(':').collect()
        } else {
            s.split_whitespace().collect()
        };
        if parts.len() != 3 {
            return Err(bad("expected three numbers: inside outside count"));
        }
        let num = |p: &str| -> Result<u32> {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("ids and counts are unsigned decimal numbers"));
            }
            p.parse::<u32>()
                .map_err(|_| bad("number does not fit in 32 bits"))
        };
        let map = IdMap::new(num(parts[0])?, num(parts[1])?, num(parts[2])?);
        validate(std::slice::from_ref(&map), "parse id map")?;
        Ok(map)
    }
}

/// Parses a whole map as text: one `inside outside count` (or `inside:outside:count`) line
/// per range, as `/proc/PID/uid_map` shows it; blank lines are skipped. The lines are not
/// checked against each other here: [`validate`] (and [`write_id_maps`]) do that.
///
/// # Errors
/// `EINVAL` naming the line number and what is wrong with it.
pub fn parse_map(text: &str) -> Result<Vec<IdMap>> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            line.trim().parse::<IdMap>().map_err(|e| {
                Error::invalid(
                    "parse id map",
                    format!("line {}: {}", i + 1, e.hint().unwrap_or("not a map line")),
                )
            })
        })
        .collect()
}

/// Whether the namespace's processes may call `setgroups(2)` (`/proc/PID/setgroups`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SetGroups {
    /// Write `deny`: required before an unprivileged process writes a gid map; stops a
    /// process from dropping supplementary groups it was denied access through.
    #[default]
    Deny,
    /// Leave `allow` (only possible when the gid map is written with privilege).
    Allow,
}

/// Checks a map as the kernel would, but up front and with a message: at least one line,
/// at most [`MAX_MAP_LINES`], every count ≥ 1, no range past 2^32, and no two ranges that
/// overlap inside or outside.
///
/// # Errors
/// `EINVAL` naming the offending line(s).
pub fn validate(maps: &[IdMap], step: &'static str) -> Result<()> {
    if maps.is_empty() {
        return Err(Error::invalid(
            step,
            "the map is empty; give at least one line",
        ));
    }
    if maps.len() > MAX_MAP_LINES {
        return Err(Error::invalid(
            step,
            format!(
                "{} lines; the kernel accepts at most {MAX_MAP_LINES}",
                maps.len()
            ),
        ));
    }
    for m in maps {
        if m.count == 0 {
            return Err(Error::invalid(step, format!("line \"{m}\" has count 0")));
        }
        if m.end_inside() > 1 << 32 || m.end_outside() > 1 << 32 {
            return Err(Error::invalid(
                step,
                format!("line \"{m}\" runs past the largest id 4294967295"),
            ));
        }
        // 4294967295 ((uid_t)-1) is "no id" to the kernel and can never be mapped.
        if m.end_inside() == 1 << 32 || m.end_outside() == 1 << 32 {
            return Err(Error::invalid(
                step,
                format!("line \"{m}\" includes id 4294967295, which means \"no id\" to the kernel"),
            ));
        }
    }
    for (i, a) in maps.iter().enumerate() {
        for b in &maps[i + 1..] {
            let inside =
                u64::from(a.inside) < b.end_inside() && u64::from(b.inside) < a.end_inside();
            let outside =
                u64::from(a.outside) < b.end_outside() && u64::from(b.outside) < a.end_outside();
            if inside || outside {
                return Err(Error::invalid(
                    step,
                    format!(
                        "lines \"{a}\" and \"{b}\" overlap {}",
                        if inside { "inside" } else { "outside" }
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The text written to a map file: one `inside outside count` line per entry.
///
/// # Errors
/// As [`validate`].
pub fn format_map(maps: &[IdMap]) -> Result<String> {
    validate(maps, "format id map")?;
    let mut out = String::with_capacity(maps.len() * 24);
    for m in maps {
        out.push_str(&m.to_string());
        out.push('\n');
    }
    Ok(out)
}

/// Writes the user namespace maps of process `pid` (`None`: the calling process): first
/// `setgroups`, then `uid_map`, then `gid_map`, each in one `write(2)` as the kernel
/// requires. Empty `uid`/`gid` slices leave that map unwritten.
///
/// Both maps are validated before anything is written.
///
/// # Errors
/// - `EINVAL` from [`validate`].
/// - `EPERM` when the caller lacks the privilege for that map (an unprivileged process may
///   write only one line mapping its own euid/egid, and only after `setgroups` is `deny`),
///   with a hint; `EPERM` also when a map was already written (each is write-once).
/// - `ESRCH` "process N has exited".
///
/// See `user_namespaces(7)`, section "User and group ID mappings".
pub fn write_id_maps(
    pid: Option<Pid>,
    uid: &[IdMap],
    gid: &[IdMap],
    setgroups: SetGroups,
) -> Result<()> {
    let uid_text = if uid.is_empty() {
        None
    } else {
        Some(format_map(uid)?)
    };
    let gid_text = if gid.is_empty() {
        None
    } else {
        Some(format_map(gid)?)
    };
    let dir = match pid {
        Some(p) => PathBuf::from(format!("/proc/{}", p.as_raw())),
        None => PathBuf::from("/proc/self"),
    };
    let write = |name: &str, text: &str| -> Result<()> {
        let path = dir.join(name);
        let result = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        result.map_err(|e| {
            let errno = Errno::from(&e);
            let err = Error::new(format!("write {name}"), errno).with_path(&path);
            explain_map_error(err, name, text, pid)
        })
    };
    if setgroups == SetGroups::Deny {
        write("setgroups", "deny")?;
    }
    if let Some(t) = &uid_text {
        write("uid_map", t)?;
    }
    if let Some(t) = &gid_text {
        write("gid_map", t)?;
    }
    Ok(())
}

/// Creates a user namespace together with `namespaces` and maps the caller's effective uid
/// and gid to root inside it (setgroups denied) — what `unshare --map-root-user` (`unshare
/// -Ur`) does, and what an ordinary user needs before mounting anything.
///
/// Works for root too (root is then mapped to root, with the capabilities confined to the new
/// namespaces).
///
/// # Errors
/// As [`crate::unshare`] (including the refusal in a multithreaded process) and
/// [`write_id_maps`].
pub fn unshare_rootless(namespaces: Namespaces) -> Result<()> {
    // SAFETY: geteuid/getegid have no preconditions. Read before unsharing: inside the new
    // namespace, before the maps exist, they read as the overflow id.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    crate::unshare(namespaces | Namespaces::USER)?;
    write_id_maps(
        None,
        &[IdMap::single(0, uid)],
        &[IdMap::single(0, gid)],
        SetGroups::Deny,
    )
}

fn explain_map_error(err: Error, name: &str, text: &str, pid: Option<Pid>) -> Error {
    let errno = err.errno();
    if errno == Errno::ENOENT || errno == Errno::ESRCH {
        if let Some(p) = pid {
            return err.with_hint(format!("process {p} has exited"));
        }
    }
    if errno == Errno::EPERM {
        let hint = if name == "setgroups" {
            "setgroups can be written only before gid_map is written".to_owned()
        } else {
            format!(
                "each map can be written once, and without CAP_SETUID/CAP_SETGID in the parent \
                 user namespace only one line mapping the writer's own id is allowed, after \
                 setgroups is \"deny\" (wrote {:?})",
                text.trim_end()
            )
        };
        return err.with_hint(hint);
    }
    if errno == Errno::EINVAL {
        return err.with_hint(format!(
            "the kernel refused the map {:?} (overlapping, too many lines, or an outside id \
             not mapped in the parent namespace)",
            text.trim_end()
        ));
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let m: IdMap = "0 1000 1".parse().unwrap();
        assert_eq!(m, IdMap::single(0, 1000));
        assert_eq!(m.to_string(), "0 1000 1");
        assert_eq!(
            "0:100000:65536".parse::<IdMap>().unwrap(),
            IdMap::new(0, 100000, 65536)
        );
        for bad in [
            "",
            "0 1",
            "0 1 2 3",
            "0 -1 1",
            "a b c",
            "0 0 0",
            "0 0 4294967296",
            "1 1 4294967295",
        ] {
            let e = bad.parse::<IdMap>().unwrap_err();
            assert_eq!(e.errno(), Errno::EINVAL, "{bad:?}");
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn validate_rejects_empty_overlap_and_too_many() {
        assert!(
            validate(&[], "t")
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        let overlap_in = [IdMap::new(0, 1000, 10), IdMap::new(5, 5000, 10)];
        assert!(
            validate(&overlap_in, "t")
                .unwrap_err()
                .to_string()
                .contains("overlap inside")
        );
        let overlap_out = [IdMap::new(0, 1000, 10), IdMap::new(100, 1009, 1)];
        assert!(
            validate(&overlap_out, "t")
                .unwrap_err()
                .to_string()
                .contains("overlap outside")
        );
        let adjacent = [IdMap::new(0, 1000, 10), IdMap::new(10, 1010, 10)];
        validate(&adjacent, "t").unwrap();
        let many: Vec<IdMap> = (0..341).map(|i| IdMap::single(i, i)).collect();
        assert!(
            validate(&many, "t")
                .unwrap_err()
                .to_string()
                .contains("340")
        );
        validate(&many[..340], "t").unwrap();
        let whole = [IdMap::new(0, 0, u32::MAX)];
        validate(&whole, "t").unwrap();
    }

    #[test]
    fn whole_maps_parse_line_by_line() {
        let maps = parse_map("0 1000 1\n\n  1 100000 65536  \n").unwrap();
        assert_eq!(
            maps,
            vec![IdMap::single(0, 1000), IdMap::new(1, 100000, 65536)]
        );
        let e = parse_map("0 1000 1\n1 2").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(parse_map("").unwrap().is_empty());
    }

    #[test]
    fn format_is_one_line_per_entry() {
        let text = format_map(&[IdMap::single(0, 1000), IdMap::new(1, 100000, 65536)]).unwrap();
        assert_eq!(text, "0 1000 1\n1 100000 65536\n");
    }
}
