//! nsfs and pidfd ioctls: namespace type, owner, parent, 64-bit mount-namespace id, and a
//! pidfd's namespaces and pid. Raw calls returning [`Errno`]; callers add the context.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use crate::error::Errno;
use crate::ns::NsKind;
use crate::process::Pid;

/// `NS_GET_NSTYPE`: the `CLONE_NEW*` value of the namespace `fd` refers to.
pub(crate) fn ns_type(fd: BorrowedFd<'_>) -> Result<i32, Errno> {
    // SAFETY: NS_GET_NSTYPE takes no argument (0 is passed so that no stale register is
    // read as one; valgrind checks it) and returns an int.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::NS_GET_NSTYPE, 0) };
    if rc < 0 { Err(Errno::last()) } else { Ok(rc) }
}

/// `NS_GET_MNTNS_ID`: the 64-bit id of a mount namespace (Linux 6.8).
pub(crate) fn mnt_ns_id(fd: BorrowedFd<'_>) -> Result<u64, Errno> {
    let mut id: u64 = 0;
    // SAFETY: NS_GET_MNTNS_ID writes one __u64 through the pointer.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::NS_GET_MNTNS_ID, &mut id as *mut u64) };
    if rc < 0 { Err(Errno::last()) } else { Ok(id) }
}

/// An nsfs ioctl that returns a new namespace fd (`NS_GET_USERNS`, `NS_GET_PARENT`).
pub(crate) fn ns_ioctl_fd(fd: BorrowedFd<'_>, request: libc::Ioctl) -> Result<OwnedFd, Errno> {
    // SAFETY: these ioctls take no argument (0 is passed, as for ns_type) and return a new
    // close-on-exec descriptor.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), request, 0) };
    if rc < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the kernel returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(rc) })
}

/// `NS_GET_OWNER_UID`: the creator's uid of a user namespace.
pub(crate) fn owner_uid(fd: BorrowedFd<'_>) -> Result<u32, Errno> {
    let mut uid: libc::uid_t = 0;
    // SAFETY: NS_GET_OWNER_UID writes one uid_t through the pointer.
    let rc = unsafe {
        libc::ioctl(
            fd.as_raw_fd(),
            libc::NS_GET_OWNER_UID,
            &mut uid as *mut libc::uid_t,
        )
    };
    if rc < 0 { Err(Errno::last()) } else { Ok(uid) }
}

/// `PIDFD_GET_<KIND>_NAMESPACE` (Linux 6.11): the namespace of a pidfd's process.
pub(crate) fn pidfd_namespace(pidfd: BorrowedFd<'_>, kind: NsKind) -> Result<OwnedFd, Errno> {
    let request = match kind {
        NsKind::Cgroup => libc::PIDFD_GET_CGROUP_NAMESPACE,
        NsKind::Ipc => libc::PIDFD_GET_IPC_NAMESPACE,
        NsKind::Mount => libc::PIDFD_GET_MNT_NAMESPACE,
        NsKind::Net => libc::PIDFD_GET_NET_NAMESPACE,
        NsKind::Pid => libc::PIDFD_GET_PID_NAMESPACE,
        NsKind::Time => libc::PIDFD_GET_TIME_NAMESPACE,
        NsKind::User => libc::PIDFD_GET_USER_NAMESPACE,
        NsKind::Uts => libc::PIDFD_GET_UTS_NAMESPACE,
    };
    ns_ioctl_fd(pidfd, request)
}

/// The pid a pidfd refers to, from `/proc/self/fdinfo/FD` (`Pid:` line). `Ok(None)` when the
/// process has exited (the kernel shows -1) .
///
/// # Errors
/// `EBADF` or `EINVAL` when `pidfd` is not a pidfd.
pub(crate) fn pidfd_pid(pidfd: BorrowedFd<'_>) -> Result<Option<Pid>, Errno> {
    let path = format!("/proc/self/fdinfo/{}", pidfd.as_raw_fd());
    let text = std::fs::read_to_string(path).map_err(|e| Errno::from(&e))?;
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Pid:"))
        .ok_or(Errno::EINVAL)?;
    let raw: i32 = line.trim().parse().map_err(|_| Errno::EINVAL)?;
    if raw <= 0 {
        return Ok(None);
    }
    Ok(Pid::from_raw(raw).ok())
}

/// `pidfd_open(2)` (Linux 5.3).
pub(crate) fn pidfd_open(pid: Pid) -> Result<OwnedFd, Errno> {
    // SAFETY: pidfd_open takes a pid and a flag word and returns a new descriptor.
    let rc = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
    if rc < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the kernel returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(rc as i32) })
}
