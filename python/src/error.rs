//! Core errors as Python exceptions.
//!
//! - A failed system call (or a refusal because of the system's state) becomes a plain
//!   `OSError(errno, message, filename)`: CPython picks the subclass from the errno by itself
//!   (`PermissionError` for EPERM/EACCES, `FileNotFoundError` for ENOENT …), which an
//!   `OSError` subclass of our own would lose. `message` is libmntns's one-line message, the
//!   same text Rust's `Display`, C's `mntns_last_error()` and the CLI show:
//!   `mount tmpfs on /x: EPERM (operation not permitted; hint)`.
//! - Bad input that core refused before running anything ([`mntns::Error::is_invalid_input`])
//!   becomes `ValueError(message)`.
//!
//! Both carry the parts as attributes: `step` (`"mount tmpfs on"`), `hint` (or `None`) and
//! `filename` (the path as `str`, decoded like `os.fsdecode`, or `None`).

use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyNone;

/// Converts a core result into a Python one.
pub(crate) trait OrRaise<T> {
    /// The value, or the core error as a Python exception (see the module docs).
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for mntns::Result<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, &e))
    }
}

/// The Python exception for a core error.
pub(crate) fn to_py_err(py: Python<'_>, e: &mntns::Error) -> PyErr {
    build(py, e).unwrap_or_else(|err| err)
}

fn build(py: Python<'_>, e: &mntns::Error) -> PyResult<PyErr> {
    let message = e.to_string();
    let filename: Bound<'_, PyAny> = match e.path() {
        Some(path) => path.as_os_str().into_pyobject(py)?.into_any(),
        None => PyNone::get(py).to_owned().into_any(),
    };
    let exc = if e.is_invalid_input() {
        let exc = py.get_type::<PyValueError>().call1((message,))?;
        exc.setattr("filename", &filename)?;
        exc
    } else {
        // OSError(errno, strerror, filename): CPython's OSError.__new__ returns the
        // subclass matching errno.
        py.get_type::<PyOSError>()
            .call1((e.errno().raw(), message, &filename))?
    };
    exc.setattr("step", e.step())?;
    exc.setattr("hint", e.hint())?;
    Ok(PyErr::from_value(exc))
}

/// `ValueError("FUNC: WHAT")` for bad input the binding itself detects while converting
/// arguments (a NUL byte in a path, an integer out of range).
pub(crate) fn value_error(func: &str, what: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{func}: {what}"))
}

/// `TypeError("FUNC: WHAT")` for an argument of the wrong type.
pub(crate) fn type_error(func: &str, what: impl std::fmt::Display) -> PyErr {
    PyTypeError::new_err(format!("{func}: {what}"))
}
