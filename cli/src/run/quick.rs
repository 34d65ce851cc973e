//! A quick parser for `mntns run`'s arguments, for the command lines people and tools write.
//!
//! `mntns run` starts once per sandbox, and building clap's command and matching the
//! arguments against it costs more than everything else `mntns run` does before the spawn
//! (about 90 µs of a 1.2 ms sandbox on the test machine). This parser reads the
//! well-formed case directly into the same [`RunArgs`]: long options, each value in its own
//! argument (or after `=` for a one-value option), then `--` and the command. Anything
//! else — `--help`, a short option, an unknown or repeated option, a value that starts
//! with `-`, an empty path, a number that does not parse, conflicting options — returns
//! `None`, and the caller parses again with clap, which prints the usual message or
//! accepts the unusual form.
//!
//! The options are clap's: a test walks every argument of [`RunArgs`] and checks that
//! this parser takes it and agrees with clap on it, so adding an option without teaching
//! it here fails the tests rather than misparsing.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use super::{Order, RunArgs};

/// Parses `run`'s arguments (those after the word `run`), or returns `None` when clap
/// should.
pub fn parse(args: &[OsString]) -> Option<(RunArgs, Order)> {
    let mut parsed = RunArgs::default();
    let mut order = Order::default();
    // Options that may be given once (flags and one-value options), as given so far.
    let mut once: Vec<&str> = Vec::new();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let arg = arg.to_str()?;
        if arg == "--" {
            parsed.command = args[i + 1..].to_vec();
            let conflict = (parsed.rootfs.is_some() && parsed.rootfs_tar.is_some())
                || (parsed.die_with_parent && parsed.no_die_with_parent);
            return (!parsed.command.is_empty() && !conflict).then_some((parsed, order));
        }
        let (name, inline) = match arg.strip_prefix("--")?.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (arg.strip_prefix("--")?, None),
        };
        let position = i;
        i += 1;
        let mut values = Values {
            args,
            next: &mut i,
            inline: inline.map(OsStr::new),
        };
        // The id clap gives the option (its field name), for `Order` and `once`.
        let id: &'static str = match name {
            "tmpfs" => {
                parsed.tmpfs.push(values.utf8()?);
                "tmpfs"
            }
            "bind" => {
                parsed.bind.extend(values.two_paths()?);
                "bind"
            }
            "ro-bind" => {
                parsed.ro_bind.extend(values.two_paths()?);
                "ro_bind"
            }
            "proc" => {
                parsed.proc.push(values.path()?);
                "proc"
            }
            "dev" => {
                parsed.dev.push(values.path()?);
                "dev"
            }
            "dir" => {
                parsed.dir.push(values.path()?);
                "dir"
            }
            "symlink" => {
                parsed.symlink.extend(values.two_paths()?);
                "symlink"
            }
            "unshare" => {
                for kind in values.utf8()?.split(',') {
                    if kind.is_empty() {
                        return None;
                    }
                    parsed.unshare.push(kind.to_owned());
                }
                "unshare"
            }
            "setenv" => {
                if values.inline.is_some() {
                    return None;
                }
                let var = values.os()?;
                parsed.setenv.extend([var, values.os()?]);
                "setenv"
            }
            "unsetenv" => {
                parsed.unsetenv.push(values.os()?);
                "unsetenv"
            }
            "rootfs" => set(&mut parsed.rootfs, values.path()?, "rootfs"),
            "rootfs-tar" => set(&mut parsed.rootfs_tar, values.path()?, "rootfs_tar"),
            "root-size" => set(&mut parsed.root_size, values.utf8()?, "root_size"),
            "uid" => set(&mut parsed.uid, values.utf8()?.parse().ok()?, "uid"),
            "gid" => set(&mut parsed.gid, values.utf8()?.parse().ok()?, "gid"),
            "hostname" => set(&mut parsed.hostname, values.os()?, "hostname"),
            "chdir" => set(&mut parsed.chdir, values.path()?, "chdir"),
            "keep-old-root" => set(&mut parsed.keep_old_root, values.path()?, "keep_old_root"),
            "json-status-fd" => set(
                &mut parsed.json_status_fd,
                values.utf8()?.parse().ok()?,
                "json_status_fd",
            ),
            flag => {
                if inline.is_some() {
                    return None;
                }
                let (field, id) = match flag {
                    "bare" => (&mut parsed.bare, "bare"),
                    "unshare-all" => (&mut parsed.unshare_all, "unshare_all"),
                    "clearenv" => (&mut parsed.clearenv, "clearenv"),
                    "die-with-parent" => (&mut parsed.die_with_parent, "die_with_parent"),
                    "no-die-with-parent" => (&mut parsed.no_die_with_parent, "no_die_with_parent"),
                    "new-session" => (&mut parsed.new_session, "new_session"),
                    "no-new-privs" => (&mut parsed.no_new_privs, "no_new_privs"),
                    "explain" => (&mut parsed.explain, "explain"),
                    _ => return None,
                };
                *field = true;
                id
            }
        };
        if values.inline.is_some() {
            return None; // `--flag=…`, or `=` on a two-value option
        }
        if Order::MOUNTS.iter().any(|(m, _)| *m == id) {
            order.push(id, position);
        } else if REPEATABLE.contains(&id) {
            continue;
        } else if once.contains(&id) {
            return None; // clap refuses an option given twice; let it say so
        } else {
            once.push(id);
        }
    }
    None // no `--`: clap says the command is missing
}

/// The options besides the mounts that may be given more than once (clap's `Append`).
const REPEATABLE: [&str; 3] = ["unshare", "setenv", "unsetenv"];

/// Sets a one-value option; returns its id.
fn set<T>(field: &mut Option<T>, value: T, id: &'static str) -> &'static str {
    *field = Some(value);
    id
}

/// The values of one option: after its `=`, or the arguments that follow it.
struct Values<'a> {
    args: &'a [OsString],
    next: &'a mut usize,
    inline: Option<&'a OsStr>,
}

impl Values<'_> {
    /// The next value as given. An empty `--opt=` and a following argument that starts
    /// with `-` (an option to clap, not a value) are for clap.
    fn os(&mut self) -> Option<OsString> {
        if let Some(value) = self.inline.take() {
            return (!value.is_empty()).then(|| value.to_owned());
        }
        let value = self.args.get(*self.next)?;
        if value.as_encoded_bytes().first() == Some(&b'-') {
            return None;
        }
        *self.next += 1;
        Some(value.clone())
    }

    /// The next value as UTF-8 (clap's `String`).
    fn utf8(&mut self) -> Option<String> {
        self.os()?.into_string().ok()
    }

    /// The next value as a path, which clap requires to be non-empty.
    fn path(&mut self) -> Option<PathBuf> {
        self.os().filter(|v| !v.is_empty()).map(PathBuf::from)
    }

    /// Two paths, each in its own argument.
    fn two_paths(&mut self) -> Option<[PathBuf; 2]> {
        if self.inline.is_some() {
            return None;
        }
        Some([self.path()?, self.path()?])
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::ffi::OsStrExt;

    use clap::{ArgAction, Args, CommandFactory, FromArgMatches};

    use super::*;
    use crate::run::{Order, RunArgs, ordered_mounts};

    fn line(words: &[&[u8]]) -> Vec<OsString> {
        words
            .iter()
            .map(|w| OsStr::from_bytes(w).to_owned())
            .collect()
    }

    /// What a parse gives, as text: the arguments and the mounts in order.
    fn outcome(args: &RunArgs, order: &Order) -> String {
        format!("{args:?}\n{:?}", ordered_mounts(args, order))
    }

    /// clap's parse, with the whole `mntns` command as `main` uses it.
    fn with_clap(args: &[OsString]) -> Option<String> {
        let argv = [OsString::from("mntns"), OsString::from("run")]
            .into_iter()
            .chain(args.iter().cloned());
        let matches = crate::Cli::command().try_get_matches_from(argv).ok()?;
        let sub = matches.subcommand_matches("run")?;
        let args = RunArgs::from_arg_matches(sub).ok()?;
        Some(outcome(&args, &Order::from_matches(sub)))
    }

    fn quick(args: &[OsString]) -> Option<String> {
        parse(args).map(|(a, o)| outcome(&a, &o))
    }

    #[track_caller]
    fn agree(words: &[&[u8]]) {
        let args = line(words);
        let clap = with_clap(&args).expect("clap accepts the line");
        assert_eq!(quick(&args).as_ref(), Some(&clap), "{args:?}");
    }

    #[track_caller]
    fn falls_back(words: &[&[u8]]) {
        let args = line(words);
        assert_eq!(quick(&args), None, "{args:?}");
    }

    /// Every option clap knows, alone and all together, parses here to what clap gives.
    #[test]
    fn every_option_agrees_with_clap() {
        let mut command = RunArgs::augment_args(clap::Command::new("run"));
        command.build();
        let mut all: Vec<OsString> = Vec::new();
        let mut checked = 0;
        for arg in command.get_arguments() {
            if arg.is_last_set() || matches!(arg.get_action(), ArgAction::Help) {
                continue; // the command, after `--`; clap's own --help
            }
            let long = arg.get_long().expect("run has long options only");
            let mut words = vec![OsString::from(format!("--{long}"))];
            if !matches!(arg.get_action(), ArgAction::SetTrue) {
                let n = arg.get_num_args().expect("built").min_values();
                words.extend((0..n).map(|k| OsString::from(format!("{}", 7 + k))));
            }
            let alone: Vec<OsString> = words
                .iter()
                .cloned()
                .chain(["--".into(), "true".into()])
                .collect();
            let clap = with_clap(&alone).unwrap_or_else(|| panic!("clap refuses {alone:?}"));
            assert_eq!(quick(&alone).as_ref(), Some(&clap), "{alone:?}");
            if !matches!(long, "rootfs-tar" | "no-die-with-parent") {
                all.extend(words);
            }
            checked += 1;
        }
        assert!(checked >= 27, "only {checked} options seen");
        all.extend(["--".into(), "cmd".into(), "--arg".into()]);
        let clap = with_clap(&all).expect("clap accepts the line");
        assert_eq!(quick(&all).as_ref(), Some(&clap), "{all:?}");
    }

    #[test]
    fn orderings_and_forms_agree_with_clap() {
        agree(&[b"--", b"true"]);
        agree(&[
            b"--bare",
            b"--ro-bind",
            b"/bin/busybox",
            b"/bin/true",
            b"--",
            b"/bin/true",
        ]);
        agree(&[
            b"--tmpfs",
            b"/a:size=1m",
            b"--bind",
            b"/s",
            b"/b",
            b"--dir",
            b"/c",
            b"--tmpfs=/d",
            b"--symlink",
            b"x",
            b"/e",
            b"--ro-bind",
            b"/s",
            b"/f",
            b"--proc",
            b"/proc",
            b"--dev",
            b"/dev",
            b"--dir=/g",
            b"--bind",
            b"/t",
            b"/h",
            b"--",
            b"sh",
            b"-c",
            b"echo -- hi",
        ]);
        agree(&[
            b"--unshare",
            b"user,pid",
            b"--unshare=net",
            b"--uid=+5",
            b"--gid",
            b"007",
            b"--",
            b"id",
        ]);
        agree(&[
            b"--setenv",
            b"A",
            b"",
            b"--setenv",
            b"B",
            b"=x=",
            b"--unsetenv",
            b"C",
            b"--",
            b"env",
        ]);
        agree(&[
            b"--hostname",
            b"",
            b"--chdir",
            b"/\xff",
            b"--",
            b"\xfe",
            b"--",
            b"-x",
        ]);
        agree(&[
            b"--rootfs=/r",
            b"--root-size",
            b"50%",
            b"--json-status-fd",
            b"3",
            b"--",
            b"true",
        ]);
        agree(&[
            b"--no-die-with-parent",
            b"--keep-old-root",
            b"/old",
            b"--",
            b"true",
        ]);
    }

    #[test]
    fn the_unusual_goes_to_clap() {
        for words in [
            &[b"--help".as_slice()][..],
            &[b"-h", b"--", b"true"],
            &[b"--bogus", b"--", b"true"],
            &[b"--bare", b"--bare", b"--", b"true"],
            &[b"--uid", b"1", b"--uid", b"2", b"--", b"true"],
            &[b"--uid", b"x", b"--", b"true"],
            &[b"--uid", b"-1", b"--", b"true"],
            &[b"--uid", b"4294967296", b"--", b"true"],
            &[b"--rootfs", b"/a", b"--rootfs-tar", b"/b", b"--", b"true"],
            &[
                b"--die-with-parent",
                b"--no-die-with-parent",
                b"--",
                b"true",
            ],
            &[b"--bare"],
            &[b"--bare", b"--"],
            &[b"true"],
            &[b"sh", b"--", b"true"],
            &[b"--tmpfs", b"-x", b"--", b"true"],
            &[b"--tmpfs=", b"--", b"true"],
            &[b"--bind", b"/a", b"--", b"true"],
            &[b"--bind=/a", b"/b", b"--", b"true"],
            &[b"--setenv=A", b"B", b"--", b"true"],
            &[b"--bare=yes", b"--", b"true"],
            &[b"--dir", b"", b"--", b"true"],
            &[b"--unshare", b"user,,pid", b"--", b"true"],
            &[b"--tmpfs", b"/\xff", b"--", b"true"],
            &[b"--\xff", b"--", b"true"],
        ] {
            falls_back(words);
        }
        // Some of those clap accepts in its own way, which is why they go to clap.
        assert!(with_clap(&line(&[b"--tmpfs", b"-x", b"--", b"true"])).is_none());
        assert!(with_clap(&line(&[b"--bare", b"--bare", b"--", b"true"])).is_none());
    }
}
