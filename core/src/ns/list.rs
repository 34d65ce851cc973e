//! Listing namespaces the way `lsns(8)` does, and finding one by id.
//!
//! [`namespaces`] lists the pids in `/proc` once, then reads one link per
//! `/proc/PID/ns/KIND` (`readlinkat` relative to an open `/proc`: `mnt:[4026531840]` names
//! the kind and the inode without following the link into nsfs, which a `stat` would) and
//! groups the processes by namespace (processes, not threads, as `lsns` counts them). The
//! lowest pid of each namespace — the first one seen, since `/proc` lists pids in ascending
//! order — is read for its uid and command as soon as it is seen, and nothing is read for
//! the other processes of a namespace. With [`ListOptions::parallel`], the pids are split
//! into contiguous ranges walked by one thread each and the results merged in pid order.
//!
//! Two more passes, each optional ([`ListOptions`]), find namespaces that no process is in:
//! the open file descriptors of every visible process (`/proc/PID/fd/N` whose link reads
//! `mnt:[N]`) and the `nsfs` bind mounts in every visible mount table (the caller's own and
//! one per mount namespace found, read through a process in it), where `ip netns` and
//! friends keep namespaces alive. Only then is each namespace opened once for its owner,
//! parent and 64-bit id, when asked for.
//!
//! A process that exits during the scan (its `/proc` entries give `ENOENT` or `ESRCH`) or
//! that the caller may not inspect (`EACCES`, `EPERM`: `/proc/PID/ns` needs ptrace read
//! access) is skipped, exactly as `lsns` skips it; the scan never fails because of one
//! process. The result is a snapshot: by the time it is returned, processes may have come
//! and gone. Inode numbers are reused once a namespace dies, so open the namespace
//! ([`NamespaceInfo::open`]) before relying on an id for long.

use std::collections::{HashMap, HashSet};
use std::ffi::{CStr, OsStr};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::ControlFlow;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::{Namespaces, NsFd, NsId, NsKind};
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
/// Each pass has its cost. Grouping the processes costs about one `readlink` of every
/// `/proc/PID/ns/KIND`; the details open and read `/proc/PID/cmdline` of one process per
/// namespace; the open-fd pass reads every visible process's `/proc/PID/fd`; the
/// bind-mount pass reads one mount table per mount namespace; the relations open every
/// namespace once. With many single-process namespaces the details cost about what the
/// grouping costs, and the fd pass several times that.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListOptions {
    kind: Option<NsKind>,
    pid: Option<Pid>,
    fds: bool,
    bind_mounts: bool,
    details: bool,
    relations: bool,
    parallel: bool,
}

impl Default for ListOptions {
    fn default() -> ListOptions {
        ListOptions::new()
    }
}

impl ListOptions {
    /// All kinds, every pass on, one thread.
    pub fn new() -> ListOptions {
        ListOptions {
            kind: None,
            pid: None,
            fds: true,
            bind_mounts: true,
            details: true,
            relations: true,
            parallel: false,
        }
    }

    /// Only namespaces of this kind (`None`: all kinds, the default).
    pub fn kind(mut self, kind: Option<NsKind>) -> ListOptions {
        self.kind = kind;
        self
    }

    /// Only the namespaces process `pid` is in, as `lsns -p PID` shows them: each still
    /// with all its processes (`None`: every namespace, the default).
    pub fn pid(mut self, pid: Option<Pid>) -> ListOptions {
        self.pid = pid;
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

    /// Walk `/proc` with several threads, one per available CPU (at most 8, and only when
    /// there are hundreds of processes), each over a contiguous range of pids; the results
    /// are merged in pid order, so the listing is the same as with one thread (default
    /// off).
    ///
    /// The threads are joined before [`namespaces_with`] returns, but the kernel may still
    /// count an exiting thread for a moment afterwards: a caller that goes on to
    /// [`crate::unshare`] a user or mount namespace, or to [`crate::enter`] one, may then be
    /// refused as multithreaded. Leave this off in such a process.
    pub fn parallel(mut self, on: bool) -> ListOptions {
        self.parallel = on;
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
    // `-p PID`: the namespaces of that process, read before the walk (a process that is
    // gone is an error here, not a skip: the caller named it).
    let only = match options.pid {
        None => None,
        Some(pid) => Some(namespaces_of(pid, &kinds)?),
    };
    let proc_dir = open_proc()?;
    let nsfs_dev = NsId::of_self(NsKind::User)?.dev();
    let own_mnt = NsId::of_self(NsKind::Mount).ok().map(|id| id.inode());
    let pids = list_pids(proc_dir.as_fd())?;

    // 1. Processes: one readlink per /proc/PID/ns/KIND groups them by namespace; the
    //    first (lowest) pid of each namespace is read for its uid and command at once.
    let walk = WalkOptions {
        kinds: &kinds,
        mount_tables: options.bind_mounts,
        own_mnt,
        details: options.details,
        only: only.as_deref(),
    };
    let workers = worker_count(options.parallel, pids.len());
    let chunks: Vec<Chunk> = if workers <= 1 {
        vec![walk_chunk(proc_dir.as_fd(), &pids, &walk)?]
    } else {
        let per = pids.len().div_ceil(workers);
        std::thread::scope(|s| {
            let handles: Vec<_> = pids
                .chunks(per)
                .map(|range| {
                    let (dir, walk) = (proc_dir.as_fd(), &walk);
                    s.spawn(move || walk_chunk(dir, range, walk))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect::<Result<Vec<_>>>()
        })?
    };
    let (mut found, walked) = merge_chunks(chunks, nsfs_dev);

    // 2. Namespaces held open by a process: /proc/PID/fd/N reading "mnt:[N]".
    if options.fds {
        let _ = walk_fds(&walked.pids, |pid, fd, kind, ino| {
            if kinds.contains(&kind) {
                found.add_fd(kind, nsfs_dev, ino, pid, fd);
            }
            ControlFlow::Continue(())
        })?;
    }

    // 3. Namespaces bind-mounted onto a file, in every mount table we can read.
    if options.bind_mounts {
        let _ = walk_nsfs_mounts(&walked.mount_tables, nsfs_dev, |ns, path, mount_point| {
            if kinds.contains(&ns.kind()) {
                found.add_mount(ns.kind(), ns.dev(), ns.inode(), path, mount_point);
            }
            ControlFlow::Continue(())
        })?;
    }

    // 4. Per namespace: the lowest pid's uid and command (when the walk could not read
    //    them), then owner, parent, 64-bit id.
    let mut names = UserNames::default();
    let mut out = Vec::with_capacity(found.entries.len());
    let mut scratch = Vec::new();
    // In lsns's order (by inode number; kinds break ties): sort the keys, then move each
    // entry once, rather than sort the finished records (hundreds of bytes each).
    let mut order: Vec<(u64, NsKind, usize)> = (found.entries.iter().enumerate())
        .map(|(i, e)| (e.ino, e.kind, i))
        .collect();
    order.sort_unstable();
    let mut entries: Vec<Option<Entry>> = found.entries.into_iter().map(Some).collect();
    for (_, _, i) in order {
        let mut entry = entries[i].take().expect("each entry is taken once");
        if let Some(only) = &only
            && !only
                .iter()
                .any(|id| id.kind() == entry.kind && id.inode() == entry.ino)
        {
            continue;
        }
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
            let facts = match entry.facts {
                Facts::Read { pid, uid, command } => Some((pid, uid, command)),
                Facts::NotRead | Facts::Gone => entry.pids.iter().find_map(|&pid| {
                    process_facts(proc_dir.as_fd(), pid, &mut scratch)
                        .map(|(uid, command)| (pid, uid, command))
                }),
            };
            if let Some((pid, uid, command)) = facts {
                info.pid = Some(pid_of(pid));
                info.uid = Some(uid);
                info.user = Some(names.name(uid));
                info.command = Some(command);
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
    Ok(out)
}

/// The ids of the `kinds` namespaces of `pid`; kinds this kernel lacks are left out.
fn namespaces_of(pid: Pid, kinds: &[NsKind]) -> Result<Vec<NsId>> {
    let mut ids = Vec::with_capacity(kinds.len());
    for &kind in kinds {
        match NsId::of_pid(pid, kind) {
            Ok(id) => ids.push(id),
            // explain_proc_error turns "process gone" into ESRCH; ENOENT is left only for
            // a kind the kernel does not have.
            Err(e) if e.errno() == Errno::ENOENT => {}
            Err(e) => return Err(e),
        }
    }
    Ok(ids)
}

impl Namespaces {
    /// The kinds to join to enter "all" namespaces of process `pid`, as `nsenter --all`:
    /// every kind this kernel has in which `pid` is somewhere else than the caller, plus
    /// the mount namespace always (joining it, even the caller's own, also moves the root
    /// and working directory to the namespace's root, as nsenter does).
    ///
    /// nsenter 2.38 skips only a shared user namespace (the kernel refuses to re-enter the
    /// one the caller is in); skipping every shared kind also spares a rootless caller the
    /// refusal to re-join a namespace owned by the initial user namespace, such as the
    /// host's time namespace, which it shares with its sandbox.
    ///
    /// # Errors
    /// As [`NsId::of_pid`]: `ESRCH` "process N has exited", `EACCES`/`EPERM` when the
    /// caller may not inspect the process.
    ///
    /// See `nsenter(1)` (`--all`).
    pub fn entered_by_all(pid: Pid) -> Result<Namespaces> {
        let mut kinds = Namespaces::empty();
        for kind in NsKind::ALL {
            let theirs = match NsId::of_pid(pid, kind) {
                Ok(id) => id,
                // A kind this kernel does not have (a process that is gone is ESRCH).
                Err(e) if e.errno() == Errno::ENOENT => continue,
                Err(e) => return Err(e),
            };
            if kind != NsKind::Mount && NsId::of_self(kind).ok() == Some(theirs) {
                continue;
            }
            kinds |= kind.flag();
        }
        Ok(kinds)
    }
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
        let proc_dir = open_proc()?;
        let pids = list_pids(proc_dir.as_fd())?;
        let nsfs_dev = if id.dev() != 0 {
            id.dev()
        } else {
            NsId::of_self(NsKind::User)?.dev()
        };

        // 1. A process in it.
        let walk = WalkOptions {
            kinds: &kinds,
            mount_tables: true,
            own_mnt: NsId::of_self(NsKind::Mount).ok().map(|id| id.inode()),
            details: false,
            only: None,
        };
        let walked = walk_processes(proc_dir.as_fd(), &pids, &walk, |pid, kind, ino| {
            if kind == id.kind() && ino == id.inode() {
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
        let flow = walk_fds(&walked.pids, |pid, fd, kind, ino| {
            if kind == id.kind() && ino == id.inode() {
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
        let flow = walk_nsfs_mounts(&walked.mount_tables, nsfs_dev, |ns, path, _| {
            if ns.kind() == id.kind()
                && ns.inode() == id.inode()
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
    index: HashMap<(NsKind, u64), usize, BuildHasherDefault<InodeHasher>>,
}

/// The hasher of [`Found::index`]: keys are namespace inode numbers the kernel hands out,
/// not input an attacker chooses, so SipHash's flooding resistance buys nothing, and it
/// was a third of the instructions `mntns ls -o NS,TYPE,NPROCS,PID` ran. A multiply and
/// rotate per word, as rustc's FxHasher does.
#[derive(Default)]
struct InodeHasher(u64);

impl Hasher for InodeHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, byte: u8) {
        self.write_u64(u64::from(byte));
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }

    fn write_isize(&mut self, word: isize) {
        self.write_u64(word as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

struct Entry {
    kind: NsKind,
    dev: u64,
    ino: u64,
    pids: Vec<i32>,
    fds: Vec<(i32, i32)>,
    /// (path openable by the caller, mount point as its own table shows it)
    mounts: Vec<(PathBuf, Vec<u8>)>,
    facts: Facts,
}

/// The uid and command of a namespace's lowest pid, as far as the walk got.
enum Facts {
    /// Not asked for, or the namespace was found without a process.
    NotRead,
    /// Read from `pid` (the first process of the namespace the walk saw).
    Read { pid: i32, uid: u32, command: String },
    /// The first process exited before they could be read.
    Gone,
}

impl Found {
    fn entry(&mut self, kind: NsKind, dev: u64, ino: u64) -> (&mut Entry, bool) {
        let next = self.entries.len();
        let i = *self.index.entry((kind, ino)).or_insert(next);
        let new = i == next;
        if new {
            self.entries.push(Entry {
                kind,
                dev,
                ino,
                pids: Vec::new(),
                fds: Vec::new(),
                mounts: Vec::new(),
                facts: Facts::NotRead,
            });
        }
        (&mut self.entries[i], new)
    }

    fn add_fd(&mut self, kind: NsKind, dev: u64, ino: u64, pid: i32, fd: i32) {
        self.entry(kind, dev, ino).0.fds.push((pid, fd));
    }

    fn add_mount(&mut self, kind: NsKind, dev: u64, ino: u64, path: PathBuf, mount_point: &[u8]) {
        let (entry, _) = self.entry(kind, dev, ino);
        // A mount namespace copied from another one shows the same bind mount again at the
        // same place: list the place once, as seen from the first table that has it.
        if entry.mounts.iter().any(|(_, mp)| mp == mount_point) {
            return;
        }
        entry.mounts.push((path, mount_point.to_vec()));
    }
}

/// What a walk over some pids learned besides the namespaces themselves.
#[derive(Default)]
struct Walk {
    /// Pids whose namespaces could be read (so their fds can be too), ascending.
    pids: Vec<i32>,
    /// One pid per mount namespace other than the caller's, to read its mount table.
    mount_tables: Vec<i32>,
    /// The inode of each mount namespace in `mount_tables`, in the same order.
    mount_inodes: Vec<u64>,
    /// The same inodes, to look them up.
    mount_seen: HashSet<u64>,
}

impl Walk {
    /// Records `pid` as the reader of mount namespace `ino`'s table, unless one is known.
    fn note_mount_table(&mut self, pid: i32, ino: u64) {
        if self.mount_seen.insert(ino) {
            self.mount_tables.push(pid);
            self.mount_inodes.push(ino);
        }
    }
}

/// What a walk looks at.
struct WalkOptions<'a> {
    kinds: &'a [NsKind],
    /// Also pick one process per mount namespace (for the bind-mount pass).
    mount_tables: bool,
    /// The caller's own mount namespace (its table is read directly).
    own_mnt: Option<u64>,
    /// Read the uid and command of the first process of each namespace.
    details: bool,
    /// Read details only for these namespaces (`-p PID`).
    only: Option<&'a [NsId]>,
}

/// One walker's share of the processes: its namespaces (with their pids, in ascending
/// order, and the first pid's facts) and its [`Walk`].
struct Chunk {
    found: Found,
    walk: Walk,
}

/// How many threads walk `/proc`: one per CPU when asked, at most 8, and no more than one
/// per 200 processes (a thread costs about what walking that many does).
fn worker_count(parallel: bool, processes: usize) -> usize {
    if !parallel {
        return 1;
    }
    cpus().min(8).min(processes / 200).max(1)
}

/// The CPUs this thread may run on (`sched_getaffinity`; std's `available_parallelism`
/// also reads cgroup files and, for cgroup v1, the whole mount table).
fn cpus() -> usize {
    let mut set = std::mem::MaybeUninit::<libc::cpu_set_t>::zeroed();
    // SAFETY: set is a valid, zeroed cpu_set_t of the size passed.
    let rc = unsafe {
        libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set.as_mut_ptr())
    };
    if rc != 0 {
        return 1;
    }
    // SAFETY: sched_getaffinity filled the set; CPU_COUNT only reads it.
    let count = unsafe { libc::CPU_COUNT(&set.assume_init()) };
    usize::try_from(count).unwrap_or(1).max(1)
}

/// Walks `pids`, grouping them by namespace and reading the first process of each new
/// namespace for its facts.
fn walk_chunk(proc_dir: BorrowedFd<'_>, pids: &[i32], options: &WalkOptions<'_>) -> Result<Chunk> {
    let mut found = Found::default();
    let mut scratch = Vec::new();
    let walk = walk_processes(proc_dir, pids, options, |pid, kind, ino| {
        // The device is filled in by merge_chunks: every namespace is on the one nsfs.
        let (entry, new) = found.entry(kind, 0, ino);
        entry.pids.push(pid);
        let wanted = options
            .only
            .is_none_or(|only| only.iter().any(|id| id.kind() == kind && id.inode() == ino));
        if new && options.details && wanted {
            entry.facts = match process_facts(proc_dir, pid, &mut scratch) {
                Some((uid, command)) => Facts::Read { pid, uid, command },
                None => Facts::Gone,
            };
        }
        ControlFlow::Continue(())
    })?;
    Ok(Chunk { found, walk })
}

/// Joins the walkers' results, in pid order: a namespace seen by several keeps the first
/// walker's facts (its lowest pid) and gets every walker's pids appended.
fn merge_chunks(chunks: Vec<Chunk>, nsfs_dev: u64) -> (Found, Walk) {
    let mut found = Found::default();
    let mut walk = Walk::default();
    for chunk in chunks {
        for entry in chunk.found.entries {
            let (into, new) = found.entry(entry.kind, nsfs_dev, entry.ino);
            if new {
                into.pids = entry.pids;
                into.facts = entry.facts;
            } else {
                into.pids.extend_from_slice(&entry.pids);
            }
        }
        walk.pids.extend_from_slice(&chunk.walk.pids);
        for (pid, ino) in chunk
            .walk
            .mount_tables
            .into_iter()
            .zip(chunk.walk.mount_inodes)
        {
            walk.note_mount_table(pid, ino);
        }
    }
    (found, walk)
}

/// Errors that mean "this process is gone or not ours to inspect": skip it.
fn skippable(e: Errno) -> bool {
    e == Errno::ENOENT || e == Errno::ESRCH || e == Errno::EACCES || e == Errno::EPERM
}

fn pid_of(raw: i32) -> Pid {
    Pid::from_raw(raw).expect("pids read from /proc are positive")
}

/// Opens `/proc` as a directory, to list it and to resolve every per-process path
/// relative to it.
fn open_proc() -> Result<OwnedFd> {
    open_dir(c"/proc").map_err(|e| {
        let err = Error::new("open", e).with_path("/proc");
        if e == Errno::ENOENT {
            err.with_hint("/proc is not mounted")
        } else {
            err
        }
    })
}

/// Every pid in `/proc`, in the ascending order procfs lists them.
fn list_pids(proc_dir: BorrowedFd<'_>) -> Result<Vec<i32>> {
    let mut dents = Dents::new(32 * 1024, false);
    let mut pids = Vec::with_capacity(1024);
    while let Some(pid) = dents
        .next_number(proc_dir)
        .map_err(|e| Error::new("read directory", e).with_path("/proc"))?
    {
        pids.push(pid);
    }
    // procfs lists pids in ascending order; sorting keeps that promise on any other.
    if !pids.is_sorted() {
        pids.sort_unstable();
    }
    Ok(pids)
}

/// Walks `pids`, calling `on_ns(pid, kind, inode)` for every readable `/proc/PID/ns/KIND`
/// of the options' kinds. With `mount_tables`, also reads `/proc/PID/ns/mnt` (once,
/// whether or not mount is among the kinds) to pick one process per mount namespace for
/// the bind-mount pass.
fn walk_processes(
    proc_dir: BorrowedFd<'_>,
    pids: &[i32],
    options: &WalkOptions<'_>,
    mut on_ns: impl FnMut(i32, NsKind, u64) -> ControlFlow<()>,
) -> Result<Walk> {
    let mut walk = Walk {
        pids: Vec::with_capacity(pids.len()),
        ..Walk::default()
    };
    let mount_wanted = options.kinds.contains(&NsKind::Mount);
    // The caller's own table is read directly, not through a process.
    if let Some(own) = options.own_mnt {
        walk.mount_seen.insert(own);
    }
    'pids: for &pid in pids {
        let mut readable = false;
        if options.mount_tables
            && !mount_wanted
            && let Ok(ino) = ns_inode_at(proc_dir, pid, NsKind::Mount)
        {
            walk.note_mount_table(pid, ino);
        }
        for &kind in options.kinds {
            match ns_inode_at(proc_dir, pid, kind) {
                Ok(ino) => {
                    readable = true;
                    if options.mount_tables && kind == NsKind::Mount {
                        walk.note_mount_table(pid, ino);
                    }
                    if on_ns(pid, kind, ino).is_break() {
                        walk.pids.push(pid);
                        break 'pids;
                    }
                }
                // Gone, not ours, or a kind this kernel lacks: skip (lsns does the same).
                Err(e) if skippable(e) => {}
                Err(e) => {
                    return Err(Error::new("read namespace link", e)
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

/// The inode of namespace `/proc/PID/ns/KIND`, from its link text (`mnt:[4026531840]`):
/// `readlinkat` relative to `/proc` names the namespace without opening it.
fn ns_inode_at(proc_dir: BorrowedFd<'_>, pid: i32, kind: NsKind) -> Result<u64, Errno> {
    let path = ProcPath::relative_ns(pid, kind);
    let mut link = [0u8; 32];
    // SAFETY: path is NUL-terminated; link is writable for its length.
    let n = unsafe {
        libc::readlinkat(
            proc_dir.as_raw_fd(),
            path.as_ptr(),
            link.as_mut_ptr().cast(),
            link.len(),
        )
    };
    if n < 0 {
        return Err(Errno::last());
    }
    match parse_ns_link(&link[..n as usize]) {
        Some((k, ino)) if k == kind => Ok(ino),
        // Not a namespace link (never seen from procfs): treat as gone.
        _ => Err(Errno::ENOENT),
    }
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
///
/// `/proc/PID/cmdline` is opened relative to `/proc`, and its owner read from the open
/// file: procfs gives every file of a process the owner it gives `/proc/PID` (the
/// effective uid, or root for a non-dumpable process), so no second path lookup is needed.
fn process_facts(proc_dir: BorrowedFd<'_>, pid: i32, buf: &mut Vec<u8>) -> Option<(u32, String)> {
    let cmdline = open_at(proc_dir, &ProcPath::relative(pid, b"/cmdline")).ok()?;
    let uid = fstat(cmdline.as_fd()).ok()?.st_uid;
    // lsns: the command line read whole (up to BUFSIZ), NULs turned into spaces and the
    // last byte dropped; kernel threads and zombies have none, then their comm name.
    read_fd(cmdline.as_fd(), buf, 8192, true).ok()?;
    drop(cmdline);
    if buf.is_empty() {
        let comm = open_at(proc_dir, &ProcPath::relative(pid, b"/comm")).ok()?;
        read_fd(comm.as_fd(), buf, 4096, true).ok()?;
    }
    if buf.pop().is_none() {
        return Some((uid, String::new()));
    }
    for b in buf.iter_mut() {
        if *b == 0 {
            *b = b' ';
        }
    }
    Some((uid, String::from_utf8_lossy(buf).into_owned()))
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

    /// `PID` + `tail`, to resolve relative to an open `/proc`.
    fn relative(pid: i32, tail: &[u8]) -> ProcPath {
        let mut p = ProcPath::raw(b"");
        p.push_number(pid);
        p.push(tail);
        p
    }

    /// `PID/ns/KIND`, relative to an open `/proc`.
    fn relative_ns(pid: i32, kind: NsKind) -> ProcPath {
        let mut p = ProcPath::relative(pid, b"/ns/");
        p.push(kind.name().as_bytes());
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

/// Opens `path` relative to `dir` for reading.
fn open_at(dir: BorrowedFd<'_>, path: &CStr) -> Result<OwnedFd, Errno> {
    // SAFETY: path is NUL-terminated; a read-only close-on-exec descriptor.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            path.as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: openat returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
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

/// Reads a whole file into `buf`, at most `max` bytes.
fn read_file(path: &CStr, buf: &mut Vec<u8>, max: usize) -> Result<(), Errno> {
    // SAFETY: path is NUL-terminated; a read-only close-on-exec descriptor.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: open returned a new descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    read_fd(fd.as_fd(), buf, max, false)
}

/// Reads from `fd` into `buf` (cleared first) until end of file or `max` bytes. With
/// `short_read_is_eof`, a read that returns less than asked ends it: procfs's `cmdline`
/// and `comm` hand out everything they have in one read, so asking again only to be told
/// "end of file" would cost a second system call per process.
fn read_fd(
    fd: BorrowedFd<'_>,
    buf: &mut Vec<u8>,
    max: usize,
    short_read_is_eof: bool,
) -> Result<(), Errno> {
    buf.clear();
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
        if short_read_is_eof && (n as usize) < want {
            return Ok(());
        }
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
    fn cpus_are_counted() {
        let n = cpus();
        assert!(n >= 1);
        // std also applies cgroup quotas, so it never counts more.
        assert!(n >= std::thread::available_parallelism().unwrap().get());
        assert_eq!(worker_count(false, 100_000), 1);
        assert_eq!(worker_count(true, 100), 1);
        assert_eq!(worker_count(true, 100_000), n.min(8));
    }

    #[test]
    fn walks_in_ranges_merge_to_one_walk() {
        // However the pids are split between walkers, the merged result is the single
        // walk's: same namespaces, same pids in the same order, the first pid's facts.
        let proc_dir = open_proc().unwrap();
        let pids = list_pids(proc_dir.as_fd()).unwrap();
        assert!(pids.windows(2).all(|w| w[0] < w[1]));
        let kinds = NsKind::ALL;
        let walk = WalkOptions {
            kinds: &kinds,
            mount_tables: true,
            own_mnt: NsId::of_self(NsKind::Mount).ok().map(|id| id.inode()),
            details: true,
            only: None,
        };
        let summary = |found: &Found| {
            let mut v: Vec<(NsKind, u64, Vec<i32>, Option<i32>)> = found
                .entries
                .iter()
                .map(|e| {
                    let first = match &e.facts {
                        Facts::Read { pid, .. } => Some(*pid),
                        _ => None,
                    };
                    (e.kind, e.ino, e.pids.clone(), first)
                })
                .collect();
            v.sort();
            v
        };
        let whole = merge_chunks(vec![walk_chunk(proc_dir.as_fd(), &pids, &walk).unwrap()], 1);
        let third = pids.len().div_ceil(3).max(1);
        let parts = pids
            .chunks(third)
            .map(|range| walk_chunk(proc_dir.as_fd(), range, &walk).unwrap())
            .collect();
        let split = merge_chunks(parts, 1);
        // Processes of this test harness may come and go between the walks: compare the
        // namespaces of this process, which stay.
        let me = Pid::this().as_raw();
        let mine = |v: Vec<(NsKind, u64, Vec<i32>, Option<i32>)>| -> Vec<_> {
            v.into_iter().filter(|e| e.2.contains(&me)).collect()
        };
        let (a, b) = (mine(summary(&whole.0)), mine(summary(&split.0)));
        assert_eq!(a.len(), NsKind::ALL.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((x.0, x.1), (y.0, y.1));
            assert!(y.2.windows(2).all(|w| w[0] < w[1]), "{:?}", y.2);
            assert_eq!(y.3, y.2.first().copied(), "facts of the lowest pid");
        }
        assert!(whole.1.pids.windows(2).all(|w| w[0] < w[1]));
        assert!(split.1.pids.windows(2).all(|w| w[0] < w[1]));
        assert!(split.0.entries.iter().all(|e| e.dev == 1));
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
