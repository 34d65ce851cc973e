//! Listing namespaces the way `lsns(8)` does, and finding one by id.
//!
//! [`namespaces`] walks `/proc` once: one `stat` per `/proc/PID/ns/KIND` groups the
//! processes by namespace (processes, not threads, as `lsns` counts them). Two more passes
//! find namespaces that no process is in: the open file descriptors of every visible
//! process (`/proc/PID/fd/N` whose link reads `mnt:[N]`) and the `nsfs` bind mounts in every
//! visible mount table (the caller's own and one per mount namespace found, read through a
//! process in it), where `ip netns` and friends keep namespaces alive. Only then is each
//! namespace opened once for its owner, parent and 64-bit id, and only the lowest pid of
//! each namespace is read for its uid and command.
//!
//! A process that exits during the scan (its `/proc` entries give `ENOENT` or `ESRCH`) or
//! that the caller may not inspect (`EACCES`, `EPERM`: `/proc/PID/ns` needs ptrace read
//! access) is skipped, exactly as `lsns` skips it; the scan never fails because of one
//! process. The result is a snapshot: by the time it is returned, processes may have come
//! and gone. Inode numbers are reused once a namespace dies, so open the namespace
//! ([`NamespaceInfo::open`]) before relying on an id for long.

use std::collections::HashMap;
use std::ffi::{CStr, OsStr};
use std::fmt;
use std::ops::ControlFlow;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::{NsFd, NsId, NsKind};
use crate::error::{Errno, Error, Result};
use crate::process::Pid;

/// What keeps a namespace alive, as found by [`namespaces`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pin {
    /// A process is in it (the lowest pid; all of them are in [`NamespaceInfo::pids`]).
    Process(Pid),
    /// A process holds it open: `/proc/PID/fd/FD` refers to the namespace file.
    Fd {
        /// The process holding the descriptor.
        pid: Pid,
        /// The descriptor number in that process.
        fd: i32,
    },
    /// An `nsfs` file is bind-mounted (as `ip netns add` and `unshare --mount=FILE` do).
    BindMount {
        /// The mount point, openable by the caller: as the caller's mount table shows it
        /// when the mount is in the caller's own mount namespace, otherwise
        /// `/proc/PID/root/MOUNTPOINT` through a process of the mount namespace holding it.
        path: PathBuf,
    },
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pin::Process(pid) => write!(f, "process {pid}"),
            Pin::Fd { pid, fd } => write!(f, "fd {fd} of process {pid}"),
            Pin::BindMount { path } => write!(f, "bind mount {}", path.display()),
        }
    }
}

/// One namespace as [`namespaces`] found it: the `lsns` columns (NS, TYPE, NPROCS, PID,
/// UID, USER, COMMAND) plus what holds it and how it relates to other namespaces.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NamespaceInfo {
    /// The namespace; `id.inode()` is lsns's NS column, `id.kind()` its TYPE.
    pub id: NsId,
    /// How many processes (not threads) are in it; 0 when only an fd or a bind mount holds
    /// it (lsns's NPROCS). As for lsns, a zombie still counts in its user and pid
    /// namespaces (the kernel keeps showing those two for it) and in no other kind.
    pub nprocs: usize,
    /// The lowest pid in it (lsns's PID column); `None` when no process is in it.
    pub pid: Option<Pid>,
    /// The owner of `/proc/PID` of that process (its effective uid, or 0 for a
    /// non-dumpable process), as seen from the caller's user namespace (lsns's UID);
    /// `None` when no process is in it.
    pub uid: Option<u32>,
    /// The user name of `uid` from `/etc/passwd` (no NSS), or the number when it has no
    /// entry (lsns's USER).
    pub user: Option<String>,
    /// What lsns shows as COMMAND: the command line of `pid` with its arguments joined by
    /// spaces (`/proc/PID/cmdline`, at most 8 KiB, the last byte dropped as lsns does), or
    /// its `comm` name for kernel threads and processes without a command line.
    pub command: Option<String>,
    /// Every process in it, in ascending order.
    pub pids: Vec<Pid>,
    /// Everything found holding it: [`Pin::Process`] with the lowest pid first when a
    /// process is in it, then every [`Pin::Fd`], then every [`Pin::BindMount`].
    pub pins: Vec<Pin>,
    /// The user namespace that owns it (`NS_GET_USERNS`); for a user namespace, the one
    /// it was created in. `None` when that is outside the caller's view or the namespace
    /// could not be opened any more.
    pub owner: Option<NsId>,
    /// The parent of a user or pid namespace (`NS_GET_PARENT`); `None` for other kinds
    /// and at the top of the hierarchy the caller can see.
    pub parent: Option<NsId>,
    /// The kernel's 64-bit id of a mount namespace (`NS_GET_MNTNS_ID`, Linux 6.8; see
    /// [`NsFd::kernel_id`]); `None` for other kinds and older kernels.
    pub kernel_id: Option<u64>,
}

impl NamespaceInfo {
    /// The kind of namespace (lsns's TYPE).
    pub fn kind(&self) -> NsKind {
        self.id.kind()
    }

    /// The first of [`NamespaceInfo::pins`]: the lowest pid when a process is in it.
    pub fn pin(&self) -> Option<&Pin> {
        self.pins.first()
    }

    /// Opens the namespace through what was found holding it, checking that the file
    /// opened is still this namespace; when none of those holds it any more, searches
    /// again with [`NsFd::find`].
    ///
    /// # Errors
    /// `ENOENT` when nothing holds the namespace any more (it no longer exists).
    pub fn open(&self) -> Result<NsFd> {
        match open_found(self) {
            Some(fd) => NsFd::from_fd(fd),
            None => NsFd::find(self.id),
        }
    }
}

/// What [`namespaces_with`] looks at beyond the processes; [`ListOptions::new`] turns
/// everything on, which is what [`namespaces`] does.
///
/// Each pass has its cost. Grouping the processes costs about what a bare `stat` of every
/// `/proc/PID/ns/KIND` costs; the open-fd pass reads every visible process's
/// `/proc/PID/fd`; the bind-mount pass reads one mount table per mount namespace; the
/// details read two small files of one process per namespace; the relations open every
/// namespace once. With many single-process namespaces the later passes dominate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListOptions {
    kind: Option<NsKind>,
    fds: bool,
    bind_mounts: bool,
    details: bool,
    relations: bool,
}

impl Default for ListOptions {
    fn default() -> ListOptions {
        ListOptions::new()
    }
}

impl ListOptions {
    /// All kinds, every pass on.
    pub fn new() -> ListOptions {
        ListOptions {
            kind: None,
            fds: true,
            bind_mounts: true,
            details: true,
            relations: true,
        }
    }

    /// Only namespaces of this kind (`None`: all kinds, the default).
    pub fn kind(mut self, kind: Option<NsKind>) -> ListOptions {
        self.kind = kind;
        self
    }

    /// Also find namespaces held by an open file descriptor ([`Pin::Fd`]) by reading every
    /// visible process's `/proc/PID/fd` (default on).
    pub fn fds(mut self, on: bool) -> ListOptions {
        self.fds = on;
        self
    }

    /// Also find namespaces held by an `nsfs` bind mount ([`Pin::BindMount`]) by reading
    /// the caller's mount table and one per mount namespace found (default on).
    pub fn bind_mounts(mut self, on: bool) -> ListOptions {
        self.bind_mounts = on;
        self
    }

    /// Fill in the lowest pid's uid, user name and command (default on; lsns's UID, USER
    /// and COMMAND columns). Off, those fields are `None`.
    pub fn details(mut self, on: bool) -> ListOptions {
        self.details = on;
        self
    }

    /// Fill in owner, parent and the 64-bit mount namespace id, opening every namespace
    /// once (default on). Off, those fields are `None`.
    pub fn relations(mut self, on: bool) -> ListOptions {
        self.relations = on;
        self
    }
}

/// Every namespace of `kind` (all kinds for `None`) that the caller can see, like
/// `lsns(8)`: each with its processes, lowest pid, that process's uid, user name and
/// command, what holds it, its owner and parent, sorted as lsns sorts (by inode number;
/// nsfs numbers every namespace from one counter, so kinds interleave). The same as
/// [`namespaces_with`] with `ListOptions::new().kind(kind)`.
///
/// Unlike lsns 2.38, namespaces held only by an open file descriptor in some process, or
/// by an `nsfs` bind mount in any mount table the caller can read, are listed too, with
/// `nprocs` 0. Processes the caller may not inspect (other users' processes for an
/// unprivileged caller) are left out, as lsns leaves them out; a process exiting during
/// the scan is skipped, never an error.
///
/// # Errors
/// Only when `/proc` itself cannot be read (`ENOENT` with a hint when it is not mounted),
/// or on resource exhaustion (`EMFILE`, `ENOMEM`).
///
/// See `lsns(8)`, `namespaces(7)`, `ioctl_ns(2)`.
pub fn namespaces(kind: Option<NsKind>) -> Result<Vec<NamespaceInfo>> {
    namespaces_with(&ListOptions::new().kind(kind))
}

/// [`namespaces`] with control over the passes beyond the processes (see
/// [`ListOptions`]).
///
/// # Errors
/// As [`namespaces`].
///
/// See `lsns(8)`.
pub fn namespaces_with(options: &ListOptions) -> Result<Vec<NamespaceInfo>> {
    let kinds: Vec<NsKind> = match options.kind {
        Some(k) => vec![k],
        None => NsKind::ALL.to_vec(),
    };
    let mut found = Found::default();

    // 1. Processes: one stat per /proc/PID/ns/KIND groups them by namespace.
    let walk = walk_processes(&kinds, options.bind_mounts, |pid, kind, st| {
        found.add_process(kind, st.st_dev, st.st_ino, pid);
        ControlFlow::Continue(())
    })?;
    let nsfs_dev = match walk.nsfs_dev {
        Some(dev) => dev,
        None => NsId::of_self(NsKind::User)?.dev(),
    };

    // 2. Namespaces held open by a process: /proc/PID/fd/N reading "mnt:[N]".
    if options.fds {
        let _ = walk_fds(&walk.pids, |pid, fd, kind, ino| {
            if kinds.contains(&kind) {
                found.add_fd(kind, nsfs_dev, ino, pid, fd);
            }
            ControlFlow::Continue(())
        })?;
    }

    // 3. Namespaces bind-mounted onto a file, in every mount table we can read.
    if options.bind_mounts {
        let _ = walk_nsfs_mounts(&walk.mount_tables, nsfs_dev, |ns, path, mount_point| {
            if kinds.contains(&ns.kind()) {
                found.add_mount(ns.kind(), ns.dev(), ns.inode(), path, mount_point);
            }
            ControlFlow::Continue(())
        })?;
    }

    // 4. Per namespace: the lowest pid's uid and command, then owner, parent, 64-bit id.
    let mut names = UserNames::default();
    let mut out = Vec::with_capacity(found.entries.len());
    let mut scratch = Vec::new();
    for mut entry in found.entries {
        entry.pids.sort_unstable();
        entry.pids.dedup();
        let mut info = NamespaceInfo {
            id: NsId::new(entry.kind, entry.dev, entry.ino),
            nprocs: entry.pids.len(),
            pid: entry.pids.first().map(|&p| pid_of(p)),
            uid: None,
            user: None,
            command: None,
            pids: entry.pids.iter().map(|&p| pid_of(p)).collect(),
            pins: Vec::with_capacity(1 + entry.fds.len() + entry.mounts.len()),
            owner: None,
            parent: None,
            kernel_id: None,
        };
        if options.details {
            // The lowest pid whose facts can still be read; one that exited since the
            // walk gives way to the next, as if the walk had come a moment later.
            for &pid in &entry.pids {
                if let Some((uid, command)) = process_facts(pid, &mut scratch) {
                    info.pid = Some(pid_of(pid));
                    info.uid = Some(uid);
                    info.user = Some(names.name(uid));
                    info.command = Some(command);
                    break;
                }
            }
        }
        if let Some(pid) = info.pid {
            info.pins.push(Pin::Process(pid));
        }
        for &(pid, fd) in &entry.fds {
            info.pins.push(Pin::Fd {
                pid: pid_of(pid),
                fd,
            });
        }
        for (path, _) in entry.mounts {
            info.pins.push(Pin::BindMount { path });
        }
        if options.relations
            && let Some(fd) = open_found(&info)
        {
            relations(fd.as_fd(), &mut info);
        }
        out.push(info);
    }
    out.sort_by_key(|n| (n.id.inode(), n.id.kind()));
    Ok(out)
}

impl NsFd {
    /// Opens the namespace `id` wherever it is held: a process in it (`/proc/PID/ns/KIND`),
    /// a process holding it open (`/proc/PID/fd/N`), or an `nsfs` bind mount in a mount
    /// table the caller can read. The file opened is checked to still be that namespace
    /// (inode numbers are reused once a namespace dies).
    ///
    /// # Errors
    /// `ENOENT` `no process or mount holds namespace mnt:[N]` when it is not found (it no
    /// longer exists, or only processes the caller may not inspect hold it); errors
    /// reading `/proc` itself.
    ///
    /// See `lsns(8)`, `namespaces(7)`.
    pub fn find(id: NsId) -> Result<NsFd> {
        let kinds = [id.kind()];
        let mut hit: Option<OwnedFd> = None;
        let wanted = |kind: NsKind, dev: u64, ino: u64| {
            kind == id.kind() && ino == id.inode() && (id.dev() == 0 || dev == id.dev())
        };

        // 1. A process in it.
        let walk = walk_processes(&kinds, true, |pid, kind, st| {
            if wanted(kind, st.st_dev, st.st_ino) {
                let path = ProcPath::ns(pid, kind);
                if let Some(fd) = open_ns_file(&path).and_then(|fd| verified(fd, id)) {
                    hit = Some(fd);
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        })?;
        if let Some(fd) = hit {
            return NsFd::from_fd(fd);
        }
        // 2. A process holding it open.
        let flow = walk_fds(&walk.pids, |pid, fd, kind, ino| {
            if wanted(kind, id.dev(), ino) {
                let path = ProcPath::fd(pid, fd);
                if let Some(fd) = open_ns_file(&path).and_then(|fd| verified(fd, id)) {
                    hit = Some(fd);
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        })?;
        if let (ControlFlow::Break(()), Some(fd)) = (flow, hit.take()) {
            return NsFd::from_fd(fd);
        }
        // 3. A bind mount.
        let nsfs_dev = walk.nsfs_dev.unwrap_or(id.dev());
        let flow = walk_nsfs_mounts(&walk.mount_tables, nsfs_dev, |ns, path, _| {
            if wanted(ns.kind(), ns.dev(), ns.inode())
                && let Some(c) = CPath::new(&path)
                && let Some(fd) = open_ns_file(c.as_cstr()).and_then(|fd| verified(fd, id))
            {
                hit = Some(fd);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })?;
        if let (ControlFlow::Break(()), Some(fd)) = (flow, hit) {
            return NsFd::from_fd(fd);
        }
        Err(Error::new(format!("find namespace {id}"), Errno::ENOENT)
            .with_hint(format!("no process or mount holds namespace {id}")))
    }
}

// ---------------------------------------------------------------------------------------
// Collecting what the walks find.

#[derive(Default)]
struct Found {
    entries: Vec<Entry>,
    index: HashMap<(NsKind, u64), usize>,
}

struct Entry {
    kind: NsKind,
    dev: u64,
    ino: u64,
    pids: Vec<i32>,
    fds: Vec<(i32, i32)>,
    /// (path openable by the caller, mount point as its own table shows it)
    mounts: Vec<(PathBuf, Vec<u8>)>,
}

impl Found {
    fn entry(&mut self, kind: NsKind, dev: u64, ino: u64) -> &mut Entry {
        let next = self.entries.len();
        let i = *self.index.entry((kind, ino)).or_insert(next);
        if i == next {
            self.entries.push(Entry {
                kind,
                dev,
                ino,
                pids: Vec::new(),
                fds: Vec::new(),
                mounts: Vec::new(),
            });
        }
        &mut self.entries[i]
    }

    fn add_process(&mut self, kind: NsKind, dev: u64, ino: u64, pid: i32) {
        self.entry(kind, dev, ino).pids.push(pid);
    }

    fn add_fd(&mut self, kind: NsKind, dev: u64, ino: u64, pid: i32, fd: i32) {
        self.entry(kind, dev, ino).fds.push((pid, fd));
    }

    fn add_mount(&mut self, kind: NsKind, dev: u64, ino: u64, path: PathBuf, mount_point: &[u8]) {
        let entry = self.entry(kind, dev, ino);
        // A mount namespace copied from another one shows the same bind mount again at the
        // same place: list the place once, as seen from the first table that has it.
        if entry.mounts.iter().any(|(_, mp)| mp == mount_point) {
            return;
        }
        entry.mounts.push((path, mount_point.to_vec()));
    }
}

/// What [`walk_processes`] learned besides the namespaces themselves.
struct Walk {
    /// Pids whose namespaces could be read (so their fds can be too), ascending.
    pids: Vec<i32>,
    /// One pid per mount namespace other than the caller's, to read its mount table.
    mount_tables: Vec<i32>,
    /// The nsfs device, from the first successful stat.
    nsfs_dev: Option<u64>,
}

/// Errors that mean "this process is gone or not ours to inspect": skip it.
fn skippable(e: Errno) -> bool {
    e == Errno::ENOENT || e == Errno::ESRCH || e == Errno::EACCES || e == Errno::EPERM
}

fn pid_of(raw: i32) -> Pid {
    Pid::from_raw(raw).expect("pids read from /proc are positive")
}

/// Walks `/proc`, calling `on_ns` for every readable `/proc/PID/ns/KIND` of `kinds`. With
/// `mount_tables`, also stats `/proc/PID/ns/mnt` (once, whether or not mount is among
/// `kinds`) to pick one process per mount namespace for the bind-mount pass.
fn walk_processes(
    kinds: &[NsKind],
    mount_tables: bool,
    mut on_ns: impl FnMut(i32, NsKind, &libc::stat) -> ControlFlow<()>,
) -> Result<Walk> {
    let proc_dir = open_dir(c"/proc").map_err(|e| {
        let err = Error::new("open", e).with_path("/proc");
        if e == Errno::ENOENT {
            err.with_hint("/proc is not mounted")
        } else {
            err
        }
    })?;
    let own_mnt = NsId::of_self(NsKind::Mount).ok().map(|id| id.inode());
    let mut walk = Walk {
        pids: Vec::new(),
        mount_tables: Vec::new(),
        nsfs_dev: None,
    };
    let mut seen_mnt: HashMap<u64, ()> = HashMap::new();
    let mut dents = Dents::new(32 * 1024, false);
    let mount_wanted = kinds.contains(&NsKind::Mount);
    'pids: while let Some(pid) = dents
        .next_number(proc_dir.as_fd())
        .map_err(|e| Error::new("read directory", e).with_path("/proc"))?
    {
        let mut readable = false;
        let mut visit = |kind: NsKind, st: &libc::stat, walk: &mut Walk| {
            walk.nsfs_dev.get_or_insert(st.st_dev);
            if mount_tables
                && kind == NsKind::Mount
                && Some(st.st_ino) != own_mnt
                && seen_mnt.insert(st.st_ino, ()).is_none()
            {
                walk.mount_tables.push(pid);
            }
        };
        if mount_tables && !mount_wanted {
            if let Ok(st) = stat(&ProcPath::ns(pid, NsKind::Mount)) {
                visit(NsKind::Mount, &st, &mut walk);
            }
        }
        for &kind in kinds {
            match stat(&ProcPath::ns(pid, kind)) {
                Ok(st) => {
                    readable = true;
                    visit(kind, &st, &mut walk);
                    if on_ns(pid, kind, &st).is_break() {
                        walk.pids.push(pid);
                        break 'pids;
                    }
                }
                // Gone, not ours, or a kind this kernel lacks: skip (lsns does the same).
                Err(e) if skippable(e) => {}
                Err(e) => {
                    return Err(Error::new("stat namespace file", e)
                        .with_path(ProcPath::ns(pid, kind).as_path()));
                }
            }
        }
        if readable {
            walk.pids.push(pid);
        }
    }
    Ok(walk)
}

/// Calls `on_fd(pid, fd, kind, inode)` for every open descriptor of `pids` that refers to
/// a namespace file. A descriptor's `/proc/PID/fd/N` link reads `KIND:[INODE]` exactly
/// when it is an nsfs file (other files read as absolute paths or `TYPE:[...]` with
/// another type name), so one `readlink` per descriptor suffices.
fn walk_fds(
    pids: &[i32],
    mut on_fd: impl FnMut(i32, i32, NsKind, u64) -> ControlFlow<()>,
) -> Result<ControlFlow<()>> {
    let mut dents = Dents::new(8 * 1024, true);
    let mut link = [0u8; 32];
    for &pid in pids {
        let dir = match open_dir(&ProcPath::fd_dir(pid)) {
            Ok(dir) => dir,
            Err(e) if skippable(e) => continue,
            Err(e) => {
                return Err(Error::new("open", e).with_path(ProcPath::fd_dir(pid).as_path()));
            }
        };
        dents.reset();
        loop {
            let fd = match dents.next_number(dir.as_fd()) {
                Ok(Some(fd)) => fd,
                Ok(None) => break,
                Err(e) if skippable(e) => break,
                Err(e) => {
                    return Err(
                        Error::new("read directory", e).with_path(ProcPath::fd_dir(pid).as_path())
                    );
                }
            };
            let Some(len) = readlink_at(dir.as_fd(), fd, &mut link) else {
                continue;
            };
            if let Some((kind, ino)) = parse_ns_link(&link[..len])
                && on_fd(pid, fd, kind, ino).is_break()
            {
                return Ok(ControlFlow::Break(()));
            }
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// Calls `on_mount(id, path, mount_point)` for every `nsfs` mount in the caller's mount
/// table and in the tables of `table_pids` (one process per other mount namespace).
///
/// It reads `/proc/PID/mounts` rather than `mountinfo` (whose ROOT field names the
/// namespace): it costs about half as much to generate, and nsfs mounts are rare, so
/// opening each one found to learn its kind and inode costs less than the longer text.
fn walk_nsfs_mounts(
    table_pids: &[i32],
    nsfs_dev: u64,
    mut on_mount: impl FnMut(NsId, PathBuf, &[u8]) -> ControlFlow<()>,
) -> Result<ControlFlow<()>> {
    let mut text = Vec::new();
    // The caller's own table first, so its plain paths win over /proc/PID/root ones.
    let tables = std::iter::once(None).chain(table_pids.iter().copied().map(Some));
    for pid in tables {
        let path = match pid {
            None => ProcPath::raw(b"/proc/thread-self/mounts"),
            Some(pid) => ProcPath::new(pid, b"/mounts"),
        };
        match read_file(&path, &mut text, usize::MAX) {
            Ok(()) => {}
            Err(e) if skippable(e) => continue,
            // /proc/PID/mounts of a process that exited since the walk: the kernel finds no
            // namespaces left to show and says EINVAL (fs/proc_namespace.c).
            Err(e) if pid.is_some() && e == Errno::EINVAL => continue,
            Err(e) => return Err(Error::new("read mount table", e).with_path(path.as_path())),
        }
        for mount_point in nsfs_mount_points(&text) {
            let open_path = match pid {
                None => PathBuf::from(OsStr::from_bytes(&mount_point)),
                Some(pid) => {
                    let mut p = format!("/proc/{pid}/root").into_bytes();
                    p.extend_from_slice(&mount_point);
                    PathBuf::from(OsStr::from_bytes(&p))
                }
            };
            let Some(id) = CPath::new(&open_path).and_then(|c| ns_id_at(c.as_cstr(), nsfs_dev))
            else {
                continue; // gone, covered by another mount, or not ours to open
            };
            if on_mount(id, open_path, &mount_point).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// The namespace the nsfs file at `path` is, by opening it; `None` when it cannot be
/// opened or is not on nsfs.
fn ns_id_at(path: &CStr, nsfs_dev: u64) -> Option<NsId> {
    let fd = open_ns_file(path)?;
    let st = fstat(fd.as_fd()).ok()?;
    if st.st_dev != nsfs_dev {
        return None;
    }
    let kind = NsKind::from_clone_flag(crate::sys::nsfs::ns_type(fd.as_fd()).ok()?)?;
    Some(NsId::new(kind, st.st_dev, st.st_ino))
}

/// The uid (owner of `/proc/PID`) and lsns's COMMAND of a process; `None` when it is gone.
fn process_facts(pid: i32, buf: &mut Vec<u8>) -> Option<(u32, String)> {
    let st = stat(&ProcPath::new(pid, b"")).ok()?;
    // lsns: the command line read whole (up to BUFSIZ), NULs turned into spaces and the
    // last byte dropped; kernel threads and zombies have none, then their comm name.
    for (file, max) in [(&b"/cmdline"[..], 8192), (&b"/comm"[..], 4096)] {
        match read_file(&ProcPath::new(pid, file), buf, max) {
            Ok(()) if !buf.is_empty() => {
                buf.pop();
                for b in buf.iter_mut() {
                    if *b == 0 {
                        *b = b' ';
                    }
                }
                return Some((st.st_uid, String::from_utf8_lossy(buf).into_owned()));
            }
            Ok(()) => {}
            Err(_) => return None,
        }
    }
    Some((st.st_uid, String::new()))
}

/// Opens a namespace through the first pin that still holds it.
fn open_found(info: &NamespaceInfo) -> Option<OwnedFd> {
    for pin in &info.pins {
        let fd = match pin {
            Pin::Process(pid) => open_ns_file(&ProcPath::ns(pid.as_raw(), info.kind())),
            Pin::Fd { pid, fd } => open_ns_file(&ProcPath::fd(pid.as_raw(), *fd)),
            Pin::BindMount { path } => CPath::new(path).and_then(|c| open_ns_file(c.as_cstr())),
        };
        if let Some(fd) = fd.and_then(|fd| verified(fd, info.id)) {
            return Some(fd);
        }
    }
    None
}

/// Owner, parent and 64-bit id of the open namespace `fd`.
fn relations(fd: BorrowedFd<'_>, info: &mut NamespaceInfo) {
    // EPERM: the related namespace is outside the caller's view; leave it out.
    let related = |request, kind| -> Option<NsId> {
        let other = crate::sys::nsfs::ns_ioctl_fd(fd, request).ok()?;
        let st = fstat(other.as_fd()).ok()?;
        Some(NsId::new(kind, st.st_dev, st.st_ino))
    };
    info.owner = related(libc::NS_GET_USERNS, NsKind::User);
    match info.kind() {
        kind @ (NsKind::User | NsKind::Pid) => info.parent = related(libc::NS_GET_PARENT, kind),
        NsKind::Mount => info.kernel_id = crate::sys::nsfs::mnt_ns_id(fd).ok(),
        _ => {}
    }
}

/// `fd` when it is the namespace `id` (same nsfs device and inode), else `None`.
fn verified(fd: OwnedFd, id: NsId) -> Option<OwnedFd> {
    let st = fstat(fd.as_fd()).ok()?;
    let same = st.st_ino == id.inode() && (id.dev() == 0 || st.st_dev == id.dev());
    same.then_some(fd)
}

// ---------------------------------------------------------------------------------------
// User names from /etc/passwd, read once per listing and only when needed.

#[derive(Default)]
struct UserNames {
    passwd: Option<Vec<u8>>,
    cache: HashMap<u32, String>,
}

impl UserNames {
    fn name(&mut self, uid: u32) -> String {
        if let Some(name) = self.cache.get(&uid) {
            return name.clone();
        }
        let passwd = self
            .passwd
            .get_or_insert_with(|| std::fs::read("/etc/passwd").unwrap_or_default());
        let name = passwd_name(passwd, uid).unwrap_or_else(|| uid.to_string());
        self.cache.insert(uid, name.clone());
        name
    }
}

/// The first `/etc/passwd` entry with this uid, as getpwuid(3) with the files backend.
fn passwd_name(passwd: &[u8], uid: u32) -> Option<String> {
    passwd.split(|&b| b == b'\n').find_map(|line| {
        let mut fields = line.split(|&b| b == b':');
        let name = fields.next()?;
        let _password = fields.next()?;
        let id = std::str::from_utf8(fields.next()?).ok()?;
        (!name.is_empty() && id.parse::<u32>().ok()? == uid)
            .then(|| String::from_utf8_lossy(name).into_owned())
    })
}

// ---------------------------------------------------------------------------------------
// Parsers (pure; unit-tested below).

/// `mnt:[4026531840]` → (Mount, 4026531840). Exactly what nsfs names its files: a kind
/// name, `:[`, decimal digits, `]`.
fn parse_ns_link(link: &[u8]) -> Option<(NsKind, u64)> {
    let colon = link.iter().position(|&b| b == b':')?;
    let (name, rest) = link.split_at(colon);
    let digits = rest.strip_prefix(b":[")?.strip_suffix(b"]")?;
    if digits.is_empty() || digits.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let kind = NsKind::ALL
        .into_iter()
        .find(|k| k.name().as_bytes() == name)?;
    let ino = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((kind, ino))
}

/// The mount points (with `\NNN` escapes decoded) of the nsfs mounts in a `/proc/PID/mounts`
/// table, whose lines read `SOURCE MOUNTPOINT FSTYPE OPTIONS FREQ PASSNO`.
fn nsfs_mount_points(text: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    text.split(|&b| b == b'\n').filter_map(|line| {
        let mut fields = line.split(|&b| b == b' ');
        let _source = fields.next()?;
        let mount_point = fields.next()?;
        (fields.next()? == b"nsfs").then(|| crate::table::unescape(mount_point))
    })
}

// ---------------------------------------------------------------------------------------
// Raw /proc access without per-process allocation: paths built on the stack, directories
// read with getdents64 into one reused buffer.

/// A NUL-terminated path of at most 63 bytes, built on the stack.
struct ProcPath {
    buf: [u8; 64],
    len: usize,
}

impl ProcPath {
    fn raw(s: &[u8]) -> ProcPath {
        let mut p = ProcPath {
            buf: [0; 64],
            len: 0,
        };
        p.push(s);
        p
    }

    /// `/proc/PID` + `tail`.
    fn new(pid: i32, tail: &[u8]) -> ProcPath {
        let mut p = ProcPath::raw(b"/proc/");
        p.push_number(pid);
        p.push(tail);
        p
    }

    fn ns(pid: i32, kind: NsKind) -> ProcPath {
        let mut p = ProcPath::new(pid, b"/ns/");
        p.push(kind.name().as_bytes());
        p
    }

    fn fd_dir(pid: i32) -> ProcPath {
        ProcPath::new(pid, b"/fd")
    }

    fn fd(pid: i32, fd: i32) -> ProcPath {
        let mut p = ProcPath::new(pid, b"/fd/");
        p.push_number(fd);
        p
    }

    fn push(&mut self, s: &[u8]) {
        // Every caller passes short constants and numbers; 63 bytes always suffice.
        let end = self.len + s.len();
        assert!(end < self.buf.len(), "proc path too long");
        self.buf[self.len..end].copy_from_slice(s);
        self.len = end;
    }

    fn push_number(&mut self, n: i32) {
        let mut digits = [0u8; 12];
        let mut i = digits.len();
        let mut v = n.unsigned_abs();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.push(&digits[i..]);
    }

    fn as_path(&self) -> &Path {
        Path::new(OsStr::from_bytes(&self.buf[..self.len]))
    }
}

impl std::ops::Deref for ProcPath {
    type Target = CStr;

    fn deref(&self) -> &CStr {
        // The buffer is zero-filled and push() keeps one zero byte after the contents.
        CStr::from_bytes_until_nul(&self.buf).expect("NUL-terminated")
    }
}

/// A heap C string for paths from mount tables (any length; `None` with a NUL inside).
struct CPath(std::ffi::CString);

impl CPath {
    fn new(path: &Path) -> Option<CPath> {
        std::ffi::CString::new(path.as_os_str().as_bytes())
            .ok()
            .map(CPath)
    }

    fn as_cstr(&self) -> &CStr {
        &self.0
    }
}

/// A getdents64 reader returning the numeric entry names of a directory (pids in /proc,
/// descriptors in /proc/PID/fd).
struct Dents {
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    /// procfs fills the buffer until it runs out of entries or of room, so a read that
    /// left room for several more entries was the last one: no second call to learn it.
    short_read_is_eof: bool,
    eof: bool,
}

impl Dents {
    fn new(size: usize, short_read_is_eof: bool) -> Dents {
        Dents {
            buf: vec![0; size],
            pos: 0,
            len: 0,
            short_read_is_eof,
            eof: false,
        }
    }

    fn reset(&mut self) {
        self.pos = 0;
        self.len = 0;
        self.eof = false;
    }

    fn next_number(&mut self, dir: BorrowedFd<'_>) -> Result<Option<i32>, Errno> {
        // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        const NAME: usize = 19;
        loop {
            if self.pos >= self.len {
                if self.eof {
                    return Ok(None);
                }
                // SAFETY: buf is writable for its length; getdents64 writes at most that.
                let n = unsafe {
                    libc::syscall(
                        libc::SYS_getdents64,
                        dir.as_raw_fd(),
                        self.buf.as_mut_ptr(),
                        self.buf.len(),
                    )
                };
                if n < 0 {
                    return Err(Errno::last());
                }
                if n == 0 {
                    return Ok(None);
                }
                self.pos = 0;
                self.len = n as usize;
                // A record is at most 19 + 256 bytes, rounded up to 8.
                self.eof = self.short_read_is_eof && self.len + 280 <= self.buf.len();
            }
            let rec = &self.buf[self.pos..self.len];
            let reclen = u16::from_ne_bytes([rec[16], rec[17]]) as usize;
            if reclen <= NAME || reclen > rec.len() {
                return Err(Errno::EIO);
            }
            self.pos += reclen;
            let name = &rec[NAME..reclen];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            if let Some(n) = parse_decimal(name) {
                return Ok(Some(n));
            }
        }
    }
}

fn parse_decimal(s: &[u8]) -> Option<i32> {
    if s.is_empty() || s.len() > 10 {
        return None;
    }
    let mut v: i64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (b - b'0') as i64;
    }
    i32::try_from(v).ok()
}

fn open_dir(path: &CStr) -> Result<OwnedFd, Errno> {
    // SAFETY: path is NUL-terminated; a read-only close-on-exec directory descriptor.
    let fd = unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: open returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Opens a namespace file (following /proc's magic links); `None` when it is gone.
fn open_ns_file(path: &CStr) -> Option<OwnedFd> {
    // SAFETY: path is NUL-terminated; a read-only close-on-exec descriptor.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    // SAFETY: open returned a new descriptor that nothing else owns.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn stat(path: &CStr) -> Result<libc::stat, Errno> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: path is NUL-terminated; st is a valid out pointer.
    let rc = unsafe { libc::stat(path.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return Err(Errno::last());
    }
    // SAFETY: stat returned 0, so st is initialized.
    Ok(unsafe { st.assume_init() })
}

fn fstat(fd: BorrowedFd<'_>) -> Result<libc::stat, Errno> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fd is open; st is a valid out pointer.
    let rc = unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) };
    if rc != 0 {
        return Err(Errno::last());
    }
    // SAFETY: fstat returned 0, so st is initialized.
    Ok(unsafe { st.assume_init() })
}

/// `readlinkat(dir, "FD")` into `buf`; `None` on error or when the link fills the buffer
/// (longer than any namespace name, so not one).
fn readlink_at(dir: BorrowedFd<'_>, fd: i32, buf: &mut [u8; 32]) -> Option<usize> {
    let name = {
        let mut p = ProcPath::raw(b"");
        p.push_number(fd);
        p
    };
    // SAFETY: name is NUL-terminated; buf is writable for its length.
    let n = unsafe {
        libc::readlinkat(
            dir.as_raw_fd(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 || n as usize >= buf.len() {
        return None;
    }
    Some(n as usize)
}

/// Reads a whole (small) file into `buf`, at most `max` bytes.
fn read_file(path: &CStr, buf: &mut Vec<u8>, max: usize) -> Result<(), Errno> {
    buf.clear();
    // SAFETY: path is NUL-terminated; a read-only close-on-exec descriptor.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: open returned a new descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    loop {
        if buf.len() >= max {
            buf.truncate(max);
            return Ok(());
        }
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(4096);
        }
        let spare = buf.capacity() - buf.len();
        let want = spare.min(max - buf.len());
        // SAFETY: the pointer and length describe the vector's spare capacity.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().add(buf.len()).cast(), want) };
        if n < 0 {
            let e = Errno::last();
            if e == Errno::EINTR {
                continue;
            }
            return Err(e);
        }
        if n == 0 {
            return Ok(());
        }
        // SAFETY: read initialized n more bytes.
        unsafe { buf.set_len(buf.len() + n as usize) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ns_links_parse() {
        assert_eq!(
            parse_ns_link(b"mnt:[4026531840]"),
            Some((NsKind::Mount, 4026531840))
        );
        assert_eq!(parse_ns_link(b"cgroup:[1]"), Some((NsKind::Cgroup, 1)));
        assert_eq!(parse_ns_link(b"time:[42]"), Some((NsKind::Time, 42)));
        for bad in [
            &b"socket:[123]"[..],
            b"pipe:[9]",
            b"anon_inode:[eventfd]",
            b"/tmp/mnt:[5]",
            b"mnt:[]",
            b"mnt:[12",
            b"mnt:[1a]",
            b"mnt:[99999999999999999999999]",
            b"mount:[1]",
            b"",
        ] {
            assert_eq!(
                parse_ns_link(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn mounts_nsfs_lines() {
        let text = b"/dev/vda / ext4 rw,relatime 0 0\n\
nsfs /tmp/pin\\040file nsfs rw 0 0\n\
nsfs /run/netns/a nsfs rw 0 0\n\
tmpfs /x tmpfs rw 0 0\n\
nsfs /y tmpfs rw 0 0\n\
garbage\n";
        let got: Vec<_> = nsfs_mount_points(text).collect();
        assert_eq!(
            got,
            vec![b"/tmp/pin file".to_vec(), b"/run/netns/a".to_vec()]
        );
    }

    #[test]
    fn passwd_lookup() {
        let passwd = b"root:x:0:0:root:/root:/bin/bash\n\
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
dup:x:65534:1::/:/bin/sh\n\
broken\n:x:7:7::/:\n";
        assert_eq!(passwd_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(passwd, 65534).as_deref(), Some("nobody"));
        assert_eq!(passwd_name(passwd, 7), None);
        assert_eq!(passwd_name(passwd, 1000), None);
    }

    #[test]
    fn proc_paths() {
        assert_eq!(
            ProcPath::ns(42, NsKind::Mount).to_bytes(),
            b"/proc/42/ns/mnt"
        );
        assert_eq!(
            ProcPath::fd(2147483647, 0).to_bytes(),
            b"/proc/2147483647/fd/0"
        );
        assert_eq!(ProcPath::new(7, b"").as_path(), Path::new("/proc/7"));
        assert_eq!(parse_decimal(b"2147483647"), Some(i32::MAX));
        assert_eq!(parse_decimal(b"2147483648"), None);
        assert_eq!(parse_decimal(b"self"), None);
        assert_eq!(parse_decimal(b""), None);
    }

    #[test]
    fn lists_own_namespaces() {
        // Unit-test view only: the integration tests compare against lsns.
        let me = Pid::this();
        let all = namespaces(None).unwrap();
        for kind in NsKind::ALL {
            let Ok(id) = NsId::of_pid(me, kind) else {
                continue;
            };
            let ns = all
                .iter()
                .find(|n| n.id == id)
                .unwrap_or_else(|| panic!("{id} not listed"));
            assert!(ns.pids.contains(&me), "{id}: {:?}", ns.pids);
            assert_eq!(ns.nprocs, ns.pids.len());
            assert_eq!(ns.pid, ns.pids.first().copied());
        }
        let mut sorted = all.clone();
        sorted.sort_by_key(|n| n.id.inode());
        assert_eq!(sorted, all);
    }

    #[test]
    fn find_own_mount_namespace() {
        let id = NsId::of_self(NsKind::Mount).unwrap();
        assert_eq!(NsFd::find(id).unwrap().id(), id);
        let missing = NsId::new(NsKind::Mount, id.dev(), 1);
        let e = NsFd::find(missing).unwrap_err();
        assert_eq!(e.errno(), Errno::ENOENT);
        assert!(
            e.to_string()
                .contains("no process or mount holds namespace mnt:[1]"),
            "{e}"
        );
    }
}
