//! Switching the root of a mount namespace: the whole `pivot_root` sequence that people
//! otherwise get wrong by hand (shared propagation, a new root that is not a mount point, the
//! old root left mounted, a cwd outside the new root).
//!
//! The sequence ([`pivot_root`] runs it in the calling process, in this order):
//!
//! 1. Make `/` recursively slave (or private), so nothing done from here on propagates back
//!    to the host and `pivot_root(2)` cannot fail on shared propagation (runc#1500).
//! 2. Make the new root a mount point: bind it onto itself (recursively) when it is not one.
//! 3. `chdir` into the new root through an `O_PATH` descriptor.
//! 4. Either `pivot_root(".", ".")`, make the old root (now stacked on `/`) recursively
//!    slave and detach it — or, when the caller keeps the old root, `pivot_root(".",
//!    old_root)` with the old root at that path inside the new root (the walkthrough's
//!    `old-root`).
//! 5. `chdir("/")` and verify that the cwd is the new root (`getcwd` is not
//!    "(unreachable)", and `/` is the directory we pivoted into).
//!
//! See `pivot_root(2)`, "The pivot_root(".", ".") idiom", and `mount_namespaces(7)`.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use crate::error::{Errno, Error, Result, hints};
use crate::ns::{NsId, NsKind};
use crate::process::Pid;

/// How `/` is made non-shared before pivoting (step 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RootPropagation {
    /// `MS_SLAVE|MS_REC`: mounts made by the host still appear here, nothing goes back
    /// (what bubblewrap and runc do by default).
    #[default]
    Slave,
    /// `MS_PRIVATE|MS_REC`: no propagation either way.
    Private,
}

/// Options for [`pivot_root_with`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PivotOptions {
    old_root: Option<PathBuf>,
    propagation: RootPropagation,
}

impl PivotOptions {
    /// Detach the old root, make `/` rslave first.
    pub fn new() -> PivotOptions {
        PivotOptions::default()
    }

    /// Keep the old root mounted at `path` inside the new root (created as a directory
    /// with mode 0700 if missing) instead of detaching it. `path` is relative to the new
    /// root (`"old-root"` or `"/old-root"` mean the same) and may not contain `..`.
    pub fn keep_old_root(mut self, path: impl Into<PathBuf>) -> PivotOptions {
        self.old_root = Some(path.into());
        self
    }

    /// How to make `/` non-shared first.
    pub fn propagation(mut self, propagation: RootPropagation) -> PivotOptions {
        self.propagation = propagation;
        self
    }
}

/// Makes `new_root` the root of the calling process's mount namespace, with the whole
/// sequence of the module documentation. `old_root`, when given, keeps the old root at that
/// path inside the new root (relative to it, e.g. `"old-root"`); `None` detaches it.
///
/// Call it in a mount namespace of your own ([`crate::unshare`]`(Namespaces::MOUNT)`, or a
/// spawned child): it refuses to run in the mount namespace of pid 1, where it would switch
/// the root of every process on the host.
///
/// # Errors
/// - `EINVAL` for a bad `old_root` (absolute escapes, `..`, empty) or NUL bytes.
/// - `ENOENT`/`ENOTDIR`/`EACCES` naming the new root.
/// - `EPERM` in the initial mount namespace (with a hint), or without `CAP_SYS_ADMIN`.
/// - `EINVAL`/`EBUSY` from `pivot_root(2)`, always with the cause found (the new root is the
///   current root, the root is an initramfs, …).
///
/// See `pivot_root(2)`.
pub fn pivot_root(new_root: &Path, old_root: Option<&Path>) -> Result<()> {
    let mut opts = PivotOptions::new();
    if let Some(old) = old_root {
        opts = opts.keep_old_root(old);
    }
    pivot_root_with(new_root, &opts)
}

/// [`pivot_root`] with every option.
///
/// # Errors
/// As [`pivot_root`].
pub fn pivot_root_with(new_root: &Path, opts: &PivotOptions) -> Result<()> {
    let new_root_c = cstring(new_root, "pivot_root")?;
    let old_rel = match &opts.old_root {
        Some(p) => Some(old_root_relative(p)?),
        None => None,
    };
    refuse_initial_namespace()?;

    // 1. Make "/" rslave (or rprivate) so that nothing below propagates to the host and
    //    pivot_root does not fail with EINVAL on a shared mount (runc#1500).
    let (flag, step) = match opts.propagation {
        RootPropagation::Slave => (libc::MS_SLAVE, "make / rslave"),
        RootPropagation::Private => (libc::MS_PRIVATE, "make / rprivate"),
    };
    mount_raw(None, c"/", flag | libc::MS_REC).map_err(|e| mount_error(step, "/", e))?;

    // 2. The new root must be a mount point; a plain directory is bound onto itself.
    let root_fd = open_dir(&new_root_c, new_root)?;
    if !is_mount_root(&root_fd, new_root)? {
        mount_raw(Some(&new_root_c), &new_root_c, libc::MS_BIND | libc::MS_REC)
            .map_err(|e| mount_error("bind new root onto itself", new_root, e))?;
    }
    // Reopen: the descriptor taken before the bind refers to the directory under it.
    let root_fd = open_dir(&new_root_c, new_root)?;
    let root_stat = fstat(&root_fd).map_err(|e| Error::new("stat", e).with_path(new_root))?;

    // 3. Work relative to the new root from here on.
    // SAFETY: root_fd is an open directory descriptor.
    if unsafe { libc::fchdir(root_fd.as_raw_fd()) } != 0 {
        return Err(Error::last_os("chdir into new root").with_path(new_root));
    }

    // 4. Pivot. With an old-root path the old root lands there; otherwise use the
    //    pivot_root(".", ".") idiom: the old root ends up stacked on "/" and is detached.
    match &old_rel {
        Some(rel) => {
            let rel_c = cstring(rel, "pivot_root")?;
            make_old_root_dir(&rel_c, rel)?;
            pivot_raw(c".", &rel_c).map_err(|e| explain_pivot(e, new_root))?;
        }
        None => {
            pivot_raw(c".", c".").map_err(|e| explain_pivot(e, new_root))?;
            // The old root is now on top of "."; make it rslave so the unmount cannot
            // propagate to any peer, then detach it.
            mount_raw(None, c".", libc::MS_SLAVE | libc::MS_REC)
                .map_err(|e| mount_error("make old root rslave", "/", e))?;
            // SAFETY: umount2 on a constant C string.
            if unsafe { libc::umount2(c".".as_ptr(), libc::MNT_DETACH) } != 0 {
                return Err(Error::last_os("detach old root").with_path("/"));
            }
        }
    }

    // 5. Land on "/" and check that it is the directory we pivoted into.
    // SAFETY: chdir on a constant C string.
    if unsafe { libc::chdir(c"/".as_ptr()) } != 0 {
        return Err(Error::last_os("chdir /"));
    }
    verify_cwd_is_root(&root_stat)
}

/// `old_root` as a path relative to the new root: components only, no `..`, not empty.
fn old_root_relative(p: &Path) -> Result<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(n) => out.push(n),
            Component::ParentDir | Component::Prefix(_) => {
                return Err(Error::invalid(
                    "pivot_root",
                    "the old root path may not contain \"..\" (it must stay inside the new root)",
                )
                .with_path(p));
            }
        }
    }
    if out.as_os_str().is_empty() {
        return Err(Error::invalid(
            "pivot_root",
            "the old root path names the new root itself; give a directory inside it",
        )
        .with_path(p));
    }
    Ok(out)
}

/// Refuses to pivot in pid 1's mount namespace: there it would change the root of every
/// process on the host. Only checked when pid 1's namespace is visible to us.
fn refuse_initial_namespace() -> Result<()> {
    let Ok(init) = NsId::of_pid(Pid::from_raw(1)?, NsKind::Mount) else {
        return Ok(());
    };
    let me = NsId::of_self(NsKind::Mount)?;
    if me == init {
        return Err(Error::new("pivot_root", Errno::EPERM).with_hint(
            "refusing to pivot in the initial mount namespace (it would switch the root of \
             every process on the host); call unshare(Namespaces::MOUNT) first or spawn a \
             sandbox",
        ));
    }
    Ok(())
}

fn make_old_root_dir(rel_c: &CString, rel: &Path) -> Result<()> {
    // SAFETY: mkdir on a NUL-terminated path relative to the cwd (the new root).
    if unsafe { libc::mkdir(rel_c.as_ptr(), 0o700) } != 0 {
        let errno = Errno::last();
        if errno != Errno::EEXIST {
            return Err(Error::new("create old root directory", errno).with_path(rel));
        }
    }
    Ok(())
}

fn verify_cwd_is_root(root_stat: &libc::stat) -> Result<()> {
    let mut buf = [0u8; 16];
    // SAFETY: buf is writable for its length; getcwd NUL-terminates on success.
    let p = unsafe { libc::getcwd(buf.as_mut_ptr().cast(), buf.len()) };
    if p.is_null() || buf[0] != b'/' || buf[1] != 0 {
        return Err(
            Error::new("verify cwd after pivot_root", Errno::EXDEV).with_hint(
                "the working directory is not the new root (getcwd does not return \"/\")",
            ),
        );
    }
    let here = std::fs::metadata("/")
        .map_err(|e| Error::new("stat / after pivot_root", Errno::from(&e)))?;
    use std::os::unix::fs::MetadataExt;
    if here.dev() != root_stat.st_dev || here.ino() != root_stat.st_ino {
        return Err(Error::new("verify root after pivot_root", Errno::EXDEV)
            .with_hint("\"/\" is not the directory that was pivoted into"));
    }
    Ok(())
}

/// Turns EINVAL/EBUSY/EPERM from pivot_root(2) into the cause.
fn explain_pivot(errno: Errno, new_root: &Path) -> Error {
    let err = Error::new("pivot_root", errno).with_path(new_root);
    if errno == Errno::EPERM {
        return err.or_hint(|| hints::mount_eperm(errno));
    }
    if errno != Errno::EINVAL && errno != Errno::EBUSY {
        return err;
    }
    let mut causes = Vec::new();
    if let Ok(text) = std::fs::read("/proc/thread-self/mountinfo") {
        for line in text.split(|&b| b == b'\n') {
            let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
            if fields.len() > 4 && fields[4] == b"/" {
                let rest = line
                    .windows(3)
                    .position(|w| w == b" - ")
                    .map(|i| &line[i + 3..]);
                if rest.is_some_and(|r| r.starts_with(b"rootfs ")) {
                    causes.push(
                        "the current root is the initramfs (rootfs), which cannot be pivoted \
                         away from: use MS_MOVE and chroot (switch_root) instead"
                            .to_owned(),
                    );
                }
            }
        }
    }
    if let Ok(root) = std::fs::canonicalize(new_root) {
        if root == Path::new("/") {
            causes.push("the new root is already the current root".to_owned());
        }
    }
    if causes.is_empty() {
        causes.push(
            "the new root or its parent mount is shared, the new root is not a mount point, \
             or it is not under the current root; libmntns makes / rslave and binds the new \
             root onto itself first, so check that the calling thread is in the mount \
             namespace it expects (a thread that unshared alone sees another root)"
                .to_owned(),
        );
    }
    err.with_hint(causes.join("; "))
}

fn cstring(p: &Path, step: &'static str) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| Error::invalid(step, "path contains a NUL byte").with_path(p))
}

fn open_dir(c: &CString, path: &Path) -> Result<OwnedFd> {
    // SAFETY: c is NUL-terminated; O_PATH|O_DIRECTORY opens nothing but the directory.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(Error::last_os("open new root").with_path(path));
    }
    // SAFETY: open returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn fstat(fd: &OwnedFd) -> std::result::Result<libc::stat, Errno> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fd is open; st is a valid out pointer.
    if unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) } != 0 {
        return Err(Errno::last());
    }
    // SAFETY: fstat succeeded, so st is initialized.
    Ok(unsafe { st.assume_init() })
}

/// Whether the directory `fd` is the root of a mount (`STATX_ATTR_MOUNT_ROOT`, Linux 5.8;
/// before that, whether its mount id differs from its parent's).
fn is_mount_root(fd: &OwnedFd, path: &Path) -> Result<bool> {
    let mut stx = std::mem::MaybeUninit::<libc::statx>::zeroed();
    // SAFETY: fd is open; AT_EMPTY_PATH with "" stats the descriptor itself; stx is a valid
    // out pointer.
    let rc = unsafe {
        libc::statx(
            fd.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            libc::STATX_BASIC_STATS | libc::STATX_MNT_ID,
            stx.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(Error::last_os("statx new root").with_path(path));
    }
    // SAFETY: statx succeeded, so stx is initialized.
    let stx = unsafe { stx.assume_init() };
    let attr = libc::STATX_ATTR_MOUNT_ROOT as u64;
    if stx.stx_attributes_mask & attr != 0 {
        return Ok(stx.stx_attributes & attr != 0);
    }
    // Older kernels: compare with the parent directory.
    let parent = std::fs::metadata(path.join(".."))
        .map_err(|e| Error::new("stat parent of new root", Errno::from(&e)).with_path(path))?;
    use std::os::unix::fs::MetadataExt;
    let dev = libc::makedev(stx.stx_dev_major, stx.stx_dev_minor);
    Ok(parent.dev() != dev || parent.ino() == stx.stx_ino)
}

fn mount_raw(
    source: Option<&CString>,
    target: &std::ffi::CStr,
    flags: libc::c_ulong,
) -> std::result::Result<(), Errno> {
    let src = source.map_or(c"none".as_ptr(), |s| s.as_ptr());
    // SAFETY: all pointers are NUL-terminated strings or null; no data argument.
    let rc = unsafe {
        libc::mount(
            src,
            target.as_ptr(),
            std::ptr::null(),
            flags,
            std::ptr::null(),
        )
    };
    if rc != 0 { Err(Errno::last()) } else { Ok(()) }
}

fn pivot_raw(
    new_root: &std::ffi::CStr,
    put_old: &std::ffi::CStr,
) -> std::result::Result<(), Errno> {
    // SAFETY: pivot_root takes two NUL-terminated paths.
    let rc = unsafe { libc::syscall(libc::SYS_pivot_root, new_root.as_ptr(), put_old.as_ptr()) };
    if rc != 0 { Err(Errno::last()) } else { Ok(()) }
}

fn mount_error(step: &'static str, path: impl AsRef<Path>, errno: Errno) -> Error {
    Error::new(step, errno)
        .with_path(path)
        .or_hint(|| hints::mount_eperm(errno))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_root_paths() {
        assert_eq!(
            old_root_relative(Path::new("/old-root")).unwrap(),
            Path::new("old-root")
        );
        assert_eq!(
            old_root_relative(Path::new("a/./b")).unwrap(),
            Path::new("a/b")
        );
        for bad in ["/", "", ".", "../x", "a/../../b"] {
            let e = old_root_relative(Path::new(bad)).unwrap_err();
            assert_eq!(e.errno(), Errno::EINVAL, "{bad:?}");
        }
    }

    #[test]
    fn nul_is_refused_before_anything_runs() {
        let e = pivot_root(Path::new("/tmp/x\0y"), None).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        assert!(e.to_string().contains("NUL"), "{e}");
    }
}
