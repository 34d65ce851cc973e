//! Namespaces: `unshare`, `unshare_rootless`, `enter`, `ns_id` and `namespaces`, with the
//! `NsId`, `NamespaceInfo` and `Pin` classes.

use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::convert;
use crate::error::{OrRaise, type_error};

/// The identity of one namespace, printed exactly as `readlink /proc/PID/ns/KIND`:
/// `mnt:[4026532211]`.
#[pyclass(module = "mntns._mntns", name = "NsId", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyNsId(pub(crate) mntns::NsId);

#[pymethods]
impl PyNsId {
    #[new]
    #[pyo3(signature = (kind, dev, inode))]
    fn new(py: Python<'_>, kind: &Bound<'_, PyAny>, dev: u64, inode: u64) -> PyResult<Self> {
        let kind = convert::ns_kind(py, kind, "NsId")?;
        Ok(PyNsId(mntns::NsId::new(kind, dev, inode)))
    }

    /// Parses `"mnt:[4026532211]"`; the id gets this kernel's nsfs device.
    #[staticmethod]
    fn parse(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = convert::text(text, "NsId.parse", "text")?;
        // The first parse stats /proc/thread-self/ns/user for this kernel's nsfs device.
        py.detach(|| text.parse::<mntns::NsId>())
            .map(PyNsId)
            .or_raise(py)
    }

    /// The kind, as named in `/proc/PID/ns/`: `"mnt"`, `"net"` …
    #[getter]
    fn kind(&self) -> &'static str {
        self.0.kind().name()
    }

    /// The nsfs device number (`st_dev`).
    #[getter]
    fn dev(&self) -> u64 {
        self.0.dev()
    }

    /// The nsfs inode number, the number between the brackets.
    #[getter]
    fn inode(&self) -> u64 {
        self.0.inode()
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "NsId(kind='{}', dev={}, inode={})",
            self.0.kind().name(),
            self.0.dev(),
            self.0.inode()
        )
    }
}

/// What keeps a namespace alive: a process in it, an open descriptor, or a bind mount.
#[pyclass(module = "mntns._mntns", name = "Pin", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyPin(mntns::ns::Pin);

#[pymethods]
impl PyPin {
    /// `"process"`, `"fd"` or `"bind_mount"`.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.0 {
            mntns::ns::Pin::Process(_) => "process",
            mntns::ns::Pin::Fd { .. } => "fd",
            mntns::ns::Pin::BindMount { .. } => "bind_mount",
        }
    }

    /// The process in the namespace, or holding the descriptor; `None` for a bind mount.
    #[getter]
    fn pid(&self) -> Option<i32> {
        match self.0 {
            mntns::ns::Pin::Process(pid) | mntns::ns::Pin::Fd { pid, .. } => Some(pid.as_raw()),
            mntns::ns::Pin::BindMount { .. } => None,
        }
    }

    /// The descriptor number in that process, for `"fd"`.
    #[getter]
    fn fd(&self) -> Option<i32> {
        match self.0 {
            mntns::ns::Pin::Fd { fd, .. } => Some(fd),
            _ => None,
        }
    }

    /// The mount point, openable by the caller, for `"bind_mount"`.
    #[getter]
    fn path<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        match &self.0 {
            mntns::ns::Pin::BindMount { path } => {
                convert::fs_str(py, path.as_os_str().as_encoded_bytes()).map(Some)
            }
            _ => Ok(None),
        }
    }

    fn __str__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.0 {
            // Built by Python: a non-UTF-8 path is a str with surrogates, which Rust's
            // String cannot hold.
            mntns::ns::Pin::BindMount { path } => {
                let path = convert::fs_str(py, path.as_os_str().as_encoded_bytes())?;
                PyString::new(py, "bind mount {}").call_method1("format", (path,))
            }
            other => Ok(PyString::new(py, &other.to_string()).into_any()),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(match &self.0 {
            mntns::ns::Pin::Process(pid) => format!("Pin(kind='process', pid={pid})"),
            mntns::ns::Pin::Fd { pid, fd } => format!("Pin(kind='fd', pid={pid}, fd={fd})"),
            mntns::ns::Pin::BindMount { path } => {
                let path = convert::fs_str(py, path.as_os_str().as_encoded_bytes())?;
                format!("Pin(kind='bind_mount', path={})", path.repr()?)
            }
        })
    }
}

/// One namespace as `namespaces()` found it: the lsns columns and what holds it.
#[pyclass(module = "mntns._mntns", name = "NamespaceInfo", frozen)]
pub(crate) struct PyNamespaceInfo(mntns::ns::NamespaceInfo);

#[pymethods]
impl PyNamespaceInfo {
    /// The namespace (lsns's NS is `id.inode`).
    #[getter]
    fn id(&self) -> PyNsId {
        PyNsId(self.0.id)
    }

    /// The kind (lsns's TYPE): `"mnt"`, `"net"` …
    #[getter]
    fn kind(&self) -> &'static str {
        self.0.kind().name()
    }

    /// How many processes are in it (lsns's NPROCS); 0 when only an fd or a bind mount
    /// holds it.
    #[getter]
    fn nprocs(&self) -> usize {
        self.0.nprocs
    }

    /// The lowest pid in it (lsns's PID), or `None`.
    #[getter]
    fn pid(&self) -> Option<i32> {
        self.0.pid.map(mntns::Pid::as_raw)
    }

    /// Every pid in it, ascending.
    #[getter]
    fn pids(&self) -> Vec<i32> {
        self.0.pids.iter().map(|p| p.as_raw()).collect()
    }

    /// The uid of that process (lsns's UID), or `None`.
    #[getter]
    fn uid(&self) -> Option<u32> {
        self.0.uid
    }

    /// The user name of `uid` (lsns's USER), or `None`.
    #[getter]
    fn user(&self) -> Option<&str> {
        self.0.user.as_deref()
    }

    /// The command line of that process (lsns's COMMAND), or `None`.
    #[getter]
    fn command(&self) -> Option<&str> {
        self.0.command.as_deref()
    }

    /// Everything found holding it, the lowest pid first.
    #[getter]
    fn pins(&self) -> Vec<PyPin> {
        self.0.pins.iter().cloned().map(PyPin).collect()
    }

    /// The first of `pins`, or `None`.
    #[getter]
    fn pin(&self) -> Option<PyPin> {
        self.0.pin().cloned().map(PyPin)
    }

    /// The user namespace that owns it, or `None` when outside the caller's view.
    #[getter]
    fn owner(&self) -> Option<PyNsId> {
        self.0.owner.map(PyNsId)
    }

    /// The parent of a user or pid namespace, or `None`.
    #[getter]
    fn parent(&self) -> Option<PyNsId> {
        self.0.parent.map(PyNsId)
    }

    /// The kernel's 64-bit id of a mount namespace (Linux 6.8), or `None`.
    #[getter]
    fn kernel_id(&self) -> Option<u64> {
        self.0.kernel_id
    }

    fn __repr__(&self) -> String {
        let pid = self.0.pid.map_or("None".to_owned(), |p| p.to_string());
        format!(
            "<NamespaceInfo {} nprocs={} pid={}>",
            self.0.id, self.0.nprocs, pid
        )
    }
}

/// Moves the calling process into new namespaces (`unshare(2)`).
#[pyfunction]
#[pyo3(signature = (flags))]
pub(crate) fn unshare(py: Python<'_>, flags: &Bound<'_, PyAny>) -> PyResult<()> {
    let flags = convert::namespaces(py, flags, "unshare", "flags")?;
    py.detach(|| mntns::unshare(flags)).or_raise(py)
}

/// `unshare -Ur`: a user namespace too, the caller mapped to root inside.
#[pyfunction]
#[pyo3(signature = (flags))]
pub(crate) fn unshare_rootless(py: Python<'_>, flags: &Bound<'_, PyAny>) -> PyResult<()> {
    let flags = convert::namespaces(py, flags, "unshare_rootless", "flags")?;
    py.detach(|| mntns::unshare_rootless(flags)).or_raise(py)
}

/// Where `enter` and `ns_id` look: the caller, a pid, a pidfd, a namespace fd or a path.
enum Source {
    Caller,
    Pid(mntns::Pid),
    PidFd(OwnedFd),
    Fd(OwnedFd),
    Path(PathBuf),
}

impl Source {
    fn from_args(
        py: Python<'_>,
        func: &str,
        pid: Option<&Bound<'_, PyAny>>,
        pidfd: Option<&Bound<'_, PyAny>>,
        fd: Option<&Bound<'_, PyAny>>,
        path: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Source> {
        let given = |o: Option<&Bound<'_, PyAny>>| o.is_some_and(|o| !o.is_none());
        let count = [pid, pidfd, fd, path]
            .into_iter()
            .filter(|o| given(*o))
            .count();
        if count > 1 {
            return Err(type_error(
                func,
                "give at most one of pid, pidfd, fd and path",
            ));
        }
        if let Some(o) = pid.filter(|o| !o.is_none()) {
            return Ok(Source::Pid(convert::pid(py, o, func)?));
        }
        if let Some(o) = pidfd.filter(|o| !o.is_none()) {
            return Ok(Source::PidFd(convert::fd(py, o, func, "pidfd")?));
        }
        if let Some(o) = fd.filter(|o| !o.is_none()) {
            return Ok(Source::Fd(convert::fd(py, o, func, "fd")?));
        }
        if let Some(o) = path.filter(|o| !o.is_none()) {
            return Ok(Source::Path(convert::path(o, func, "path")?));
        }
        Ok(Source::Caller)
    }

    /// The core's source for `enter`; `None` for the caller itself.
    fn ns_source(&self) -> Option<mntns::NsSource<'_>> {
        match self {
            Source::Caller => None,
            Source::Pid(pid) => Some(mntns::NsSource::Pid(*pid)),
            Source::PidFd(fd) => Some(mntns::NsSource::PidFd(fd.as_fd())),
            Source::Fd(fd) => Some(mntns::NsSource::Fd(fd.as_fd())),
            Source::Path(p) => Some(mntns::NsSource::Path(p)),
        }
    }
}

/// Joins existing namespaces (`setns(2)`, `nsenter(1)`).
#[pyfunction]
#[pyo3(signature = (pid=None, flags=None, *, pidfd=None, fd=None, path=None))]
pub(crate) fn enter(
    py: Python<'_>,
    pid: Option<&Bound<'_, PyAny>>,
    flags: Option<&Bound<'_, PyAny>>,
    pidfd: Option<&Bound<'_, PyAny>>,
    fd: Option<&Bound<'_, PyAny>>,
    path: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    const FUNC: &str = "enter";
    let flags = match flags.filter(|f| !f.is_none()) {
        Some(f) => convert::namespaces(py, f, FUNC, "flags")?,
        None => mntns::Namespaces::empty(),
    };
    let source = Source::from_args(py, FUNC, pid, pidfd, fd, path)?;
    let Some(target) = source.ns_source() else {
        return Err(type_error(
            FUNC,
            "name what to enter: a pid, or pidfd=, fd= or path=",
        ));
    };
    py.detach(|| mntns::enter(target, flags)).or_raise(py)
}

/// The id of a namespace (`readlink /proc/PID/ns/KIND`).
#[pyfunction]
#[pyo3(signature = (pid=None, kind=None, *, pidfd=None, fd=None, path=None))]
pub(crate) fn ns_id(
    py: Python<'_>,
    pid: Option<&Bound<'_, PyAny>>,
    kind: Option<&Bound<'_, PyAny>>,
    pidfd: Option<&Bound<'_, PyAny>>,
    fd: Option<&Bound<'_, PyAny>>,
    path: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyNsId> {
    const FUNC: &str = "ns_id";
    let kind = match kind.filter(|k| !k.is_none()) {
        Some(k) => Some(convert::ns_kind(py, k, FUNC)?),
        None => None,
    };
    let source = Source::from_args(py, FUNC, pid, pidfd, fd, path)?;
    if kind.is_some() && matches!(source, Source::Fd(_) | Source::Path(_)) {
        return Err(type_error(
            FUNC,
            "a namespace file has its own kind: leave kind out with fd= or path=",
        ));
    }
    let kind = kind.unwrap_or(mntns::NsKind::Mount);
    py.detach(|| match &source {
        Source::Caller => mntns::NsId::of_self(kind),
        Source::Pid(pid) => mntns::NsId::of_pid(*pid, kind),
        Source::PidFd(fd) => mntns::NsId::of_pidfd(fd.as_fd(), kind),
        Source::Fd(fd) => mntns::NsId::of_fd(fd.as_fd()),
        Source::Path(p) => mntns::NsId::of_path(p),
    })
    .map(PyNsId)
    .or_raise(py)
}

/// Every namespace the caller can see, like `lsns(8)`.
#[pyfunction]
#[pyo3(signature = (kind=None))]
pub(crate) fn namespaces(
    py: Python<'_>,
    kind: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<PyNamespaceInfo>> {
    let kind = match kind.filter(|k| !k.is_none()) {
        Some(k) => Some(convert::ns_kind(py, k, "namespaces")?),
        None => None,
    };
    let list = py.detach(|| mntns::namespaces(kind)).or_raise(py)?;
    Ok(list.into_iter().map(PyNamespaceInfo).collect())
}

/// Registers this module's functions and classes.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyNsId>()?;
    m.add_class::<PyPin>()?;
    m.add_class::<PyNamespaceInfo>()?;
    m.add_function(wrap_pyfunction!(unshare, m)?)?;
    m.add_function(wrap_pyfunction!(unshare_rootless, m)?)?;
    m.add_function(wrap_pyfunction!(enter, m)?)?;
    m.add_function(wrap_pyfunction!(ns_id, m)?)?;
    m.add_function(wrap_pyfunction!(namespaces, m)?)?;
    for flag in [
        ("CLONE_NEWNS", mntns::Namespaces::MOUNT),
        ("CLONE_NEWUTS", mntns::Namespaces::UTS),
        ("CLONE_NEWIPC", mntns::Namespaces::IPC),
        ("CLONE_NEWPID", mntns::Namespaces::PID),
        ("CLONE_NEWNET", mntns::Namespaces::NET),
        ("CLONE_NEWUSER", mntns::Namespaces::USER),
        ("CLONE_NEWCGROUP", mntns::Namespaces::CGROUP),
        ("CLONE_NEWTIME", mntns::Namespaces::TIME),
    ] {
        m.add(flag.0, flag.1.bits())?;
    }
    Ok(())
}
