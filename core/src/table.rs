//! Mount tables: what `mount`, `findmnt` and `/proc/PID/mountinfo` show, as [`Mount`]
//! records — for the calling thread, for a process, or for any mount namespace held by an
//! [`NsFd`], without entering it.
//!
//! Two backends give the same records (see [`TableSource`]):
//!
//! - **statmount**: `listmount(2)` + `statmount(2)` (Linux 6.8; complete records since
//!   6.13), asking the kernel mount by mount, by the namespace's 64-bit id
//!   ([`NsFd::kernel_id`]). Needs no `/proc` and reads another namespace's table without
//!   any process in it; only this backend knows [`Mount::unique_id`].
//! - **mountinfo**: the text of `/proc/PID/mountinfo` (see `proc_pid_mountinfo(5)`),
//!   parsed by [`parse_mountinfo`], a byte parser that keeps non-UTF-8 paths as they are
//!   and decodes the kernel's `\040` escapes. For a namespace no process is in (pinned by
//!   an open fd or a bind-mounted nsfs file), a short-lived child joins it and reads its
//!   own mountinfo.
//!
//! Paths are shown as the kernel shows them to the reader: relative to the caller's root
//! for the caller's own namespace, relative to the namespace's root for another one with
//! statmount, relative to the reading process's root with mountinfo. They differ only for
//! a `chroot`ed process.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Errno, Error, Result};
use crate::ns::NsKind;
use crate::ns::{NsFd, NsId};
use crate::process::Pid;
use crate::sys::statmount as sm;

/// One mounted filesystem, as one line of `/proc/PID/mountinfo` describes it (see
/// `proc_pid_mountinfo(5)`), whichever backend read it.
///
/// Text fields are bytes (`OsStr`/`Path`): Linux paths need not be UTF-8. Paths, type and
/// source are decoded (a mount point `/tmp/a b` is `/tmp/a b`, not `/tmp/a\040b`); the
/// two option strings are kept exactly as mountinfo prints them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mount {
    id: u32,
    parent_id: u32,
    unique_id: Option<u64>,
    parent_unique_id: Option<u64>,
    major: u32,
    minor: u32,
    /// root, target, fstype, source, options, super options: one allocation per mount.
    text: Texts,
    propagation: MountPropagation,
}

/// The text fields of a [`Mount`], back to back in one buffer (a table of thousands of
/// mounts is read with one allocation per mount, not six). A `Vec`, not a boxed slice:
/// the buffer is allocated for the whole mountinfo line and the fields end up a little
/// shorter, and shrinking it would cost a `realloc` per mount (7 % of `mntns mounts`).
#[derive(Clone, PartialEq, Eq, Hash)]
struct Texts {
    buf: Vec<u8>,
    ends: [u32; 6],
    has_source: bool,
}

const ROOT: usize = 0;
const TARGET: usize = 1;
const FSTYPE: usize = 2;
const SOURCE: usize = 3;
const OPTIONS: usize = 4;
const SUPER_OPTIONS: usize = 5;

impl Texts {
    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.buf[start..self.ends[i] as usize]
    }
}

/// Builds [`Texts`] field by field, in order.
struct TextsBuilder {
    buf: Vec<u8>,
    ends: [u32; 6],
    next: usize,
}

impl TextsBuilder {
    fn with_capacity(n: usize) -> TextsBuilder {
        TextsBuilder {
            buf: Vec::with_capacity(n),
            ends: [0; 6],
            next: 0,
        }
    }

    fn end_field(&mut self) {
        self.ends[self.next] = self.buf.len() as u32;
        self.next += 1;
    }

    fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.end_field();
    }

    /// Pushes a mountinfo field with its `\ooo` escapes decoded.
    fn push_unescaped(&mut self, field: &[u8]) {
        unescape_into(field, &mut self.buf);
        self.end_field();
    }

    fn finish(self, has_source: bool) -> Texts {
        debug_assert_eq!(self.next, 6);
        Texts {
            buf: self.buf,
            ends: self.ends,
            has_source,
        }
    }
}

impl std::fmt::Debug for Mount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mount")
            .field("id", &self.id)
            .field("parent_id", &self.parent_id)
            .field("unique_id", &self.unique_id)
            .field("parent_unique_id", &self.parent_unique_id)
            .field("major", &self.major)
            .field("minor", &self.minor)
            .field("root", &self.root())
            .field("target", &self.target())
            .field("fstype", &self.fstype())
            .field("source", &self.source())
            .field("options", &self.options())
            .field("super_options", &self.super_options())
            .field("propagation", &self.propagation)
            .finish()
    }
}

impl Mount {
    /// The mount id mountinfo shows (field 1, findmnt's `ID`). The kernel reuses these
    /// ids once a mount is gone.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The id of the parent mount (field 2, findmnt's `PARENT`); the root mount's parent
    /// is outside the table (or the root mount itself).
    pub fn parent_id(&self) -> u32 {
        self.parent_id
    }

    /// The 64-bit mount id that is never reused (`statmount.mnt_id`, Linux 6.8). `None`
    /// when the table was read from mountinfo, which does not show it.
    pub fn unique_id(&self) -> Option<u64> {
        self.unique_id
    }

    /// The parent's 64-bit unique id; `None` when read from mountinfo.
    pub fn parent_unique_id(&self) -> Option<u64> {
        self.parent_unique_id
    }

    /// The major number of the filesystem's device (`st_dev`), field 3 of mountinfo.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The minor number of the filesystem's device (`st_dev`).
    pub fn minor(&self) -> u32 {
        self.minor
    }

    /// The directory of the filesystem that is mounted here (field 4, findmnt's
    /// `FSROOT`): `/` for a whole filesystem, the subdirectory for a bind mount of one.
    pub fn root(&self) -> &Path {
        Path::new(OsStr::from_bytes(self.text.get(ROOT)))
    }

    /// The mount point (field 5, findmnt's `TARGET`).
    pub fn target(&self) -> &Path {
        Path::new(OsStr::from_bytes(self.text.get(TARGET)))
    }

    /// The filesystem type, with its subtype after a dot as findmnt shows it: `tmpfs`,
    /// `ext4`, `fuse.sshfs`.
    pub fn fstype(&self) -> &OsStr {
        OsStr::from_bytes(self.text.get(FSTYPE))
    }

    /// Where the filesystem comes from (findmnt's `SOURCE`): a device, `tmpfs`, `none`…
    /// `None` when the kernel shows an empty source, or when statmount on a kernel older
    /// than 6.13 cannot tell.
    pub fn source(&self) -> Option<&OsStr> {
        self.text
            .has_source
            .then(|| OsStr::from_bytes(self.text.get(SOURCE)))
    }

    /// The per-mount options exactly as mountinfo's field 6 shows them (findmnt's
    /// `VFS-OPTIONS`): `rw,nosuid,nodev,relatime`.
    pub fn options(&self) -> &str {
        // Checked to be UTF-8 when the mount was read (mountinfo) or built (statmount).
        std::str::from_utf8(self.text.get(OPTIONS)).unwrap_or("")
    }

    /// The superblock options exactly as mountinfo's last field shows them (findmnt's
    /// `FS-OPTIONS`), escapes included: `rw,size=1024k,mode=755`. From statmount on a
    /// kernel older than 6.11 this holds only the flags (`ro`/`rw`, `sync`, `dirsync`,
    /// `lazytime`), not the filesystem's own options; statmount never shows the obsolete
    /// `mand` flag, which Linux ignores since 5.15 but mountinfo still prints.
    pub fn super_options(&self) -> &OsStr {
        OsStr::from_bytes(self.text.get(SUPER_OPTIONS))
    }

    /// Propagation: peer group, master, unbindable (mountinfo's optional fields).
    pub fn propagation(&self) -> MountPropagation {
        self.propagation
    }

    /// Whether the per-mount options contain `name` (`"ro"`, `"nosuid"`…).
    pub fn has_option(&self, name: &str) -> bool {
        self.options().split(',').any(|o| o == name)
    }

    /// Whether the mount is read-only (`ro` in the per-mount options).
    pub fn is_read_only(&self) -> bool {
        self.has_option("ro")
    }
}

/// The propagation state of one mount: mountinfo's optional fields `shared:N`,
/// `master:N`, `propagate_from:N` and `unbindable` (see `mount_namespaces(7)`).
///
/// Displays as findmnt's `PROPAGATION` column: `shared` or `private`, then `,slave` and
/// `,unbindable` when they apply (`private,slave`, `shared,slave`, `private,unbindable`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MountPropagation {
    /// The peer group this mount shares events with (`shared:N`); `None` when not shared.
    pub shared: Option<u32>,
    /// The peer group this mount receives events from (`master:N`); `None` when not a
    /// slave.
    pub master: Option<u32>,
    /// The nearest dominating peer group visible from the reader's root, when it differs
    /// from `master` (`propagate_from:N`).
    pub propagate_from: Option<u32>,
    /// The mount may not be bind-mounted (`unbindable`).
    pub unbindable: bool,
}

impl MountPropagation {
    /// Whether the mount is neither shared nor a slave.
    pub fn is_private(&self) -> bool {
        self.shared.is_none() && self.master.is_none()
    }

    /// Whether the mount receives propagation from a master peer group.
    pub fn is_slave(&self) -> bool {
        self.master.is_some()
    }
}

impl fmt::Display for MountPropagation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // findmnt's order: shared|private, then slave, then unbindable.
        f.write_str(if self.shared.is_some() {
            "shared"
        } else {
            "private"
        })?;
        if self.master.is_some() {
            f.write_str(",slave")?;
        }
        if self.unbindable {
            f.write_str(",unbindable")?;
        }
        Ok(())
    }
}

/// Which backend reads a mount table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TableSource {
    /// The default. A process's table ([`mounts`]): `/proc/PID/mountinfo`, which reads the
    /// whole table at once, and statmount when /proc is not mounted. Another namespace's
    /// table ([`mounts_of_namespace`]): statmount when the kernel has it and allows it, with
    /// complete records (Linux 6.13), without entering the namespace; mountinfo otherwise.
    #[default]
    Auto,
    /// Only `listmount(2)`/`statmount(2)`: fails with `ENOSYS` on kernels without them,
    /// and with the kernel's error when it refuses (another user namespace's mount
    /// namespace needs `CAP_SYS_ADMIN` over it).
    Statmount,
    /// Only `/proc/PID/mountinfo`.
    Mountinfo,
}

impl TableSource {
    /// The name: `auto`, `statmount`, `mountinfo`.
    pub const fn name(self) -> &'static str {
        match self {
            TableSource::Auto => "auto",
            TableSource::Statmount => "statmount",
            TableSource::Mountinfo => "mountinfo",
        }
    }
}

impl fmt::Display for TableSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TableSource {
    type Err = Error;

    /// Parses `auto`, `statmount` or `mountinfo`.
    fn from_str(s: &str) -> Result<TableSource> {
        match s {
            "auto" => Ok(TableSource::Auto),
            "statmount" => Ok(TableSource::Statmount),
            "mountinfo" => Ok(TableSource::Mountinfo),
            _ => Err(Error::invalid(
                "table source",
                format!("unknown source {s:?}; expected auto, statmount or mountinfo"),
            )),
        }
    }
}

/// The mount table of process `pid`, or of the calling thread when `None` (what
/// `/proc/thread-self/mountinfo` shows: a thread that unshared its own mount namespace
/// sees that one). Same as [`mounts_with`] with [`TableSource::Auto`].
///
/// # Errors
/// `ESRCH` "process N has exited" for a process that is gone or a zombie; `EACCES`/`EPERM`
/// with a hint when the caller may not look at that process; the open or read error of
/// mountinfo otherwise.
///
/// See `proc_pid_mountinfo(5)`, `statmount(2)`, `listmount(2)`.
pub fn mounts(pid: Option<Pid>) -> Result<Vec<Mount>> {
    mounts_with(pid, TableSource::Auto)
}

/// [`mounts`] with a chosen backend.
///
/// With statmount, the table of another process is read through its namespace's id, so
/// its paths are relative to that namespace's root (mountinfo: to the process's root).
///
/// # Errors
/// As [`mounts`]; with [`TableSource::Statmount`] also `ENOSYS` when the kernel lacks
/// statmount, listmount or `NS_GET_MNTNS_ID`, and the kernel's refusal (`ENOENT` for a
/// namespace of a user namespace the caller has no `CAP_SYS_ADMIN` over).
pub fn mounts_with(pid: Option<Pid>, source: TableSource) -> Result<Vec<Mount>> {
    // A process's table: mountinfo first under Auto — one read for the whole table, where
    // statmount needs one call per mount (measured on 6.18: 3.3 ms against 7.6 ms for 5,000
    // mounts). statmount when /proc cannot answer.
    match source {
        TableSource::Mountinfo => return read_proc_mountinfo(pid),
        TableSource::Auto => match read_proc_mountinfo(pid) {
            Err(e) if e.errno() == Errno::ENOENT && !Path::new("/proc/self").exists() => {}
            other => return other,
        },
        TableSource::Statmount => {}
    }
    // For another process, statmount needs its namespace's id, and the namespace held
    // open while the table is read. Auto falls back to the process's mountinfo whenever
    // that fails (a process of another user: its ns files need ptrace access, its
    // mountinfo does not; an exited one: mountinfo says so too).
    let held = match pid {
        None => None,
        Some(pid) => match NsFd::of_pid(pid, NsKind::Mount) {
            Ok(ns) => Some(ns),
            Err(e) if source == TableSource::Statmount => return Err(explain_ns_access(e)),
            Err(_) => return read_proc_mountinfo(Some(pid)),
        },
    };
    let pid_ns = held.as_ref().map(NsFd::id);
    let ns_id = match &held {
        None => 0,
        Some(ns) => match (ns.kernel_id()?, source) {
            (Some(id), _) => id,
            (None, TableSource::Statmount) => return Err(no_mntns_id(ns.id())),
            (None, _) => return read_proc_mountinfo(pid),
        },
    };
    match (read_with_statmount(ns_id), source) {
        (Ok(table), TableSource::Statmount) => Ok(table.mounts),
        (Ok(table), _) if table.complete => Ok(table.mounts),
        (Err(e), TableSource::Statmount) => Err(match &pid_ns {
            Some(id) => explain_statmount_error(e, *id),
            None => e,
        }),
        // Auto: statmount missing, refused or incomplete (kernel < 6.13): mountinfo.
        _ => read_proc_mountinfo(pid),
    }
}

/// The mount table of the mount namespace `ns` refers to, read without entering it:
/// statmount by the namespace's 64-bit id where the kernel has it, mountinfo otherwise.
/// Same as [`mounts_of_namespace_with`] with [`TableSource::Auto`].
///
/// # Errors
/// `EINVAL` when `ns` is not a mount namespace; see [`mounts_of_namespace_with`].
///
/// See `statmount(2)`, `listmount(2)`, `ioctl_nsfs(2)`.
pub fn mounts_of_namespace(ns: &NsFd) -> Result<Vec<Mount>> {
    mounts_of_namespace_with(ns, TableSource::Auto)
}

/// [`mounts_of_namespace`] with a chosen backend.
///
/// The mountinfo backend reads `/proc/thread-self/mountinfo` when `ns` is the caller's
/// namespace, else `/proc/PID/mountinfo` of a process found in `ns`; when no process is
/// in it (it is held only by an open fd or a bind-mounted nsfs file), it forks a child
/// that joins `ns` with `setns(2)` and reads its own mountinfo. That child only makes raw
/// system calls into memory prepared before the fork — no allocation, no locks — so this
/// is safe from a multithreaded caller.
///
/// # Errors
/// - `EINVAL` when `ns` is not a mount namespace.
/// - [`TableSource::Statmount`]: `ENOSYS` on kernels without statmount, listmount or
///   `NS_GET_MNTNS_ID`; `ENOENT` from the kernel, with a hint, when the namespace belongs to
///   a user namespace the caller has no `CAP_SYS_ADMIN` over.
/// - Mountinfo with no process in the namespace: `EPERM` from `setns` when the caller may
///   not join it (that needs `CAP_SYS_ADMIN` over its owner user namespace).
pub fn mounts_of_namespace_with(ns: &NsFd, source: TableSource) -> Result<Vec<Mount>> {
    if ns.kind() != NsKind::Mount {
        return Err(Error::invalid(
            "read mount table of namespace",
            format!("{} is not a mount namespace", ns.id()),
        ));
    }
    if source == TableSource::Mountinfo {
        return mountinfo_of_namespace(ns);
    }
    let Some(ns_id) = ns.kernel_id()? else {
        if source == TableSource::Statmount {
            return Err(no_mntns_id(ns.id()));
        }
        return mountinfo_of_namespace(ns);
    };
    match (read_with_statmount(ns_id), source) {
        (Ok(table), TableSource::Statmount) => Ok(table.mounts),
        (Ok(table), _) if table.complete => Ok(table.mounts),
        (Err(e), TableSource::Statmount) => Err(explain_statmount_error(e, ns.id())),
        _ => mountinfo_of_namespace(ns),
    }
}

/// Why `/proc/PID/ns/mnt` may not be opened while `/proc/PID/mountinfo` can be read.
fn explain_ns_access(e: Error) -> Error {
    let errno = e.errno();
    if errno != Errno::EACCES && errno != Errno::EPERM {
        return e;
    }
    e.or_hint(|| {
        Some(
            "opening another process's namespace needs ptrace read access to it (the same \
             uid in the same user namespace, or CAP_SYS_PTRACE over its user namespace); \
             TableSource::Mountinfo reads /proc/PID/mountinfo, which needs neither"
                .to_owned(),
        )
    })
}

/// statmount answers ENOENT, as if the namespace did not exist, to a caller without
/// `CAP_SYS_ADMIN` over the user namespace that owns it.
fn explain_statmount_error(e: Error, id: NsId) -> Error {
    if e.errno() != Errno::ENOENT {
        return e;
    }
    e.with_hint(format!(
        "statmount hides {id} unless the caller has CAP_SYS_ADMIN over the user namespace \
         that owns it; TableSource::Mountinfo reads it through a process in it"
    ))
}

fn no_mntns_id(id: NsId) -> Error {
    Error::new(format!("get the 64-bit id of {id}"), Errno::ENOSYS)
        .with_hint("statmount and listmount need Linux 6.8 (NS_GET_MNTNS_ID)")
}

// ---------------------------------------------------------------------------------------
// statmount backend
// ---------------------------------------------------------------------------------------

/// A table read with statmount, and whether the records are complete: source and
/// filesystem options need Linux 6.13 and 6.11.
struct StatmountTable {
    mounts: Vec<Mount>,
    complete: bool,
}

/// What we ask statmount for.
const STATMOUNT_MASK: u64 = sm::STATMOUNT_MASK_V68
    | sm::STATMOUNT_MNT_OPTS
    | sm::STATMOUNT_FS_SUBTYPE
    | sm::STATMOUNT_SB_SOURCE
    | sm::STATMOUNT_SUPPORTED_MASK;

/// The strings a complete record needs beyond Linux 6.8's.
const STATMOUNT_COMPLETE: u64 = sm::STATMOUNT_MNT_OPTS | sm::STATMOUNT_SB_SOURCE;

/// Reads the table of namespace `ns_id` (0: the calling thread's) with listmount and one
/// statmount per mount.
fn read_with_statmount(ns_id: u64) -> Result<StatmountTable> {
    let ids = list_mount_ids(ns_id)?;
    let mut buf = vec![0u64; STATMOUNT_BUF_START / 8];
    let mut mask = STATMOUNT_MASK;
    let mut mounts = Vec::with_capacity(ids.len());
    // The kernel leaves a string's bit out of the answer when the string is empty (no
    // filesystem options, no source), so support shows in the union of the answers, or in
    // `supported_mask` where the kernel has it (6.15).
    let mut answered = 0;
    for id in ids {
        if !statmount_fitting(id, ns_id, &mut mask, &mut buf)? {
            continue; // unmounted since listmount listed it
        }
        let reply = sm::StatmountReply::new(&buf);
        answered |= reply.header.mask;
        if reply.header.mask & sm::STATMOUNT_SUPPORTED_MASK != 0 {
            answered |= reply.header.supported_mask;
        }
        mounts.push(mount_from_statmount(&reply)?);
    }
    Ok(StatmountTable {
        mounts,
        complete: answered & STATMOUNT_COMPLETE == STATMOUNT_COMPLETE,
    })
}

/// The statmount answer is a 512-byte header followed by the strings. The buffer starts
/// at one page, which fits ordinary mounts, is reused for every mount, and doubles on
/// EOVERFLOW. A string is a path (at most PATH_MAX) or an option list: 16 MiB bounds it.
const STATMOUNT_BUF_START: usize = 4096;
const STATMOUNT_BUF_MAX: usize = 16 * 1024 * 1024;

/// Calls statmount for mount `id` until its answer fits in `buf`, growing `buf` as needed.
/// `Ok(false)` when the mount is gone. A kernel that refuses request bits it does not know
/// (EINVAL) is asked again, from then on, for the Linux 6.8 set only.
fn statmount_fitting(id: u64, ns_id: u64, mask: &mut u64, buf: &mut Vec<u64>) -> Result<bool> {
    loop {
        match sm::statmount(id, ns_id, *mask, buf) {
            Ok(()) => return Ok(true),
            Err(e) if e == Errno::ENOENT => return Ok(false),
            Err(e) if e == Errno::EOVERFLOW && buf.len() * 8 < STATMOUNT_BUF_MAX => {
                buf.resize(buf.len() * 2, 0);
            }
            Err(e) if e == Errno::EINVAL && *mask != sm::STATMOUNT_MASK_V68 => {
                *mask = sm::STATMOUNT_MASK_V68;
            }
            Err(e) if e == Errno::ENOSYS => {
                return Err(Error::new("statmount", e).with_hint("statmount(2) needs Linux 6.8"));
            }
            Err(e) => return Err(Error::new("statmount", e)),
        }
    }
}

/// All unique mount ids of namespace `ns_id`, in the kernel's order (creation order, as
/// mountinfo lists them), in batches of 512.
fn list_mount_ids(ns_id: u64) -> Result<Vec<u64>> {
    let mut ids = Vec::new();
    let mut batch = [0u64; 512];
    let mut last = 0;
    loop {
        let n = sm::listmount(ns_id, last, &mut batch).map_err(|e| {
            let err = Error::new("listmount", e);
            if e == Errno::ENOSYS {
                err.with_hint("listmount(2) needs Linux 6.8")
            } else {
                err
            }
        })?;
        ids.extend_from_slice(&batch[..n]);
        if n < batch.len() {
            return Ok(ids);
        }
        last = batch[n - 1];
    }
}

/// Turns one statmount answer into a record.
fn mount_from_statmount(reply: &sm::StatmountReply<'_>) -> Result<Mount> {
    let h = &reply.header;
    let needed = sm::STATMOUNT_MASK_V68;
    if h.mask & needed != needed {
        return Err(Error::new("statmount", Errno::EIO).with_hint(format!(
            "the kernel answered mask {:#x} without the basic fields {needed:#x}",
            h.mask
        )));
    }
    let text = |bit, offset| reply.string(bit, offset).unwrap_or_default();
    let mut fstype = text(sm::STATMOUNT_FS_TYPE, h.fs_type).to_vec();
    if let Some(sub) = reply.string(sm::STATMOUNT_FS_SUBTYPE, h.fs_subtype) {
        // mountinfo's show_type: "fuse.sshfs".
        fstype.push(b'.');
        fstype.extend_from_slice(sub);
    }
    let source = reply
        .string(sm::STATMOUNT_SB_SOURCE, h.sb_source)
        .filter(|s| !s.is_empty())
        .map(|s| OsString::from_vec(s.to_vec()));
    let fs_opts = reply.string(sm::STATMOUNT_MNT_OPTS, h.mnt_opts);
    let group = |what: &'static str, v: u64| {
        u32::try_from(v).map_err(|_| {
            Error::new("statmount", Errno::EOVERFLOW).with_hint(format!(
                "{what} {v} does not fit the 32 bits mountinfo shows"
            ))
        })
    };
    let master = (h.mnt_propagation & sm::MS_SLAVE != 0)
        .then(|| group("master peer group", h.mnt_master))
        .transpose()?;
    let propagate_from = if h.mask & sm::STATMOUNT_PROPAGATE_FROM != 0
        && master.is_some()
        && h.propagate_from != 0
    {
        // mountinfo prints propagate_from only when it differs from master.
        Some(group("propagate_from peer group", h.propagate_from)?).filter(|&p| Some(p) != master)
    } else {
        None
    };
    let propagation = MountPropagation {
        shared: (h.mnt_propagation & sm::MS_SHARED != 0)
            .then(|| group("peer group", h.mnt_peer_group))
            .transpose()?,
        master,
        propagate_from,
        unbindable: h.mnt_propagation & sm::MS_UNBINDABLE != 0,
    };
    let root = text(sm::STATMOUNT_MNT_ROOT, h.mnt_root);
    let point = text(sm::STATMOUNT_MNT_POINT, h.mnt_point);
    let options = mount_options_text(h.mnt_attr);
    let super_options = super_options_text(h.sb_flags, fs_opts);
    let mut b = TextsBuilder::with_capacity(
        root.len() + point.len() + fstype.len() + options.len() + super_options.len() + 64,
    );
    b.push(root);
    b.push(point);
    b.push(&fstype);
    b.push(source.as_ref().map_or(&b""[..], |s| s.as_bytes()));
    b.push(options.as_bytes());
    b.push(&super_options);
    let mount = Mount {
        id: h.mnt_id_old,
        parent_id: h.mnt_parent_id_old,
        unique_id: Some(h.mnt_id),
        parent_unique_id: Some(h.mnt_parent_id),
        major: h.sb_dev_major,
        minor: h.sb_dev_minor,
        text: b.finish(source.is_some()),
        propagation,
    };
    Ok(mount)
}

/// Mountinfo's field 6 from `MOUNT_ATTR_*` bits, in the order the kernel's
/// `show_mnt_opts` (fs/proc_namespace.c) prints them: `ro`/`rw`, `nosuid`, `nodev`,
/// `noexec`, `noatime`, `nodiratime`, `relatime`, `nosymfollow`, `idmapped`.
/// (`strictatime` prints nothing.)
fn mount_options_text(attr: u64) -> String {
    let atime = attr & sm::MOUNT_ATTR__ATIME;
    let mut s = String::from(if attr & sm::MOUNT_ATTR_RDONLY != 0 {
        "ro"
    } else {
        "rw"
    });
    let flags = [
        (attr & sm::MOUNT_ATTR_NOSUID != 0, ",nosuid"),
        (attr & sm::MOUNT_ATTR_NODEV != 0, ",nodev"),
        (attr & sm::MOUNT_ATTR_NOEXEC != 0, ",noexec"),
        (atime == sm::MOUNT_ATTR_NOATIME, ",noatime"),
        (attr & sm::MOUNT_ATTR_NODIRATIME != 0, ",nodiratime"),
        (atime == sm::MOUNT_ATTR_RELATIME, ",relatime"),
        (attr & sm::MOUNT_ATTR_NOSYMFOLLOW != 0, ",nosymfollow"),
        (attr & sm::MOUNT_ATTR_IDMAP != 0, ",idmapped"),
    ];
    for (on, text) in flags {
        if on {
            s.push_str(text);
        }
    }
    s
}

/// Mountinfo's last field from the superblock flags and statmount's `mnt_opts`, as the
/// kernel's `show_mountinfo` builds it: `ro`/`rw`, then `show_sb_opts` (`sync`,
/// `dirsync`, `lazytime`; statmount does not report the obsolete `mand`), then the
/// security and filesystem options, which `mnt_opts` holds already escaped.
fn super_options_text(sb_flags: u32, fs_opts: Option<&[u8]>) -> Vec<u8> {
    let mut s = Vec::from(if sb_flags & sm::SB_RDONLY != 0 {
        "ro"
    } else {
        "rw"
    });
    for (bit, text) in [
        (sm::SB_SYNCHRONOUS, ",sync"),
        (sm::SB_DIRSYNC, ",dirsync"),
        (sm::SB_LAZYTIME, ",lazytime"),
    ] {
        if sb_flags & bit != 0 {
            s.extend_from_slice(text.as_bytes());
        }
    }
    if let Some(opts) = fs_opts.filter(|o| !o.is_empty()) {
        s.push(b',');
        s.extend_from_slice(opts);
    }
    s
}

// ---------------------------------------------------------------------------------------
// mountinfo backend
// ---------------------------------------------------------------------------------------

/// Reads and parses `/proc/PID/mountinfo` (`/proc/thread-self/mountinfo` for `None`).
fn read_proc_mountinfo(pid: Option<Pid>) -> Result<Vec<Mount>> {
    let path = mountinfo_path(pid);
    let text = read_file(&path).map_err(|e| explain_mountinfo_error(e, pid))?;
    parse_mountinfo(&text).map_err(|e| e.with_path(&path))
}

fn mountinfo_path(pid: Option<Pid>) -> PathBuf {
    match pid {
        Some(pid) => PathBuf::from(format!("/proc/{pid}/mountinfo")),
        None => PathBuf::from("/proc/thread-self/mountinfo"),
    }
}

/// Reads a whole file in large chunks (mountinfo is generated as it is read; fewer reads
/// mean fewer chances to see the table change half-way).
fn read_file(path: &Path) -> Result<Vec<u8>> {
    const STEP: &str = "read mount table";
    let mut file = std::fs::File::open(path).map_err(|e| io_error(STEP, path, &e))?;
    let mut text = Vec::with_capacity(64 * 1024);
    file.read_to_end(&mut text)
        .map_err(|e| io_error(STEP, path, &e))?;
    Ok(text)
}

fn io_error(step: &'static str, path: &Path, e: &std::io::Error) -> Error {
    Error::new(step, Errno::from(e)).with_path(path)
}

/// Says why `/proc/PID/mountinfo` could not be read: the process is gone (ENOENT, ESRCH;
/// EINVAL when it is a zombie without namespaces), or the caller may not look.
fn explain_mountinfo_error(e: Error, pid: Option<Pid>) -> Error {
    let errno = e.errno();
    match pid {
        Some(pid) if errno == Errno::ENOENT || errno == Errno::ESRCH || errno == Errno::EINVAL => {
            if !Path::new("/proc/self").exists() {
                return e.with_hint("/proc is not mounted");
            }
            let mut out = Error::new("read mount table", Errno::ESRCH)
                .with_hint(format!("process {pid} has exited"));
            if let Some(path) = e.path() {
                out = out.with_path(path);
            }
            out
        }
        None if errno == Errno::ENOENT => e.with_hint("/proc is not mounted"),
        _ if errno == Errno::EACCES || errno == Errno::EPERM => e.with_hint(
            "permission denied: reading another process's mount table needs the same uid \
             or CAP_SYS_PTRACE (and /proc without hidepid)",
        ),
        _ => e,
    }
}

/// The mountinfo of namespace `ns`: the caller's own, a process's in it, or a child's
/// that joins it.
fn mountinfo_of_namespace(ns: &NsFd) -> Result<Vec<Mount>> {
    let want = ns.id();
    if NsId::of_self(NsKind::Mount).ok() == Some(want) {
        return read_proc_mountinfo(None);
    }
    // We hold `ns` open, so equal (device, inode) means the same namespace (see NsId).
    for pid in proc_pids() {
        if NsId::of_pid(pid, NsKind::Mount).ok() != Some(want) {
            continue;
        }
        let Ok(text) = read_file(&mountinfo_path(Some(pid))) else {
            continue; // exited meanwhile: look for another one
        };
        // Still there and still in `ns` after the read: the text is that namespace's.
        if NsId::of_pid(pid, NsKind::Mount).ok() == Some(want) {
            return parse_mountinfo(&text).map_err(|e| e.with_path(mountinfo_path(Some(pid))));
        }
    }
    let text = mountinfo_by_joining(ns)?;
    parse_mountinfo(&text).map_err(|e| e.with_path(format!("mountinfo of {want}")))
}

/// Every process id in /proc, ascending; unreadable entries are skipped.
fn proc_pids() -> Vec<Pid> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<Pid> = dir
        .filter_map(|e| {
            let name = e.ok()?.file_name();
            let raw: i32 = name.to_str()?.parse().ok()?;
            Pid::from_raw(raw).ok()
        })
        .collect();
    pids.sort();
    pids
}

/// The steps of the joining child; a failure comes back as `{step, errno}`.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum ChildStep {
    OpenProc = 0,
    Join = 1,
    Open = 2,
    Read = 3,
    Send = 4,
}

impl ChildStep {
    const ALL: [ChildStep; 5] = [
        ChildStep::OpenProc,
        ChildStep::Join,
        ChildStep::Open,
        ChildStep::Read,
        ChildStep::Send,
    ];

    fn name(self) -> &'static str {
        match self {
            ChildStep::OpenProc => "open /proc/thread-self in child",
            ChildStep::Join => "join mount namespace (setns)",
            ChildStep::Open => "open mountinfo in joined namespace",
            ChildStep::Read => "read mountinfo in joined namespace",
            ChildStep::Send => "send mountinfo to parent",
        }
    }
}

const JOIN_REFUSED: &str = "no process in this namespace could be examined (there is none, \
                            or none the caller may look at), and joining it to read its \
                            table needs CAP_SYS_ADMIN over the user namespace that owns it";

/// Reads the mountinfo of a namespace no process is in: a forked child joins `ns` and
/// streams its own `/proc/thread-self/mountinfo` through a pipe.
///
/// The caller may be multithreaded, and after `fork` only the calling thread exists: a
/// lock another thread held (malloc's, stdio's) stays locked forever in the child. So the
/// child makes raw system calls only, on file descriptors and a buffer made before the
/// fork, and ends with `_exit`.
fn mountinfo_by_joining(ns: &NsFd) -> Result<Vec<u8>> {
    // 1. Everything the child touches: the pipes, the read buffer, the C strings.
    const CHUNK: usize = 64 * 1024;
    let mut chunk = vec![0u8; CHUNK];
    let (data_r, data_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let ns_fd = ns.as_raw_fd();

    // 2. Fork.
    // SAFETY: the child runs only `joining_child`, which makes async-signal-safe raw
    // system calls on memory that exists before the fork and never returns.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(Error::last_os("fork to read a mount namespace's table"));
    }
    if pid == 0 {
        // SAFETY: chunk is CHUNK bytes of our own copy-on-write memory; the fds are open.
        unsafe {
            joining_child(
                ns_fd,
                data_w.as_raw_fd(),
                err_w.as_raw_fd(),
                chunk.as_mut_ptr(),
                CHUNK,
            )
        }
    }

    // 3. Parent: drop our write ends so the reads end when the child exits, then collect
    //    the text (until EOF) and the error record (8 bytes, or none on success).
    drop(data_w);
    drop(err_w);
    let mut text = Vec::with_capacity(CHUNK);
    let read_data = std::fs::File::from(data_r).read_to_end(&mut text);
    let mut record = Vec::with_capacity(8);
    let read_err = std::fs::File::from(err_r).read_to_end(&mut record);
    let status = reap(pid);
    read_data.map_err(|e| io_error("read mountinfo from child", Path::new("pipe"), &e))?;
    read_err.map_err(|e| io_error("read child status", Path::new("pipe"), &e))?;
    if record.len() == 8 {
        let step = u32::from_ne_bytes([record[0], record[1], record[2], record[3]]);
        let errno = i32::from_ne_bytes([record[4], record[5], record[6], record[7]]);
        let errno = Errno::from_raw(errno);
        let step = ChildStep::ALL.into_iter().find(|s| *s as u32 == step);
        let what = step.map_or("child", ChildStep::name);
        let err = Error::new(format!("{what} {}", ns.id()), errno);
        let refused = errno == Errno::EPERM || errno == Errno::EACCES;
        return Err(if step == Some(ChildStep::Join) && refused {
            err.with_hint(JOIN_REFUSED)
        } else {
            err
        });
    }
    // No error record: the child must have exited normally (a caller ignoring SIGCHLD
    // gets no status; then the record, or its absence, is all there is).
    if let Some(status) = status {
        if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
            return Err(Error::new(
                format!("read mountinfo of {} in a child", ns.id()),
                Errno::ECHILD,
            )
            .with_hint(format!("the child ended with wait status {status:#x}")));
        }
    }
    Ok(text)
}

/// The forked child of [`mountinfo_by_joining`]. Raw system calls only; never returns.
///
/// # Safety
/// `buf` must be writable for `len` bytes; call only in a freshly forked child.
unsafe fn joining_child(ns_fd: RawFd, data_w: RawFd, err_w: RawFd, buf: *mut u8, len: usize) -> ! {
    // SAFETY (whole body): plain system calls on descriptors inherited from the parent, on
    // static C strings and on `buf`, which the caller vouches for.
    unsafe {
        let fail = |step: ChildStep| -> ! {
            let errno = *libc::__errno_location();
            let mut record = [0u8; 8];
            record[..4].copy_from_slice(&(step as u32).to_ne_bytes());
            record[4..].copy_from_slice(&errno.to_ne_bytes());
            libc::write(err_w, record.as_ptr().cast(), record.len());
            libc::_exit(1)
        };
        // 1. Our own /proc directory, opened before setns: the joined namespace may have
        //    no /proc, or one of another pid namespace.
        let dir = libc::open(
            c"/proc/thread-self".as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        );
        if dir < 0 {
            fail(ChildStep::OpenProc);
        }
        // 2. Join. The child is single-threaded, as setns(CLONE_NEWNS) requires.
        if libc::setns(ns_fd, libc::CLONE_NEWNS) != 0 {
            fail(ChildStep::Join);
        }
        // 3. mountinfo opened now shows the joined namespace, from its root.
        let fd = libc::openat(dir, c"mountinfo".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd < 0 {
            fail(ChildStep::Open);
        }
        // 4. Stream it to the parent.
        loop {
            let n = libc::read(fd, buf.cast(), len);
            if n < 0 {
                if *libc::__errno_location() == libc::EINTR {
                    continue;
                }
                fail(ChildStep::Read);
            }
            if n == 0 {
                libc::_exit(0);
            }
            let mut done = 0usize;
            while done < n as usize {
                let w = libc::write(data_w, buf.add(done).cast(), n as usize - done);
                if w < 0 {
                    if *libc::__errno_location() == libc::EINTR {
                        continue;
                    }
                    fail(ChildStep::Send);
                }
                done += w as usize;
            }
        }
    }
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: fds is a valid array of two ints for the kernel to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Error::last_os("create pipe"));
    }
    // SAFETY: pipe2 returned two new descriptors that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Waits for our child and returns its wait status; `None` when the caller ignores
/// SIGCHLD (the kernel then reaps the child itself and waitpid reports ECHILD).
fn reap(pid: libc::pid_t) -> Option<i32> {
    loop {
        let mut status = 0;
        // SAFETY: waitpid on our own child with a valid status pointer.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            return Some(status);
        }
        if rc < 0 && Errno::last() == Errno::EINTR {
            continue;
        }
        return None;
    }
}

// ---------------------------------------------------------------------------------------
// mountinfo parser
// ---------------------------------------------------------------------------------------

/// Parses the text of `/proc/PID/mountinfo` (see `proc_pid_mountinfo(5)`), one [`Mount`]
/// per line; empty lines are skipped.
///
/// A byte parser: paths need not be UTF-8. In the root, mount point, type and source, the
/// kernel's escapes (a backslash and three octal digits: `\040` space, `\011` tab, `\012`
/// newline, `\134` backslash) are decoded; a backslash not followed by three octal digits
/// is kept as it is, as libmount does. Optional fields (`shared:N`, `master:N`,
/// `propagate_from:N`, `unbindable`) may come in any number; unknown ones are ignored.
/// The two option fields are kept verbatim.
///
/// # Errors
/// `EINVAL` naming the line number and quoting the line when a line lacks fields or the
/// ` - ` separator, or has a number that is not a decimal `u32`, or a device that is not
/// `MAJOR:MINOR`. Never panics, whatever the input.
pub fn parse_mountinfo(text: &[u8]) -> Result<Vec<Mount>> {
    let mut mounts = Vec::with_capacity(text.len() / 100);
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let mount = parse_line(line).map_err(|why| {
            Error::invalid(
                "parse mountinfo",
                format!("line {}: {why}: {}", n + 1, quote(line)),
            )
        })?;
        mounts.push(mount);
    }
    Ok(mounts)
}

/// Parses one line of mountinfo (without its newline); see [`parse_mountinfo`].
///
/// # Errors
/// `EINVAL` quoting the line, as [`parse_mountinfo`].
pub fn parse_mountinfo_line(line: &[u8]) -> Result<Mount> {
    parse_line(line)
        .map_err(|why| Error::invalid("parse mountinfo line", format!("{why}: {}", quote(line))))
}

/// The line for an error message: lossy UTF-8, at most 200 bytes.
fn quote(line: &[u8]) -> String {
    const MAX: usize = 200;
    if line.len() > MAX {
        format!("{:?}…", String::from_utf8_lossy(&line[..MAX]))
    } else {
        format!("{:?}", String::from_utf8_lossy(line))
    }
}

/// The parser proper; the error says what was wrong.
fn parse_line(line: &[u8]) -> std::result::Result<Mount, String> {
    // The kernel separates fields with exactly one space (an empty source shows as two).
    let mut fields = line.split(|&b| b == b' ');
    let mut next = |name: &str| fields.next().ok_or_else(|| format!("no {name} field"));
    let id = parse_u32(next("mount id")?, "mount id")?;
    let parent_id = parse_u32(next("parent id")?, "parent id")?;
    let dev = next("major:minor")?;
    let (major, minor) = dev
        .iter()
        .position(|&b| b == b':')
        .map(|i| (&dev[..i], &dev[i + 1..]))
        .ok_or_else(|| format!("device {} is not MAJOR:MINOR", quote(dev)))?;
    let major = parse_u32(major, "major")?;
    let minor = parse_u32(minor, "minor")?;
    let mut text = TextsBuilder::with_capacity(line.len());
    text.push_unescaped(next("root")?);
    text.push_unescaped(next("mount point")?);
    let options = next("mount options")?;
    std::str::from_utf8(options).map_err(|_| "mount options are not text".to_owned())?;
    let mut propagation = MountPropagation::default();
    loop {
        let field = next("separator \"-\"")?;
        if field == b"-" {
            break;
        }
        let (tag, value) = match field.iter().position(|&b| b == b':') {
            Some(i) => (&field[..i], Some(&field[i + 1..])),
            None => (field, None),
        };
        let number = |what| {
            value
                .ok_or_else(|| format!("{what} without a value"))
                .and_then(|v| parse_u32(v, what))
        };
        match tag {
            b"shared" => propagation.shared = Some(number("shared")?),
            b"master" => propagation.master = Some(number("master")?),
            b"propagate_from" => propagation.propagate_from = Some(number("propagate_from")?),
            b"unbindable" => propagation.unbindable = true,
            // proc_pid_mountinfo(5): "zero or more fields of the form tag[:value]"; new
            // tags may appear, and are not ours to refuse.
            _ => {}
        }
    }
    text.push_unescaped(next("filesystem type")?);
    let source_field = next("mount source")?;
    text.push_unescaped(source_field);
    text.push(options);
    text.push(next("super options")?);
    if fields.next().is_some() {
        return Err("extra fields after the super options".to_owned());
    }
    Ok(Mount {
        id,
        parent_id,
        unique_id: None,
        parent_unique_id: None,
        major,
        minor,
        text: text.finish(!source_field.is_empty()),
        propagation,
    })
}

/// A decimal `u32`: digits only, no sign, no overflow.
fn parse_u32(digits: &[u8], what: &str) -> std::result::Result<u32, String> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(format!("{what} {} is not a decimal number", quote(digits)));
    }
    digits.iter().try_fold(0u32, |acc, &d| {
        acc.checked_mul(10)
            .and_then(|v| v.checked_add(u32::from(d - b'0')))
            .ok_or_else(|| format!("{what} {} is out of range", quote(digits)))
    })
}

/// Decodes the kernel's `\ooo` escapes (`mangle()`/`seq_escape` in fs/proc_namespace.c) in a
/// field of `/proc/PID/mountinfo` or `/proc/PID/mounts`; any other backslash is kept as it
/// is, as libmount does.
pub(crate) fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    unescape_into(field, &mut out);
    out
}

/// [`unescape`], appending to `out`.
fn unescape_into(field: &[u8], out: &mut Vec<u8>) {
    // Most fields have no escape at all.
    let Some(first) = field.iter().position(|&b| b == b'\\') else {
        out.extend_from_slice(field);
        return;
    };
    out.extend_from_slice(&field[..first]);
    let mut i = first;
    while i < field.len() {
        if field[i] == b'\\' {
            if let Some(&[a, b, c]) = field.get(i + 1..i + 4) {
                let octal = |d: u8| (b'0'..=b'7').contains(&d);
                if a <= b'3' && octal(a) && octal(b) && octal(c) {
                    out.push(((a - b'0') << 6) | ((b - b'0') << 3) | (c - b'0'));
                    i += 4;
                    continue;
                }
            }
        }
        out.push(field[i]);
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn octal_escapes_decode() {
        assert_eq!(unescape(br"/a\040b\011c\012d\134e"), b"/a b\tc\nd\\e");
        // An escape at the very end is decoded too.
        assert_eq!(unescape(br"/a\040"), b"/a ");
        // Anything that is not three octal digits (up to \377) stays as it is.
        for kept in [&br"/x\04"[..], br"/x\999", br"/x\400", br"\", b"/\xff\xfe"] {
            assert_eq!(unescape(kept), kept, "{kept:?}");
        }
    }

    const SAMPLE: &[u8] = b"22 27 0:21 / /proc rw,relatime - proc proc rw\n\
27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard\n\
28 27 0:25 / /mnt/a\\040b\\011c\\134d ro,nosuid,nodev,relatime master:3 propagate_from:2 - tmpfs my\\040src ro,size=4k,mode=755\n\
29 27 0:26 /sub /bind rw shared:5 master:7 unbindable - fuse.sshfs user@host: rw,user_id=0\n\
30 27 0:27 / /empty rw - tmpfs  rw\n";

    #[test]
    fn parses_fields_escapes_and_optional_fields() {
        let m = parse_mountinfo(SAMPLE).unwrap();
        assert_eq!(m.len(), 5);
        assert_eq!(m[0].id(), 22);
        assert_eq!(m[0].parent_id(), 27);
        assert_eq!((m[0].major(), m[0].minor()), (0, 21));
        assert_eq!(m[0].target(), Path::new("/proc"));
        assert_eq!(m[0].propagation().to_string(), "private");
        assert_eq!(m[0].unique_id(), None);

        assert_eq!(m[1].propagation().shared, Some(1));
        assert_eq!(m[1].propagation().to_string(), "shared");
        assert_eq!(m[1].source(), Some(OsStr::new("/dev/vda")));
        assert_eq!(m[1].super_options(), OsStr::new("rw,discard"));

        assert_eq!(m[2].target(), Path::new("/mnt/a b\tc\\d"));
        assert_eq!(m[2].source(), Some(OsStr::new("my src")));
        assert_eq!(m[2].options(), "ro,nosuid,nodev,relatime");
        assert!(m[2].is_read_only());
        assert!(m[2].has_option("nodev"));
        assert!(!m[2].has_option("nod"));
        let p = m[2].propagation();
        assert_eq!((p.master, p.propagate_from), (Some(3), Some(2)));
        assert_eq!(p.to_string(), "private,slave");

        assert_eq!(m[3].root(), Path::new("/sub"));
        assert_eq!(m[3].fstype(), OsStr::new("fuse.sshfs"));
        assert_eq!(m[3].propagation().to_string(), "shared,slave,unbindable");
        assert_eq!(m[4].source(), None);
        assert_eq!(m[4].super_options(), OsStr::new("rw"));
    }

    #[test]
    fn non_utf8_paths_are_kept_as_bytes() {
        let line = b"40 27 0:30 / /tmp/\xff\xfe\\040x rw - tmpfs \xe9 rw";
        let m = parse_mountinfo_line(line).unwrap();
        assert_eq!(m.target().as_os_str().as_bytes(), b"/tmp/\xff\xfe x");
        assert_eq!(m.source().unwrap().as_bytes(), b"\xe9");
    }

    #[test]
    fn bad_escapes_are_kept_verbatim() {
        for (raw, decoded) in [
            (&b"/a\\"[..], &b"/a\\"[..]),
            (b"/a\\04", b"/a\\04"),
            (b"/a\\08x", b"/a\\08x"),
            (b"/a\\400", b"/a\\400"),
            (b"/a\\\\040", b"/a\\ "),
            (b"\\101\\102", b"AB"),
            (b"\\377", b"\xff"),
        ] {
            assert_eq!(unescape(raw), decoded, "{}", quote(raw));
        }
    }

    #[test]
    fn malformed_lines_are_einval_naming_the_line() {
        let good = "22 27 0:21 / /proc rw,relatime - proc proc rw";
        for bad in [
            "22",
            "22 27 0:21 / /proc rw,relatime",
            "22 27 0:21 / /proc rw,relatime shared:1",
            "22 27 0:21 / /proc rw,relatime - proc proc",
            "22 27 0:21 / /proc rw,relatime - proc",
            "22 27 0:21 / /proc rw,relatime - proc proc rw extra",
            "x 27 0:21 / /proc rw - proc proc rw",
            "-1 27 0:21 / /proc rw - proc proc rw",
            "+1 27 0:21 / /proc rw - proc proc rw",
            "4294967296 27 0:21 / /proc rw - proc proc rw",
            "99999999999999999999999 27 0:21 / /proc rw - proc proc rw",
            "22 27 021 / /proc rw - proc proc rw",
            "22 27 0: / /proc rw - proc proc rw",
            "22 27 :1 / /proc rw - proc proc rw",
            "22 27 0:21 / /proc rw shared - proc proc rw",
            "22 27 0:21 / /proc rw shared:x - proc proc rw",
            "22 27 0:21 / /proc rw master: - proc proc rw",
            "22  27 0:21 / /proc rw - proc proc rw",
        ] {
            let text = format!("{good}\n{bad}\n{good}\n");
            let e = parse_mountinfo(text.as_bytes()).unwrap_err();
            assert_eq!(e.errno(), Errno::EINVAL, "{bad}");
            let msg = e.to_string();
            assert!(msg.contains("line 2:"), "{msg}");
            assert!(msg.contains("parse mountinfo"), "{msg}");
        }
        // The largest u32 is fine; so are unknown optional tags and a missing final newline.
        let ok = "4294967295 27 0:21 / /proc rw future:1 shiny - proc proc rw";
        let m = parse_mountinfo(ok.as_bytes()).unwrap();
        assert_eq!(m[0].id(), u32::MAX);
        assert!(m[0].propagation().is_private());
    }

    #[test]
    fn never_panics_on_truncations_of_valid_input() {
        // Every prefix of a valid table either parses or is EINVAL.
        for end in 0..SAMPLE.len() {
            match parse_mountinfo(&SAMPLE[..end]) {
                Ok(_) => {}
                Err(e) => assert_eq!(e.errno(), Errno::EINVAL),
            }
        }
        // And a few byte soups.
        for junk in [
            &b"\\\\\\"[..],
            b"\xff\xfe - - -",
            b" - ",
            b"-",
            b":::",
            b"\n\n\n",
        ] {
            let _ = parse_mountinfo(junk);
        }
    }

    #[test]
    fn long_lines_are_quoted_short() {
        let line = vec![b'x'; 10_000];
        let e = parse_mountinfo(&line).unwrap_err();
        assert!(e.to_string().len() < 600, "{}", e.to_string().len());
    }

    #[test]
    fn many_mounts() {
        let mut text = Vec::new();
        for i in 0..5000u32 {
            text.extend_from_slice(
                format!(
                    "{} 1 0:{} / /mnt/dir\\040{i} rw,nosuid shared:{i} - tmpfs tmpfs rw,size={i}k\n",
                    i + 100,
                    i % 256
                )
                .as_bytes(),
            );
        }
        let m = parse_mountinfo(&text).unwrap();
        assert_eq!(m.len(), 5000);
        for (i, mount) in m.iter().enumerate() {
            assert_eq!(mount.id() as usize, i + 100);
            assert_eq!(mount.target(), Path::new(&format!("/mnt/dir {i}")));
            assert_eq!(mount.propagation().shared, Some(i as u32));
            assert_eq!(mount.super_options(), OsStr::new(&format!("rw,size={i}k")));
        }
    }

    #[test]
    fn options_text_follows_the_kernel_order() {
        assert_eq!(mount_options_text(0), "rw,relatime");
        assert_eq!(
            mount_options_text(
                sm::MOUNT_ATTR_RDONLY
                    | sm::MOUNT_ATTR_NOSUID
                    | sm::MOUNT_ATTR_NODEV
                    | sm::MOUNT_ATTR_NOEXEC
                    | sm::MOUNT_ATTR_NOATIME
                    | sm::MOUNT_ATTR_NODIRATIME
                    | sm::MOUNT_ATTR_NOSYMFOLLOW
                    | sm::MOUNT_ATTR_IDMAP
            ),
            "ro,nosuid,nodev,noexec,noatime,nodiratime,nosymfollow,idmapped"
        );
        // strictatime prints nothing.
        assert_eq!(mount_options_text(0x20), "rw");
        assert_eq!(super_options_text(0, None), b"rw");
        assert_eq!(super_options_text(0, Some(b"")), b"rw");
        assert_eq!(
            super_options_text(
                sm::SB_RDONLY | sm::SB_SYNCHRONOUS | sm::SB_DIRSYNC | sm::SB_LAZYTIME,
                Some(b"size=4k")
            ),
            b"ro,sync,dirsync,lazytime,size=4k"
        );
    }

    #[test]
    fn propagation_text_matches_findmnt() {
        let p = |shared, master, unbindable| MountPropagation {
            shared,
            master,
            propagate_from: None,
            unbindable,
        };
        assert_eq!(p(None, None, false).to_string(), "private");
        assert_eq!(p(Some(1), None, false).to_string(), "shared");
        assert_eq!(p(None, Some(2), false).to_string(), "private,slave");
        assert_eq!(p(Some(1), Some(2), false).to_string(), "shared,slave");
        assert_eq!(p(None, None, true).to_string(), "private,unbindable");
    }

    #[test]
    fn table_source_names_round_trip() {
        for s in [
            TableSource::Auto,
            TableSource::Statmount,
            TableSource::Mountinfo,
        ] {
            assert_eq!(s.name().parse::<TableSource>().unwrap(), s);
        }
        assert_eq!(
            "proc".parse::<TableSource>().unwrap_err().errno(),
            Errno::EINVAL
        );
    }

    #[test]
    fn own_table_both_backends_agree() {
        // Unit-level sanity on the test runner's own (unchanging) namespace; the
        // integration tests compare them under changing tables, rootless and against findmnt.
        let a = mounts_with(None, TableSource::Mountinfo).unwrap();
        let b = mounts_with(None, TableSource::Statmount).unwrap();
        let strip = |v: Vec<Mount>| -> Vec<Mount> {
            let mut v: Vec<Mount> = v
                .into_iter()
                .map(|mut m| {
                    m.unique_id = None;
                    m.parent_unique_id = None;
                    m
                })
                .collect();
            v.sort_by_key(|m| m.id);
            v
        };
        assert_eq!(strip(a), strip(b));
    }
}
