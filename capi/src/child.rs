//! Spawned sandboxes from C: an opaque `mntns_child` handle around the core's `Child` — its
//! pid and pidfd, waiting (blocking, polling, with a timeout) for a raw wait status that
//! `WIFEXITED`/`WEXITSTATUS`/`WTERMSIG` read, signals, and its namespace ids.

use std::ffi::c_int;
use std::os::fd::AsRawFd;
use std::time::Duration;

use mntns::{Child, Errno, ExitStatus, Result};

use crate::error::{Call, guard};
use crate::ns::{kind_arg, mntns_nsid};

/// A running or finished sandbox, from `mntns_sandbox_spawn`; owned by the caller and
/// released with `mntns_child_free`, which kills (`SIGKILL`) and reaps a sandbox that was
/// not waited for, so none outlives its handle by accident.
///
/// The sandbox's first process is created without an exit signal: the caller gets no
/// `SIGCHLD` for it, and neither `waitpid(-1, …)` elsewhere in the program nor ignoring
/// `SIGCHLD` can take its status away; wait for it with `mntns_child_wait`.
///
/// Not thread-safe: one handle must not be used by two threads at once. Distinct handles
/// may be used from distinct threads. In a process forked after the spawn, the copy of the
/// handle must only be freed (that frees the memory and leaves the sandbox alone: only the
/// spawning process kills and reaps).
pub struct mntns_child {
    child: Child,
}

impl mntns_child {
    /// A new handle for C.
    pub(crate) fn into_raw(child: Child) -> *mut mntns_child {
        Box::into_raw(Box::new(mntns_child { child }))
    }
}

/// The child argument: NULL is `-EINVAL`.
///
/// # Safety
/// `child` is NULL or a live handle from `mntns_sandbox_spawn`, used by no other thread.
unsafe fn handle<'a>(call: Call, child: *mut mntns_child) -> Result<&'a mut Child> {
    // SAFETY: by the caller's contract a non-NULL child is a live, unaliased handle.
    unsafe { child.as_mut() }
        .map(|c| &mut c.child)
        .ok_or_else(|| call.invalid("child is NULL"))
}

/// A read-only child argument: NULL is `-EINVAL`.
///
/// # Safety
/// `child` is NULL or a live handle from `mntns_sandbox_spawn`, not being changed by
/// another thread.
unsafe fn handle_ref<'a>(call: Call, child: *const mntns_child) -> Result<&'a Child> {
    // SAFETY: by the caller's contract a non-NULL child is a live handle.
    unsafe { child.as_ref() }
        .map(|c| &c.child)
        .ok_or_else(|| call.invalid("child is NULL"))
}

/// The raw status for C.
fn raw(status: ExitStatus) -> c_int {
    status.into_raw()
}

/// The pid of the sandbox's first process as the caller sees it (with a PID namespace its
/// init, pid 1 inside).
///
/// On success writes `*pid_out`. Returns 0, or `-EINVAL` for NULL arguments. The pid stays
/// the sandbox's until it is waited for; after that the kernel may reuse it (the pidfd
/// never names another process).
///
/// # Safety
/// `child` is NULL or a live handle used by no other thread; `pid_out` is NULL or valid
/// for writing a `pid_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_child_pid(
    child: *const mntns_child,
    pid_out: *mut libc::pid_t,
) -> c_int {
    guard("mntns_child_pid", |call| {
        // SAFETY: the caller's contract.
        let (child, out) = unsafe { (handle_ref(call, child)?, call.out(pid_out, "pid_out")?) };
        out.set(child.pid().as_raw());
        Ok(0)
    })
}

/// The pidfd of the sandbox's first process (`pidfd_open(2)`), for `poll(2)` (readable
/// once it has ended), `pidfd_send_signal(2)` or `mntns_enter_pidfd`.
///
/// On success writes `*fd_out`: the descriptor, or -1 on kernels without pidfds (before
/// 5.3). It **belongs to the child handle**: do not close it; it is valid until
/// `mntns_child_free`. Returns 0, or `-EINVAL` for NULL arguments.
///
/// # Safety
/// `child` is NULL or a live handle used by no other thread; `fd_out` is NULL or valid for
/// writing an `int`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_child_pidfd(child: *const mntns_child, fd_out: *mut c_int) -> c_int {
    guard("mntns_child_pidfd", |call| {
        // SAFETY: the caller's contract.
        let (child, out) = unsafe { (handle_ref(call, child)?, call.out(fd_out, "fd_out")?) };
        out.set(child.pidfd().map_or(-1, |fd| fd.as_raw_fd()));
        Ok(0)
    })
}

/// Waits for the sandbox to end and writes its raw wait status to `*status_out`, as
/// `waitpid(2)` would: `WIFEXITED(status)`/`WEXITSTATUS(status)` for a command that
/// exited, `WIFSIGNALED`/`WTERMSIG` for one killed by a signal. With a PID namespace it is
/// the command's own status, which the sandbox's init reports. Once collected, later calls
/// (and `_try_wait`, `_wait_timeout`) return the same status at once. Interrupted waits
/// are resumed.
///
/// Returns 0, or `-errno`: `-EINVAL` for NULL arguments; an unexpected `waitid(2)` failure.
///
/// # Safety
/// `child` is NULL or a live handle used by no other thread; `status_out` is NULL or valid
/// for writing an `int`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_child_wait(
    child: *mut mntns_child,
    status_out: *mut c_int,
) -> c_int {
    guard("mntns_child_wait", |call| {
        // SAFETY: the caller's contract.
        let (child, out) = unsafe { (handle(call, child)?, call.out(status_out, "status_out")?) };
        out.set(raw(child.wait()?));
        Ok(0)
    })
}

/// Collects the sandbox's status if it has ended, without blocking.
///
/// Returns 0 and writes the raw wait status to `*status_out` (as `mntns_child_wait`) when
/// it has ended; **`-EAGAIN`** when it is still running (`*status_out` untouched); `-EINVAL`
/// for NULL arguments; an unexpected `waitid(2)` failure.
///
/// # Safety
/// `child` is NULL or a live handle used by no other thread; `status_out` is NULL or valid
/// for writing an `int`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_child_try_wait(
    child: *mut mntns_child,
    status_out: *mut c_int,
) -> c_int {
    guard("mntns_child_try_wait", |call| {
        // SAFETY: the caller's contract.
        let (child, out) = unsafe { (handle(call, child)?, call.out(status_out, "status_out")?) };
        match child.try_wait()? {
            Some(status) => {
                out.set(raw(status));
                Ok(0)
            }
            None => Err(still_running(call, child, Errno::EAGAIN)),
        }
    })
}

/// Waits at most `timeout_ms` milliseconds (0 polls once) for the sandbox to end.
///
/// Returns 0 and writes the raw wait status to `*status_out` (as `mntns_child_wait`) when
/// it ended in time; **`-ETIMEDOUT`** when it is still running (`*status_out` untouched);
/// `-EINVAL` for NULL arguments or a negative `timeout_ms` (use `mntns_child_wait` to wait
/// without a limit); an unexpected failure.
///
/// # Safety
/// `child` is NULL or a live handle used by no other thread; `status_out` is NULL or valid
/// for writing an `int`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_child_wait_timeout(
    child: *mut mntns_child,
    timeout_ms: c_int,
    status_out: *mut c_int,
) -> c_int {
    guard("mntns_child_wait_timeout", |call| {
        // SAFETY: the caller's contract.
        let (child, out) = unsafe { (handle(call, child)?, call.out(status_out, "status_out")?) };
        let Ok(ms) = u64::try_from(timeout_ms) else {
            return Err(call.invalid(format!(
                "timeout_ms {timeout_ms} is negative; use mntns_child_wait to wait without a \
                 limit"
            )));
        };
        match child.wait_timeout(Duration::from_millis(ms))? {
            Some(status) => {
                out.set(raw(status));
                Ok(0)
            }
            None => Err(still_running(call, child, Errno::from_raw(libc::ETIMEDOUT))),
        }
    })
}

fn still_running(call: Call, child: &Child, errno: Errno) -> mntns::Error {
    call.error(
        errno,
        format!("sandbox process {} is still running", child.pid()),
    )
}

/// Sends signal `sig` to the sandbox's first process through its pidfd (with a PID
/// namespace its init, which forwards `SIGTERM`, `SIGINT`, `SIGHUP`, `SIGQUIT`, `SIGUSR1`
/// and `SIGUSR2` to the command; `SIGKILL` ends the whole sandbox). `sig` 0 only checks
/// that it is still running.
///
/// Returns 0, or `-errno`: `-EINVAL` for a NULL `child` or a bad signal number; `-ESRCH`
/// "process N has exited" once the sandbox has been waited for or has ended; `-EPERM`.
///
/// # Safety
/// `child` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_child_kill(child: *mut mntns_child, sig: c_int) -> c_int {
    guard("mntns_child_kill", |call| {
        // SAFETY: the caller's contract.
        let child = unsafe { handle(call, child) }?;
        child.kill(sig)?;
        Ok(0)
    })
}

/// Runs the command of a sandbox spawned with `mntns_sandbox_set_start_paused(sb, 1)`, and
/// returns once it has started. Does nothing (returns 0) for a sandbox that is not paused.
///
/// Returns 0, or `-errno`: `-EINVAL` for a NULL `child`; the command could not be started
/// (`-ENOENT` with step "exec" in `mntns_last_error()`, `-EACCES`…), in which case the
/// sandbox has been reaped.
///
/// # Safety
/// `child` is NULL or a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_child_resume(child: *mut mntns_child) -> c_int {
    guard("mntns_child_resume", |call| {
        // SAFETY: the caller's contract.
        let child = unsafe { handle(call, child) }?;
        child.resume()?;
        Ok(0)
    })
}

/// The id of the sandbox's `kind` namespace (`MNTNS_KIND_*`), read through its pidfd so it
/// never names a recycled pid; compare it with `mntns_ns_id(0, kind, …)` to tell whether
/// the sandbox has a namespace of its own.
///
/// On success writes `*id_out`. Returns 0, or `-errno`: `-EINVAL` for NULL arguments or an
/// unknown `kind`; `-ESRCH` "process N has exited" once the sandbox has ended.
///
/// # Safety
/// `child` is NULL or a live handle used by no other thread; `id_out` is NULL or valid for
/// writing a `struct mntns_nsid`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_child_ns_id(
    child: *const mntns_child,
    kind: c_int,
    id_out: *mut mntns_nsid,
) -> c_int {
    guard("mntns_child_ns_id", |call| {
        // SAFETY: the caller's contract.
        let (child, out) = unsafe { (handle_ref(call, child)?, call.out(id_out, "id_out")?) };
        let kind = kind_arg(call, kind, "kind")?;
        out.set(mntns_nsid::from_id(child.ns_id(kind)?));
        Ok(0)
    })
}

/// Releases `child`. A sandbox that was not waited for is killed (`SIGKILL`, the whole
/// sandbox with a PID namespace) and reaped first, so no process is left behind; call
/// `mntns_child_wait` before to let it finish. NULL is a no-op. Freeing a handle twice is
/// undefined behaviour, as with `free(3)`.
///
/// # Safety
/// `child` is NULL or a handle from `mntns_sandbox_spawn` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_child_free(child: *mut mntns_child) {
    guard("mntns_child_free", |_| {
        if !child.is_null() {
            // SAFETY: child came from Box::into_raw in mntns_child::into_raw and is freed
            // once (the caller's contract).
            drop(unsafe { Box::from_raw(child) });
        }
        Ok(())
    })
}
