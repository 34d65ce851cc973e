//! Mount operations: `mount_tmpfs`, `parse_size`, `bind`, `set_mount_flags`,
//! `set_propagation`, `unmount`, `pivot_root`.

use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::convert;
use crate::error::{OrRaise, value_error};

/// `size=`: bytes as an `int`, or a `str` core parses (`"1m"`, `"10%"`, `"unlimited"`).
fn size(py: Python<'_>, obj: &Bound<'_, PyAny>, func: &str) -> PyResult<mntns::Size> {
    let text = if obj.is_instance_of::<PyString>() {
        convert::text(obj, func, "size")?
    } else {
        convert::int_text(obj, func, "size")?
    };
    mntns::Size::parse(&text).or_raise(py)
}

/// `nr_inodes=`: a count as an `int`, or a `str` core parses (`"1k"`, `"unlimited"`).
fn inodes(py: Python<'_>, obj: &Bound<'_, PyAny>, func: &str) -> PyResult<mntns::Inodes> {
    let text = if obj.is_instance_of::<PyString>() {
        convert::text(obj, func, "nr_inodes")?
    } else {
        convert::int_text(obj, func, "nr_inodes")?
    };
    mntns::Inodes::parse(&text).or_raise(py)
}

/// Mount flags: a `MountFlags` value (`MS_*` bits, unknown bits refused by core) or a `str`
/// of `mount -o` names (`"ro,nosuid"`); `None` is no flag.
pub(crate) fn mount_flags(
    py: Python<'_>,
    obj: Option<&Bound<'_, PyAny>>,
    func: &str,
    name: &str,
) -> PyResult<mntns::MountFlags> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(mntns::MountFlags::empty());
    };
    if obj.is_instance_of::<PyString>() {
        return convert::text(obj, func, name)?
            .parse::<mntns::MountFlags>()
            .or_raise(py);
    }
    let v = convert::int(obj, func, name)?;
    let bits = u64::try_from(v)
        .map_err(|_| value_error(func, format!("{name} {v} is not a set of MS_* flags")))?;
    mntns::MountFlags::from_raw(bits).or_raise(py)
}

/// The tmpfs options from keyword arguments; shared with the sandbox's `add_tmpfs`.
#[allow(clippy::too_many_arguments)] // one per keyword argument of the Python call
pub(crate) fn tmpfs_options(
    py: Python<'_>,
    func: &str,
    size_arg: Option<&Bound<'_, PyAny>>,
    nr_inodes: Option<&Bound<'_, PyAny>>,
    mode: Option<&Bound<'_, PyAny>>,
    uid: Option<&Bound<'_, PyAny>>,
    gid: Option<&Bound<'_, PyAny>>,
    noswap: bool,
    flags: Option<&Bound<'_, PyAny>>,
) -> PyResult<mntns::TmpfsOptions> {
    fn given<'a, 'py>(o: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
        o.filter(|o| !o.is_none())
    }
    let mut opts = mntns::TmpfsOptions::new()
        .noswap(noswap)
        .flags(mount_flags(py, flags, func, "flags")?);
    if let Some(s) = given(size_arg) {
        opts = opts.size(size(py, s, func)?);
    }
    if let Some(n) = given(nr_inodes) {
        opts = opts.nr_inodes(inodes(py, n, func)?);
    }
    if let Some(m) = given(mode) {
        opts = opts.mode(convert::u32_arg(m, func, "mode")?);
    }
    if let Some(u) = given(uid) {
        opts = opts.uid(convert::u32_arg(u, func, "uid")?);
    }
    if let Some(g) = given(gid) {
        opts = opts.gid(convert::u32_arg(g, func, "gid")?);
    }
    // Everything is checked here, before any system call (core checks again).
    opts.validate().or_raise(py)?;
    Ok(opts)
}

/// `mount -t tmpfs -o OPTIONS tmpfs TARGET`.
#[pyfunction]
#[pyo3(signature = (target, *, size=None, nr_inodes=None, mode=None, uid=None, gid=None, noswap=false, flags=None))]
#[allow(clippy::too_many_arguments)] // one per keyword argument of the Python call
pub(crate) fn mount_tmpfs(
    py: Python<'_>,
    target: &Bound<'_, PyAny>,
    size: Option<&Bound<'_, PyAny>>,
    nr_inodes: Option<&Bound<'_, PyAny>>,
    mode: Option<&Bound<'_, PyAny>>,
    uid: Option<&Bound<'_, PyAny>>,
    gid: Option<&Bound<'_, PyAny>>,
    noswap: bool,
    flags: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    const FUNC: &str = "mount_tmpfs";
    let target = convert::path(target, FUNC, "target")?;
    let opts = tmpfs_options(py, FUNC, size, nr_inodes, mode, uid, gid, noswap, flags)?;
    py.detach(|| mntns::mount_tmpfs(&target, &opts))
        .or_raise(py)
}

/// A size in bytes from `"1m"`, `"10%"` … (`"unlimited"` is refused: it is no number).
#[pyfunction]
#[pyo3(signature = (text))]
pub(crate) fn parse_size(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<u64> {
    let text = convert::text(text, "parse_size", "text")?;
    // A percentage reads the RAM size (sysinfo): a system call.
    py.detach(|| mntns::parse_size(&text)).or_raise(py)
}

/// `mount --rbind SOURCE TARGET` (`--bind` when not recursive), read-only on request.
#[pyfunction]
#[pyo3(signature = (source, target, *, recursive=true, readonly=false, flags=None))]
pub(crate) fn bind(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    target: &Bound<'_, PyAny>,
    recursive: bool,
    readonly: bool,
    flags: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    const FUNC: &str = "bind";
    let source = convert::path(source, FUNC, "source")?;
    let target = convert::path(target, FUNC, "target")?;
    let opts = mntns::BindOptions::new()
        .recursive(recursive)
        .readonly(readonly)
        .flags(mount_flags(py, flags, FUNC, "flags")?);
    py.detach(|| mntns::bind(&source, &target, &opts))
        .or_raise(py)
}

/// `mount -o remount,bind,FLAGS PATH`: sets and clears per-mount flags.
#[pyfunction]
#[pyo3(signature = (path, set=None, clear=None, *, recursive=true))]
pub(crate) fn set_mount_flags(
    py: Python<'_>,
    path: &Bound<'_, PyAny>,
    set: Option<&Bound<'_, PyAny>>,
    clear: Option<&Bound<'_, PyAny>>,
    recursive: bool,
) -> PyResult<()> {
    const FUNC: &str = "set_mount_flags";
    let path = convert::path(path, FUNC, "path")?;
    let set = mount_flags(py, set, FUNC, "set")?;
    let clear = mount_flags(py, clear, FUNC, "clear")?;
    py.detach(|| mntns::set_mount_flags(&path, set, clear, recursive))
        .or_raise(py)
}

/// `mount --make-[r]private|slave|shared|unbindable PATH`.
#[pyfunction]
#[pyo3(signature = (path, kind, *, recursive=true))]
pub(crate) fn set_propagation(
    py: Python<'_>,
    path: &Bound<'_, PyAny>,
    kind: &Bound<'_, PyAny>,
    recursive: bool,
) -> PyResult<()> {
    const FUNC: &str = "set_propagation";
    let path = convert::path(path, FUNC, "path")?;
    let kind = convert::text(kind, FUNC, "kind")?
        .parse::<mntns::Propagation>()
        .or_raise(py)?;
    py.detach(|| mntns::set_propagation(&path, kind, recursive))
        .or_raise(py)
}

/// `umount PATH` (`umount -l` with `detach=True`).
#[pyfunction]
#[pyo3(signature = (path, *, detach=false, force=false, expire=false, nofollow=false))]
pub(crate) fn unmount(
    py: Python<'_>,
    path: &Bound<'_, PyAny>,
    detach: bool,
    force: bool,
    expire: bool,
    nofollow: bool,
) -> PyResult<()> {
    let path = convert::path(path, "unmount", "path")?;
    let mut flags = mntns::UnmountFlags::empty();
    for (on, flag) in [
        (detach, mntns::UnmountFlags::DETACH),
        (force, mntns::UnmountFlags::FORCE),
        (expire, mntns::UnmountFlags::EXPIRE),
        (nofollow, mntns::UnmountFlags::NOFOLLOW),
    ] {
        flags.set(flag, on);
    }
    py.detach(|| mntns::unmount(&path, flags)).or_raise(py)
}

/// The whole `pivot_root` sequence: `/` made rslave (or rprivate), the new root made a
/// mount point, pivot, the old root detached or kept at `old_root`.
#[pyfunction]
#[pyo3(signature = (new_root, old_root=None, *, propagation=None))]
pub(crate) fn pivot_root(
    py: Python<'_>,
    new_root: &Bound<'_, PyAny>,
    old_root: Option<&Bound<'_, PyAny>>,
    propagation: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    const FUNC: &str = "pivot_root";
    let new_root = convert::path(new_root, FUNC, "new_root")?;
    let old_root = convert::opt_path(old_root, FUNC, "old_root")?;
    let mut opts = mntns::PivotOptions::new();
    if let Some(old) = old_root {
        opts = opts.keep_old_root(old);
    }
    if let Some(p) = propagation.filter(|p| !p.is_none()) {
        let root = match convert::text(p, FUNC, "propagation")?
            .parse::<mntns::Propagation>()
            .or_raise(py)?
        {
            mntns::Propagation::Slave => mntns::RootPropagation::Slave,
            mntns::Propagation::Private => mntns::RootPropagation::Private,
            other => {
                return Err(value_error(
                    FUNC,
                    format!(
                        "propagation must be \"slave\" or \"private\", not {:?}",
                        other.name()
                    ),
                ));
            }
        };
        opts = opts.propagation(root);
    }
    py.detach(|| mntns::pivot_root_with(&new_root, &opts))
        .or_raise(py)
}

/// Registers this module's functions and the `MS_*` values of `MountFlags`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(mount_tmpfs, m)?)?;
    m.add_function(wrap_pyfunction!(parse_size, m)?)?;
    m.add_function(wrap_pyfunction!(bind, m)?)?;
    m.add_function(wrap_pyfunction!(set_mount_flags, m)?)?;
    m.add_function(wrap_pyfunction!(set_propagation, m)?)?;
    m.add_function(wrap_pyfunction!(unmount, m)?)?;
    m.add_function(wrap_pyfunction!(pivot_root, m)?)?;
    for (name, flag) in [
        ("MS_RDONLY", mntns::MountFlags::RDONLY),
        ("MS_NOSUID", mntns::MountFlags::NOSUID),
        ("MS_NODEV", mntns::MountFlags::NODEV),
        ("MS_NOEXEC", mntns::MountFlags::NOEXEC),
        ("MS_NOATIME", mntns::MountFlags::NOATIME),
        ("MS_NODIRATIME", mntns::MountFlags::NODIRATIME),
        ("MS_RELATIME", mntns::MountFlags::RELATIME),
        ("MS_STRICTATIME", mntns::MountFlags::STRICTATIME),
        ("MS_NOSYMFOLLOW", mntns::MountFlags::NOSYMFOLLOW),
    ] {
        m.add(name, flag.bits())?;
    }
    Ok(())
}
