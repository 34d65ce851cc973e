//! The `Sandbox` class (core's `Spec`, built from keyword arguments and `add_*` methods),
//! `TmpfsRoot`, and spawning: `Sandbox.spawn` → `Child`, `Sandbox.run` →
//! `subprocess.CompletedProcess`.
//!
//! Nothing is checked against the system until `explain()`, `spawn()` or `run()` compiles
//! the spec into a plan (with the GIL released); arguments of the wrong type or form are
//! refused at once. Standard streams take what `subprocess` takes: `None` (inherit), a
//! descriptor, a file object, `subprocess.PIPE`, `subprocess.DEVNULL`, and
//! `subprocess.STDOUT` for stderr.

use std::ffi::OsString;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyInt, PyString};

use crate::child::{PyChild, bytes_like, subprocess_attr};
use crate::convert;
use crate::error::{OrRaise, type_error, value_error};
use crate::mount::{mount_flags, tmpfs_options};

/// `subprocess.PIPE`, `STDOUT`, `DEVNULL`.
const PIPE: i128 = -1;
const STDOUT: i128 = -2;
const DEVNULL: i128 = -3;

/// The options of a tmpfs root, optionally filled from a tar archive.
#[pyclass(module = "mntns._mntns", name = "TmpfsRoot", frozen)]
#[derive(Clone)]
pub(crate) struct PyTmpfsRoot {
    options: mntns::TmpfsOptions,
    tar: Option<PathBuf>,
}

#[pymethods]
impl PyTmpfsRoot {
    #[new]
    #[pyo3(
        signature = (*, size=None, nr_inodes=None, mode=None, uid=None, gid=None, noswap=false, flags=None, tar=None),
        text_signature = "(*, size=None, nr_inodes=None, mode=0o755, uid=None, gid=None, noswap=False, flags=None, tar=None)"
    )]
    #[allow(clippy::too_many_arguments)] // one per keyword argument of the Python call
    fn new(
        py: Python<'_>,
        size: Option<&Bound<'_, PyAny>>,
        nr_inodes: Option<&Bound<'_, PyAny>>,
        mode: Option<&Bound<'_, PyAny>>,
        uid: Option<&Bound<'_, PyAny>>,
        gid: Option<&Bound<'_, PyAny>>,
        noswap: bool,
        flags: Option<&Bound<'_, PyAny>>,
        tar: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        const FUNC: &str = "TmpfsRoot";
        let mut options = tmpfs_options(py, FUNC, size, nr_inodes, mode, uid, gid, noswap, flags)?;
        if mode.is_none_or(|m| m.is_none()) {
            options = options.mode(0o755);
        }
        let tar = convert::opt_path(tar, FUNC, "tar")?;
        Ok(PyTmpfsRoot { options, tar })
    }

    /// The options in `mount -o` syntax (`"size=1m,mode=755"`).
    #[getter]
    fn options(&self) -> String {
        self.options.to_string()
    }

    /// The archive unpacked into it, or `None`.
    #[getter]
    fn tar<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        self.tar
            .as_ref()
            .map(|t| convert::fs_str(py, t.as_os_str().as_encoded_bytes()))
            .transpose()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let options = PyString::new(py, &self.options()).repr()?;
        Ok(match self.tar(py)? {
            Some(t) => format!("TmpfsRoot({options}, tar={})", t.repr()?),
            None => format!("TmpfsRoot({options})"),
        })
    }
}

/// The `root=` argument, resolved when the spec is planned.
#[derive(Clone)]
enum RootArg {
    /// An empty tmpfs root (mode 0755).
    Default,
    /// A host path: a directory, or a regular file (a tar archive).
    Path(PathBuf),
    /// A tmpfs with options, maybe filled from an archive.
    Tmpfs(PyTmpfsRoot),
}

/// A sandbox description: core's `Spec` (see docs/python.md).
#[pyclass(module = "mntns._mntns", name = "Sandbox")]
pub(crate) struct PySandbox {
    spec: mntns::Spec,
    root: RootArg,
    base: Option<mntns::Base>,
}

/// The spec with its root and base resolved (stats the root path: call without the GIL).
fn resolve(mut spec: mntns::Spec, root: &RootArg, base: Option<mntns::Base>) -> mntns::Spec {
    let default_tmpfs = || mntns::TmpfsOptions::new().mode(0o755);
    // As `mntns run`: the ready-to-use host base for a tmpfs root; only /proc, /dev and
    // /tmp for roots that bring their own content.
    let (root, default_base) = match root {
        RootArg::Default => (mntns::Root::Tmpfs(default_tmpfs()), mntns::Base::Host),
        RootArg::Path(p) if std::fs::metadata(p).is_ok_and(|m| m.is_file()) => (
            mntns::Root::Tar {
                path: p.clone(),
                tmpfs: default_tmpfs(),
            },
            mntns::Base::System,
        ),
        RootArg::Path(p) => (mntns::Root::Dir(p.clone()), mntns::Base::System),
        RootArg::Tmpfs(t) => match &t.tar {
            Some(tar) => (
                mntns::Root::Tar {
                    path: tar.clone(),
                    tmpfs: t.options.clone(),
                },
                mntns::Base::System,
            ),
            None => (mntns::Root::Tmpfs(t.options.clone()), mntns::Base::Host),
        },
    };
    spec = spec.root(root).base(base.unwrap_or(default_base));
    spec
}

fn given<'a, 'py>(o: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    o.filter(|o| !o.is_none())
}

/// A `str`, `bytes` or `os.PathLike` as an `OsString` (encoded like `os.fsencode`).
fn os_string(obj: &Bound<'_, PyAny>, func: &str, name: &str) -> PyResult<OsString> {
    Ok(convert::path(obj, func, name)?.into_os_string())
}

/// Refuses a `str` or `bytes` where a collection of them is expected (iterating it would
/// give single characters).
fn not_a_string(obj: &Bound<'_, PyAny>, func: &str, what: &str) -> PyResult<()> {
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(type_error(
            func,
            format!("{what}, not a single {}", convert::type_name(obj)),
        ));
    }
    Ok(())
}

/// `(key, value)` pairs of a mapping (anything with `items()`).
fn mapping_items<'py>(
    obj: &Bound<'py, PyAny>,
    func: &str,
    name: &str,
) -> PyResult<Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
    if !obj.hasattr("items")? {
        return Err(type_error(
            func,
            format!("{name} must be a mapping, not {}", convert::type_name(obj)),
        ));
    }
    let mut out = Vec::new();
    for item in obj.call_method0("items")?.try_iter()? {
        let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item?.extract()?;
        out.push((k, v));
    }
    Ok(out)
}

/// A uid or gid map: a `str` of `/proc/PID/uid_map` lines (`"0 1000 1\n1 100000 65536"`,
/// or `inside:outside:count`), or a sequence of such lines or of `(inside, outside, count)`
/// tuples.
fn id_map(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    func: &str,
    name: &str,
) -> PyResult<Vec<mntns::idmap::IdMap>> {
    let line = |text: &str| text.trim().parse::<mntns::idmap::IdMap>().or_raise(py);
    if let Ok(s) = obj.cast::<PyString>() {
        return mntns::idmap::parse_map(&s.to_cow()?).or_raise(py);
    }
    if obj.is_instance_of::<PyBytes>() {
        return Err(type_error(
            func,
            format!("{name} must be a str or a sequence"),
        ));
    }
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(|_| {
        type_error(
            func,
            format!(
                "{name} must be a str or a sequence of (inside, outside, count), not {}",
                convert::type_name(obj)
            ),
        )
    })? {
        let item = item?;
        if let Ok(s) = item.cast::<PyString>() {
            out.push(line(&s.to_cow()?)?);
            continue;
        }
        let parts: Vec<Bound<'_, PyAny>> = item
            .try_iter()
            .and_then(|it| it.collect::<PyResult<Vec<_>>>())
            .map_err(|_| {
                type_error(
                    func,
                    format!(
                        "each line of {name} must be a str or an (inside, outside, count) \
                         tuple, not {}",
                        convert::type_name(&item)
                    ),
                )
            })?;
        let [inside, outside, count] = parts.as_slice() else {
            return Err(value_error(
                func,
                format!(
                    "each line of {name} has three numbers (inside, outside, count), not {}",
                    parts.len()
                ),
            ));
        };
        out.push(mntns::idmap::IdMap::new(
            convert::u32_arg(inside, func, name)?,
            convert::u32_arg(outside, func, name)?,
            convert::u32_arg(count, func, name)?,
        ));
    }
    Ok(out)
}

/// One standard stream argument, resolved.
enum StdioArg {
    Inherit,
    Null,
    Pipe,
    /// `subprocess.STDOUT` (stderr only): wherever stdout goes.
    Stdout,
    Fd(OwnedFd),
}

fn stdio_arg(
    py: Python<'_>,
    obj: Option<&Bound<'_, PyAny>>,
    index: usize,
    func: &str,
) -> PyResult<StdioArg> {
    let name = ["stdin", "stdout", "stderr"][index];
    let Some(obj) = given(obj) else {
        return Ok(StdioArg::Inherit);
    };
    if obj.is_instance_of::<PyInt>() {
        let v = convert::int(obj, func, name)?;
        match v {
            PIPE => return Ok(StdioArg::Pipe),
            DEVNULL => return Ok(StdioArg::Null),
            STDOUT if index == 2 => return Ok(StdioArg::Stdout),
            STDOUT => {
                return Err(value_error(
                    func,
                    format!("subprocess.STDOUT is only valid for stderr, not {name}"),
                ));
            }
            v if v < 0 => {
                return Err(value_error(
                    func,
                    format!(
                        "{name} {v} is neither a descriptor nor subprocess.PIPE, DEVNULL or \
                         STDOUT"
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(StdioArg::Fd(convert::fd(py, obj, func, name)?))
}

/// `pass_fds`: an iterable of descriptors (each passed under its own number) or a mapping
/// `{number inside: descriptor}`. Sources are duplicated; targets are checked by core.
fn pass_fds_arg(
    py: Python<'_>,
    obj: Option<&Bound<'_, PyAny>>,
    func: &str,
) -> PyResult<Vec<(OwnedFd, RawFd)>> {
    let Some(obj) = given(obj) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    if obj.hasattr("items")? {
        for (k, v) in mapping_items(obj, func, "pass_fds")? {
            let target = convert::int(&k, func, "pass_fds key")?;
            let target = i32::try_from(target)
                .map_err(|_| value_error(func, format!("pass_fds key {target} is out of range")))?;
            out.push((convert::fd(py, &v, func, "pass_fds value")?, target));
        }
        return Ok(out);
    }
    not_a_string(
        obj,
        func,
        "pass_fds must be an iterable of descriptors or a mapping",
    )?;
    let items = obj.try_iter().map_err(|_| {
        type_error(
            func,
            format!(
                "pass_fds must be an iterable of descriptors or a mapping, not {}",
                convert::type_name(obj)
            ),
        )
    })?;
    for item in items {
        let item = item?;
        let fd = convert::fd(py, &item, func, "pass_fds item")?;
        let number = if item.is_instance_of::<PyInt>() {
            item.extract::<i32>()?
        } else {
            item.call_method0("fileno")?.extract::<i32>()?
        };
        out.push((fd, number));
    }
    Ok(out)
}

/// The argv: a sequence (not a single string) of `str`, `bytes` or `os.PathLike`.
fn argv_arg(obj: &Bound<'_, PyAny>, func: &str) -> PyResult<Vec<OsString>> {
    not_a_string(
        obj,
        func,
        "argv must be a sequence of arguments such as [\"ls\", \"-l\"]",
    )?;
    let items = obj.try_iter().map_err(|_| {
        type_error(
            func,
            format!(
                "argv must be a sequence of str, bytes or os.PathLike, not {}",
                convert::type_name(obj)
            ),
        )
    })?;
    let mut argv = Vec::new();
    for (i, item) in items.enumerate() {
        argv.push(os_string(&item?, func, &format!("argv[{i}]"))?);
    }
    Ok(argv)
}

fn pipe() -> mntns::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds is an array of two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(mntns::Error::last_os(
            "create a pipe for the sandbox's stdio",
        ));
    }
    // SAFETY: pipe2 returned two new descriptors we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// `io.open(fd, mode)`: the pipe end as a Python file object, which owns it from then on.
fn file_object(py: Python<'_>, fd: OwnedFd, mode: &str) -> PyResult<Py<PyAny>> {
    static OPEN: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let open = OPEN.import(py, "io", "open")?;
    let raw = fd.as_raw_fd();
    match open.call1((raw, mode)) {
        Ok(f) => {
            // The file object closes it now.
            let _ = fd.into_raw_fd();
            Ok(f.unbind())
        }
        Err(e) => Err(e), // `fd` is closed on drop
    }
}

/// The parent's ends of the pipes asked for (stdin, stdout, stderr).
type ParentEnds = [Option<OwnedFd>; 3];

/// Plans the spec, creates the pipes asked for and spawns `argv` (called without the GIL).
fn spawn_detached(
    spec: mntns::Spec,
    root: &RootArg,
    base: Option<mntns::Base>,
    argv: &[OsString],
    stdio: &[StdioArg; 3],
    pass: &[(OwnedFd, RawFd)],
) -> mntns::Result<(mntns::Child, ParentEnds)> {
    let plan = resolve(spec, root, base).plan()?;
    let mut parent_ends: ParentEnds = [None, None, None];
    let mut child_ends: [Option<OwnedFd>; 3] = [None, None, None];
    for (i, s) in stdio.iter().enumerate() {
        if matches!(s, StdioArg::Pipe) {
            let (r, w) = pipe()?;
            let (parent, child) = if i == 0 { (w, r) } else { (r, w) };
            parent_ends[i] = Some(parent);
            child_ends[i] = Some(child);
        }
    }
    let mut core = [mntns::Stdio::Inherit; 3];
    for i in 0..3 {
        core[i] = match &stdio[i] {
            StdioArg::Inherit => mntns::Stdio::Inherit,
            StdioArg::Null => mntns::Stdio::Null,
            StdioArg::Fd(fd) => mntns::Stdio::Fd(fd.as_raw_fd()),
            StdioArg::Pipe => {
                mntns::Stdio::Fd(child_ends[i].as_ref().map_or(-1, |f| f.as_raw_fd()))
            }
            // stderr goes wherever stdout goes (resolved just above).
            StdioArg::Stdout => match core[1] {
                mntns::Stdio::Inherit => mntns::Stdio::Fd(1),
                other => other,
            },
        };
    }
    let pairs: Vec<(RawFd, RawFd)> = pass.iter().map(|(fd, n)| (fd.as_raw_fd(), *n)).collect();
    let child = plan.spawn_with(argv, core, &pairs)?;
    // The child has its copies; ours (the child ends, the duplicates) close on return.
    Ok((child, parent_ends))
}

impl PySandbox {
    /// A copy of the spec as it is now, with root and base still to be resolved. The
    /// object is borrowed only while copying: another thread may call `add_*` while this
    /// one plans and spawns without the GIL.
    fn parts(slf: &Bound<'_, Self>) -> (mntns::Spec, RootArg, Option<mntns::Base>) {
        let this = slf.borrow();
        (this.spec.clone(), this.root.clone(), this.base)
    }

    /// Spawns `argv` (see `spawn`).
    #[allow(clippy::too_many_arguments)] // one per keyword argument of the Python call
    fn spawn_impl(
        slf: &Bound<'_, Self>,
        py: Python<'_>,
        func: &str,
        argv_obj: &Bound<'_, PyAny>,
        stdin: Option<&Bound<'_, PyAny>>,
        stdout: Option<&Bound<'_, PyAny>>,
        stderr: Option<&Bound<'_, PyAny>>,
        pass_fds: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyChild> {
        // 1. Every argument converted (and refused) before anything is created.
        let argv = argv_arg(argv_obj, func)?;
        let stdio = [
            stdio_arg(py, stdin, 0, func)?,
            stdio_arg(py, stdout, 1, func)?,
            stdio_arg(py, stderr, 2, func)?,
        ];
        let pass = pass_fds_arg(py, pass_fds, func)?;
        let (spec, root, base) = Self::parts(slf);

        // 2. Plan, pipes, spawn: without the GIL.
        let (child, parent_ends) = py
            .detach(move || spawn_detached(spec, &root, base, &argv, &stdio, &pass))
            .or_raise(py)?;

        // 3. The parent's pipe ends as file objects, like Popen's.
        let [p_in, p_out, p_err] = parent_ends;
        let wrap = |fd: Option<OwnedFd>, mode: &str| -> PyResult<Option<Py<PyAny>>> {
            fd.map(|fd| file_object(py, fd, mode)).transpose()
        };
        let stdin = wrap(p_in, "wb");
        let stdout = wrap(p_out, "rb");
        let stderr = wrap(p_err, "rb");
        // If wrapping failed (it does not, short of memory), `child` is dropped here: core
        // kills and reaps it.
        let (stdin, stdout, stderr) = (stdin?, stdout?, stderr?);
        Ok(PyChild::new(
            child,
            argv_obj.clone().unbind(),
            stdin,
            stdout,
            stderr,
        ))
    }
}

static COMPLETED_PROCESS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static CALLED_PROCESS_ERROR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static TIMEOUT_EXPIRED: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

#[pymethods]
impl PySandbox {
    #[new]
    #[pyo3(
        signature = (*, root=None, base=None, namespaces=None, hostname=None, uid=None, gid=None, uid_map=None, gid_map=None, setgroups=false, env=None, clearenv=false, setenv=None, unsetenv=None, cwd=None, new_session=false, no_new_privs=false, restore_signals=true, die_with_parent=true, keep_old_root=None, clone_mode=None, start_paused=false),
        text_signature = "(*, root=None, base=None, namespaces=0, hostname=None, uid=None, gid=None, uid_map=None, gid_map=None, setgroups=False, env=None, clearenv=False, setenv=None, unsetenv=None, cwd=None, new_session=False, no_new_privs=False, restore_signals=True, die_with_parent=True, keep_old_root=None, clone_mode=None, start_paused=False)"
    )]
    #[allow(clippy::too_many_arguments)] // one per keyword argument of the Python call
    fn new(
        py: Python<'_>,
        root: Option<&Bound<'_, PyAny>>,
        base: Option<&Bound<'_, PyAny>>,
        namespaces: Option<&Bound<'_, PyAny>>,
        hostname: Option<&Bound<'_, PyAny>>,
        uid: Option<&Bound<'_, PyAny>>,
        gid: Option<&Bound<'_, PyAny>>,
        uid_map: Option<&Bound<'_, PyAny>>,
        gid_map: Option<&Bound<'_, PyAny>>,
        setgroups: bool,
        env: Option<&Bound<'_, PyAny>>,
        clearenv: bool,
        setenv: Option<&Bound<'_, PyAny>>,
        unsetenv: Option<&Bound<'_, PyAny>>,
        cwd: Option<&Bound<'_, PyAny>>,
        new_session: bool,
        no_new_privs: bool,
        restore_signals: bool,
        die_with_parent: bool,
        keep_old_root: Option<&Bound<'_, PyAny>>,
        clone_mode: Option<&Bound<'_, PyAny>>,
        start_paused: bool,
    ) -> PyResult<Self> {
        const FUNC: &str = "Sandbox";
        let root = match given(root) {
            None => RootArg::Default,
            Some(r) => {
                if let Ok(t) = r.cast::<PyTmpfsRoot>() {
                    RootArg::Tmpfs(t.get().clone())
                } else if r.is_instance_of::<PyDict>() {
                    let t = py
                        .get_type::<PyTmpfsRoot>()
                        .call((), Some(r.cast::<PyDict>()?))?;
                    RootArg::Tmpfs(t.cast::<PyTmpfsRoot>()?.get().clone())
                } else if r.is_instance_of::<PyString>()
                    || r.is_instance_of::<PyBytes>()
                    || r.hasattr("__fspath__")?
                {
                    RootArg::Path(convert::path(r, FUNC, "root")?)
                } else {
                    return Err(type_error(
                        FUNC,
                        format!(
                            "root must be a path (a directory or a tar archive), a TmpfsRoot \
                             or a dict of tmpfs options, not {}",
                            convert::type_name(r)
                        ),
                    ));
                }
            }
        };
        let base = match given(base) {
            None => None,
            Some(b) => Some(match convert::text(b, FUNC, "base")?.as_str() {
                "bare" => mntns::Base::Bare,
                "system" => mntns::Base::System,
                "host" => mntns::Base::Host,
                other => {
                    return Err(value_error(
                        FUNC,
                        format!("base must be \"bare\", \"system\" or \"host\", not {other:?}"),
                    ));
                }
            }),
        };
        let mut spec = mntns::Spec::new();
        if let Some(ns) = given(namespaces) {
            spec = spec.namespaces(convert::namespaces(py, ns, FUNC, "namespaces")?);
        }
        if let Some(h) = given(hostname) {
            spec = spec.hostname(os_string(h, FUNC, "hostname")?);
        }

        // Identity: explicit maps, or the caller mapped to uid/gid, or the default
        // (rootless when not root).
        let uid = given(uid)
            .map(|u| convert::u32_arg(u, FUNC, "uid"))
            .transpose()?;
        let gid = given(gid)
            .map(|g| convert::u32_arg(g, FUNC, "gid"))
            .transpose()?;
        let identity = match (given(uid_map), given(gid_map)) {
            (Some(u), Some(g)) => mntns::Identity::Maps {
                uid_map: id_map(py, u, FUNC, "uid_map")?,
                gid_map: id_map(py, g, FUNC, "gid_map")?,
                setgroups: if setgroups {
                    mntns::idmap::SetGroups::Allow
                } else {
                    mntns::idmap::SetGroups::Deny
                },
                uid: uid.unwrap_or(0),
                gid: gid.unwrap_or(0),
            },
            (None, None) if setgroups => {
                return Err(value_error(
                    FUNC,
                    "setgroups=True needs explicit uid_map and gid_map (written with privilege)",
                ));
            }
            (None, None) if uid.is_some() || gid.is_some() => mntns::Identity::Rootless {
                uid: uid.unwrap_or(0),
                gid: gid.unwrap_or(0),
            },
            (None, None) => mntns::Identity::Auto,
            _ => {
                return Err(value_error(FUNC, "give uid_map and gid_map together"));
            }
        };
        spec = spec.identity(identity);

        // Environment: env= is the whole environment (as for subprocess); then clearenv,
        // unsetenv and setenv change it.
        if let Some(e) = given(env) {
            spec = spec.env_clear();
            for (k, v) in mapping_items(e, FUNC, "env")? {
                spec = spec.setenv(
                    os_string(&k, FUNC, "env key")?,
                    os_string(&v, FUNC, "env value")?,
                );
            }
        }
        if clearenv {
            spec = spec.env_clear();
        }
        if let Some(u) = given(unsetenv) {
            not_a_string(u, FUNC, "unsetenv must be an iterable of variable names")?;
            for k in u.try_iter()? {
                spec = spec.unsetenv(os_string(&k?, FUNC, "unsetenv item")?);
            }
        }
        if let Some(s) = given(setenv) {
            for (k, v) in mapping_items(s, FUNC, "setenv")? {
                spec = spec.setenv(
                    os_string(&k, FUNC, "setenv key")?,
                    os_string(&v, FUNC, "setenv value")?,
                );
            }
        }
        if let Some(c) = convert::opt_path(cwd, FUNC, "cwd")? {
            spec = spec.cwd(c);
        }
        if let Some(k) = convert::opt_path(keep_old_root, FUNC, "keep_old_root")? {
            spec = spec.keep_old_root(k);
        }
        if let Some(m) = given(clone_mode) {
            let mode = match convert::text(m, FUNC, "clone_mode")?.as_str() {
                "auto" => mntns::CloneMode::Auto,
                "vfork" => mntns::CloneMode::Vfork,
                "fork" => mntns::CloneMode::Fork,
                other => {
                    return Err(value_error(
                        FUNC,
                        format!(
                            "clone_mode must be \"auto\", \"vfork\" or \"fork\", not {other:?}"
                        ),
                    ));
                }
            };
            spec = spec.clone_mode(mode);
        }
        spec = spec
            .new_session(new_session)
            .no_new_privs(no_new_privs)
            .restore_signals(restore_signals)
            .die_with_parent(die_with_parent)
            .start_paused(start_paused);
        Ok(PySandbox { spec, root, base })
    }

    /// Adds a tmpfs at `target` (`mount -t tmpfs`); returns the sandbox.
    #[pyo3(signature = (target, *, size=None, nr_inodes=None, mode=None, uid=None, gid=None, noswap=false, flags=None))]
    #[allow(clippy::too_many_arguments)] // one per keyword argument of the Python call
    fn add_tmpfs<'py>(
        mut slf: PyRefMut<'py, Self>,
        target: &Bound<'py, PyAny>,
        size: Option<&Bound<'py, PyAny>>,
        nr_inodes: Option<&Bound<'py, PyAny>>,
        mode: Option<&Bound<'py, PyAny>>,
        uid: Option<&Bound<'py, PyAny>>,
        gid: Option<&Bound<'py, PyAny>>,
        noswap: bool,
        flags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        const FUNC: &str = "Sandbox.add_tmpfs";
        let py = slf.py();
        let target = convert::path(target, FUNC, "target")?;
        let options = tmpfs_options(py, FUNC, size, nr_inodes, mode, uid, gid, noswap, flags)?;
        slf.push(mntns::MountEntry::Tmpfs { target, options });
        Ok(slf)
    }

    /// Binds the host's `source` at `target` (`mount --rbind`); returns the sandbox.
    #[pyo3(signature = (source, target, *, readonly=false, recursive=true, flags=None))]
    fn add_bind<'py>(
        mut slf: PyRefMut<'py, Self>,
        source: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        readonly: bool,
        recursive: bool,
        flags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        const FUNC: &str = "Sandbox.add_bind";
        let py = slf.py();
        let source = convert::path(source, FUNC, "source")?;
        let target = convert::path(target, FUNC, "target")?;
        let flags = mount_flags(py, flags, FUNC, "flags")?;
        slf.push(mntns::MountEntry::Bind {
            source,
            target,
            readonly,
            recursive,
            flags,
        });
        Ok(slf)
    }

    /// Mounts a new proc at `target`; returns the sandbox.
    fn add_proc<'py>(
        mut slf: PyRefMut<'py, Self>,
        target: &Bound<'py, PyAny>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let target = convert::path(target, "Sandbox.add_proc", "target")?;
        slf.push(mntns::MountEntry::Proc { target });
        Ok(slf)
    }

    /// Makes a minimal /dev at `target`; returns the sandbox.
    fn add_dev<'py>(
        mut slf: PyRefMut<'py, Self>,
        target: &Bound<'py, PyAny>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let target = convert::path(target, "Sandbox.add_dev", "target")?;
        slf.push(mntns::MountEntry::Dev { target });
        Ok(slf)
    }

    /// Creates a directory (with its parents) at `target`; returns the sandbox.
    #[pyo3(signature = (target, mode=None), text_signature = "($self, target, mode=0o755)")]
    fn add_dir<'py>(
        mut slf: PyRefMut<'py, Self>,
        target: &Bound<'py, PyAny>,
        mode: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        const FUNC: &str = "Sandbox.add_dir";
        let target = convert::path(target, FUNC, "target")?;
        let mode = match given(mode) {
            Some(m) => convert::u32_arg(m, FUNC, "mode")?,
            None => 0o755,
        };
        slf.push(mntns::MountEntry::Dir { target, mode });
        Ok(slf)
    }

    /// Creates a symlink at `target` whose text is `link` (`ln -s LINK TARGET`); returns
    /// the sandbox.
    fn add_symlink<'py>(
        mut slf: PyRefMut<'py, Self>,
        link: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        const FUNC: &str = "Sandbox.add_symlink";
        let link = convert::path(link, FUNC, "link")?;
        let target = convert::path(target, FUNC, "target")?;
        slf.push(mntns::MountEntry::Symlink { link, target });
        Ok(slf)
    }

    /// Creates a file at `target` holding `contents` (`bytes`, or `str` as UTF-8); returns
    /// the sandbox.
    #[pyo3(signature = (target, contents, mode=None), text_signature = "($self, target, contents, mode=0o644)")]
    fn add_file<'py>(
        mut slf: PyRefMut<'py, Self>,
        target: &Bound<'py, PyAny>,
        contents: &Bound<'py, PyAny>,
        mode: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        const FUNC: &str = "Sandbox.add_file";
        let target = convert::path(target, FUNC, "target")?;
        let contents = match contents.cast::<PyString>() {
            Ok(s) => s.to_cow()?.as_bytes().to_vec(),
            Err(_) => bytes_like(contents, FUNC, "contents")?,
        };
        let mode = match given(mode) {
            Some(m) => convert::u32_arg(m, FUNC, "mode")?,
            None => 0o644,
        };
        slf.push(mntns::MountEntry::File {
            target,
            contents,
            mode,
        });
        Ok(slf)
    }

    /// The plan as numbered steps, as a person would type them (`mntns run --explain`).
    #[pyo3(signature = (argv=None))]
    fn explain(
        slf: &Bound<'_, Self>,
        py: Python<'_>,
        argv: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let argv = given(argv)
            .map(|a| argv_arg(a, "Sandbox.explain"))
            .transpose()?;
        let (mut spec, root, base) = Self::parts(slf);
        if let Some(argv) = argv {
            spec = spec.command(argv);
        }
        py.detach(move || resolve(spec, &root, base).plan().map(|p| p.to_string()))
            .or_raise(py)
    }

    /// Runs `argv` in a new sandbox; returns its `Child` at once.
    #[pyo3(
        signature = (argv, *, stdin=None, stdout=None, stderr=None, pass_fds=None),
        text_signature = "($self, argv, *, stdin=None, stdout=None, stderr=None, pass_fds=())"
    )]
    fn spawn(
        slf: &Bound<'_, Self>,
        py: Python<'_>,
        argv: &Bound<'_, PyAny>,
        stdin: Option<&Bound<'_, PyAny>>,
        stdout: Option<&Bound<'_, PyAny>>,
        stderr: Option<&Bound<'_, PyAny>>,
        pass_fds: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyChild> {
        Self::spawn_impl(
            slf,
            py,
            "Sandbox.spawn",
            argv,
            stdin,
            stdout,
            stderr,
            pass_fds,
        )
    }

    /// Runs `argv` in a new sandbox and waits for it, like `subprocess.run`; returns a
    /// `subprocess.CompletedProcess`.
    #[pyo3(
        signature = (argv, *, stdin=None, input=None, capture_output=false, stdout=None, stderr=None, check=false, timeout=None, pass_fds=None),
        text_signature = "($self, argv, *, stdin=None, input=None, capture_output=False, stdout=None, stderr=None, check=False, timeout=None, pass_fds=())"
    )]
    #[allow(clippy::too_many_arguments)] // one per keyword argument of the Python call
    fn run<'py>(
        slf: &Bound<'py, Self>,
        py: Python<'py>,
        argv: &Bound<'py, PyAny>,
        stdin: Option<&Bound<'py, PyAny>>,
        input: Option<&Bound<'py, PyAny>>,
        capture_output: bool,
        stdout: Option<&Bound<'py, PyAny>>,
        stderr: Option<&Bound<'py, PyAny>>,
        check: bool,
        timeout: Option<&Bound<'py, PyAny>>,
        pass_fds: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        const FUNC: &str = "Sandbox.run";
        let pipe = PIPE.into_pyobject(py)?.into_any();
        let input = given(input);
        if input.is_some() && given(stdin).is_some() {
            return Err(value_error(
                FUNC,
                "stdin and input arguments may not both be used",
            ));
        }
        if capture_output && (given(stdout).is_some() || given(stderr).is_some()) {
            return Err(value_error(
                FUNC,
                "stdout and stderr arguments may not be used with capture_output",
            ));
        }
        // Checked before the spawn (communicate would only check it afterwards).
        crate::child::timeout_arg(timeout, FUNC)?;
        if let Some(i) = input {
            bytes_like(i, FUNC, "input")?;
        }
        let stdin = if input.is_some() { Some(&pipe) } else { stdin };
        let (stdout, stderr) = if capture_output {
            (Some(&pipe), Some(&pipe))
        } else {
            (stdout, stderr)
        };
        let child = Self::spawn_impl(slf, py, FUNC, argv, stdin, stdout, stderr, pass_fds)?;
        let result = child.communicate_impl(py, input, timeout);
        let (out, err) = match result {
            Ok(pair) => pair,
            Err(e) => {
                // As subprocess.run: on a timeout kill and reap (the exception already
                // holds the output so far); on anything else (KeyboardInterrupt
                // included) kill; the pipes are closed and the sandbox reaped in both cases.
                let _ = child.signal(py, libc::SIGKILL);
                if e.is_instance(
                    py,
                    &subprocess_attr(py, &TIMEOUT_EXPIRED, "TimeoutExpired")?,
                ) {
                    child.wait_forever(py)?;
                }
                child.close_and_reap(py)?;
                return Err(e);
            }
        };
        child.close_and_reap(py)?;
        let code = child.wait_forever(py)?.into_pyobject(py)?.into_any();
        let args = argv.clone();
        if check && code.extract::<i32>()? != 0 {
            let cls = subprocess_attr(py, &CALLED_PROCESS_ERROR, "CalledProcessError")?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("output", &out)?;
            kwargs.set_item("stderr", &err)?;
            let exc = cls.call((code, args), Some(&kwargs))?;
            return Err(PyErr::from_value(exc));
        }
        let cls = subprocess_attr(py, &COMPLETED_PROCESS, "CompletedProcess")?;
        cls.call1((args, code, out, err))
    }

    fn __repr__(&self) -> String {
        let root = match &self.root {
            RootArg::Default => "default tmpfs".to_owned(),
            RootArg::Path(p) => format!("{:?}", p),
            RootArg::Tmpfs(t) => match &t.tar {
                Some(tar) => format!("tmpfs {} from {:?}", t.options, tar),
                None => format!("tmpfs {}", t.options),
            },
        };
        format!(
            "<Sandbox root={root}, {} mount entries>",
            self.spec.mounts().len()
        )
    }
}

impl PySandbox {
    fn push(&mut self, entry: mntns::MountEntry) {
        self.spec = std::mem::take(&mut self.spec).mount(entry);
    }
}

/// Registers `Sandbox`, `TmpfsRoot` and `Child`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySandbox>()?;
    m.add_class::<PyTmpfsRoot>()?;
    m.add_class::<PyChild>()?;
    Ok(())
}
