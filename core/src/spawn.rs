//! The parent's side of a spawn: everything prepared before the clone (pointer arrays,
//! descriptor slots, pipes, a stack), the clone itself, the parent's part of the setup
//! (id maps, unpacking a root archive), and turning a child's `{step, errno}` record into an
//! [`Error`].
//!
//! Two clone paths ([`crate::CloneMode`]):
//! - **vfork**: `clone(CLONE_VM | CLONE_VFORK)` on a separate stack. The child shares the
//!   caller's memory and the calling thread sleeps until the child execs or exits, so no
//!   page tables are copied (a 1 GiB caller spawns as fast as a small one) and no pipe is
//!   needed: a failure is written into a record on the caller's stack.
//! - **fork**: `clone3` (falling back to `clone`), a copy-on-write child with a report pipe,
//!   used when the parent must act while the child waits (id maps only a privileged parent
//!   may write, a root archive to unpack) or when the child becomes a long-lived init (PID
//!   namespace).
//!
//! Both create the child with a pidfd and without an exit signal (see [`crate::Child`]).

use std::cell::RefCell;
use std::ffi::{CString, OsStr, c_char, c_int, c_void};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::child::Child;
use crate::error::{Errno, Error, Result, hints};
use crate::exec::{ChildArgs, Failure, READY, SharedRecord, child_main, record_from_bytes};
use crate::ns::Namespaces;
use crate::plan::{Mode, Plan};
use crate::spec::Stdio;
use crate::sys::clone::{CLONE_CLEAR_SIGHAND, CloneArgs, clone3_on_stack};

/// Set once a vfork-mode child turned out not to share memory with us (valgrind, say).
static VFORK_NOT_SHARED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Stack size of the vfork-mode child (it runs only the no-allocation setup code).
const STACK_SIZE: usize = 256 * 1024;

impl Plan {
    /// Runs the plan's command (see [`crate::Spec::command`]) in a new sandbox.
    ///
    /// # Errors
    /// `EINVAL` when the spec has no command; every setup failure as `{step, path, errno,
    /// hint}` (the child is reaped before this returns); clone failures with the limit or
    /// privilege that explains them.
    pub fn spawn(&self) -> Result<Child> {
        spawn(self, &self.argv, self.stdio, &self.pass_fds)
    }

    /// Runs `argv` instead of the spec's command, with the spec's stdio and passed fds.
    ///
    /// # Errors
    /// As [`Plan::spawn`]; `EINVAL` for an empty `argv` or a NUL byte in it.
    pub fn spawn_argv<I, S>(&self, argv: I) -> Result<Child>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let argv = argv_of(argv)?;
        spawn(self, &argv, self.stdio, &self.pass_fds)
    }

    /// Runs `argv` with the given stdio and passed descriptors (`(source, target)` pairs).
    ///
    /// # Errors
    /// As [`Plan::spawn_argv`]; `EBADF` for a descriptor that is not open.
    pub fn spawn_with<I, S>(
        &self,
        argv: I,
        stdio: [Stdio; 3],
        pass_fds: &[(RawFd, RawFd)],
    ) -> Result<Child>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let argv = argv_of(argv)?;
        check_pass_fds(pass_fds)?;
        spawn(self, &argv, stdio, pass_fds)
    }

    /// The command the plan runs by default, as given to [`crate::Spec::command`].
    pub fn argv(&self) -> Vec<&OsStr> {
        self.argv
            .iter()
            .map(|a| OsStr::from_bytes(a.as_bytes()))
            .collect()
    }

    /// Runs the plan's setup in the calling process instead of a child — `unshare -m` and
    /// the mounts, then the pivot — without running a command. For single-threaded scripts
    /// that want to continue inside the sandbox.
    ///
    /// # Errors
    /// `EINVAL` in a multithreaded process (the kernel would refuse the user namespace or
    /// move only this thread), and for plans that need a parent (id maps written by a
    /// privileged parent, a root archive); every setup failure as with [`Plan::spawn`]. A
    /// failure midway leaves the process in the partly set up namespaces.
    pub fn enter(&self) -> Result<()> {
        if self.parent_maps.is_some() || self.tar.is_some() {
            return Err(Error::invalid(
                "enter sandbox",
                "this plan needs a parent while it runs (explicit id maps or a root archive); \
                 spawn it instead",
            ));
        }
        let threads = crate::process::thread_count()?;
        if threads > 1 {
            return Err(
                Error::new("enter sandbox", Errno::EINVAL).with_hint(format!(
                    "the calling process has {threads} threads; entering new user and mount \
                 namespaces needs a single-threaded process (spawn the sandbox instead)"
                )),
            );
        }
        crate::unshare(self.namespaces)?;
        let mut slots = vec![-1; self.slots];
        // SAFETY: an all-zero sigset is a valid (empty) set; unused in process.
        let old_mask: libc::sigset_t = unsafe { std::mem::zeroed() };
        let args = ChildArgs {
            plan: self,
            slots: slots.as_mut_ptr(),
            fd_scratch: std::ptr::null_mut(),
            stdio: [-1; 3],
            pass: &[],
            argv: std::ptr::null(),
            envp: std::ptr::null(),
            candidates: &[],
            report_fd: -1,
            sync_fd: -1,
            status_fd: -1,
            shared: std::ptr::null(),
            parent_pid: 0,
            parent_pidfd: -1,
            old_mask,
            handlers_cleared: true,
            in_process: true,
            monitor: false,
        };
        crate::exec::run_steps(&args)
            .map_err(|f| self.failure(f.step, Errno::from_raw(f.errno), OsStr::new("")))
    }
}

fn argv_of<I, S>(argv: I) -> Result<Vec<CString>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    argv.into_iter()
        .map(|a| {
            CString::new(a.as_ref().as_bytes()).map_err(|_| {
                Error::invalid(
                    "command",
                    format!("argument {:?} contains a NUL byte", a.as_ref()),
                )
            })
        })
        .collect()
}

fn check_pass_fds(pass: &[(RawFd, RawFd)]) -> Result<()> {
    let mut seen = Vec::new();
    for &(src, dst) in pass {
        if dst < 3 || src < 0 || seen.contains(&dst) {
            return Err(Error::invalid(
                "pass fd",
                format!("({src}, {dst}): targets must be distinct descriptors from 3 up"),
            ));
        }
        seen.push(dst);
    }
    Ok(())
}

fn fd_is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only queries.
    unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
}

/// The candidates `execve` tries: `argv[0]` itself when it has a slash, else each PATH
/// directory joined with it.
fn candidates(plan: &Plan, argv0: &CString) -> Vec<CString> {
    let name = argv0.as_bytes();
    if name.contains(&b'/') {
        return vec![argv0.clone()];
    }
    plan.path_dirs
        .iter()
        .filter_map(|dir| {
            let mut p = dir.clone();
            if !p.ends_with(b"/") {
                p.push(b'/');
            }
            p.extend_from_slice(name);
            CString::new(p).ok()
        })
        .collect()
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds is an array of two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        let errno = Errno::last();
        let e = Error::new("create pipe", errno);
        return Err(if errno == Errno::EMFILE || errno == Errno::ENFILE {
            e.with_hint("too many open files (RLIMIT_NOFILE, fs.file-max)")
        } else {
            e
        });
    }
    // SAFETY: pipe2 returned two new descriptors we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Blocks every signal on this thread until dropped, so the child starts with none
/// deliverable (it must not run the caller's handlers).
struct SignalsBlocked {
    old: libc::sigset_t,
}

impl SignalsBlocked {
    fn new() -> SignalsBlocked {
        // SAFETY: local sets; pthread_sigmask changes only this thread's mask.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
            SignalsBlocked { old }
        }
    }
}

impl Drop for SignalsBlocked {
    fn drop(&mut self) {
        // SAFETY: restoring this thread's previous mask.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut()) };
    }
}

/// A stack for the vfork-mode child, kept per thread (the thread sleeps while the child
/// uses it, so one stack per thread is enough).
struct Stack {
    base: *mut c_void,
    len: usize,
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: unmapping the mapping this struct owns.
        unsafe { libc::munmap(self.base, self.len) };
    }
}

thread_local! {
    static STACK: RefCell<Option<Stack>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's child stack: its lowest usable address and its size (above
/// a guard page).
fn with_stack<T>(f: impl FnOnce(*mut c_void, usize) -> T) -> Result<T> {
    STACK.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let page = 4096;
            let len = STACK_SIZE + page;
            // SAFETY: an anonymous private mapping; the first page becomes the guard.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK | libc::MAP_NORESERVE,
                    -1,
                    0,
                )
            };
            if base == libc::MAP_FAILED {
                return Err(Error::last_os("map the child's stack"));
            }
            // SAFETY: protecting the lowest page of our own mapping as a guard.
            unsafe { libc::mprotect(base, page, libc::PROT_NONE) };
            *slot = Some(Stack { base, len });
        }
        let stack = slot.as_ref().expect("set above");
        let page = 4096;
        // SAFETY: base + page is inside our mapping (above the guard page).
        let low = unsafe { stack.base.cast::<u8>().add(page) }.cast::<c_void>();
        Ok(f(low, stack.len - page))
    })
}

extern "C" fn vfork_entry(arg: *mut c_void) -> c_int {
    // SAFETY: the parent passes a ChildArgs that lives on its (suspended) stack.
    let args = unsafe { &*(arg as *const ChildArgs<'_>) };
    child_main(args)
}

/// Everything prepared before the clone, kept alive until the child has exec'd or exited.
struct Prepared {
    argv_ptrs: Vec<*const c_char>,
    envp_ptrs: Vec<*const c_char>,
    candidates: Vec<CString>,
    stdio: [RawFd; 3],
    _null: Option<OwnedFd>,
    slots: Vec<RawFd>,
    fd_scratch: Vec<RawFd>,
    parent_pidfd: Option<OwnedFd>,
}

fn prepare(
    plan: &Plan,
    argv: &[CString],
    stdio: [Stdio; 3],
    pass: &[(RawFd, RawFd)],
) -> Result<Prepared> {
    let Some(argv0) = argv.first() else {
        return Err(Error::invalid(
            "spawn sandbox",
            "no command given (Spec::command, or spawn_argv)",
        ));
    };
    let mut argv_ptrs: Vec<*const c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let mut envp_ptrs: Vec<*const c_char> = plan.env.iter().map(|a| a.as_ptr()).collect();
    envp_ptrs.push(std::ptr::null());
    let candidates = candidates(plan, argv0);

    let mut null = None;
    let mut fds = [-1; 3];
    for (i, s) in stdio.iter().enumerate() {
        fds[i] = match *s {
            Stdio::Inherit => -1,
            Stdio::Fd(fd) => {
                if !fd_is_open(fd) {
                    return Err(Error::new("set up stdio", Errno::EBADF)
                        .with_hint(format!("descriptor {fd} given for fd {i} is not open")));
                }
                fd
            }
            Stdio::Null => {
                if null.is_none() {
                    // SAFETY: constant path.
                    let fd = unsafe {
                        libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC)
                    };
                    if fd < 0 {
                        return Err(Error::last_os("open").with_path("/dev/null"));
                    }
                    // SAFETY: a new descriptor we own.
                    null = Some(unsafe { OwnedFd::from_raw_fd(fd) });
                }
                null.as_ref().map_or(-1, |f| f.as_raw_fd())
            }
        };
    }
    for &(src, _) in pass {
        if !fd_is_open(src) {
            return Err(Error::new("pass fd", Errno::EBADF)
                .with_hint(format!("descriptor {src} is not open")));
        }
    }
    let parent_pidfd = if plan.die_with_parent && plan.namespaces.contains(Namespaces::PID) {
        crate::sys::nsfs::pidfd_open(crate::Pid::this()).ok()
    } else {
        None
    };
    Ok(Prepared {
        argv_ptrs,
        envp_ptrs,
        candidates,
        stdio: fds,
        _null: null,
        slots: vec![-1; plan.slots],
        fd_scratch: vec![-1; 3 + pass.len()],
        parent_pidfd,
    })
}

fn args<'a>(
    plan: &'a Plan,
    p: &'a mut Prepared,
    pass: &'a [(RawFd, RawFd)],
    old_mask: libc::sigset_t,
) -> ChildArgs<'a> {
    ChildArgs {
        plan,
        slots: p.slots.as_mut_ptr(),
        fd_scratch: p.fd_scratch.as_mut_ptr(),
        stdio: p.stdio,
        pass,
        argv: p.argv_ptrs.as_ptr(),
        envp: p.envp_ptrs.as_ptr(),
        candidates: &p.candidates,
        report_fd: -1,
        sync_fd: -1,
        status_fd: -1,
        shared: std::ptr::null(),
        // SAFETY: getpid has no preconditions.
        parent_pid: if plan.namespaces.contains(Namespaces::PID) {
            0
        } else {
            unsafe { libc::getpid() }
        },
        parent_pidfd: p.parent_pidfd.as_ref().map_or(-1, |f| f.as_raw_fd()),
        old_mask,
        handlers_cleared: false,
        in_process: false,
        monitor: false,
    }
}

/// Whether the caller ignores SIGCHLD (`SIG_IGN` or `SA_NOCLDWAIT`): the kernel then reaps
/// exec'd children itself and their status is lost, so the sandbox needs a monitor.
fn sigchld_ignored() -> bool {
    let mut old = std::mem::MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: a query; old is an out pointer.
    if unsafe { libc::sigaction(libc::SIGCHLD, std::ptr::null(), old.as_mut_ptr()) } != 0 {
        return false;
    }
    // SAFETY: sigaction succeeded.
    let old = unsafe { old.assume_init() };
    old.sa_sigaction == libc::SIG_IGN || old.sa_flags & libc::SA_NOCLDWAIT != 0
}

fn clone_error(plan: &Plan, errno: Errno) -> Error {
    let e = Error::new(format!("clone {}", plan.namespaces), errno);
    e.or_hint(|| {
        if errno == Errno::EMFILE || errno == Errno::ENFILE {
            return Some(
                "too many open files for the sandbox's pidfd (RLIMIT_NOFILE, fs.file-max)"
                    .to_owned(),
            );
        }
        if errno == Errno::EAGAIN {
            return Some(
                "the process limit was reached (RLIMIT_NPROC, kernel.pid_max, pids cgroup)"
                    .to_owned(),
            );
        }
        if errno == Errno::ENOMEM && plan.namespaces.contains(Namespaces::PID) {
            return Some("out of memory, or the PID namespace's init has exited".to_owned());
        }
        hints::namespaces_refused(errno, plan.namespaces)
    })
}

fn spawn(
    plan: &Plan,
    argv: &[CString],
    stdio: [Stdio; 3],
    pass: &[(RawFd, RawFd)],
) -> Result<Child> {
    let mut prepared = prepare(plan, argv, stdio, pass)?;
    let argv0 = OsStr::from_bytes(argv.first().map_or(&b""[..], |a| a.as_bytes())).to_owned();
    let monitor = plan.namespaces.contains(Namespaces::PID) || sigchld_ignored();
    let vfork_works = !VFORK_NOT_SHARED.load(Ordering::Relaxed);
    match plan.mode {
        Mode::Vfork if !monitor && vfork_works => spawn_vfork(plan, &mut prepared, pass, &argv0),
        _ => spawn_fork(plan, &mut prepared, pass, &argv0, monitor),
    }
}

fn spawn_vfork(
    plan: &Plan,
    p: &mut Prepared,
    pass: &[(RawFd, RawFd)],
    argv0: &OsStr,
) -> Result<Child> {
    let shared = SharedRecord::default();
    let blocked = SignalsBlocked::new();
    let mut a = args(plan, p, pass, blocked.old);
    a.shared = &shared;
    let mut pidfd: c_int = -1;
    let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_PIDFD | plan.namespaces.bits();
    let result = with_stack(|low, size| {
        // 1. clone3 with CLONE_CLEAR_SIGHAND: the kernel resets the signal handlers.
        let mut cl = CloneArgs {
            flags: flags as u32 as u64 | CLONE_CLEAR_SIGHAND,
            pidfd: &mut pidfd as *mut c_int as u64,
            stack: low as u64,
            stack_size: size as u64,
            ..CloneArgs::default()
        };
        a.handlers_cleared = true;
        // SAFETY: `a` and `shared` outlive the child's use of them: with CLONE_VFORK this
        // thread sleeps until the child execs or exits. The child runs only exec.rs code on
        // its own stack. The exit signal is 0 (see crate::child).
        let r = unsafe {
            clone3_on_stack(
                &mut cl,
                vfork_entry,
                &a as *const ChildArgs<'_> as *mut c_void,
            )
        };
        match r {
            Err(e) if e == Errno::ENOSYS || e == Errno::EINVAL => {}
            other => return other,
        }
        // 2. glibc's clone(2) wrapper (older kernels, other architectures): the child
        //    resets the handlers itself.
        a.handlers_cleared = false;
        // SAFETY: as above; the top of the stack is where clone(2) starts the child.
        let top = unsafe { low.cast::<u8>().add(size) }.cast::<c_void>();
        // SAFETY: as above.
        let pid = unsafe {
            libc::clone(
                vfork_entry,
                top,
                flags,
                &a as *const ChildArgs<'_> as *mut c_void,
                &mut pidfd as *mut c_int,
            )
        };
        if pid < 0 { Err(Errno::last()) } else { Ok(pid) }
    })?;
    drop(blocked);
    let pid = result.map_err(|errno| clone_error(plan, errno))?;
    // SAFETY: CLONE_PIDFD stored a new descriptor we own.
    let pidfd = (pidfd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(pidfd) });
    let child = Child::new(pid, pidfd, None);
    if shared.started.load(Ordering::Acquire) == 0 {
        // The child did not share our memory (an emulator ran the vfork as a fork): its
        // failure record, if any, is lost, and its exit status (125, 126, 127) is all that
        // tells. Later spawns take the fork path, which reports through a pipe.
        VFORK_NOT_SHARED.store(true, Ordering::Relaxed);
        return Ok(child);
    }
    if shared.failed.load(Ordering::Acquire) != 0 {
        let f = Failure {
            step: shared.step.load(Ordering::Relaxed),
            errno: shared.errno.load(Ordering::Relaxed),
        };
        return Err(fail_and_reap(plan, child, f, argv0));
    }
    Ok(child)
}

/// Reaps a child whose setup failed and builds the error from its record.
fn fail_and_reap(plan: &Plan, mut child: Child, f: Failure, argv0: &OsStr) -> Error {
    let _ = child.wait();
    plan.failure(f.step, Errno::from_raw(f.errno), argv0)
}

fn spawn_fork(
    plan: &Plan,
    p: &mut Prepared,
    pass: &[(RawFd, RawFd)],
    argv0: &OsStr,
    monitor: bool,
) -> Result<Child> {
    let (report_r, report_w) = pipe()?;
    let sync = if plan.parent_maps.is_some() || plan.tar.is_some() || plan.paused {
        Some(pipe()?)
    } else {
        None
    };
    let status = if monitor { Some(pipe()?) } else { None };
    let blocked = SignalsBlocked::new();
    let mut a = args(plan, p, pass, blocked.old);
    a.report_fd = report_w.as_raw_fd();
    a.sync_fd = sync.as_ref().map_or(-1, |(r, _)| r.as_raw_fd());
    a.status_fd = status.as_ref().map_or(-1, |(_, w)| w.as_raw_fd());
    a.monitor = monitor;

    let mut pidfd: c_int = -1;
    let ns = plan.namespaces.bits() as u32 as u64;
    let mut cl = CloneArgs {
        flags: libc::CLONE_PIDFD as u64 | CLONE_CLEAR_SIGHAND | ns,
        pidfd: &mut pidfd as *mut c_int as u64,
        ..CloneArgs::default()
    };
    a.handlers_cleared = true;
    // SAFETY: a fork-like clone3 (no CLONE_VM): the child gets a copy of this address space
    // and continues here on a copy of this stack; it only runs exec.rs code, which neither
    // allocates nor takes locks, then execs or exits.
    let mut pid = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &mut cl as *mut CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if pid == 0 {
        child_main(&a);
    }
    if pid < 0 && Errno::last() == Errno::EINVAL {
        // Before Linux 5.5 clone3 has no CLONE_CLEAR_SIGHAND: the child resets handlers.
        cl.flags &= !CLONE_CLEAR_SIGHAND;
        a.handlers_cleared = false;
        // SAFETY: as above.
        pid = unsafe {
            libc::syscall(
                libc::SYS_clone3,
                &mut cl as *mut CloneArgs,
                std::mem::size_of::<CloneArgs>(),
            )
        };
        if pid == 0 {
            child_main(&a);
        }
    }
    if pid < 0 && Errno::last() == Errno::ENOSYS {
        // No clone3 (before 5.3, or filtered): clone(2), with the pidfd where it exists.
        a.handlers_cleared = false;
        let flags = (libc::CLONE_PIDFD as u64 | ns) as libc::c_ulong;
        // SAFETY: as above; x86_64/aarch64 argument order flags, stack, parent_tid,
        // child_tid, tls (the pidfd is stored through parent_tid with CLONE_PIDFD).
        pid = unsafe {
            libc::syscall(
                libc::SYS_clone,
                flags,
                0usize,
                &mut pidfd as *mut c_int,
                0usize,
                0usize,
            )
        };
        if pid == 0 {
            child_main(&a);
        }
    }
    let errno = Errno::last();
    drop(blocked);
    if pid < 0 {
        return Err(clone_error(plan, errno));
    }
    let pid = pid as libc::pid_t;
    drop(report_w);
    let sync_w = sync.map(|(r, w)| {
        drop(r);
        w
    });
    let status_r = status.map(|(r, w)| {
        drop(w);
        r
    });
    // SAFETY: CLONE_PIDFD stored a new descriptor we own.
    let pidfd = (pidfd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(pidfd) });
    let mut child = Child::new(pid, pidfd, status_r);

    // The parent's part: maps, archive. On any failure the child is killed and reaped.
    if let Err(e) = parent_part(plan, pid, &report_r, sync_w.as_ref()) {
        let _ = child.kill(libc::SIGKILL);
        let _ = child.wait();
        return Err(e);
    }
    if plan.paused {
        // Set up and stopped before the command: hand the gate to the caller.
        if let Err(e) = expect_ready(plan, &report_r, "start the sandbox paused") {
            let _ = child.kill(libc::SIGKILL);
            let _ = child.wait();
            return Err(e);
        }
        let go = sync_w.expect("a paused plan has a go-ahead pipe");
        child.pause(crate::child::Gate::new(
            go,
            report_r,
            plan.clone(),
            argv0.to_owned(),
        ));
        return Ok(child);
    }
    drop(sync_w);
    match read_record(&report_r) {
        Ok(None) => Ok(child),
        Ok(Some(f)) => Err(fail_and_reap(plan, child, f, argv0)),
        Err(e) => {
            let _ = child.kill(libc::SIGKILL);
            let _ = child.wait();
            Err(e)
        }
    }
}

fn parent_part(
    plan: &Plan,
    pid: libc::pid_t,
    report: &OwnedFd,
    sync: Option<&OwnedFd>,
) -> Result<()> {
    if let Some(maps) = &plan.parent_maps {
        crate::idmap::write_id_maps(
            Some(crate::Pid::from_raw(pid)?),
            &maps.uid,
            &maps.gid,
            maps.setgroups,
        )?;
        go(sync)?;
    }
    if let Some(archive) = &plan.tar {
        expect_ready(plan, report, "prepare the root for unpacking")?;
        let staging = plan.staging.as_deref().unwrap_or(Path::new("/tmp"));
        let root_path = PathBuf::from(format!("/proc/{pid}/root"))
            .join(staging.strip_prefix("/").unwrap_or(staging));
        crate::rootfs::unpack_into(archive, &root_path)?;
        go(sync)?;
    }
    Ok(())
}

/// Waits for the child's "ready" record; its failure record, or its end, is an error.
fn expect_ready(plan: &Plan, report: &OwnedFd, step: &'static str) -> Result<()> {
    match read_record(report)? {
        Some(Failure { step: READY, .. }) => Ok(()),
        Some(f) => Err(plan.failure(f.step, Errno::from_raw(f.errno), OsStr::new(""))),
        None => {
            Err(Error::new(step, Errno::ECHILD).with_hint("the sandbox exited before it was ready"))
        }
    }
}

pub(crate) fn go(sync: Option<&OwnedFd>) -> Result<()> {
    let Some(fd) = sync else { return Ok(()) };
    // SAFETY: writing one byte from a constant buffer.
    let n = unsafe { libc::write(fd.as_raw_fd(), b"g".as_ptr().cast(), 1) };
    if n != 1 {
        return Err(Error::last_os("signal the sandbox to continue"));
    }
    Ok(())
}

/// Reads one failure record from the report pipe: `None` at EOF (the child exec'd, closing
/// its copy).
pub(crate) fn read_record(fd: &OwnedFd) -> Result<Option<Failure>> {
    let mut buf = [0u8; 8];
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: reading into the rest of a local buffer.
        let n = unsafe {
            libc::read(
                fd.as_raw_fd(),
                buf[got..].as_mut_ptr().cast(),
                buf.len() - got,
            )
        };
        if n < 0 {
            if Errno::last() == Errno::EINTR {
                continue;
            }
            return Err(Error::last_os("read the sandbox's report"));
        }
        if n == 0 {
            return if got == 0 {
                Ok(None)
            } else {
                Err(Error::new("read the sandbox's report", Errno::EIO)
                    .with_hint("a truncated record"))
            };
        }
        got += n as usize;
    }
    Ok(Some(record_from_bytes(buf)))
}
