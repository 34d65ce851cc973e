//! Python arguments to core types and back.
//!
//! - Paths: `str`, `bytes` or `os.PathLike` (what `os.fspath` accepts). A `str` is encoded
//!   like `os.fsencode` (the filesystem encoding with `surrogateescape`), so a non-UTF-8 name
//!   read back as `str` round-trips; `bytes` pass unchanged. A NUL byte is a `ValueError`, as
//!   for `os.mkdir`; another type is a `TypeError`.
//! - Paths returned (mount points, sources, bind-mount pins) are `str` decoded like
//!   `os.fsdecode`: `os.fsencode(value)` gives the kernel's bytes back.
//! - Integers: `int` or anything with `__index__` (an `enum.IntFlag` member), never `bool`.
//! - File descriptors: an `int` or an object with `fileno()`; the descriptor is duplicated
//!   (close-on-exec) while the caller's one is certainly open, so the call never uses a
//!   number the caller closes meanwhile.

use std::ffi::OsString;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyInt, PyString};

use crate::error::{OrRaise, type_error, value_error};

/// A path argument (see the module docs). `func` and `name` name the argument in errors.
pub(crate) fn path(obj: &Bound<'_, PyAny>, func: &str, name: &str) -> PyResult<PathBuf> {
    let py = obj.py();
    let fspath;
    let obj = if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        obj
    } else {
        static FSPATH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        fspath = FSPATH
            .import(py, "os", "fspath")?
            .call1((obj,))
            .map_err(|e| {
                // os.fspath's own TypeError, named after the argument; an exception raised
                // by the object's __fspath__ passes through.
                if !e.is_instance_of::<PyTypeError>(py) {
                    return e;
                }
                type_error(
                    func,
                    format!(
                        "{name} should be str, bytes or os.PathLike, not {}",
                        type_name(obj)
                    ),
                )
            })?;
        &fspath
    };
    let bytes: Vec<u8> = if let Ok(b) = obj.cast::<PyBytes>() {
        b.as_bytes().to_vec()
    } else {
        // PyUnicode_EncodeFSDefault: what os.fsencode does.
        obj.extract::<OsString>()?.into_vec()
    };
    if bytes.contains(&0) {
        return Err(value_error(
            func,
            format!("embedded null character in {name}"),
        ));
    }
    Ok(PathBuf::from(OsString::from_vec(bytes)))
}

/// An optional path argument: `None` stays `None`.
pub(crate) fn opt_path(
    obj: Option<&Bound<'_, PyAny>>,
    func: &str,
    name: &str,
) -> PyResult<Option<PathBuf>> {
    match obj {
        Some(o) if !o.is_none() => path(o, func, name).map(Some),
        _ => Ok(None),
    }
}

/// A Python `str` for bytes from the kernel, decoded like `os.fsdecode`.
pub(crate) fn fs_str<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyString>> {
    Ok(std::ffi::OsStr::from_bytes(bytes).into_pyobject(py)?)
}

/// An integer argument, refusing `bool` (a `True` passed as a size is a bug, not 1).
pub(crate) fn int(obj: &Bound<'_, PyAny>, func: &str, name: &str) -> PyResult<i128> {
    if obj.is_instance_of::<PyBool>() {
        return Err(type_error(func, format!("{name} must be an int, not bool")));
    }
    if !obj.is_instance_of::<PyInt>() && !obj.hasattr("__index__")? {
        return Err(type_error(
            func,
            format!("{name} must be an int, not {}", type_name(obj)),
        ));
    }
    obj.extract::<i128>()
        .map_err(|_| value_error(func, format!("{name} is out of range")))
}

/// An integer argument in `0..=u32::MAX` (ids, modes).
pub(crate) fn u32_arg(obj: &Bound<'_, PyAny>, func: &str, name: &str) -> PyResult<u32> {
    let v = int(obj, func, name)?;
    u32::try_from(v).map_err(|_| value_error(func, format!("{name} {v} is out of range")))
}

/// A process id argument: a positive `int` (core refuses 0 and negative values).
pub(crate) fn pid(py: Python<'_>, obj: &Bound<'_, PyAny>, func: &str) -> PyResult<mntns::Pid> {
    let v = int(obj, func, "pid")?;
    let raw =
        i32::try_from(v).map_err(|_| value_error(func, format!("pid {v} is out of range")))?;
    mntns::Pid::from_raw(raw).or_raise(py)
}

/// A file descriptor argument (an `int` or an object with `fileno()`), duplicated.
pub(crate) fn fd(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    func: &str,
    name: &str,
) -> PyResult<OwnedFd> {
    let raw = if obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>() {
        int(obj, func, name)?
    } else if obj.hasattr("fileno")? {
        let n = obj.call_method0("fileno")?;
        int(&n, func, &format!("{name}.fileno()"))?
    } else {
        return Err(type_error(
            func,
            format!(
                "{name} should be an int or an object with fileno(), not {}",
                type_name(obj)
            ),
        ));
    };
    let raw = i32::try_from(raw)
        .ok()
        .filter(|&n| n >= 0)
        .ok_or_else(|| value_error(func, format!("{name} {raw} is not a file descriptor")))?;
    // SAFETY: raw is not negative (BorrowedFd's one invalid value is -1). The descriptor is
    // only duplicated here, with the GIL held, so Python code cannot close it meanwhile;
    // a number that is not open makes fcntl(F_DUPFD_CLOEXEC) fail with EBADF.
    let borrowed = unsafe { BorrowedFd::borrow_raw(raw) };
    borrowed.try_clone_to_owned().map_err(|e| {
        let errno = mntns::Errno::from(&e);
        crate::error::to_py_err(
            py,
            &mntns::Error::new(format!("{func}: duplicate {name} {raw}"), errno),
        )
    })
}

/// A set of namespace kinds: an `int` of `CLONE_NEW*` bits (a `Namespace` flag); unknown
/// bits are refused by core.
pub(crate) fn namespaces(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    func: &str,
    name: &str,
) -> PyResult<mntns::Namespaces> {
    let v = int(obj, func, name)?;
    // The flags are a C int; accept the unsigned spelling of the same 32 bits too.
    let bits = i32::try_from(v)
        .ok()
        .or_else(|| u32::try_from(v).ok().map(|u| u as i32))
        .ok_or_else(|| {
            value_error(
                func,
                format!("{name} {v:#x} is not a set of CLONE_NEW* flags"),
            )
        })?;
    mntns::Namespaces::from_raw(bits).or_raise(py)
}

/// One namespace kind: a name (`"mnt"`, `"net"` …, parsed by core) or a single
/// `Namespace` flag.
pub(crate) fn ns_kind(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    func: &str,
) -> PyResult<mntns::NsKind> {
    if let Ok(s) = obj.cast::<PyString>() {
        return s.to_cow()?.parse::<mntns::NsKind>().or_raise(py);
    }
    if obj.is_instance_of::<PyInt>() {
        let v = int(obj, func, "kind")?;
        return i32::try_from(v)
            .ok()
            .and_then(mntns::NsKind::from_clone_flag)
            .ok_or_else(|| {
                value_error(
                    func,
                    format!("kind {v:#x} is not exactly one Namespace flag"),
                )
            });
    }
    Err(type_error(
        func,
        format!(
            "kind should be a str such as \"mnt\" or one Namespace flag, not {}",
            type_name(obj)
        ),
    ))
}

/// A `str` argument (`Propagation` members are `str`s too).
pub(crate) fn text(obj: &Bound<'_, PyAny>, func: &str, name: &str) -> PyResult<String> {
    match obj.cast::<PyString>() {
        Ok(s) => Ok(s.to_cow()?.into_owned()),
        Err(_) => Err(type_error(
            func,
            format!("{name} should be a str, not {}", type_name(obj)),
        )),
    }
}

/// The decimal text of an integer argument of any size (never `bool`), for core's
/// parsers: `-1` and `0` are then refused by core with its own message.
pub(crate) fn int_text(obj: &Bound<'_, PyAny>, func: &str, name: &str) -> PyResult<String> {
    if obj.is_instance_of::<PyBool>() {
        return Err(type_error(func, format!("{name} must be an int, not bool")));
    }
    let index = obj.call_method0("__index__").map_err(|_| {
        type_error(
            func,
            format!("{name} must be an int or a str, not {}", type_name(obj)),
        )
    })?;
    Ok(index.str()?.to_cow()?.into_owned())
}

/// The name of an object's type, for messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}
