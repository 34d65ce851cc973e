//! Mount tables: `mounts` and `mounts_of_namespace`, with the `Mount` class (findmnt's
//! view of one mountinfo line).

use std::os::unix::ffi::OsStrExt;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};

use crate::convert;
use crate::error::OrRaise;

/// One mounted filesystem. Text fields are `str`, decoded like `os.fsdecode`.
#[pyclass(module = "mntns._mntns", name = "Mount", frozen, eq, hash)]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct PyMount(mntns::Mount);

#[pymethods]
impl PyMount {
    /// The mount id (findmnt's ID, mountinfo field 1).
    #[getter]
    fn id(&self) -> u32 {
        self.0.id()
    }

    /// The parent mount's id (findmnt's PARENT).
    #[getter]
    fn parent_id(&self) -> u32 {
        self.0.parent_id()
    }

    /// The 64-bit id that is never reused (statmount), or `None` from mountinfo.
    #[getter]
    fn unique_id(&self) -> Option<u64> {
        self.0.unique_id()
    }

    /// The parent's 64-bit id, or `None` from mountinfo.
    #[getter]
    fn parent_unique_id(&self) -> Option<u64> {
        self.0.parent_unique_id()
    }

    /// The major number of the filesystem's device.
    #[getter]
    fn major(&self) -> u32 {
        self.0.major()
    }

    /// The minor number of the filesystem's device.
    #[getter]
    fn minor(&self) -> u32 {
        self.0.minor()
    }

    /// The directory of the filesystem mounted here (findmnt's FSROOT).
    #[getter]
    fn root<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        convert::fs_str(py, self.0.root().as_os_str().as_bytes())
    }

    /// The mount point (findmnt's TARGET).
    #[getter]
    fn target<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        convert::fs_str(py, self.0.target().as_os_str().as_bytes())
    }

    /// The filesystem type (`"tmpfs"`, `"fuse.sshfs"`).
    #[getter]
    fn fstype<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        convert::fs_str(py, self.0.fstype().as_bytes())
    }

    /// Where the filesystem comes from (findmnt's SOURCE), or `None`.
    #[getter]
    fn source<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        self.0
            .source()
            .map(|s| convert::fs_str(py, s.as_bytes()))
            .transpose()
    }

    /// The per-mount options (findmnt's VFS-OPTIONS): `"rw,nosuid,relatime"`.
    #[getter]
    fn options(&self) -> &str {
        self.0.options()
    }

    /// The superblock options (findmnt's FS-OPTIONS): `"rw,size=1024k,mode=755"`.
    #[getter]
    fn super_options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        convert::fs_str(py, self.0.super_options().as_bytes())
    }

    /// findmnt's PROPAGATION column: `"shared"`, `"private"`, `"private,slave"` …
    #[getter]
    fn propagation(&self) -> String {
        self.0.propagation().to_string()
    }

    /// The peer group it shares events with (`shared:N`), or `None`.
    #[getter]
    fn shared(&self) -> Option<u32> {
        self.0.propagation().shared
    }

    /// The peer group it receives events from (`master:N`), or `None`.
    #[getter]
    fn master(&self) -> Option<u32> {
        self.0.propagation().master
    }

    /// `propagate_from:N`, or `None`.
    #[getter]
    fn propagate_from(&self) -> Option<u32> {
        self.0.propagation().propagate_from
    }

    /// Whether it may not be bind-mounted.
    #[getter]
    fn unbindable(&self) -> bool {
        self.0.propagation().unbindable
    }

    /// Whether `ro` is among the per-mount options.
    #[getter]
    fn read_only(&self) -> bool {
        self.0.is_read_only()
    }

    /// Whether `name` is among the per-mount options.
    #[pyo3(signature = (name))]
    fn has_option(&self, name: &str) -> bool {
        self.0.has_option(name)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        // repr() escapes the surrogates of a non-UTF-8 path, so the text is valid UTF-8.
        let target = self.target(py)?;
        Ok(format!(
            "<Mount {} {} type {} ({})>",
            self.0.id(),
            target.repr()?,
            self.0.fstype().to_string_lossy(),
            self.0.options()
        ))
    }
}

/// The mount table of a process, or of the calling thread (`findmnt`, `mount`), read from
/// `source`: `"auto"` (mountinfo where it exists, statmount otherwise), `"statmount"` (with
/// the 64-bit unique ids) or `"mountinfo"`.
#[pyfunction]
#[pyo3(signature = (pid=None, *, source=None), text_signature = "(pid=None, *, source='auto')")]
pub(crate) fn mounts(
    py: Python<'_>,
    pid: Option<&Bound<'_, PyAny>>,
    source: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<PyMount>> {
    let pid = match pid.filter(|p| !p.is_none()) {
        Some(p) => Some(convert::pid(py, p, "mounts")?),
        None => None,
    };
    let source = match source.filter(|s| !s.is_none()) {
        Some(s) => convert::text(s, "mounts", "source")?
            .parse::<mntns::TableSource>()
            .or_raise(py)?,
        None => mntns::TableSource::Auto,
    };
    let table = py
        .detach(|| mntns::table::mounts_with(pid, source))
        .or_raise(py)?;
    Ok(table.into_iter().map(PyMount).collect())
}

/// The mount table of the mount namespace an fd (an `int` or an object with `fileno()`) or
/// a path (`/proc/PID/ns/mnt`, a bind mount of one) refers to, read without entering it.
#[pyfunction]
#[pyo3(signature = (ns))]
pub(crate) fn mounts_of_namespace(py: Python<'_>, ns: &Bound<'_, PyAny>) -> PyResult<Vec<PyMount>> {
    const FUNC: &str = "mounts_of_namespace";
    let is_fd =
        (ns.is_instance_of::<PyInt>() && !ns.is_instance_of::<PyBool>()) || ns.hasattr("fileno")?;
    let table = if is_fd {
        let fd = convert::fd(py, ns, FUNC, "ns")?;
        py.detach(|| {
            let ns = mntns::NsFd::from_fd(fd)?;
            mntns::mounts_of_namespace(&ns)
        })
    } else {
        let path = convert::path(ns, FUNC, "ns")?;
        // Opening may block (a FIFO at that path): the GIL is released for it too.
        py.detach(|| {
            let ns = mntns::NsFd::open(&path)?;
            mntns::mounts_of_namespace(&ns)
        })
    }
    .or_raise(py)?;
    Ok(table.into_iter().map(PyMount).collect())
}

/// Registers this module's functions and classes.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMount>()?;
    m.add_function(wrap_pyfunction!(mounts, m)?)?;
    m.add_function(wrap_pyfunction!(mounts_of_namespace, m)?)?;
    Ok(())
}
