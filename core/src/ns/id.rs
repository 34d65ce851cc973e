//! Naming a namespace: [`NsId`] (kind, nsfs device, inode — what `readlink
//! /proc/PID/ns/mnt` prints as `mnt:[4026532211]`) and [`NsFd`], an open namespace file that
//! keeps the namespace alive and answers the nsfs ioctls (owner, parent, 64-bit id).
//!
//! An inode number names a namespace only while something keeps that namespace alive: nsfs
//! reuses inode numbers after a namespace dies. Two [`NsId`]s being equal means "the same
//! namespace" only while one of them is held open — compare ids taken from [`NsFd`]s you
//! hold, not ids remembered from earlier.

use std::ffi::CString;
use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use super::NsKind;
use crate::error::{Errno, Error, Result};
use crate::process::Pid;

/// The identity of one namespace: its kind and the nsfs (device, inode) pair.
///
/// Displays exactly as `readlink /proc/PID/ns/KIND` does: `mnt:[4026532211]`. See the
/// module documentation for when equality means "same namespace".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NsId {
    kind: NsKind,
    dev: u64,
    ino: u64,
}

impl NsId {
    /// An id from its parts.
    pub const fn new(kind: NsKind, dev: u64, ino: u64) -> NsId {
        NsId { kind, dev, ino }
    }

    /// The id of the `kind` namespace of process `pid` (`/proc/PID/ns/KIND`).
    ///
    /// # Errors
    /// `ESRCH` "process N has exited" when the process is gone or a zombie; `ENOENT` when the
    /// kernel has no namespaces of this kind; `EACCES`/`EPERM` when the caller may not look
    /// at that process.
    pub fn of_pid(pid: Pid, kind: NsKind) -> Result<NsId> {
        let path = proc_ns_path(Some(pid), kind);
        let id = stat_ns(&path, kind).map_err(|e| explain_proc_error(e, Some(pid), kind))?;
        refuse_zombie(pid, kind)?;
        Ok(id)
    }

    /// The id of the calling thread's `kind` namespace (`/proc/thread-self/ns/KIND`; a
    /// thread that unshared its own mount namespace sees that one).
    ///
    /// # Errors
    /// As [`NsId::of_pid`]; also when /proc is not mounted.
    pub fn of_self(kind: NsKind) -> Result<NsId> {
        let path = proc_ns_path(None, kind);
        stat_ns(&path, kind).map_err(|e| explain_proc_error(e, None, kind))
    }

    /// The id of the namespace file at `path` (a `/proc/PID/ns/*` entry or a bind mount of
    /// one, as `ip netns` keeps them).
    ///
    /// # Errors
    /// The open error; `EINVAL` "not a namespace file" for any other file.
    pub fn of_path(path: &Path) -> Result<NsId> {
        Ok(NsFd::open(path)?.id())
    }

    /// The id of the namespace an open nsfs file descriptor refers to.
    ///
    /// # Errors
    /// `EINVAL` "not a namespace file" when `fd` is something else; `EBADF`.
    pub fn of_fd(fd: BorrowedFd<'_>) -> Result<NsId> {
        let kind = ns_type(fd)?;
        let st = fstat(fd, "stat namespace fd")?;
        Ok(NsId::new(kind, st.st_dev, st.st_ino))
    }

    /// The id of the `kind` namespace of the process a pidfd refers to (through
    /// `PIDFD_GET_*_NAMESPACE` where the kernel has it, else through `/proc`, checking that
    /// the pidfd's process is still the one at that pid).
    ///
    /// # Errors
    /// `ESRCH` "process N has exited"; `EBADF`/`EINVAL` for something that is not a pidfd.
    pub fn of_pidfd(pidfd: BorrowedFd<'_>, kind: NsKind) -> Result<NsId> {
        Ok(NsFd::of_pidfd(pidfd, kind)?.id())
    }

    /// The kind.
    pub const fn kind(&self) -> NsKind {
        self.kind
    }

    /// The nsfs device number (`st_dev`).
    pub const fn dev(&self) -> u64 {
        self.dev
    }

    /// The nsfs inode number, the number between the brackets.
    pub const fn inode(&self) -> u64 {
        self.ino
    }
}

impl fmt::Display for NsId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:[{}]", self.kind.name(), self.ino)
    }
}

impl FromStr for NsId {
    type Err = Error;

    /// Parses `mnt:[4026532211]`. The text carries no device number; nsfs has exactly one
    /// device per running kernel, so the parsed id gets this kernel's nsfs device and then
    /// compares equal to ids read from `/proc` (0 when /proc is unavailable).
    fn from_str(s: &str) -> Result<NsId> {
        let bad = || {
            Error::invalid(
                "parse namespace id",
                format!("{s:?} is not of the form KIND:[INODE], e.g. mnt:[4026532211]"),
            )
        };
        let (kind, rest) = s.split_once(":[").ok_or_else(bad)?;
        let digits = rest.strip_suffix(']').ok_or_else(bad)?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let ino: u64 = digits.parse().map_err(|_| bad())?;
        let kind: NsKind = kind.parse().map_err(|_| bad())?;
        Ok(NsId::new(kind, nsfs_dev(), ino))
    }
}

/// The device number of this kernel's nsfs, read once.
fn nsfs_dev() -> u64 {
    static DEV: OnceLock<u64> = OnceLock::new();
    *DEV.get_or_init(|| {
        let path = proc_ns_path(None, NsKind::User);
        stat_ns(&path, NsKind::User).map(|id| id.dev).unwrap_or(0)
    })
}

/// An open namespace file (`/proc/PID/ns/KIND`, a bind mount of one, or an nsfs fd from an
/// ioctl). Holding it keeps the namespace alive, so its [`NsId`] stays meaningful.
#[derive(Debug)]
pub struct NsFd {
    fd: OwnedFd,
    id: NsId,
}

impl NsFd {
    /// Opens the namespace file at `path`.
    ///
    /// # Errors
    /// The open error; `EINVAL` "not a namespace file" when `path` is another kind of file.
    pub fn open(path: &Path) -> Result<NsFd> {
        let fd = open_path(path, "open namespace file")?;
        NsFd::from_fd(fd).map_err(|e| e.with_path(path))
    }

    /// Opens the `kind` namespace of process `pid`.
    ///
    /// # Errors
    /// As [`NsId::of_pid`].
    pub fn of_pid(pid: Pid, kind: NsKind) -> Result<NsFd> {
        let path = proc_ns_path(Some(pid), kind);
        let fd = open_path(&path, "open namespace file")
            .map_err(|e| explain_proc_error(e, Some(pid), kind))?;
        refuse_zombie(pid, kind)?;
        NsFd::from_fd(fd).map_err(|e| e.with_path(&path))
    }

    /// Opens the calling thread's `kind` namespace.
    ///
    /// # Errors
    /// As [`NsId::of_self`].
    pub fn of_self(kind: NsKind) -> Result<NsFd> {
        let path = proc_ns_path(None, kind);
        let fd = open_path(&path, "open namespace file")
            .map_err(|e| explain_proc_error(e, None, kind))?;
        NsFd::from_fd(fd).map_err(|e| e.with_path(&path))
    }

    /// Opens the `kind` namespace of the process `pidfd` refers to.
    ///
    /// # Errors
    /// As [`NsId::of_pidfd`].
    pub fn of_pidfd(pidfd: BorrowedFd<'_>, kind: NsKind) -> Result<NsFd> {
        match crate::sys::nsfs::pidfd_namespace(pidfd, kind) {
            Ok(fd) => return NsFd::from_fd(fd),
            Err(e) if e == Errno::ESRCH => {
                let pid = crate::sys::nsfs::pidfd_pid(pidfd).ok().flatten();
                return Err(exited_error(pid, kind));
            }
            // Older kernels: ENOTTY (no such ioctl); fall back through /proc below.
            Err(e) if e == Errno::ENOTTY || e == Errno::EINVAL || e == Errno::EOPNOTSUPP => {}
            Err(e) => {
                return Err(Error::new("get namespace from pidfd", e));
            }
        }
        let pid =
            crate::sys::nsfs::pidfd_pid(pidfd).map_err(|e| Error::new("read pid of pidfd", e))?;
        let Some(pid) = pid else {
            return Err(exited_error(None, kind));
        };
        let ns = NsFd::of_pid(pid, kind)?;
        // The pid may have been reused between reading it and opening /proc/PID/ns: the
        // pidfd still being alive after the open proves it was the same process.
        if crate::sys::nsfs::pidfd_pid(pidfd).ok().flatten() != Some(pid) {
            return Err(exited_error(Some(pid), kind));
        }
        Ok(ns)
    }

    /// Wraps an already open nsfs file descriptor, checking that it is one.
    ///
    /// # Errors
    /// `EINVAL` "not a namespace file" for any other fd.
    pub fn from_fd(fd: OwnedFd) -> Result<NsFd> {
        let id = NsId::of_fd(fd.as_fd())?;
        Ok(NsFd { fd, id })
    }

    /// The id of the namespace held.
    pub fn id(&self) -> NsId {
        self.id
    }

    /// The kind of the namespace held.
    pub fn kind(&self) -> NsKind {
        self.id.kind
    }

    /// The kernel's 64-bit id of a mount namespace (`NS_GET_MNTNS_ID`, Linux 6.8), the id
    /// `statmount(2)`/`listmount(2)` take. Unlike inode numbers it is never reused.
    ///
    /// Returns `Ok(None)` for other kinds and on kernels without the ioctl.
    ///
    /// # Errors
    /// Unexpected ioctl failures.
    pub fn kernel_id(&self) -> Result<Option<u64>> {
        if self.id.kind != NsKind::Mount {
            return Ok(None);
        }
        match crate::sys::nsfs::mnt_ns_id(self.fd.as_fd()) {
            Ok(id) => Ok(Some(id)),
            Err(e) if e == Errno::ENOTTY || e == Errno::EINVAL => Ok(None),
            Err(e) => Err(Error::new("NS_GET_MNTNS_ID", e)),
        }
    }

    /// The user namespace that owns this namespace (`NS_GET_USERNS`).
    ///
    /// # Errors
    /// `EPERM` when the owner is outside the caller's user namespace (the kernel hides
    /// ancestors it does not own).
    pub fn owner(&self) -> Result<NsFd> {
        let fd = crate::sys::nsfs::ns_ioctl_fd(self.fd.as_fd(), libc::NS_GET_USERNS)
            .map_err(|e| ioctl_error("get owner user namespace of", self.id, e))?;
        NsFd::from_fd(fd)
    }

    /// The parent of a user or pid namespace (`NS_GET_PARENT`).
    ///
    /// Returns `Ok(None)` at the top of the hierarchy the caller can see.
    ///
    /// # Errors
    /// `EINVAL` with a hint for other kinds (they have no parent).
    pub fn parent(&self) -> Result<Option<NsFd>> {
        if !matches!(self.id.kind, NsKind::User | NsKind::Pid) {
            return Err(Error::invalid(
                "get parent namespace",
                format!(
                    "{} namespaces have no parent; only user and pid namespaces nest",
                    self.id.kind
                ),
            ));
        }
        match crate::sys::nsfs::ns_ioctl_fd(self.fd.as_fd(), libc::NS_GET_PARENT) {
            Ok(fd) => NsFd::from_fd(fd).map(Some),
            // EPERM: the parent is outside the caller's view (the initial namespace, seen
            // from the initial namespace, also gives EPERM).
            Err(e) if e == Errno::EPERM => Ok(None),
            Err(e) => Err(ioctl_error("get parent namespace of", self.id, e)),
        }
    }

    /// The uid (in the caller's user namespace) that created a user namespace
    /// (`NS_GET_OWNER_UID`).
    ///
    /// # Errors
    /// `EINVAL` for kinds other than user.
    pub fn owner_uid(&self) -> Result<u32> {
        if self.id.kind != NsKind::User {
            return Err(Error::invalid(
                "get owner uid",
                format!(
                    "{} namespaces have no owner uid; ask the owner user namespace",
                    self.id.kind
                ),
            ));
        }
        crate::sys::nsfs::owner_uid(self.fd.as_fd())
            .map_err(|e| ioctl_error("get owner uid of", self.id, e))
    }

    /// Gives up the file descriptor.
    pub fn into_fd(self) -> OwnedFd {
        self.fd
    }
}

impl AsFd for NsFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for NsFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

fn ioctl_error(step: &'static str, id: NsId, e: Errno) -> Error {
    Error::new(format!("{step} {id}"), e)
}

/// `/proc/PID/ns/KIND`, or `/proc/thread-self/ns/KIND` for the caller.
pub(crate) fn proc_ns_path(pid: Option<Pid>, kind: NsKind) -> PathBuf {
    match pid {
        Some(pid) => PathBuf::from(format!("/proc/{}/ns/{}", pid.as_raw(), kind.name())),
        None => PathBuf::from(format!("/proc/thread-self/ns/{}", kind.name())),
    }
}

/// The error for a process that is gone: "process N has exited".
pub(crate) fn exited_error(pid: Option<Pid>, kind: NsKind) -> Error {
    let who = match pid {
        Some(p) => format!("process {p} has exited"),
        None => "the process has exited".to_owned(),
    };
    Error::new(format!("open {kind} namespace"), Errno::ESRCH).with_hint(who)
}

/// A zombie's `/proc/PID/ns/user` and `/proc/PID/ns/pid` still resolve (the kernel takes
/// them from the credentials and the pid, not from the namespaces the process dropped when
/// it exited); the other kinds give ENOENT. Say "has exited" for those two as well.
fn refuse_zombie(pid: Pid, kind: NsKind) -> Result<()> {
    if !matches!(kind, NsKind::User | NsKind::Pid) {
        return Ok(());
    }
    let stat = std::fs::read(format!("/proc/{}/stat", pid.as_raw())).unwrap_or_default();
    // "PID (COMM) STATE ...": the state follows the last ')'.
    let state = stat
        .iter()
        .rposition(|&b| b == b')')
        .and_then(|i| stat.get(i + 2).copied());
    match state {
        Some(b'Z' | b'X') | None => Err(exited_error(Some(pid), kind)),
        Some(_) => Ok(()),
    }
}

/// Turns the raw error of a `/proc/PID/ns/KIND` access into one that says why: the process
/// exited (ENOENT/ESRCH while or after it exits), the kernel lacks the kind, /proc is missing.
pub(crate) fn explain_proc_error(e: Error, pid: Option<Pid>, kind: NsKind) -> Error {
    let errno = e.errno();
    if errno != Errno::ENOENT && errno != Errno::ESRCH {
        return e;
    }
    let kind_known = Path::new(&format!("/proc/self/ns/{}", kind.name())).exists();
    if !Path::new("/proc/self").exists() {
        return e.with_hint("/proc is not mounted");
    }
    if !kind_known {
        return e.with_hint(format!("this kernel has no {kind} namespaces"));
    }
    match pid {
        Some(p) => {
            let mut out = exited_error(Some(p), kind);
            if let Some(path) = e.path() {
                out = out.with_path(path);
            }
            out
        }
        None => e,
    }
}

fn stat_ns(path: &Path, kind: NsKind) -> Result<NsId> {
    let c = path_cstring(path, "stat namespace file")?;
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: c is NUL-terminated; st is a valid out pointer.
    let rc = unsafe { libc::stat(c.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return Err(Error::last_os("stat namespace file").with_path(path));
    }
    // SAFETY: stat returned 0, so st is initialized.
    let st = unsafe { st.assume_init() };
    Ok(NsId::new(kind, st.st_dev, st.st_ino))
}

fn fstat(fd: BorrowedFd<'_>, step: &'static str) -> Result<libc::stat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fd is a valid open descriptor; st is a valid out pointer.
    let rc = unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) };
    if rc != 0 {
        return Err(Error::last_os(step));
    }
    // SAFETY: fstat returned 0, so st is initialized.
    Ok(unsafe { st.assume_init() })
}

fn ns_type(fd: BorrowedFd<'_>) -> Result<NsKind> {
    match crate::sys::nsfs::ns_type(fd) {
        Ok(raw) => NsKind::from_clone_flag(raw).ok_or_else(|| {
            Error::new("get namespace type", Errno::EINVAL)
                .with_hint(format!("unknown namespace type {raw:#x}"))
        }),
        Err(e) if e == Errno::ENOTTY || e == Errno::EINVAL => {
            Err(Error::new("get namespace type", Errno::EINVAL)
                .with_hint("not a namespace file (expected /proc/PID/ns/* or a bind mount of one)"))
        }
        Err(e) => Err(Error::new("get namespace type", e)),
    }
}

pub(crate) fn path_cstring(path: &Path, step: &'static str) -> Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::invalid(step, "path contains a NUL byte").with_path(path))
}

fn open_path(path: &Path, step: &'static str) -> Result<OwnedFd> {
    let c = path_cstring(path, step)?;
    // SAFETY: c is NUL-terminated; the flags ask for a read-only close-on-exec descriptor.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(Error::last_os(step).with_path(path));
    }
    // SAFETY: open returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        let id = NsId::new(NsKind::Mount, nsfs_dev(), 4026532211);
        assert_eq!(id.to_string(), "mnt:[4026532211]");
        assert_eq!("mnt:[4026532211]".parse::<NsId>().unwrap(), id);
    }

    #[test]
    fn parse_rejects_garbage() {
        for bad in [
            "",
            "mnt",
            "mnt:[]",
            "mnt:[12",
            "mnt:12]",
            "mnt:[-1]",
            "mnt:[1 ]",
            "foo:[1]",
            "mnt:[99999999999999999999999]",
            "mnt:[+1]",
        ] {
            let e = bad.parse::<NsId>().unwrap_err();
            assert_eq!(e.errno(), Errno::EINVAL, "{bad:?}");
        }
    }

    #[test]
    fn self_id_equals_readlink() {
        for kind in NsKind::ALL {
            let Ok(id) = NsId::of_self(kind) else {
                continue;
            };
            let link = std::fs::read_link(format!("/proc/thread-self/ns/{}", kind.name())).unwrap();
            assert_eq!(id.to_string(), link.to_str().unwrap());
            let parsed: NsId = link.to_str().unwrap().parse().unwrap();
            assert_eq!(parsed, id);
        }
    }

    #[test]
    fn fd_and_path_agree() {
        let p = Path::new("/proc/self/ns/net");
        let a = NsId::of_path(p).unwrap();
        let b = NsId::of_pid(Pid::this(), NsKind::Net).unwrap();
        assert_eq!(a, b);
        let e = NsId::of_path(Path::new("/proc/self/status")).unwrap_err();
        assert!(e.to_string().contains("not a namespace file"), "{e}");
    }

    #[test]
    fn nul_in_path_is_einval() {
        let e = NsId::of_path(Path::new("/proc/self/ns/mnt\0x")).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        assert!(e.to_string().contains("NUL"), "{e}");
    }

    #[test]
    fn kernel_id_only_for_mount() {
        let user = NsFd::of_self(NsKind::User).unwrap();
        assert_eq!(user.kernel_id().unwrap(), None);
        let mnt = NsFd::of_self(NsKind::Mount).unwrap();
        // This kernel (6.8+) has NS_GET_MNTNS_ID; the id is never below 2^32.
        if let Some(id) = mnt.kernel_id().unwrap() {
            assert!(id > 0);
        }
        assert!(mnt.parent().is_err());
    }
}
