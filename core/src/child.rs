//! A spawned sandbox: its pid and pidfd, waiting (blocking, polling, with a timeout),
//! signals, and its namespace ids.
//!
//! The sandbox's first process is created with *no exit signal* (`exit_signal = 0`): the
//! caller gets no `SIGCHLD` for it, a caller that ignores `SIGCHLD` still gets its status
//! (the kernel auto-reaps only children that signal `SIGCHLD`), and a host that reaps every
//! child with `waitpid(-1, …)` cannot steal it. [`Child::wait`] collects it through its
//! pidfd.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::error::{Errno, Error, Result};
use crate::ns::{NsId, NsKind};
use crate::process::Pid;

/// `__WALL`: wait for children whatever their exit signal.
const WALL: libc::c_int = 0x4000_0000;
/// `P_PIDFD` for `waitid(2)` (Linux 5.4).
const P_PIDFD: libc::idtype_t = 3;

/// How a sandboxed command ended: the raw wait status.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExitStatus(i32);

impl ExitStatus {
    /// From a raw `wait(2)` status.
    pub const fn from_raw(raw: i32) -> ExitStatus {
        ExitStatus(raw)
    }

    /// The raw `wait(2)` status.
    pub const fn into_raw(self) -> i32 {
        self.0
    }

    /// The exit code, when the command exited.
    pub fn code(self) -> Option<i32> {
        libc::WIFEXITED(self.0).then(|| libc::WEXITSTATUS(self.0))
    }

    /// The signal that killed the command, when one did.
    pub fn signal(self) -> Option<i32> {
        libc::WIFSIGNALED(self.0).then(|| libc::WTERMSIG(self.0))
    }

    /// Whether the command exited with code 0.
    pub fn success(self) -> bool {
        self.code() == Some(0)
    }

    /// The status as a shell reports it: the exit code, or 128 + the signal number.
    pub fn shell_code(self) -> i32 {
        match (self.code(), self.signal()) {
            (Some(c), _) => c,
            (None, Some(s)) => 128 + s,
            _ => 128,
        }
    }
}

impl fmt::Debug for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExitStatus({self})")
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code(), self.signal()) {
            (Some(c), _) => write!(f, "exit status {c}"),
            (None, Some(s)) => write!(f, "killed by signal {s}"),
            _ => write!(f, "wait status {:#x}", self.0),
        }
    }
}

/// A running (or finished) sandbox.
///
/// Dropping a `Child` that was not waited for kills it (`SIGKILL`) and reaps it, so no
/// sandbox outlives its handle by accident; call [`Child::wait`] to let it finish. In a
/// process forked after the spawn (e.g. `os.fork()` in Python), the copy of the handle does
/// nothing on drop: only the spawning process reaps.
#[derive(Debug)]
pub struct Child {
    pid: Pid,
    pidfd: Option<OwnedFd>,
    /// With a PID namespace: the pipe on which the sandbox's init reports the command's
    /// own wait status before exiting.
    status_pipe: Option<OwnedFd>,
    status: Option<ExitStatus>,
    owner: u32,
    /// A sandbox started paused ([`crate::Spec::start_paused`]) until [`Child::resume`].
    gate: Option<Gate>,
}

/// What a paused sandbox needs to go on: the go-ahead pipe, the report pipe that says
/// whether the command started, and the plan to explain a failure with.
#[derive(Debug)]
pub(crate) struct Gate {
    go: OwnedFd,
    report: OwnedFd,
    plan: crate::Plan,
    argv0: std::ffi::OsString,
}

impl Gate {
    pub(crate) fn new(
        go: OwnedFd,
        report: OwnedFd,
        plan: crate::Plan,
        argv0: std::ffi::OsString,
    ) -> Gate {
        Gate {
            go,
            report,
            plan,
            argv0,
        }
    }
}

impl Child {
    pub(crate) fn new(
        pid: libc::pid_t,
        pidfd: Option<OwnedFd>,
        status_pipe: Option<OwnedFd>,
    ) -> Child {
        Child {
            pid: Pid::from_raw(pid).expect("clone returned a positive pid"),
            pidfd,
            status_pipe,
            status: None,
            owner: std::process::id(),
            gate: None,
        }
    }

    pub(crate) fn pause(&mut self, gate: Gate) {
        self.gate = Some(gate);
    }

    /// Whether the sandbox was started paused and has not been resumed yet.
    pub fn is_paused(&self) -> bool {
        self.gate.is_some()
    }

    /// Runs the command of a sandbox started paused ([`crate::Spec::start_paused`]), and
    /// returns once it has started (or failed to). Does nothing for a sandbox that is not
    /// paused.
    ///
    /// # Errors
    /// The command could not be started (`exec` with `ENOENT`, `EACCES`…, as
    /// [`crate::Plan::spawn`] reports it); the sandbox is reaped first.
    pub fn resume(&mut self) -> Result<()> {
        let Some(gate) = self.gate.take() else {
            return Ok(());
        };
        crate::spawn::go(Some(&gate.go))?;
        drop(gate.go);
        match crate::spawn::read_record(&gate.report)? {
            None => Ok(()),
            Some(f) => {
                let _ = self.wait();
                Err(gate
                    .plan
                    .failure(f.step, Errno::from_raw(f.errno), &gate.argv0))
            }
        }
    }

    /// The sandbox's pid, as the caller sees it. With a PID namespace this is the
    /// sandbox's init (pid 1 inside), whose exit status is the command's.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The pidfd of the sandbox's first process (absent on kernels before 5.3).
    pub fn pidfd(&self) -> Option<BorrowedFd<'_>> {
        self.pidfd.as_ref().map(|f| f.as_fd())
    }

    /// The status, once [`Child::wait`] or [`Child::try_wait`] has collected it.
    pub fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// The id of the sandbox's `kind` namespace (through the pidfd, so it cannot name a
    /// recycled pid).
    ///
    /// # Errors
    /// `ESRCH` "process N has exited" once the sandbox is gone.
    pub fn ns_id(&self, kind: NsKind) -> Result<NsId> {
        if self.status.is_some() {
            return Err(self.exited("get namespace of sandbox"));
        }
        match &self.pidfd {
            Some(fd) => NsId::of_pidfd(fd.as_fd(), kind),
            None => NsId::of_pid(self.pid, kind),
        }
    }

    /// Waits for the sandbox to end and returns the command's status (with a PID namespace,
    /// the command's own status as init reported it).
    ///
    /// # Errors
    /// Unexpected `waitid(2)` failures.
    pub fn wait(&mut self) -> Result<ExitStatus> {
        if let Some(s) = self.status {
            return Ok(s);
        }
        loop {
            match self.wait_raw(0) {
                Ok(Some(s)) => return Ok(s),
                Ok(None) => continue,
                Err(e) if e.errno() == Errno::EINTR => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Returns the status if the sandbox has ended, without blocking.
    ///
    /// # Errors
    /// As [`Child::wait`].
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        if let Some(s) = self.status {
            return Ok(Some(s));
        }
        self.wait_raw(libc::WNOHANG)
    }

    /// Waits at most `timeout` for the sandbox to end; `Ok(None)` when it is still running.
    ///
    /// # Errors
    /// As [`Child::wait`].
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<Option<ExitStatus>> {
        if let Some(s) = self.status {
            return Ok(Some(s));
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.try_wait()? {
                return Ok(Some(s));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            match &self.pidfd {
                Some(fd) => {
                    let mut p = libc::pollfd {
                        fd: fd.as_raw_fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
                    // SAFETY: one valid pollfd.
                    let rc = unsafe { libc::poll(&mut p, 1, ms) };
                    if rc < 0 && Errno::last() != Errno::EINTR {
                        return Err(Error::last_os("poll sandbox pidfd"));
                    }
                }
                None => std::thread::sleep(left.min(Duration::from_millis(5))),
            }
        }
    }

    /// Sends `signal` to the sandbox's first process (with a PID namespace, its init, which
    /// forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to the command).
    ///
    /// # Errors
    /// `ESRCH` "process N has exited" once it has ended; `EINVAL` for a bad signal.
    pub fn kill(&mut self, signal: i32) -> Result<()> {
        if self.status.is_some() {
            return Err(self.exited("signal sandbox"));
        }
        let mut rc = match &self.pidfd {
            // SAFETY: pidfd_send_signal with an open pidfd, no siginfo.
            Some(fd) => unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    fd.as_raw_fd(),
                    signal,
                    0usize,
                    0u32,
                ) as libc::c_int
            },
            None => -1,
        };
        // Without a pidfd, or where pidfd_send_signal is missing or filtered (ENOSYS from a
        // seccomp profile, valgrind): kill(2). The child is not reaped yet, so the pid is
        // still ours and cannot name another process.
        if self.pidfd.is_none() || (rc < 0 && Errno::last() == Errno::ENOSYS) {
            // SAFETY: plain kill of our unreaped child.
            rc = unsafe { libc::kill(self.pid.as_raw(), signal) };
        }
        if rc < 0 {
            let errno = Errno::last();
            if errno == Errno::ESRCH {
                return Err(self.exited("signal sandbox"));
            }
            return Err(Error::new(
                format!("send signal {signal} to sandbox"),
                errno,
            ));
        }
        Ok(())
    }

    fn exited(&self, step: &'static str) -> Error {
        Error::new(step, Errno::ESRCH).with_hint(format!("process {} has exited", self.pid))
    }

    fn wait_raw(&mut self, flags: libc::c_int) -> Result<Option<ExitStatus>> {
        let raw = match &self.pidfd {
            Some(fd) => waitid_pidfd(fd.as_raw_fd(), flags)?,
            None => {
                let mut status = 0;
                // SAFETY: waitpid on our own child.
                let rc = unsafe { libc::waitpid(self.pid.as_raw(), &mut status, flags | WALL) };
                if rc < 0 {
                    return Err(Error::last_os("wait for sandbox"));
                }
                (rc > 0).then_some(status)
            }
        };
        let Some(raw) = raw else {
            return Ok(None);
        };
        let mut status = ExitStatus(raw);
        if let Some(pipe) = self.status_pipe.take() {
            let mut buf = [0u8; 4];
            // SAFETY: reading 4 bytes into a local buffer; the writer (init) has exited.
            let n = unsafe { libc::read(pipe.as_raw_fd(), buf.as_mut_ptr().cast(), 4) };
            if n == 4 {
                status = ExitStatus(i32::from_ne_bytes(buf));
            }
        }
        self.status = Some(status);
        Ok(Some(status))
    }
}

/// `waitid(P_PIDFD, fd, …, WEXITED | __WALL | flags)` as a raw wait status; `None` when
/// `WNOHANG` found nothing.
pub(crate) fn waitid_pidfd(fd: RawFd, flags: libc::c_int) -> Result<Option<i32>> {
    // SAFETY: siginfo_t is plain data; zero is a valid value.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid with a valid siginfo pointer.
    let rc = unsafe {
        libc::waitid(
            P_PIDFD,
            fd as libc::id_t,
            &mut info,
            libc::WEXITED | WALL | flags,
        )
    };
    if rc < 0 {
        return Err(Error::last_os("wait for sandbox"));
    }
    // SAFETY: the kernel filled info (or left it zero for WNOHANG without a result).
    let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
    if pid == 0 {
        return Ok(None);
    }
    let raw = match info.si_code {
        libc::CLD_EXITED => (status & 0xff) << 8,
        libc::CLD_KILLED => status & 0x7f,
        libc::CLD_DUMPED => (status & 0x7f) | 0x80,
        _ => status,
    };
    Ok(Some(raw))
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_some() || self.owner != std::process::id() {
            return;
        }
        let _ = self.kill(libc::SIGKILL);
        let _ = self.wait();
    }
}
