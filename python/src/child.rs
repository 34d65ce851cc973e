//! The `Child` class: a spawned sandbox with the `subprocess.Popen` interface — `pid`,
//! `returncode`, `wait`, `poll`, `communicate`, `kill`/`terminate`/`send_signal`, the
//! `stdin`/`stdout`/`stderr` pipes — plus its `pidfd` and namespace ids.
//!
//! Blocking calls release the GIL and wait in slices of at most [`SLICE`] (a `poll(2)` on
//! the pidfd and the pipes): between two slices the GIL is taken back and Python's signal
//! handlers run, so Ctrl-C raises `KeyboardInterrupt` promptly even when the signal landed
//! on another thread; a signal on the waiting thread ends the slice at once (`EINTR`).
//!
//! Only the process that spawned the sandbox may wait for it or signal it: a copy of a
//! `Child` in a process forked afterwards (`os.fork()`) raises `ChildProcessError` for
//! those, and never kills or reaps on garbage collection or on leaving a `with` block
//! (core's `Child` does nothing on drop in a forked copy either). Each process closes only
//! its own copies of the descriptors.

use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyBrokenPipeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyString};

use crate::convert;
use crate::error::{OrRaise, to_py_err, type_error, value_error};
use crate::ns::PyNsId;

/// The longest a blocking call stays in the kernel without looking at Python's signals.
const SLICE: Duration = Duration::from_millis(50);
/// `returncode` not known yet.
const UNKNOWN: i64 = i64::MIN;
/// The most `communicate` writes to stdin at once (a pipe takes that much without
/// blocking once `poll` says it is writable).
const PIPE_BUF: usize = 4096;
/// The most `communicate` reads at once.
const READ_CHUNK: usize = 32768;

/// What `communicate` has sent and received so far (kept across a `TimeoutExpired`, so a
/// second call continues where the first stopped, as with `Popen`).
#[derive(Default)]
struct Communication {
    started: bool,
    input: Vec<u8>,
    offset: usize,
    stdin_done: bool,
    out: Vec<u8>,
    out_done: bool,
    err: Vec<u8>,
    err_done: bool,
}

/// `(stdout, stderr)` as `communicate` returns them: `bytes`, or `None` for a stream that
/// is not a pipe.
pub(crate) type Outputs = (Option<Py<PyAny>>, Option<Py<PyAny>>);

/// A running (or finished) sandbox, like a `subprocess.Popen`.
#[pyclass(module = "mntns._mntns", name = "Child", frozen)]
pub(crate) struct PyChild {
    child: Mutex<mntns::Child>,
    pid: i32,
    pidfd: Option<RawFd>,
    /// The process that spawned it: the only one that may wait for it.
    owner: u32,
    returncode: AtomicI64,
    args: Py<PyAny>,
    stdin: Option<Py<PyAny>>,
    stdout: Option<Py<PyAny>>,
    stderr: Option<Py<PyAny>>,
    comm: Mutex<Communication>,
}

/// A mutex's guard, also after a panic in another holder (the data stay consistent: every
/// holder only reads or appends).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Popen's returncode: the exit code, or minus the number of the signal that killed it.
fn returncode_of(status: mntns::ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => -sig,
        _ => status.into_raw(),
    }
}

/// `subprocess.<name>` (the stdlib's classes, so existing `except` clauses work).
pub(crate) fn subprocess_attr<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(cell.import(py, "subprocess", name)?.clone())
}

static TIMEOUT_EXPIRED: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A `timeout=` argument in seconds: `None`, or an `int`/`float` (negative is 0, as for
/// `Popen.wait`); NaN is a `ValueError`.
pub(crate) fn timeout_arg(
    obj: Option<&Bound<'_, PyAny>>,
    func: &str,
) -> PyResult<Option<(f64, Duration)>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance_of::<pyo3::types::PyBool>() || obj.is_instance_of::<PyString>() {
        return Err(type_error(
            func,
            format!(
                "timeout must be a number of seconds, not {}",
                convert::type_name(obj)
            ),
        ));
    }
    let secs: f64 = obj.extract().map_err(|_| {
        type_error(
            func,
            format!(
                "timeout must be a number of seconds, not {}",
                convert::type_name(obj)
            ),
        )
    })?;
    if secs.is_nan() {
        return Err(value_error(func, "timeout is NaN"));
    }
    let d = Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(Duration::MAX);
    Ok(Some((secs, d)))
}

/// A signal number argument: an `int` (a `signal.Signals` member) from 0 to 64.
fn signal_arg(obj: &Bound<'_, PyAny>, func: &str) -> PyResult<i32> {
    let v = convert::int(obj, func, "sig")?;
    i32::try_from(v)
        .ok()
        .filter(|s| (0..=64).contains(s))
        .ok_or_else(|| value_error(func, format!("{v} is not a signal number")))
}

impl PyChild {
    pub(crate) fn new(
        child: mntns::Child,
        args: Py<PyAny>,
        stdin: Option<Py<PyAny>>,
        stdout: Option<Py<PyAny>>,
        stderr: Option<Py<PyAny>>,
    ) -> PyChild {
        PyChild {
            pid: child.pid().as_raw(),
            pidfd: child.pidfd().map(|fd| fd.as_raw_fd()),
            child: Mutex::new(child),
            owner: std::process::id(),
            returncode: AtomicI64::new(UNKNOWN),
            args,
            stdin,
            stdout,
            stderr,
            comm: Mutex::new(Communication::default()),
        }
    }

    fn known_returncode(&self) -> Option<i32> {
        match self.returncode.load(Ordering::Acquire) {
            UNKNOWN => None,
            rc => Some(rc as i32),
        }
    }

    /// Refuses in a process forked after the spawn: only the spawning process can wait
    /// for or signal the sandbox.
    fn owned(&self, py: Python<'_>, what: &str) -> PyResult<()> {
        if std::process::id() == self.owner {
            return Ok(());
        }
        Err(to_py_err(
            py,
            &mntns::Error::new(format!("{what} sandbox"), mntns::Errno::ECHILD).with_hint(format!(
                "sandbox {} was spawned by process {}; this process is a fork of it, and \
                     only the spawning process can wait for or signal it",
                self.pid, self.owner
            )),
        ))
    }

    /// The status if the sandbox has ended (no blocking; GIL not needed).
    fn try_wait(&self) -> mntns::Result<Option<i32>> {
        let status = lock(&self.child).try_wait()?;
        Ok(status.map(|s| {
            let rc = returncode_of(s);
            self.returncode.store(i64::from(rc), Ordering::Release);
            rc
        }))
    }

    /// One slice of waiting (without the GIL): the status if the sandbox ended within
    /// `slice`; `None` when the slice ran out or a signal arrived.
    fn wait_slice(&self, slice: Duration) -> mntns::Result<Option<i32>> {
        if let Some(rc) = self.try_wait()? {
            return Ok(Some(rc));
        }
        if slice.is_zero() {
            return Ok(None);
        }
        match self.pidfd {
            Some(fd) => {
                let mut p = libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one pollfd; the pidfd stays open while `self` (its owner) lives.
                let rc = unsafe { libc::poll(&mut p, 1, millis(slice)) };
                if rc < 0 && mntns::Errno::last() != mntns::Errno::EINTR {
                    return Err(mntns::Error::last_os("poll sandbox pidfd"));
                }
                if rc < 0 {
                    return Ok(None);
                }
            }
            // No pidfd (Linux before 5.3): look again every few milliseconds.
            None => std::thread::sleep(slice.min(Duration::from_millis(5))),
        }
        self.try_wait()
    }

    /// Waits until the sandbox ends (`Some(returncode)`) or `deadline` passes (`None`),
    /// with the GIL released, running Python's signal handlers between slices.
    fn wait_until(&self, py: Python<'_>, deadline: Option<Instant>) -> PyResult<Option<i32>> {
        if let Some(rc) = self.known_returncode() {
            return Ok(Some(rc));
        }
        loop {
            let slice = deadline.map_or(SLICE, |d| {
                d.saturating_duration_since(Instant::now()).min(SLICE)
            });
            if let Some(rc) = py.detach(|| self.wait_slice(slice)).or_raise(py)? {
                return Ok(Some(rc));
            }
            py.check_signals()?;
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
        }
    }

    fn timeout_expired(
        &self,
        py: Python<'_>,
        timeout: f64,
        output: Option<Py<PyAny>>,
        stderr: Option<Py<PyAny>>,
    ) -> PyErr {
        let build = || -> PyResult<PyErr> {
            let cls = subprocess_attr(py, &TIMEOUT_EXPIRED, "TimeoutExpired")?;
            let kwargs = pyo3::types::PyDict::new(py);
            kwargs.set_item("output", output)?;
            kwargs.set_item("stderr", stderr)?;
            let exc = cls.call((self.args.clone_ref(py), timeout), Some(&kwargs))?;
            Ok(PyErr::from_value(exc))
        };
        build().unwrap_or_else(|e| e)
    }

    /// Sends a signal (no-op once the returncode is known, as with `Popen`).
    pub(crate) fn signal(&self, py: Python<'_>, sig: i32) -> PyResult<()> {
        self.owned(py, "signal")?;
        if self.known_returncode().is_some() {
            return Ok(());
        }
        py.detach(|| {
            let mut child = lock(&self.child);
            if child.status().is_some() {
                return Ok(());
            }
            child.kill(sig)
        })
        .or_raise(py)
    }

    /// `wait()` without a timeout, for `run()`.
    pub(crate) fn wait_forever(&self, py: Python<'_>) -> PyResult<i32> {
        self.owned(py, "wait for")?;
        Ok(self
            .wait_until(py, None)?
            .expect("no deadline: waits until the end"))
    }

    /// Closes the pipes (ignoring a broken pipe on flushing stdin), then — in the spawning
    /// process — kills the sandbox if it still runs and reaps it.
    pub(crate) fn close_and_reap(&self, py: Python<'_>) -> PyResult<()> {
        let mut first_err = None;
        for stream in [&self.stdout, &self.stderr, &self.stdin]
            .into_iter()
            .flatten()
        {
            if let Err(e) = close_stream(py, stream.bind(py)) {
                first_err.get_or_insert(e);
            }
        }
        if std::process::id() == self.owner && self.known_returncode().is_none() {
            let status = py
                .detach(|| {
                    let mut child = lock(&self.child);
                    if child.status().is_none() {
                        // Already gone: kill reports ESRCH, wait reaps.
                        let _ = child.kill(libc::SIGKILL);
                    }
                    child.wait()
                })
                .or_raise(py)?;
            self.returncode
                .store(i64::from(returncode_of(status)), Ordering::Release);
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// `communicate` (see the Python docstring), also used by `run()`.
    pub(crate) fn communicate_impl<'py>(
        &self,
        py: Python<'py>,
        input: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Outputs> {
        const FUNC: &str = "Child.communicate";
        self.owned(py, "communicate with")?;
        let timeout = timeout_arg(timeout, FUNC)?;
        let deadline = timeout.map(|(_, d)| Instant::now().checked_add(d));
        let deadline = deadline.map(|d| d.unwrap_or_else(far_future));
        let input = match input.filter(|i| !i.is_none()) {
            Some(i) => Some(bytes_like(i, FUNC, "input")?),
            None => None,
        };
        let first = {
            let mut c = lock(&self.comm);
            if c.started && input.as_ref().is_some_and(|i| !i.is_empty()) {
                return Err(PyValueError::new_err(
                    "Child.communicate: cannot send input after starting communication",
                ));
            }
            if input.is_some() && self.stdin.is_none() {
                return Err(value_error(
                    FUNC,
                    "input given, but stdin is not a pipe (spawn with stdin=subprocess.PIPE)",
                ));
            }
            let first = !c.started;
            if first {
                c.started = true;
                c.input = input.unwrap_or_default();
                c.stdin_done = self.stdin.is_none() || c.input.is_empty();
                c.out_done = self.stdout.is_none();
                c.err_done = self.stderr.is_none();
            }
            first
        };
        let stdin_empty = lock(&self.comm).input.is_empty();
        if first && let Some(stdin) = &self.stdin {
            let stdin = stdin.bind(py);
            ignore_broken_pipe(py, stdin.call_method0("flush").map(drop))?;
            if stdin_empty {
                close_stream(py, stdin)?;
            }
        }
        let fds = [
            stream_fd(py, self.stdin.as_ref())?,
            stream_fd(py, self.stdout.as_ref())?,
            stream_fd(py, self.stderr.as_ref())?,
        ];
        loop {
            let done = {
                let c = lock(&self.comm);
                c.stdin_done && c.out_done && c.err_done
            };
            if done {
                break;
            }
            let slice = deadline.map_or(SLICE, |d| {
                d.saturating_duration_since(Instant::now()).min(SLICE)
            });
            let finished = py
                .detach(|| pump(&mut lock(&self.comm), fds, slice))
                .or_raise(py)?;
            for (stream, end) in [&self.stdin, &self.stdout, &self.stderr]
                .into_iter()
                .zip(finished)
            {
                if let (Some(s), true) = (stream, end) {
                    close_stream(py, s.bind(py))?;
                }
            }
            py.check_signals()?;
            if let Some(d) = deadline
                && Instant::now() >= d
                && !{
                    let c = lock(&self.comm);
                    c.stdin_done && c.out_done && c.err_done
                }
            {
                let (out, err) = self.outputs(py);
                return Err(self.timeout_expired(py, timeout.map_or(0.0, |t| t.0), out, err));
            }
        }
        if self.wait_until(py, deadline)?.is_none() {
            let (out, err) = self.outputs(py);
            return Err(self.timeout_expired(py, timeout.map_or(0.0, |t| t.0), out, err));
        }
        Ok(self.outputs(py))
    }

    /// What was read from the stdout and stderr pipes so far (`None` for a stream that is
    /// not a pipe).
    fn outputs(&self, py: Python<'_>) -> Outputs {
        let c = lock(&self.comm);
        let out = self
            .stdout
            .as_ref()
            .map(|_| PyBytes::new(py, &c.out).into_any().unbind());
        let err = self
            .stderr
            .as_ref()
            .map(|_| PyBytes::new(py, &c.err).into_any().unbind());
        (out, err)
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 86400)
}

/// A duration as `poll(2)` milliseconds, rounded up (a slice never becomes a busy loop).
fn millis(d: Duration) -> i32 {
    d.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
}

/// The bytes of a bytes-like object (`bytes`, `bytearray`, `memoryview` …); a `str` is a
/// `TypeError` (the pipes carry bytes).
pub(crate) fn bytes_like(obj: &Bound<'_, PyAny>, func: &str, name: &str) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    static MEMORYVIEW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let view = MEMORYVIEW
        .import(obj.py(), "builtins", "memoryview")?
        .call1((obj,))
        .map_err(|e| {
            if e.is_instance_of::<PyTypeError>(obj.py()) {
                type_error(
                    func,
                    format!("{name} must be bytes-like, not {}", convert::type_name(obj)),
                )
            } else {
                e
            }
        })?;
    let bytes = view.call_method0("tobytes")?;
    Ok(bytes.cast::<PyBytes>()?.as_bytes().to_vec())
}

/// Runs `result`, treating `BrokenPipeError` as success (the sandbox stopped reading).
fn ignore_broken_pipe(py: Python<'_>, result: PyResult<()>) -> PyResult<()> {
    match result {
        Err(e) if e.is_instance_of::<PyBrokenPipeError>(py) => Ok(()),
        other => other,
    }
}

/// Closes a pipe's file object (a broken pipe while flushing stdin is ignored).
fn close_stream(py: Python<'_>, stream: &Bound<'_, PyAny>) -> PyResult<()> {
    ignore_broken_pipe(py, stream.call_method0("close").map(drop))
}

/// The descriptor of a pipe's file object, or -1 when there is none or it is closed.
fn stream_fd(py: Python<'_>, stream: Option<&Py<PyAny>>) -> PyResult<RawFd> {
    let Some(s) = stream else { return Ok(-1) };
    let s = s.bind(py);
    if s.getattr("closed")?.is_truthy()? {
        return Ok(-1);
    }
    s.call_method0("fileno")?.extract()
}

/// One slice of `communicate` (without the GIL): waits up to `slice` for the pipes, writes
/// one chunk of input, reads what is there. Returns which of stdin, stdout, stderr just
/// finished (their file objects are then closed by the caller).
fn pump(c: &mut Communication, fds: [RawFd; 3], slice: Duration) -> mntns::Result<[bool; 3]> {
    let mut finished = [false; 3];
    let wanted = [
        (!c.stdin_done && fds[0] >= 0, libc::POLLOUT),
        (!c.out_done && fds[1] >= 0, libc::POLLIN),
        (!c.err_done && fds[2] >= 0, libc::POLLIN),
    ];
    // A stream whose file object was closed by the caller counts as finished.
    for (i, done) in [&mut c.stdin_done, &mut c.out_done, &mut c.err_done]
        .into_iter()
        .enumerate()
    {
        if !*done && fds[i] < 0 {
            *done = true;
        }
    }
    let mut pfds: Vec<(usize, libc::pollfd)> = wanted
        .iter()
        .enumerate()
        .filter(|(_, (on, _))| *on)
        .map(|(i, &(_, events))| {
            (
                i,
                libc::pollfd {
                    fd: fds[i],
                    events,
                    revents: 0,
                },
            )
        })
        .collect();
    if pfds.is_empty() {
        return Ok(finished);
    }
    let mut raw: Vec<libc::pollfd> = pfds.iter().map(|(_, p)| *p).collect();
    // SAFETY: `raw` is an array of raw.len() pollfds.
    let n = unsafe { libc::poll(raw.as_mut_ptr(), raw.len() as libc::nfds_t, millis(slice)) };
    if n < 0 {
        if mntns::Errno::last() == mntns::Errno::EINTR {
            return Ok(finished);
        }
        return Err(mntns::Error::last_os("poll the sandbox's pipes"));
    }
    for (slot, p) in pfds.iter_mut().zip(&raw) {
        slot.1.revents = p.revents;
    }
    for (i, p) in pfds {
        if p.revents == 0 {
            continue;
        }
        if p.revents & libc::POLLNVAL != 0 {
            return Err(mntns::Error::new(
                format!("communicate: the {} pipe", ["stdin", "stdout", "stderr"][i]),
                mntns::Errno::EBADF,
            )
            .with_hint("its descriptor was closed while communicate() used it"));
        }
        if i == 0 {
            let end = (c.offset + PIPE_BUF).min(c.input.len());
            let chunk = &c.input[c.offset..end];
            // SAFETY: writing from a live slice to a pipe descriptor.
            let w = unsafe { libc::write(p.fd, chunk.as_ptr().cast(), chunk.len()) };
            if w >= 0 {
                c.offset += w as usize;
                if c.offset >= c.input.len() {
                    c.stdin_done = true;
                    finished[0] = true;
                }
            } else {
                let errno = mntns::Errno::last();
                if errno == mntns::Errno::EPIPE {
                    // The sandbox stopped reading: the rest of the input is dropped.
                    c.stdin_done = true;
                    finished[0] = true;
                } else if errno != mntns::Errno::EINTR && errno != mntns::Errno::EAGAIN {
                    return Err(mntns::Error::new("write to the sandbox's stdin", errno));
                }
            }
            continue;
        }
        let mut buf = [0u8; READ_CHUNK];
        // SAFETY: reading into a local buffer.
        let r = unsafe { libc::read(p.fd, buf.as_mut_ptr().cast(), buf.len()) };
        let (data, done) = if i == 1 {
            (&mut c.out, &mut c.out_done)
        } else {
            (&mut c.err, &mut c.err_done)
        };
        if r > 0 {
            data.extend_from_slice(&buf[..r as usize]);
        } else if r == 0 {
            *done = true;
            finished[i] = true;
        } else {
            let errno = mntns::Errno::last();
            if errno != mntns::Errno::EINTR && errno != mntns::Errno::EAGAIN {
                return Err(mntns::Error::new(
                    format!("read the sandbox's {}", ["", "stdout", "stderr"][i]),
                    errno,
                ));
            }
        }
    }
    Ok(finished)
}

#[pymethods]
impl PyChild {
    /// The sandbox's pid as the caller sees it (with a PID namespace, its init).
    #[getter]
    fn pid(&self) -> i32 {
        self.pid
    }

    /// The sandbox's pidfd (owned by this object; valid while it lives), or `None` on
    /// kernels without pidfds.
    #[getter]
    fn pidfd(&self) -> Option<i32> {
        self.pidfd
    }

    /// The exit code, `-N` when killed by signal N, or `None` while running (set by
    /// `wait`, `poll`, `communicate`).
    #[getter]
    fn returncode(&self) -> Option<i32> {
        self.known_returncode()
    }

    /// The argv given to `spawn`, as given.
    #[getter]
    fn args(&self, py: Python<'_>) -> Py<PyAny> {
        self.args.clone_ref(py)
    }

    /// The write end of the stdin pipe (`stdin=subprocess.PIPE`), or `None`.
    #[getter]
    fn stdin(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.stdin.as_ref().map(|s| s.clone_ref(py))
    }

    /// The read end of the stdout pipe (`stdout=subprocess.PIPE`), or `None`.
    #[getter]
    fn stdout(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.stdout.as_ref().map(|s| s.clone_ref(py))
    }

    /// The read end of the stderr pipe (`stderr=subprocess.PIPE`), or `None`.
    #[getter]
    fn stderr(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.stderr.as_ref().map(|s| s.clone_ref(py))
    }

    /// The returncode if the sandbox has ended, else `None`; never blocks.
    fn poll(&self, py: Python<'_>) -> PyResult<Option<i32>> {
        self.owned(py, "wait for")?;
        if let Some(rc) = self.known_returncode() {
            return Ok(Some(rc));
        }
        py.detach(|| self.try_wait()).or_raise(py)
    }

    /// Waits for the sandbox to end and returns its returncode; raises
    /// `subprocess.TimeoutExpired` after `timeout` seconds.
    #[pyo3(signature = (timeout=None))]
    fn wait(&self, py: Python<'_>, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<i32> {
        self.owned(py, "wait for")?;
        let timeout = timeout_arg(timeout, "Child.wait")?;
        let deadline =
            timeout.map(|(_, d)| Instant::now().checked_add(d).unwrap_or_else(far_future));
        match self.wait_until(py, deadline)? {
            Some(rc) => Ok(rc),
            None => Err(self.timeout_expired(py, timeout.map_or(0.0, |t| t.0), None, None)),
        }
    }

    /// Sends `input` to stdin (then closes it), reads stdout and stderr to the end, waits
    /// for the sandbox; returns `(stdout, stderr)` (`bytes`, or `None` for streams that are
    /// not pipes). Raises `subprocess.TimeoutExpired` (with the output so far) after
    /// `timeout` seconds; calling again continues.
    #[pyo3(signature = (input=None, timeout=None))]
    fn communicate<'py>(
        &self,
        py: Python<'py>,
        input: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Outputs> {
        self.communicate_impl(py, input, timeout)
    }

    /// Sends `sig` (default `SIGKILL`) to the sandbox; does nothing once it has been waited
    /// for.
    #[pyo3(signature = (sig=None), text_signature = "($self, sig=9)")]
    fn kill(&self, py: Python<'_>, sig: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let sig = match sig.filter(|s| !s.is_none()) {
            Some(s) => signal_arg(s, "Child.kill")?,
            None => libc::SIGKILL,
        };
        self.signal(py, sig)
    }

    /// Runs the command of a sandbox made with `Sandbox(start_paused=True)`, once its
    /// namespaces have been looked at; returns when the command has started. Does nothing for
    /// a sandbox that is not paused.
    fn resume(&self, py: Python<'_>) -> PyResult<()> {
        self.owned(py, "resume")?;
        py.detach(|| lock(&self.child).resume()).or_raise(py)
    }

    /// Whether the sandbox was started paused and waits for `resume()`.
    #[getter]
    fn paused(&self) -> bool {
        lock(&self.child).is_paused()
    }

    /// Sends `SIGTERM`.
    fn terminate(&self, py: Python<'_>) -> PyResult<()> {
        self.signal(py, libc::SIGTERM)
    }

    /// Sends `sig`.
    fn send_signal(&self, py: Python<'_>, sig: &Bound<'_, PyAny>) -> PyResult<()> {
        let sig = signal_arg(sig, "Child.send_signal")?;
        self.signal(py, sig)
    }

    /// The id of the sandbox's namespace of `kind` (through the pidfd).
    #[pyo3(signature = (kind=None), text_signature = "($self, kind='mnt')")]
    fn ns_id(&self, py: Python<'_>, kind: Option<&Bound<'_, PyAny>>) -> PyResult<PyNsId> {
        self.owned(py, "look up a namespace of")?;
        let kind = match kind.filter(|k| !k.is_none()) {
            Some(k) => convert::ns_kind(py, k, "Child.ns_id")?,
            None => mntns::NsKind::Mount,
        };
        py.detach(|| lock(&self.child).ns_id(kind))
            .map(PyNsId)
            .or_raise(py)
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Closes the pipes; kills (`SIGKILL`) and reaps the sandbox if it still runs.
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: &Bound<'_, PyAny>,
        _exc: &Bound<'_, PyAny>,
        _tb: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        self.close_and_reap(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        match self.known_returncode() {
            Some(rc) => format!("<Child pid={} returncode={rc}>", self.pid),
            None => format!("<Child pid={} running>", self.pid),
        }
    }
}
