//! The columns of the `lsns(8)`- and `findmnt(8)`-style views of namespaces and mount
//! tables: their names (`NS`, `MAJ:MIN`), their JSON keys (`ns`, `maj:min`), and each
//! row's values, typed as JSON types. Every binding that shows namespaces or mounts as a
//! table (the `mntns ls` and `mntns mounts` commands first) takes them from here, so the
//! same column means the same thing everywhere.
//!
//! The names and keys are util-linux's, so that scripts written for `lsns -J` and
//! `findmnt -J` keep working: [`NsColumn::DEFAULT`] is lsns's default set and
//! [`MountColumn::DEFAULT`] findmnt's. A few columns are new (the 64-bit namespace id, what
//! pins a namespace, a mount's 64-bit id); their names follow util-linux's style.
//!
//! ```
//! use mntns::columns::{MountColumn, NsColumn};
//!
//! let cols = NsColumn::parse_list("NS,TYPE,ONS")?;
//! assert_eq!(cols[2], NsColumn::Ons);
//! // A leading "+" adds to lsns's default columns.
//! assert_eq!(NsColumn::parse_list("+ONS")?.len(), NsColumn::DEFAULT.len() + 1);
//! assert_eq!(MountColumn::parse_list("target,maj:min")?[1].json_key(), "maj:min");
//! # Ok::<(), mntns::Error>(())
//! ```

use std::borrow::Cow;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::ns::{ListOptions, NamespaceInfo, Pin};
use crate::table::Mount;

/// One cell's value, typed as JSON types it (util-linux prints numbers unquoted and
/// missing values as `null`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// No value: JSON `null`, an empty cell in a table.
    Null,
    /// A number: JSON number, right-aligned in a table.
    Number(u64),
    /// Text as bytes (Linux paths need not be UTF-8).
    Text(Cow<'a, [u8]>),
    /// Several texts: a JSON array, comma-separated in a table.
    List(Vec<Cow<'a, [u8]>>),
}

impl Value<'_> {
    fn text(s: impl Into<String>) -> Value<'static> {
        Value::Text(Cow::Owned(s.into().into_bytes()))
    }

    fn path(p: &Path) -> Value<'_> {
        Value::Text(Cow::Borrowed(p.as_os_str().as_bytes()))
    }
}

/// Parses a comma-separated column list for `-o`: names are case-insensitive; a list that
/// starts with `+` is added to `defaults` (`-o +PNS`), as util-linux's tools do.
fn parse_columns<C: Copy>(
    list: &str,
    defaults: &[C],
    all: &[C],
    name: impl Fn(C) -> &'static str,
    what: &'static str,
) -> Result<Vec<C>> {
    let (mut out, rest) = match list.strip_prefix('+') {
        Some(rest) => (defaults.to_vec(), rest),
        None => (Vec::new(), list),
    };
    for item in rest.split(',') {
        let item = item.trim();
        let found = all
            .iter()
            .copied()
            .find(|c| name(*c).eq_ignore_ascii_case(item));
        match found {
            Some(c) => out.push(c),
            None => {
                let names: Vec<&str> = all.iter().map(|c| name(*c)).collect();
                return Err(Error::invalid(
                    what,
                    format!("unknown column {item:?}; available: {}", names.join(", ")),
                ));
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Namespaces (lsns)

/// A column of the namespace view (`lsns -o`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NsColumn {
    /// `NS`: the namespace's inode number.
    Ns,
    /// `TYPE`: its kind (`mnt`, `net`…).
    Type,
    /// `PATH`: a path that opens it: `/proc/PID/ns/KIND` of its lowest process, else the
    /// descriptor or bind mount that holds it.
    Path,
    /// `NPROCS`: how many processes are in it.
    Nprocs,
    /// `PID`: its lowest pid.
    Pid,
    /// `UID`: the owner of that process.
    Uid,
    /// `USER`: that owner's name.
    User,
    /// `COMMAND`: that process's command line.
    Command,
    /// `NSFS`: where an nsfs file of it is bind-mounted (`ip netns` keeps them there).
    Nsfs,
    /// `PNS`: the parent namespace's inode (user and pid namespaces; 0 otherwise).
    Pns,
    /// `ONS`: the owner user namespace's inode (0 when out of view).
    Ons,
    /// `ID`: the kernel's 64-bit mount namespace id (Linux 6.8; `null` for other kinds).
    Id,
    /// `PINNED-BY`: everything that keeps it alive: processes, open descriptors, bind
    /// mounts.
    PinnedBy,
}

impl NsColumn {
    /// Every column, in the order `--help` lists them.
    pub const ALL: [NsColumn; 13] = [
        NsColumn::Ns,
        NsColumn::Type,
        NsColumn::Path,
        NsColumn::Nprocs,
        NsColumn::Pid,
        NsColumn::Uid,
        NsColumn::User,
        NsColumn::Command,
        NsColumn::Nsfs,
        NsColumn::Pns,
        NsColumn::Ons,
        NsColumn::Id,
        NsColumn::PinnedBy,
    ];

    /// lsns's default columns: `NS TYPE NPROCS PID USER COMMAND`.
    pub const DEFAULT: [NsColumn; 6] = [
        NsColumn::Ns,
        NsColumn::Type,
        NsColumn::Nprocs,
        NsColumn::Pid,
        NsColumn::User,
        NsColumn::Command,
    ];

    /// The column's name as `-o` takes it and a table heading shows it.
    pub const fn name(self) -> &'static str {
        match self {
            NsColumn::Ns => "NS",
            NsColumn::Type => "TYPE",
            NsColumn::Path => "PATH",
            NsColumn::Nprocs => "NPROCS",
            NsColumn::Pid => "PID",
            NsColumn::Uid => "UID",
            NsColumn::User => "USER",
            NsColumn::Command => "COMMAND",
            NsColumn::Nsfs => "NSFS",
            NsColumn::Pns => "PNS",
            NsColumn::Ons => "ONS",
            NsColumn::Id => "ID",
            NsColumn::PinnedBy => "PINNED-BY",
        }
    }

    /// The key in JSON output: the name in lowercase, as lsns does.
    pub const fn json_key(self) -> &'static str {
        match self {
            NsColumn::Ns => "ns",
            NsColumn::Type => "type",
            NsColumn::Path => "path",
            NsColumn::Nprocs => "nprocs",
            NsColumn::Pid => "pid",
            NsColumn::Uid => "uid",
            NsColumn::User => "user",
            NsColumn::Command => "command",
            NsColumn::Nsfs => "nsfs",
            NsColumn::Pns => "pns",
            NsColumn::Ons => "ons",
            NsColumn::Id => "id",
            NsColumn::PinnedBy => "pinned-by",
        }
    }

    /// One line saying what the column shows.
    pub const fn help(self) -> &'static str {
        match self {
            NsColumn::Ns => "namespace identifier (inode number)",
            NsColumn::Type => "kind of namespace",
            NsColumn::Path => "path to the namespace",
            NsColumn::Nprocs => "number of processes in the namespace",
            NsColumn::Pid => "lowest PID in the namespace",
            NsColumn::Uid => "UID of the PID",
            NsColumn::User => "username of the PID",
            NsColumn::Command => "command line of the PID",
            NsColumn::Nsfs => "nsfs mountpoint (a bind mount holding the namespace)",
            NsColumn::Pns => "parent namespace identifier (user and pid namespaces)",
            NsColumn::Ons => "owner user namespace identifier",
            NsColumn::Id => "64-bit mount namespace id (Linux 6.8)",
            NsColumn::PinnedBy => "what keeps it alive: processes, open fds, bind mounts",
        }
    }

    /// Whether the values are numbers (JSON numbers, right-aligned in a table).
    pub const fn is_number(self) -> bool {
        matches!(
            self,
            NsColumn::Ns
                | NsColumn::Nprocs
                | NsColumn::Pid
                | NsColumn::Uid
                | NsColumn::Pns
                | NsColumn::Ons
                | NsColumn::Id
        )
    }

    /// Parses a `-o` list: `NS,TYPE,PID`, case-insensitive; a leading `+` adds to
    /// [`NsColumn::DEFAULT`].
    ///
    /// # Errors
    /// `EINVAL` naming the unknown column and listing the known ones.
    pub fn parse_list(list: &str) -> Result<Vec<NsColumn>> {
        parse_columns(
            list,
            &NsColumn::DEFAULT,
            &NsColumn::ALL,
            NsColumn::name,
            "namespace columns",
        )
    }

    /// This column's value for one namespace.
    pub fn value(self, ns: &NamespaceInfo) -> Value<'_> {
        let number = |n: Option<u64>| n.map_or(Value::Null, Value::Number);
        match self {
            NsColumn::Ns => Value::Number(ns.id.inode()),
            NsColumn::Type => Value::Text(Cow::Borrowed(ns.kind().name().as_bytes())),
            NsColumn::Path => match ns.pins.first() {
                Some(Pin::Process(pid)) => {
                    Value::text(format!("/proc/{pid}/ns/{}", ns.kind().name()))
                }
                Some(Pin::Fd { pid, fd }) => Value::text(format!("/proc/{pid}/fd/{fd}")),
                Some(Pin::BindMount { path }) => Value::path(path),
                None => Value::Null,
            },
            NsColumn::Nprocs => Value::Number(ns.nprocs as u64),
            NsColumn::Pid => number(ns.pid.map(|p| p.as_raw() as u64)),
            NsColumn::Uid => number(ns.uid.map(u64::from)),
            NsColumn::User => ns
                .user
                .as_deref()
                .map_or(Value::Null, |u| Value::Text(Cow::Borrowed(u.as_bytes()))),
            NsColumn::Command => ns
                .command
                .as_deref()
                .map_or(Value::Null, |c| Value::Text(Cow::Borrowed(c.as_bytes()))),
            NsColumn::Nsfs => ns
                .pins
                .iter()
                .find_map(|p| match p {
                    Pin::BindMount { path } => Some(Value::path(path)),
                    _ => None,
                })
                .unwrap_or(Value::Null),
            // lsns prints 0 when there is no parent or owner to show.
            NsColumn::Pns => Value::Number(ns.parent.map_or(0, |id| id.inode())),
            NsColumn::Ons => Value::Number(ns.owner.map_or(0, |id| id.inode())),
            NsColumn::Id => number(ns.kernel_id),
            NsColumn::PinnedBy => Value::List(
                ns.pins
                    .iter()
                    .map(|p| Cow::Owned(p.to_string().into_bytes()))
                    .collect(),
            ),
        }
    }

    /// `base` with the passes these columns need turned on, and the others off: the uid
    /// and command only for `UID`, `USER`, `COMMAND`; owner, parent and 64-bit id only for
    /// `PNS`, `ONS`, `ID`; the bind-mount pass for `NSFS`, and both the open-fd and the
    /// bind-mount passes for `PINNED-BY`. The kind, pid and thread settings of `base` are
    /// kept. Namespaces no process is in are found only with those passes; turn them on
    /// afterwards ([`ListOptions::fds`], [`ListOptions::bind_mounts`]) to list them
    /// whatever the columns.
    pub fn list_options(columns: &[NsColumn], base: ListOptions) -> ListOptions {
        let any = |set: &[NsColumn]| columns.iter().any(|c| set.contains(c));
        base.details(any(&[NsColumn::Uid, NsColumn::User, NsColumn::Command]))
            .relations(any(&[NsColumn::Pns, NsColumn::Ons, NsColumn::Id]))
            .fds(any(&[NsColumn::PinnedBy]))
            .bind_mounts(any(&[NsColumn::PinnedBy, NsColumn::Nsfs]))
    }
}

// ---------------------------------------------------------------------------------------
// Mounts (findmnt)

/// A column of the mount table view (`findmnt -o`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MountColumn {
    /// `TARGET`: the mount point.
    Target,
    /// `SOURCE`: where the filesystem comes from, with `[/dir]` appended for a mount of a
    /// subdirectory (a bind mount), as findmnt shows it.
    Source,
    /// `FSTYPE`: the filesystem type.
    Fstype,
    /// `OPTIONS`: per-mount and filesystem options merged into one list, as findmnt
    /// shows them (`rw` or `ro` once, first).
    Options,
    /// `VFS-OPTIONS`: the per-mount options.
    VfsOptions,
    /// `FS-OPTIONS`: the superblock's options.
    FsOptions,
    /// `FSROOT`: the directory of the filesystem mounted here.
    Fsroot,
    /// `MAJ:MIN`: the filesystem's device number.
    MajMin,
    /// `ID`: the mount id.
    Id,
    /// `PARENT`: the parent's mount id.
    Parent,
    /// `PROPAGATION`: `shared` or `private`, then `,slave`, `,unbindable`.
    Propagation,
    /// `OPT-FIELDS`: mountinfo's optional fields (`shared:1 master:2`).
    OptFields,
    /// `UNIQ-ID`: the 64-bit mount id that is never reused (statmount only; `null` when
    /// read from mountinfo).
    UniqId,
}

impl MountColumn {
    /// Every column, in the order `--help` lists them.
    pub const ALL: [MountColumn; 13] = [
        MountColumn::Target,
        MountColumn::Source,
        MountColumn::Fstype,
        MountColumn::Options,
        MountColumn::VfsOptions,
        MountColumn::FsOptions,
        MountColumn::Fsroot,
        MountColumn::MajMin,
        MountColumn::Id,
        MountColumn::Parent,
        MountColumn::Propagation,
        MountColumn::OptFields,
        MountColumn::UniqId,
    ];

    /// findmnt's default columns: `TARGET SOURCE FSTYPE OPTIONS`.
    pub const DEFAULT: [MountColumn; 4] = [
        MountColumn::Target,
        MountColumn::Source,
        MountColumn::Fstype,
        MountColumn::Options,
    ];

    /// The default columns of JSON output: findmnt's four, plus `id`, `parent` and
    /// `propagation`, so that a script can rebuild the tree and see propagation.
    pub const DEFAULT_JSON: [MountColumn; 7] = [
        MountColumn::Target,
        MountColumn::Source,
        MountColumn::Fstype,
        MountColumn::Options,
        MountColumn::Id,
        MountColumn::Parent,
        MountColumn::Propagation,
    ];

    /// The column's name as `-o` takes it and a table heading shows it.
    pub const fn name(self) -> &'static str {
        match self {
            MountColumn::Target => "TARGET",
            MountColumn::Source => "SOURCE",
            MountColumn::Fstype => "FSTYPE",
            MountColumn::Options => "OPTIONS",
            MountColumn::VfsOptions => "VFS-OPTIONS",
            MountColumn::FsOptions => "FS-OPTIONS",
            MountColumn::Fsroot => "FSROOT",
            MountColumn::MajMin => "MAJ:MIN",
            MountColumn::Id => "ID",
            MountColumn::Parent => "PARENT",
            MountColumn::Propagation => "PROPAGATION",
            MountColumn::OptFields => "OPT-FIELDS",
            MountColumn::UniqId => "UNIQ-ID",
        }
    }

    /// The key in JSON output: the name in lowercase, as findmnt does.
    pub const fn json_key(self) -> &'static str {
        match self {
            MountColumn::Target => "target",
            MountColumn::Source => "source",
            MountColumn::Fstype => "fstype",
            MountColumn::Options => "options",
            MountColumn::VfsOptions => "vfs-options",
            MountColumn::FsOptions => "fs-options",
            MountColumn::Fsroot => "fsroot",
            MountColumn::MajMin => "maj:min",
            MountColumn::Id => "id",
            MountColumn::Parent => "parent",
            MountColumn::Propagation => "propagation",
            MountColumn::OptFields => "opt-fields",
            MountColumn::UniqId => "uniq-id",
        }
    }

    /// One line saying what the column shows.
    pub const fn help(self) -> &'static str {
        match self {
            MountColumn::Target => "mountpoint",
            MountColumn::Source => "source device (with [/dir] for a bind mount of a subdirectory)",
            MountColumn::Fstype => "filesystem type",
            MountColumn::Options => "all mount options",
            MountColumn::VfsOptions => "VFS specific mount options",
            MountColumn::FsOptions => "FS specific mount options",
            MountColumn::Fsroot => "filesystem root",
            MountColumn::MajMin => "major:minor device number",
            MountColumn::Id => "mount ID",
            MountColumn::Parent => "mount parent ID",
            MountColumn::Propagation => "VFS propagation flags",
            MountColumn::OptFields => "optional mount fields",
            MountColumn::UniqId => "64-bit mount ID, never reused (statmount only)",
        }
    }

    /// Whether the values are numbers (JSON numbers, right-aligned in a table).
    pub const fn is_number(self) -> bool {
        matches!(
            self,
            MountColumn::Id | MountColumn::Parent | MountColumn::UniqId
        )
    }

    /// Parses a `-o` list: `TARGET,SOURCE`, case-insensitive; a leading `+` adds to
    /// [`MountColumn::DEFAULT`].
    ///
    /// # Errors
    /// `EINVAL` naming the unknown column and listing the known ones.
    pub fn parse_list(list: &str) -> Result<Vec<MountColumn>> {
        parse_columns(
            list,
            &MountColumn::DEFAULT,
            &MountColumn::ALL,
            MountColumn::name,
            "mount columns",
        )
    }

    /// This column's value for one mount.
    pub fn value(self, m: &Mount) -> Value<'_> {
        match self {
            MountColumn::Target => Value::path(m.target()),
            MountColumn::Source => match m.source() {
                None => Value::Null,
                Some(src) if m.root() == Path::new("/") => {
                    Value::Text(Cow::Borrowed(src.as_bytes()))
                }
                Some(src) => {
                    // findmnt: "SOURCE[FSROOT]" for a mount of a subdirectory.
                    let mut s = src.as_bytes().to_vec();
                    s.push(b'[');
                    s.extend_from_slice(m.root().as_os_str().as_bytes());
                    s.push(b']');
                    Value::Text(Cow::Owned(s))
                }
            },
            MountColumn::Fstype => Value::Text(Cow::Borrowed(m.fstype().as_bytes())),
            MountColumn::Options => Value::Text(Cow::Owned(merged_options(
                m.options().as_bytes(),
                &unescaped(m.super_options().as_bytes()),
            ))),
            MountColumn::VfsOptions => Value::Text(Cow::Borrowed(m.options().as_bytes())),
            MountColumn::FsOptions => Value::Text(unescaped(m.super_options().as_bytes())),
            MountColumn::Fsroot => Value::path(m.root()),
            MountColumn::MajMin => Value::text(format!("{}:{}", m.major(), m.minor())),
            MountColumn::Id => Value::Number(u64::from(m.id())),
            MountColumn::Parent => Value::Number(u64::from(m.parent_id())),
            MountColumn::Propagation => Value::text(m.propagation().to_string()),
            MountColumn::OptFields => {
                let p = m.propagation();
                let mut fields = Vec::new();
                if let Some(n) = p.shared {
                    fields.push(format!("shared:{n}"));
                }
                if let Some(n) = p.master {
                    fields.push(format!("master:{n}"));
                }
                if let Some(n) = p.propagate_from {
                    fields.push(format!("propagate_from:{n}"));
                }
                if p.unbindable {
                    fields.push("unbindable".to_owned());
                }
                // findmnt shows no value for a mount without optional fields.
                if fields.is_empty() {
                    Value::Null
                } else {
                    Value::text(fields.join(" "))
                }
            }
            MountColumn::UniqId => m.unique_id().map_or(Value::Null, Value::Number),
        }
    }
}

/// The filesystem options as libmount shows them: with mountinfo's `\ooo` escapes
/// decoded (borrowed when there is none, which is nearly always).
fn unescaped(options: &[u8]) -> Cow<'_, [u8]> {
    if options.contains(&b'\\') {
        Cow::Owned(crate::table::unescape(options))
    } else {
        Cow::Borrowed(options)
    }
}

/// findmnt's `OPTIONS`: the per-mount options and the filesystem's options in one list,
/// `rw` or `ro` once at the front — `ro` when either side is read-only — as libmount
/// merges mountinfo's two option fields (`rw,relatime` and `rw,size=4k` give
/// `rw,relatime,size=4k`).
pub fn merged_options(vfs: &[u8], fs: &[u8]) -> Vec<u8> {
    if vfs == fs {
        return vfs.to_vec();
    }
    // One pass: "rw" goes in front and becomes "ro" when an "ro" turns up.
    let mut out = Vec::with_capacity(vfs.len() + fs.len() + 1);
    out.extend_from_slice(b"rw");
    for opt in vfs.split(|&b| b == b',').chain(fs.split(|&b| b == b',')) {
        let name = opt.split(|&b| b == b'=').next().unwrap_or(opt);
        match name {
            b"ro" => out[..2].copy_from_slice(b"ro"),
            b"" | b"rw" => {}
            _ => {
                out.push(b',');
                out.extend_from_slice(opt);
            }
        }
    }
    out
}

/// Which mounts a view shows: `-t` filesystem types and a mount point, as findmnt
/// filters them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountFilter {
    fstypes: Option<String>,
    target: Option<PathBuf>,
}

impl MountFilter {
    /// Shows every mount.
    pub fn new() -> MountFilter {
        MountFilter::default()
    }

    /// Only these filesystem types: a comma-separated list, case-insensitive, as
    /// `findmnt -t` takes it. A `no` in front of the whole list shows every type *but*
    /// those (`nosysfs,proc`); `no` in front of one item excludes that item.
    ///
    /// # Errors
    /// `EINVAL` for an empty list or an empty item.
    pub fn fstypes(mut self, list: &str) -> Result<MountFilter> {
        let items = list.strip_prefix("no").unwrap_or(list);
        if items.is_empty() || items.split(',').any(str::is_empty) {
            return Err(Error::invalid(
                "filesystem types",
                format!("{list:?} is not a comma-separated list of filesystem types"),
            ));
        }
        self.fstypes = Some(list.to_owned());
        Ok(self)
    }

    /// Only the mounts on this mount point (compared after removing `.` components and
    /// trailing slashes; no symlink is followed).
    pub fn target(mut self, target: &Path) -> MountFilter {
        self.target = Some(normalize(target));
        self
    }

    /// Whether `m` is shown.
    pub fn matches(&self, m: &Mount) -> bool {
        if let Some(list) = &self.fstypes
            && !fstype_matches(list, m.fstype().as_bytes())
        {
            return false;
        }
        if let Some(target) = &self.target
            && normalize(m.target()) != *target
        {
            return false;
        }
        true
    }
}

/// libmount's `mnt_match_fstype` rule, for one type against a `-t` list.
fn fstype_matches(list: &str, fstype: &[u8]) -> bool {
    let (negated, items) = match list.strip_prefix("no") {
        Some(rest) => (true, rest),
        None => (false, list),
    };
    for item in items.split(',') {
        let item = item.as_bytes();
        if let Some(excluded) = item.strip_prefix(b"no")
            && excluded.eq_ignore_ascii_case(fstype)
        {
            return false;
        }
        if item.eq_ignore_ascii_case(fstype) {
            return !negated;
        }
    }
    negated
}

fn normalize(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_merge_like_libmount() {
        let m = |a: &str, b: &str| String::from_utf8(merged_options(a.as_bytes(), b.as_bytes()));
        assert_eq!(m("rw,relatime", "rw").unwrap(), "rw,relatime");
        assert_eq!(
            m("rw,relatime", "rw,size=4k,mode=755").unwrap(),
            "rw,relatime,size=4k,mode=755"
        );
        assert_eq!(m("ro,nosuid", "rw,size=4k").unwrap(), "ro,nosuid,size=4k");
        assert_eq!(m("rw,noexec", "ro,journal").unwrap(), "ro,noexec,journal");
        assert_eq!(m("ro", "ro").unwrap(), "ro");
        assert_eq!(m("rw", "ro").unwrap(), "ro");
    }

    #[test]
    fn fstype_lists_like_findmnt() {
        assert!(fstype_matches("tmpfs", b"tmpfs"));
        assert!(fstype_matches("proc,TMPFS", b"tmpfs"));
        assert!(!fstype_matches("proc", b"tmpfs"));
        assert!(!fstype_matches("proc", b"proc2"));
        // A leading "no" negates the whole list.
        assert!(!fstype_matches("nosysfs,proc", b"proc"));
        assert!(!fstype_matches("nosysfs,proc", b"sysfs"));
        assert!(fstype_matches("nosysfs,proc", b"ext4"));
        // "no" in front of one item excludes that item.
        assert!(!fstype_matches("tmpfs,noproc", b"proc"));
        assert!(fstype_matches("tmpfs,noproc", b"tmpfs"));
        assert!(MountFilter::new().fstypes("").is_err());
        assert!(MountFilter::new().fstypes("tmpfs,,proc").is_err());
        assert!(MountFilter::new().fstypes("no").is_err());
    }

    #[test]
    fn column_lists_parse() {
        assert_eq!(
            NsColumn::parse_list("ns,Type,PINNED-BY").unwrap(),
            vec![NsColumn::Ns, NsColumn::Type, NsColumn::PinnedBy]
        );
        let plus = NsColumn::parse_list("+ONS").unwrap();
        assert_eq!(&plus[..6], &NsColumn::DEFAULT);
        assert_eq!(plus[6], NsColumn::Ons);
        let e = NsColumn::parse_list("NS,BOGUS").unwrap_err();
        assert_eq!(e.errno(), crate::Errno::EINVAL);
        assert!(e.to_string().contains("\"BOGUS\""), "{e}");
        assert!(e.to_string().contains("PINNED-BY"), "{e}");
        assert!(MountColumn::parse_list("").is_err());
        assert_eq!(
            MountColumn::parse_list("MAJ:MIN,uniq-id").unwrap(),
            vec![MountColumn::MajMin, MountColumn::UniqId]
        );
        for c in NsColumn::ALL {
            assert_eq!(c.json_key(), c.name().to_ascii_lowercase());
        }
        for c in MountColumn::ALL {
            assert_eq!(c.json_key(), c.name().to_ascii_lowercase());
        }
    }

    #[test]
    fn columns_pick_passes() {
        let base = ListOptions::new();
        let o = NsColumn::list_options(&NsColumn::DEFAULT, base.clone());
        assert_eq!(
            o,
            ListOptions::new()
                .details(true)
                .relations(false)
                .fds(false)
                .bind_mounts(false)
        );
        let o = NsColumn::list_options(&[NsColumn::Ns, NsColumn::PinnedBy], base.clone());
        assert_eq!(
            o,
            ListOptions::new()
                .details(false)
                .relations(false)
                .fds(true)
                .bind_mounts(true)
        );
        let o = NsColumn::list_options(&[NsColumn::Ons], base);
        assert_eq!(
            o,
            ListOptions::new()
                .details(false)
                .relations(true)
                .fds(false)
                .bind_mounts(false)
        );
    }

    #[test]
    fn mount_values() {
        let m = crate::table::parse_mountinfo_line(
            b"64 43 0:60 /sub /tmp/c\\040d rw,relatime master:3 - tmpfs x rw,size=4k",
        )
        .unwrap();
        let text = |c: MountColumn| match c.value(&m) {
            Value::Text(t) => String::from_utf8(t.into_owned()).unwrap(),
            other => panic!("{other:?}"),
        };
        assert_eq!(text(MountColumn::Target), "/tmp/c d");
        assert_eq!(text(MountColumn::Source), "x[/sub]");
        assert_eq!(text(MountColumn::Options), "rw,relatime,size=4k");
        assert_eq!(text(MountColumn::MajMin), "0:60");
        assert_eq!(text(MountColumn::Propagation), "private,slave");
        assert_eq!(text(MountColumn::OptFields), "master:3");
        let plain = crate::table::parse_mountinfo_line(b"1 0 0:1 / / rw - tmpfs x rw").unwrap();
        assert_eq!(MountColumn::OptFields.value(&plain), Value::Null);
        assert_eq!(MountColumn::Id.value(&m), Value::Number(64));
        assert_eq!(MountColumn::UniqId.value(&m), Value::Null);
        let f = MountFilter::new().target(Path::new("/tmp/c d/"));
        assert!(f.matches(&m));
        assert!(!MountFilter::new().target(Path::new("/tmp")).matches(&m));
        assert!(MountFilter::new().fstypes("tmpfs").unwrap().matches(&m));
    }
}
