//! **The code that runs between clone and exec.** Everything here executes in the sandbox's
//! first process, which may share the caller's memory (`CLONE_VM`) or be a copy of a
//! multithreaded process whose other threads held locks at the moment of the clone. So, in
//! this module and everything it calls:
//!
//! - no allocation (no `Vec`, `String`, `format!`, `Box`, no `CString::new`): every path and
//!   byte comes pre-built from the [`Plan`]; numbers are formatted into stack buffers;
//! - no locks, no stdio, no environment reads, no panics (no unchecked indexing, no
//!   `unwrap`): a failure is a `{step, errno}` record sent to the parent, which still holds
//!   the plan and turns it into a rich [`crate::Error`];
//! - only system calls (glibc's thin wrappers, which take no locks).
//!
//! A test enforces "no allocation in the child" with an allocator that aborts when called
//! from a process other than the spawner.

use std::ffi::{CStr, c_char, c_int};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU8, AtomicU32, Ordering};

use crate::error::Errno;
use crate::mount::MountFlags;
use crate::plan::{Late, Op, Plan, ROOT_SLOT, Target, TargetKind};
use crate::sys::mount_api::{self as sys, SetattrTarget};

/// A failure at one step: the index of the step in the plan (or `steps.len() + Late`) and
/// the errno. Sent as 8 bytes through the report pipe, or stored in shared memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) step: u32,
    pub(crate) errno: i32,
}

/// The record value that means "the staging root is ready for the parent to fill".
pub(crate) const READY: u32 = u32::MAX;

type Res<T> = Result<T, Failure>;

/// A failure record shared with the parent in vfork mode (the child writes it, then exits;
/// the parent reads it after `clone` returns).
#[derive(Debug, Default)]
pub(crate) struct SharedRecord {
    /// Set by the child first thing: proves the memory really is shared (an emulator such
    /// as valgrind runs `CLONE_VM|CLONE_VFORK` as a plain fork).
    pub(crate) started: AtomicU8,
    pub(crate) failed: AtomicU8,
    pub(crate) step: AtomicU32,
    pub(crate) errno: AtomicI32,
}

/// Everything the child needs, prepared by the parent before the clone.
pub(crate) struct ChildArgs<'a> {
    pub(crate) plan: &'a Plan,
    /// Descriptor slots: the root and the bind sources.
    pub(crate) slots: *mut RawFd,
    /// Scratch for moving descriptors into place: one per stdio source and passed fd.
    pub(crate) fd_scratch: *mut RawFd,
    /// `[stdin, stdout, stderr]` sources (-1: inherit).
    pub(crate) stdio: [RawFd; 3],
    /// `(source, target)` descriptors to pass.
    pub(crate) pass: &'a [(RawFd, RawFd)],
    /// `execve` arguments: NULL-terminated pointer arrays.
    pub(crate) argv: *const *const c_char,
    pub(crate) envp: *const *const c_char,
    /// Paths to try for the command, in order (already joined with PATH directories).
    pub(crate) candidates: &'a [std::ffi::CString],
    /// Fork mode: the write end of the report pipe (-1 in vfork mode).
    pub(crate) report_fd: RawFd,
    /// Fork mode: the read end of the go-ahead pipe from the parent (-1 if unused).
    pub(crate) sync_fd: RawFd,
    /// PID namespace: the write end on which init reports the command's wait status.
    pub(crate) status_fd: RawFd,
    /// Vfork mode: where to store a failure.
    pub(crate) shared: *const SharedRecord,
    /// The parent's pid, to detect that it died before the death signal was armed (0: use
    /// `parent_pidfd`).
    pub(crate) parent_pid: libc::pid_t,
    /// A pidfd of the parent (PID namespace children cannot see their parent's pid).
    pub(crate) parent_pidfd: RawFd,
    /// The signal mask to restore before exec.
    pub(crate) old_mask: libc::sigset_t,
    /// Whether the clone already reset the signal handlers (`CLONE_CLEAR_SIGHAND`).
    pub(crate) handlers_cleared: bool,
    /// Whether the steps run in the caller (`Plan::enter`): no exec, no fds, no init.
    pub(crate) in_process: bool,
    /// Whether this process stays as a monitor that forks the command and reports its
    /// status (as the init of a PID namespace, or because the caller ignores SIGCHLD and
    /// would lose the status of an exec'd child: exec resets the exit signal to SIGCHLD).
    pub(crate) monitor: bool,
}

fn errno() -> i32 {
    // SAFETY: __errno_location returns this thread's errno slot, always valid.
    unsafe { *libc::__errno_location() }
}

fn fail<T>(step: u32, errno: i32) -> Res<T> {
    Err(Failure { step, errno })
}

/// Runs `rc` (a libc return value) into `Ok` or a failure of `step` with errno.
fn check(step: u32, rc: c_int) -> Res<c_int> {
    if rc < 0 { fail(step, errno()) } else { Ok(rc) }
}

/// A descriptor the child closes when it goes out of scope (unless it is borrowed).
struct Fd {
    fd: RawFd,
    owned: bool,
}

impl Fd {
    fn owned(fd: RawFd) -> Fd {
        Fd { fd, owned: true }
    }
    fn borrowed(fd: RawFd) -> Fd {
        Fd { fd, owned: false }
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        if self.owned && self.fd >= 0 {
            // SAFETY: closing a descriptor this scope opened.
            unsafe { libc::close(self.fd) };
        }
    }
}

/// `/proc/self/fd/N` as a NUL-terminated string in a stack buffer.
struct FdPath {
    buf: [u8; 32],
}

impl FdPath {
    fn new(fd: RawFd) -> FdPath {
        let mut buf = [0u8; 32];
        let prefix = b"/proc/self/fd/";
        buf[..prefix.len()].copy_from_slice(prefix);
        let mut digits = [0u8; 12];
        let mut n = fd.max(0) as u32;
        let mut len = 0;
        loop {
            digits[len] = b'0' + (n % 10) as u8;
            len += 1;
            n /= 10;
            if n == 0 || len == digits.len() {
                break;
            }
        }
        for i in 0..len {
            buf[prefix.len() + i] = digits[len - 1 - i];
        }
        FdPath { buf }
    }

    fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"/proc/self/fd/")
    }
}

/// Whether `openat2(2)` works here: 0 unknown, 1 yes, 2 no. Cached across spawns (an atomic:
/// safe to touch from the child).
static OPENAT2: AtomicU8 = AtomicU8::new(0);

/// Opens `path` (relative, may contain `/`) inside the root `root`: symlinks are resolved
/// as if `root` were `/`, and `..` cannot leave it (`openat2` with `RESOLVE_IN_ROOT`).
/// Without openat2, every component is opened with `O_NOFOLLOW` and a symlink on the way
/// is refused with `ELOOP`.
pub(crate) fn open_in_root(root: RawFd, path: &CStr, flags: c_int) -> Result<RawFd, i32> {
    open_in_root_with(root, path, flags, false)
}

/// [`open_in_root`]; with `strict`, any symlink on the way gives `ELOOP`
/// (`RESOLVE_NO_SYMLINKS`).
fn open_in_root_with(root: RawFd, path: &CStr, flags: c_int, strict: bool) -> Result<RawFd, i32> {
    if OPENAT2.load(Ordering::Relaxed) != 2 {
        // struct open_how: flags, mode, resolve (three u64s; libc's is non-exhaustive).
        let how: [u64; 3] = [
            (flags | libc::O_CLOEXEC) as u64,
            0,
            libc::RESOLVE_IN_ROOT
                | libc::RESOLVE_NO_MAGICLINKS
                | if strict { libc::RESOLVE_NO_SYMLINKS } else { 0 },
        ];
        // SAFETY: path is NUL-terminated, how is a valid open_how whose size is passed.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                root,
                path.as_ptr(),
                how.as_ptr(),
                std::mem::size_of_val(&how),
            )
        };
        if rc >= 0 {
            OPENAT2.store(1, Ordering::Relaxed);
            return Ok(rc as RawFd);
        }
        let e = errno();
        if e != libc::ENOSYS {
            return Err(e);
        }
        OPENAT2.store(2, Ordering::Relaxed);
    }
    open_in_root_walk(root, path, flags)
}

/// The fallback of [`open_in_root`]: one component at a time, refusing symlinks. Every
/// caller asks for an `O_PATH` descriptor (with or without `O_DIRECTORY`), which is what this
/// returns.
fn open_in_root_walk(root: RawFd, path: &CStr, flags: c_int) -> Result<RawFd, i32> {
    let want_dir = flags & libc::O_DIRECTORY != 0;
    let mut dir = Fd::borrowed(root);
    let mut comp = [0u8; 256];
    let mut parts = path
        .to_bytes()
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .peekable();
    if parts.peek().is_none() {
        // SAFETY: root is an open descriptor; "." names it.
        let fd = unsafe { libc::openat(root, c".".as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
        return if fd < 0 { Err(errno()) } else { Ok(fd) };
    }
    while let Some(c) = parts.next() {
        if c == b".." || c.len() >= comp.len() {
            return Err(libc::EXDEV);
        }
        comp[..c.len()].copy_from_slice(c);
        comp[c.len()] = 0;
        let last = parts.peek().is_none();
        // SAFETY: comp holds a NUL-terminated component; dir is open. With O_PATH and
        // O_NOFOLLOW a symlink is opened itself, so it can be recognized below.
        let fd = unsafe {
            libc::openat(
                dir.fd,
                comp.as_ptr().cast(),
                libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(errno());
        }
        let next = Fd::owned(fd);
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: fd is open; st is a valid out pointer.
        if unsafe { libc::fstat(fd, st.as_mut_ptr()) } != 0 {
            return Err(errno());
        }
        // SAFETY: fstat succeeded.
        let kind = unsafe { st.assume_init() }.st_mode & libc::S_IFMT;
        if kind == libc::S_IFLNK {
            return Err(libc::ELOOP);
        }
        if kind != libc::S_IFDIR && (!last || want_dir) {
            return Err(libc::ENOTDIR);
        }
        dir = next;
    }
    let fd = dir.fd;
    std::mem::forget(dir);
    Ok(fd)
}

/// Opens the parent directory of `t` inside the root, creating missing directories (mode
/// 0755) on the way, each resolved inside the root.
fn parent_dir(step: u32, root: RawFd, t: &Target) -> Res<Fd> {
    let Some(parent) = t.prefixes.last() else {
        return Ok(Fd::borrowed(root));
    };
    let dir = libc::O_PATH | libc::O_DIRECTORY;
    match open_in_root_with(root, parent, dir, t.strict) {
        Ok(fd) => return Ok(Fd::owned(fd)),
        Err(e) if e != libc::ENOENT => return fail(step, e),
        Err(_) => {}
    }
    let mut prev = Fd::borrowed(root);
    let last = t.prefixes.len() - 1;
    for (k, (prefix, name)) in t.prefixes.iter().zip(t.names.iter()).enumerate() {
        // The parent itself was just found missing: create it without asking again.
        let found = if k == last {
            Err(libc::ENOENT)
        } else {
            open_in_root_with(root, prefix, dir, t.strict)
        };
        let fd = match found {
            Ok(fd) => fd,
            Err(libc::ENOENT) => {
                // SAFETY: prev is an open directory; name is one NUL-terminated component.
                let rc = unsafe { libc::mkdirat(prev.fd, name.as_ptr(), 0o755) };
                if rc < 0 && errno() != libc::EEXIST {
                    return fail(step, errno());
                }
                open_in_root_with(root, prefix, dir, t.strict).or_else(|e| fail(step, e))?
            }
            Err(e) => return fail(step, e),
        };
        prev = Fd::owned(fd);
    }
    Ok(prev)
}

/// Opens the target itself (`O_PATH`), creating it as `kind` when it does not exist.
fn open_target(step: u32, slots: &[RawFd], t: &Target, kind: TargetKind, mode: u32) -> Res<Fd> {
    let root = slot(slots, ROOT_SLOT);
    let want_dir = match kind {
        TargetKind::Dir => true,
        TargetKind::LikeSource(s) => is_dir(slot(slots, s)),
    };
    let flags = libc::O_PATH | if want_dir { libc::O_DIRECTORY } else { 0 };
    match open_in_root_with(root, &t.full, flags, t.strict) {
        Ok(fd) => return Ok(Fd::owned(fd)),
        Err(e) if e != libc::ENOENT => return fail(step, e),
        Err(_) => {}
    }
    let parent = parent_dir(step, root, t)?;
    if want_dir {
        // SAFETY: parent is an open directory; name is one NUL-terminated component.
        let rc = unsafe { libc::mkdirat(parent.fd, t.name.as_ptr(), mode as libc::mode_t) };
        if rc < 0 && errno() != libc::EEXIST {
            return fail(step, errno());
        }
    } else {
        // SAFETY: as above; O_EXCL|O_NOFOLLOW never follows or truncates anything.
        let fd = unsafe {
            libc::openat(
                parent.fd,
                t.name.as_ptr(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                0o644 as libc::c_uint,
            )
        };
        if fd < 0 && errno() != libc::EEXIST {
            return fail(step, errno());
        }
        drop(Fd::owned(fd));
    }
    open_in_root_with(root, &t.full, flags, t.strict)
        .map(Fd::owned)
        .or_else(|e| fail(step, e))
}

fn is_dir(fd: RawFd) -> bool {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fd is an open descriptor (or -1, which fstat rejects); st is an out pointer.
    if unsafe { libc::fstat(fd, st.as_mut_ptr()) } != 0 {
        return false;
    }
    // SAFETY: fstat succeeded.
    unsafe { st.assume_init() }.st_mode & libc::S_IFMT == libc::S_IFDIR
}

fn slot(slots: &[RawFd], i: usize) -> RawFd {
    slots.get(i).copied().unwrap_or(-1)
}

fn mount_on(
    step: u32,
    source: &CStr,
    target: &Fd,
    fstype: &CStr,
    flags: libc::c_ulong,
    data: &CStr,
) -> Res<()> {
    let path = FdPath::new(target.fd);
    mount_at(step, source, path.as_cstr(), fstype, flags, data)
}

/// `mount(2)` of a new filesystem at a path; an empty `data` is passed as NULL.
fn mount_at(
    step: u32,
    source: &CStr,
    target: &CStr,
    fstype: &CStr,
    flags: libc::c_ulong,
    data: &CStr,
) -> Res<()> {
    let data_ptr = if data.is_empty() {
        std::ptr::null()
    } else {
        data.as_ptr().cast()
    };
    // SAFETY: all strings are NUL-terminated and outlive the call.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            flags,
            data_ptr,
        )
    };
    check(step, rc).map(|_| ())
}

/// Binds the source in a slot onto a target descriptor: `open_tree` + `mount_setattr` +
/// `move_mount` (the copy is read-only before it is attached), or the classic
/// `mount(MS_BIND)` and remounts through `/proc/self/fd`.
#[allow(clippy::too_many_arguments)]
fn bind(
    step: u32,
    source: RawFd,
    target: &Fd,
    recursive: bool,
    readonly: bool,
    flags: MountFlags,
    submounts: &[std::ffi::CString],
    root: RawFd,
    full: &CStr,
) -> Res<()> {
    let mut set = flags;
    if readonly {
        set |= MountFlags::RDONLY;
    }
    // SAFETY: source is an open descriptor owned by the slots for the whole run.
    let source_fd = unsafe { BorrowedFd::borrow_raw(source) };
    match sys::open_tree_clone(source_fd, recursive) {
        Ok(tree) => {
            let mut pending = !set.is_empty();
            if pending {
                let change = crate::mount::attr_change(set, MountFlags::empty());
                match sys::mount_setattr(SetattrTarget::Fd(tree.as_fd()), recursive, change) {
                    Ok(()) => pending = false,
                    Err(e) if e == Errno::ENOSYS => {}
                    Err(e) => return fail(step, e.raw()),
                }
            }
            let rc = move_mount_fd(tree.as_raw_fd(), target.fd);
            match rc {
                Ok(()) => {
                    if pending {
                        remount_tree(step, full, set, recursive, submounts, root)?;
                    }
                    return Ok(());
                }
                Err(libc::ENOSYS) => {}
                Err(e) => return fail(step, e),
            }
        }
        Err(e) if e == Errno::ENOSYS => {}
        Err(e) => return fail(step, e.raw()),
    }
    let src = FdPath::new(source);
    let dst = FdPath::new(target.fd);
    let mut ms = libc::MS_BIND;
    if recursive {
        ms |= libc::MS_REC;
    }
    // SAFETY: NUL-terminated paths; no fstype or data for a bind.
    let rc = unsafe {
        libc::mount(
            src.as_cstr().as_ptr(),
            dst.as_cstr().as_ptr(),
            std::ptr::null(),
            ms,
            std::ptr::null(),
        )
    };
    check(step, rc)?;
    if !set.is_empty() {
        remount_tree(step, full, set, recursive, submounts, root)?;
    }
    Ok(())
}

fn move_mount_fd(tree: RawFd, target: RawFd) -> Result<(), i32> {
    const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;
    const MOVE_MOUNT_T_EMPTY_PATH: libc::c_uint = 0x40;
    // SAFETY: both descriptors are open; empty paths with the EMPTY_PATH flags name them.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            tree,
            c"".as_ptr(),
            target,
            c"".as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH,
        )
    };
    if rc < 0 { Err(errno()) } else { Ok(()) }
}

/// Sets `set` on the mount now at `full` (and on each of `submounts`, for a recursive
/// bind), keeping every flag the mount already has: flags locked by a parent namespace must
/// be repeated or the kernel refuses the remount. Each path is opened again so that it
/// reaches the mount on top, not the directory under it.
fn remount_tree(
    step: u32,
    full: &CStr,
    set: MountFlags,
    recursive: bool,
    submounts: &[std::ffi::CString],
    root: RawFd,
) -> Res<()> {
    let top = std::iter::once(full);
    let subs = submounts.iter().map(|s| s.as_c_str()).filter(|_| recursive);
    for path in top.chain(subs) {
        let fd = Fd::owned(open_in_root(root, path, libc::O_PATH).or_else(|e| fail(step, e))?);
        let p = FdPath::new(fd.fd);
        remount_one(step, p.as_cstr(), set)?;
    }
    Ok(())
}

fn remount_one(step: u32, path: &CStr, set: MountFlags) -> Res<()> {
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: path is NUL-terminated; st is an out pointer.
    check(step, unsafe {
        libc::statvfs(path.as_ptr(), st.as_mut_ptr())
    })?;
    // SAFETY: statvfs succeeded.
    #[allow(clippy::unnecessary_cast)] // c_ulong is 32 bits on 32-bit targets
    let current = unsafe { st.assume_init() }.f_flag as u64;
    // The flags the mount has now, locked ones included (MountFlags bits are MS_* values).
    let ms = libc::MS_REMOUNT
        | libc::MS_BIND
        | MountFlags::from_statfs(current).bits() as libc::c_ulong
        | set.bits() as libc::c_ulong;
    // SAFETY: a remount of an existing mount point; no data.
    let rc = unsafe {
        libc::mount(
            c"none".as_ptr(),
            path.as_ptr(),
            std::ptr::null(),
            ms,
            std::ptr::null(),
        )
    };
    check(step, rc).map(|_| ())
}

fn write_all(fd: RawFd, mut data: &[u8]) -> Result<(), i32> {
    while !data.is_empty() {
        // SAFETY: data is a valid buffer of its length.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            if errno() == libc::EINTR {
                continue;
            }
            return Err(errno());
        }
        data = data.get(n as usize..).unwrap_or(&[]);
    }
    Ok(())
}

/// Waits for the parent's one-byte go-ahead; EOF means the parent gave up or died.
fn wait_parent(step: u32, fd: RawFd) -> Res<()> {
    let mut b = [0u8; 1];
    loop {
        // SAFETY: b is a one-byte buffer.
        let n = unsafe { libc::read(fd, b.as_mut_ptr().cast(), 1) };
        if n == 1 {
            return Ok(());
        }
        if n < 0 && errno() == libc::EINTR {
            continue;
        }
        return fail(step, if n == 0 { libc::ECANCELED } else { errno() });
    }
}

/// Runs one step of the plan.
fn run_op(i: u32, op: &Op, a: &ChildArgs<'_>, slots: &mut [RawFd]) -> Res<()> {
    match op {
        Op::WaitParent => {
            if a.sync_fd >= 0 {
                wait_parent(i, a.sync_fd)?;
            }
        }
        Op::ReportReady => {
            if a.report_fd >= 0 {
                let rec = record_bytes(Failure {
                    step: READY,
                    errno: 0,
                });
                write_all(a.report_fd, &rec).or_else(|e| fail(i, e))?;
            }
        }
        Op::WriteProcFile { path, data } => {
            // SAFETY: path is NUL-terminated.
            let fd = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
            let fd = Fd::owned(check(i, fd)?);
            // One write(2): the kernel requires each map in a single write.
            // SAFETY: data is a valid buffer.
            let n = unsafe { libc::write(fd.fd, data.as_ptr().cast(), data.len()) };
            if n < 0 {
                return fail(i, errno());
            }
        }
        Op::SetHostname { name } => {
            // SAFETY: name is a valid buffer of its length.
            let rc = unsafe { libc::sethostname(name.as_ptr(), name.as_bytes().len()) };
            check(i, rc)?;
        }
        Op::RootPropagation { flags } => {
            // SAFETY: constant strings; no data.
            let rc = unsafe {
                libc::mount(
                    c"none".as_ptr(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    *flags,
                    std::ptr::null(),
                )
            };
            check(i, rc)?;
        }
        Op::OpenSource { path, slot: s } => {
            // SAFETY: path is NUL-terminated.
            let fd = unsafe { libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
            let fd = check(i, fd)?;
            if let Some(x) = slots.get_mut(*s) {
                *x = fd;
            }
        }
        Op::MountRootTmpfs {
            staging,
            data,
            flags,
        } => {
            mount_at(i, c"tmpfs", staging, c"tmpfs", *flags, data)?;
            open_root(i, staging, slots)?;
        }
        Op::BindRootDir { dir } => {
            // SAFETY: NUL-terminated strings; no data.
            let rc = unsafe {
                libc::mount(
                    dir.as_ptr(),
                    dir.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND | libc::MS_REC,
                    std::ptr::null(),
                )
            };
            check(i, rc)?;
            open_root(i, dir, slots)?;
        }
        Op::Tmpfs {
            target,
            data,
            flags,
        } => {
            let t = open_target(i, slots, target, TargetKind::Dir, 0o755)?;
            mount_on(i, c"tmpfs", &t, c"tmpfs", *flags, data)?;
        }
        Op::Bind {
            slot: s,
            target,
            recursive,
            readonly,
            flags,
            submounts,
        } => {
            let t = open_target(i, slots, target, TargetKind::LikeSource(*s), 0o755)?;
            bind(
                i,
                slot(slots, *s),
                &t,
                *recursive,
                *readonly,
                *flags,
                submounts,
                slot(slots, ROOT_SLOT),
                &target.full,
            )?;
        }
        Op::Proc { target } => {
            let t = open_target(i, slots, target, TargetKind::Dir, 0o555)?;
            let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
            mount_on(i, c"proc", &t, c"proc", flags, c"")?;
        }
        Op::Devpts { target, data } => {
            let t = open_target(i, slots, target, TargetKind::Dir, 0o755)?;
            let flags = libc::MS_NOSUID | libc::MS_NOEXEC;
            mount_on(i, c"devpts", &t, c"devpts", flags, data)?;
        }
        Op::Dir { target, mode } => {
            let fd = open_target(i, slots, target, TargetKind::Dir, *mode)?;
            drop(fd);
        }
        Op::Symlink { target, link } => {
            let root = slot(slots, ROOT_SLOT);
            let parent = parent_dir(i, root, target)?;
            // SAFETY: NUL-terminated strings; parent is an open directory.
            let rc = unsafe { libc::symlinkat(link.as_ptr(), parent.fd, target.name.as_ptr()) };
            // A link that is already there with the same text is fine (a directory root
            // used again).
            if rc < 0 && !(errno() == libc::EEXIST && same_link(parent.fd, &target.name, link)) {
                return fail(i, errno());
            }
        }
        Op::File {
            target,
            contents,
            mode,
        } => {
            let root = slot(slots, ROOT_SLOT);
            let parent = parent_dir(i, root, target)?;
            // SAFETY: as above; O_NOFOLLOW refuses to write through a symlink.
            let fd = unsafe {
                libc::openat(
                    parent.fd,
                    target.name.as_ptr(),
                    libc::O_WRONLY
                        | libc::O_CREAT
                        | libc::O_TRUNC
                        | libc::O_NOFOLLOW
                        | libc::O_CLOEXEC,
                    *mode as libc::c_uint,
                )
            };
            let fd = Fd::owned(check(i, fd)?);
            write_all(fd.fd, contents).or_else(|e| fail(i, e))?;
            // SAFETY: fd is open; the umask must not change the requested mode.
            check(i, unsafe { libc::fchmod(fd.fd, *mode as libc::mode_t) })?;
        }
        Op::PivotRoot { old_root } => {
            let root = slot(slots, ROOT_SLOT);
            // SAFETY: root is an open directory descriptor.
            check(i, unsafe { libc::fchdir(root) })?;
            match old_root {
                Some(old) => {
                    // SAFETY: old is NUL-terminated, relative to the cwd (the new root).
                    let rc = unsafe { libc::mkdir(old.as_ptr(), 0o700) };
                    if rc < 0 && errno() != libc::EEXIST {
                        return fail(i, errno());
                    }
                    // SAFETY: two NUL-terminated paths.
                    let rc =
                        unsafe { libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), old.as_ptr()) };
                    check(i, rc as c_int)?;
                }
                None => {
                    // SAFETY: two NUL-terminated paths.
                    let rc = unsafe {
                        libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr())
                    };
                    check(i, rc as c_int)?;
                    // The old root is stacked on "." now. Detaching it cannot propagate
                    // anywhere: every mount of it was made rslave (or rprivate) by the first
                    // step, so no second remount is needed here.
                    // SAFETY: constant string.
                    check(i, unsafe { libc::umount2(c".".as_ptr(), libc::MNT_DETACH) })?;
                }
            }
            // SAFETY: constant string.
            check(i, unsafe { libc::chdir(c"/".as_ptr()) })?;
            // The descriptors into the old root are not needed any more; closing them drops
            // the last references to it.
            for s in slots.iter_mut() {
                if *s >= 0 {
                    // SAFETY: closing descriptors this run opened.
                    unsafe { libc::close(*s) };
                    *s = -1;
                }
            }
        }
        Op::SetIds {
            uid,
            gid,
            drop_groups,
        } => {
            // SAFETY: plain credential calls.
            unsafe {
                if *drop_groups {
                    check(i, libc::setgroups(0, std::ptr::null()))?;
                }
                check(i, libc::setresgid(*gid, *gid, *gid))?;
                check(i, libc::setresuid(*uid, *uid, *uid))?;
            }
        }
        Op::Chdir { dir } => {
            // SAFETY: NUL-terminated path.
            check(i, unsafe { libc::chdir(dir.as_ptr()) })?;
        }
    }
    Ok(())
}

/// Whether `dir/name` is a symlink whose text is `link`.
fn same_link(dir: RawFd, name: &CStr, link: &CStr) -> bool {
    let mut buf = [0u8; 4096];
    // SAFETY: buf is writable for its length.
    let n = unsafe { libc::readlinkat(dir, name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    n >= 0 && buf.get(..n as usize) == Some(link.to_bytes())
}

fn open_root(i: u32, path: &CStr, slots: &mut [RawFd]) -> Res<()> {
    // SAFETY: NUL-terminated path; O_PATH opens only the directory.
    let fd = unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    let fd = check(i, fd)?;
    if let Some(x) = slots.get_mut(ROOT_SLOT) {
        *x = fd;
    }
    Ok(())
}

pub(crate) fn record_bytes(f: Failure) -> [u8; 8] {
    let mut rec = [0u8; 8];
    rec[..4].copy_from_slice(&f.step.to_ne_bytes());
    rec[4..].copy_from_slice(&f.errno.to_ne_bytes());
    rec
}

pub(crate) fn record_from_bytes(rec: [u8; 8]) -> Failure {
    Failure {
        step: u32::from_ne_bytes([rec[0], rec[1], rec[2], rec[3]]),
        errno: i32::from_ne_bytes([rec[4], rec[5], rec[6], rec[7]]),
    }
}

/// Runs the plan's steps. Shared by the spawned child and [`crate::Plan::enter`].
pub(crate) fn run_steps(a: &ChildArgs<'_>) -> Res<()> {
    // SAFETY: the parent allocated `plan.slots` descriptors for this run and keeps them
    // alive until the child has exec'd or exited.
    let slots = unsafe { std::slice::from_raw_parts_mut(a.slots, a.plan.slots) };
    for s in slots.iter_mut() {
        *s = -1;
    }
    let mut result = Ok(());
    for (i, step) in a.plan.steps.iter().enumerate() {
        if let Err(f) = run_op(i as u32, &step.op, a, slots) {
            result = Err(f);
            break;
        }
    }
    if a.in_process {
        for s in slots.iter_mut() {
            if *s >= 0 {
                // SAFETY: closing descriptors this run opened.
                unsafe { libc::close(*s) };
                *s = -1;
            }
        }
    }
    result
}

/// The child's whole life: steps, then the late steps, then exec. Never returns.
pub(crate) fn child_main(a: &ChildArgs<'_>) -> ! {
    if !a.shared.is_null() {
        // SAFETY: in vfork mode the parent's record outlives the child.
        unsafe { &*a.shared }.started.store(1, Ordering::Release);
    }
    let n = a.plan.steps.len() as u32;
    let late = |l: Late| n + l as u32;
    if a.plan.die_with_parent {
        // Armed first, so that a parent dying during the setup takes the child along.
        // SAFETY: plain prctl.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
    }
    let result = run_steps(a).and_then(|()| late_steps(a, &late));
    let f = match result {
        Ok(never) => match never {},
        Err(f) => f,
    };
    report_and_exit(a, f)
}

fn report_and_exit(a: &ChildArgs<'_>, f: Failure) -> ! {
    if a.report_fd >= 0 {
        let _ = write_all(a.report_fd, &record_bytes(f));
    }
    if !a.shared.is_null() {
        // SAFETY: in vfork mode the parent's record outlives the child (the parent is
        // suspended until the child exits).
        let shared = unsafe { &*a.shared };
        shared.step.store(f.step, Ordering::Relaxed);
        shared.errno.store(f.errno, Ordering::Relaxed);
        shared.failed.store(1, Ordering::Release);
    }
    let code = if f.errno == libc::ENOENT && f.step == a.plan.steps.len() as u32 + Late::Exec as u32
    {
        127
    } else if f.step == a.plan.steps.len() as u32 + Late::Exec as u32 {
        126
    } else {
        125
    };
    // SAFETY: _exit ends the child without touching the caller's state.
    unsafe { libc::_exit(code) }
}

enum Never {}

fn late_steps(a: &ChildArgs<'_>, late: &dyn Fn(Late) -> u32) -> Res<Never> {
    setup_fds(a, late)?;
    if a.plan.new_session {
        // SAFETY: plain call.
        check(late(Late::Session), unsafe { libc::setsid() })?;
    }
    if a.plan.no_new_privs {
        // SAFETY: plain prctl.
        check(late(Late::NoNewPrivs), unsafe {
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        })?;
    }
    if a.plan.die_with_parent {
        // Again: credential changes (SetIds) clear the death signal.
        // SAFETY: plain prctl.
        check(late(Late::DeathSignal), unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0)
        })?;
        if parent_gone(a) {
            return fail(late(Late::ParentGone), libc::ESRCH);
        }
    }
    if a.monitor {
        // This process stays as the monitor (with a PID namespace: its init) and forks the
        // command. It must see the command exit: SIGCHLD to its default disposition (the
        // caller may ignore it, and CLONE_CLEAR_SIGHAND keeps ignored signals ignored).
        // SAFETY: a zeroed sigaction is SIG_DFL with no flags.
        unsafe {
            let mut dfl: libc::sigaction = std::mem::zeroed();
            dfl.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(libc::SIGCHLD, &dfl, std::ptr::null_mut());
        }
        // SAFETY: a fork-like clone (no shared memory) of this single-threaded process.
        let pid = unsafe {
            libc::syscall(
                libc::SYS_clone,
                libc::SIGCHLD as libc::c_ulong,
                0usize,
                0usize,
                0usize,
                0usize,
            )
        };
        if pid < 0 {
            return fail(late(Late::ForkCommand), errno());
        }
        if pid > 0 {
            init_loop(a, pid as libc::pid_t);
        }
        // The command: the descriptors setup_fds arranged, SIGCHLD at its default.
        // The command dies with its monitor (so that killing the sandbox's first process
        // always ends the command, with or without a PID namespace).
        // SAFETY: plain prctl.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
    }
    reset_signals(a).or_else(|e| fail(late(Late::Signals), e))?;
    exec(a, late(Late::Exec))
}

fn parent_gone(a: &ChildArgs<'_>) -> bool {
    if a.parent_pid > 0 {
        // SAFETY: plain call.
        return unsafe { libc::getppid() } != a.parent_pid;
    }
    if a.parent_pidfd >= 0 {
        let mut p = libc::pollfd {
            fd: a.parent_pidfd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, no wait.
        let n = unsafe { libc::poll(&mut p, 1, 0) };
        return n > 0 && p.revents & libc::POLLIN != 0;
    }
    false
}

/// Moves stdio and passed descriptors into place and marks every other descriptor
/// close-on-exec.
fn setup_fds(a: &ChildArgs<'_>, late: &dyn Fn(Late) -> u32) -> Res<()> {
    let step = late(Late::Fds);
    let count = 3 + a.pass.len();
    // SAFETY: the parent allocated 3 + pass.len() scratch slots for this run.
    let scratch = unsafe { std::slice::from_raw_parts_mut(a.fd_scratch, count) };
    let floor = a.pass.iter().map(|&(_, dst)| dst).max().unwrap_or(2).max(2) + 1;
    // 1. Every source to a fresh descriptor above all targets, so no dup2 below clobbers a
    //    source that is still needed.
    for (i, src) in a
        .stdio
        .iter()
        .copied()
        .chain(a.pass.iter().map(|&(s, _)| s))
        .enumerate()
    {
        let Some(slot) = scratch.get_mut(i) else {
            break;
        };
        *slot = -1;
        if src >= 0 {
            // SAFETY: fcntl on a descriptor the caller passed.
            *slot = check(step, unsafe {
                libc::fcntl(src, libc::F_DUPFD_CLOEXEC, floor)
            })?;
        }
    }
    // 2. stdio: dup2 clears close-on-exec on the target.
    for fd in 0..3 {
        let tmp = scratch.get(fd).copied().unwrap_or(-1);
        if tmp >= 0 {
            // SAFETY: both descriptors are valid.
            check(step, unsafe { libc::dup2(tmp, fd as c_int) })?;
        }
    }
    // 3. Everything from 3 up becomes close-on-exec (the temporaries and the report pipe
    //    included).
    close_from_3(late(Late::CloseFds))?;
    // 4. Passed descriptors at their targets, inheritable.
    for (j, &(_, dst)) in a.pass.iter().enumerate() {
        let tmp = scratch.get(3 + j).copied().unwrap_or(-1);
        // SAFETY: both descriptors are valid; dup3 with no flags leaves dst inheritable.
        check(step, unsafe { libc::dup3(tmp, dst, 0) })?;
    }
    Ok(())
}

fn close_from_3(step: u32) -> Res<()> {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range with the CLOEXEC flag only marks descriptors.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC) };
    if rc == 0 {
        return Ok(());
    }
    // Older kernels: mark each open descriptor, found by trying them up to the limit.
    let mut lim = std::mem::MaybeUninit::<libc::rlimit>::uninit();
    // SAFETY: lim is an out pointer.
    let max = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, lim.as_mut_ptr()) } == 0 {
        // SAFETY: getrlimit succeeded.
        (unsafe { lim.assume_init() }.rlim_cur).min(1 << 20) as c_int
    } else {
        1024
    };
    for fd in 3..max {
        // SAFETY: F_SETFD on a descriptor that may or may not be open (EBADF is fine).
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    let _ = step;
    Ok(())
}

fn reset_signals(a: &ChildArgs<'_>) -> Result<(), i32> {
    if !a.handlers_cleared {
        for sig in 1..libc::SIGRTMAX() {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                continue;
            }
            let mut old = std::mem::MaybeUninit::<libc::sigaction>::uninit();
            // SAFETY: query only; old is an out pointer.
            if unsafe { libc::sigaction(sig, std::ptr::null(), old.as_mut_ptr()) } != 0 {
                continue;
            }
            // SAFETY: sigaction succeeded.
            let old = unsafe { old.assume_init() };
            if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN {
                // SAFETY: a zeroed sigaction is SIG_DFL with no flags.
                let mut dfl: libc::sigaction = unsafe { std::mem::zeroed() };
                dfl.sa_sigaction = libc::SIG_DFL;
                // SAFETY: valid sigaction struct.
                unsafe { libc::sigaction(sig, &dfl, std::ptr::null_mut()) };
            }
        }
    }
    if a.plan.restore_signals {
        for sig in [libc::SIGPIPE, libc::SIGXFSZ] {
            // SAFETY: setting a disposition in the single-threaded child before exec.
            if unsafe { libc::signal(sig, libc::SIG_DFL) } == libc::SIG_ERR {
                return Err(errno());
            }
        }
    }
    // SAFETY: restoring the mask the parent had before the clone.
    let rc = unsafe { libc::sigprocmask(libc::SIG_SETMASK, &a.old_mask, std::ptr::null_mut()) };
    if rc != 0 { Err(errno()) } else { Ok(()) }
}

fn exec(a: &ChildArgs<'_>, step: u32) -> Res<Never> {
    let mut saw_eacces = false;
    let mut last = libc::ENOENT;
    for c in a.candidates {
        // SAFETY: NUL-terminated path and NULL-terminated pointer arrays built by the parent.
        unsafe { libc::execve(c.as_ptr(), a.argv, a.envp) };
        last = errno();
        match last {
            libc::EACCES => saw_eacces = true,
            libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => {}
            _ => break,
        }
    }
    if saw_eacces && matches!(last, libc::ENOENT | libc::ENOTDIR) {
        last = libc::EACCES;
    }
    fail(step, last)
}

/// The monitor — pid 1 of the sandbox's PID namespace, when it has one: reaps every child
/// (orphans included, as init), forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and
/// SIGUSR2 to the command, and exits when the command does, reporting its raw wait status
/// to the parent first. Never returns.
fn init_loop(a: &ChildArgs<'_>, command: libc::pid_t) -> ! {
    // Only the command reports failures; init's copy of the report pipe must not keep it
    // open (the parent waits for EOF, which means "exec'd").
    // Nor may init hold any other descriptor of the caller's (a pipe the caller waits on
    // would never see EOF): keep 0, 1, 2 and the status pipe.
    // SAFETY: closing descriptor ranges of this process only.
    unsafe {
        if a.status_fd > 3 {
            libc::syscall(libc::SYS_close_range, 3u32, (a.status_fd - 1) as u32, 0u32);
        }
        libc::syscall(
            libc::SYS_close_range,
            (a.status_fd.max(2) + 1) as u32,
            u32::MAX,
            0u32,
        );
    }
    // SAFETY: sigset manipulation on a local set.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    const FORWARD: [c_int; 6] = [
        libc::SIGTERM,
        libc::SIGINT,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGUSR2,
    ];
    // SAFETY: local set; the signals stay blocked (the parent blocked everything before the
    // clone) and are taken with sigwaitinfo.
    unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGCHLD);
        for s in FORWARD {
            libc::sigaddset(&mut set, s);
        }
    }
    loop {
        // Reap whatever exited.
        loop {
            let mut status = 0;
            // SAFETY: waitpid on any child, not blocking.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid <= 0 {
                break;
            }
            if pid == command {
                if a.status_fd >= 0 {
                    let _ = write_all(a.status_fd, &status.to_ne_bytes());
                }
                let code = if libc::WIFEXITED(status) {
                    libc::WEXITSTATUS(status)
                } else {
                    128 + libc::WTERMSIG(status)
                };
                // SAFETY: leaving; the kernel kills what is left in the namespace.
                unsafe { libc::_exit(code) }
            }
        }
        // SAFETY: set is initialized; no siginfo wanted.
        let sig = unsafe { libc::sigwaitinfo(&set, std::ptr::null_mut()) };
        if sig > 0 && sig != libc::SIGCHLD {
            // SAFETY: forwarding to our own child.
            unsafe { libc::kill(command, sig) };
        }
    }
}
