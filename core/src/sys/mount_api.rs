//! The mount system calls: classic `mount(2)`/`umount2(2)`, the new mount API
//! (`open_tree(2)`, `move_mount(2)` through rustix; `mount_setattr(2)`, which rustix lacks,
//! by hand), and the read-only probes the mount code needs (`statfs(2)` mount flags,
//! `statx(2)`'s mount-root attribute, `sysinfo(2)`'s RAM size).
//!
//! Each function is a thin call returning the raw [`Errno`]; `crate::mount` adds the step,
//! the path and the hint.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use rustix::mount::{MoveMountFlags, OpenTreeFlags};

use crate::error::Errno;

/// `ST_NOSYMFOLLOW` (Linux 5.10, `include/linux/statfs.h`); libc does not define it.
pub(crate) const ST_NOSYMFOLLOW: u64 = 0x2000;

fn check(rc: libc::c_int) -> Result<(), Errno> {
    if rc < 0 { Err(Errno::last()) } else { Ok(()) }
}

fn rustix_errno(e: rustix::io::Errno) -> Errno {
    Errno::from_raw(e.raw_os_error())
}

/// `mount(2)`. `None` arguments are passed as NULL.
pub(crate) fn mount(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: u64,
    data: Option<&CStr>,
) -> Result<(), Errno> {
    let ptr = |c: Option<&CStr>| c.map_or(std::ptr::null(), CStr::as_ptr);
    // SAFETY: every pointer is NULL or a NUL-terminated string that outlives the call; the
    // tmpfs and bind callers pass a text option string (or none) as data.
    check(unsafe {
        libc::mount(
            ptr(source),
            target.as_ptr(),
            ptr(fstype),
            flags as libc::c_ulong,
            ptr(data).cast(),
        )
    })
}

/// `umount2(2)`.
pub(crate) fn umount2(target: &CStr, flags: i32) -> Result<(), Errno> {
    // SAFETY: target is NUL-terminated; flags is a plain int.
    check(unsafe { libc::umount2(target.as_ptr(), flags) })
}

/// `open(path, O_PATH | O_CLOEXEC)`: a handle on a file that later calls resolve no more,
/// following symlinks once, here.
pub(crate) fn open_path(path: &CStr) -> Result<OwnedFd, Errno> {
    // SAFETY: path is NUL-terminated; O_PATH opens need no mode.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: open returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH [| AT_RECURSIVE])`
/// (Linux 5.2): a detached copy of the mount (tree) at `fd`, like `mount --[r]bind` without
/// a target yet.
pub(crate) fn open_tree_clone(fd: BorrowedFd<'_>, recursive: bool) -> Result<OwnedFd, Errno> {
    let mut flags = OpenTreeFlags::OPEN_TREE_CLONE
        | OpenTreeFlags::OPEN_TREE_CLOEXEC
        | OpenTreeFlags::AT_EMPTY_PATH;
    if recursive {
        flags |= OpenTreeFlags::AT_RECURSIVE;
    }
    rustix::mount::open_tree(fd, c"", flags).map_err(rustix_errno)
}

/// `move_mount(tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS)`
/// (Linux 5.2): attaches a detached tree at `target`, following a symlink there as
/// `mount(2)` does.
pub(crate) fn move_mount_to(tree: BorrowedFd<'_>, target: &CStr) -> Result<(), Errno> {
    rustix::mount::move_mount(
        tree,
        c"",
        rustix::fs::CWD,
        target,
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_SYMLINKS,
    )
    .map_err(rustix_errno)
}

/// The attribute change of one `mount_setattr(2)` call, in `MOUNT_ATTR_*` bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MountAttr {
    /// Attributes to set.
    pub(crate) set: u64,
    /// Attributes to clear (must include `MOUNT_ATTR__ATIME` to change the atime mode).
    pub(crate) clear: u64,
}

/// Where `mount_setattr` acts: a path (relative to the cwd) or an fd (`AT_EMPTY_PATH`),
/// such as a detached tree from [`open_tree_clone`].
pub(crate) enum SetattrTarget<'a> {
    /// A path, symlinks followed.
    Path(&'a CStr),
    /// The mount an fd refers to.
    Fd(BorrowedFd<'a>),
}

/// `mount_setattr(2)` (Linux 5.12): changes mount attributes, of the whole tree below with
/// `recursive` (`AT_RECURSIVE`), in one atomic step.
pub(crate) fn mount_setattr(
    target: SetattrTarget<'_>,
    recursive: bool,
    change: MountAttr,
) -> Result<(), Errno> {
    let mut attr: libc::mount_attr = libc::mount_attr {
        attr_set: change.set,
        attr_clr: change.clear,
        propagation: 0,
        userns_fd: 0,
    };
    let mut flags: libc::c_uint = 0;
    if recursive {
        flags |= libc::AT_RECURSIVE as libc::c_uint;
    }
    let (dirfd, path) = match target {
        SetattrTarget::Path(p) => (libc::AT_FDCWD, p),
        SetattrTarget::Fd(fd) => {
            flags |= libc::AT_EMPTY_PATH as libc::c_uint;
            (fd.as_raw_fd(), c"")
        }
    };
    // SAFETY: path is NUL-terminated, attr is a valid struct mount_attr whose size is
    // passed with it; the kernel only reads both.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            dirfd,
            path.as_ptr(),
            flags,
            &mut attr as *mut libc::mount_attr,
            std::mem::size_of::<libc::mount_attr>(),
        )
    };
    if rc < 0 { Err(Errno::last()) } else { Ok(()) }
}

/// The `ST_*` mount flags `statvfs(3)` reports for the mount at `path` (the kernel's
/// `statfs(2)` `f_flags`, which glibc passes through).
pub(crate) fn statfs_flags(path: &CStr) -> Result<u64, Errno> {
    // SAFETY: statvfs is plain old data; all-zero is a valid value.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: path is NUL-terminated and st is writable.
    check(unsafe { libc::statvfs(path.as_ptr(), &mut st) })?;
    const ST_VALID: u64 = 0x0020;
    Ok(st.f_flag as u64 & !ST_VALID)
}

/// Whether `path` is the root of a mount (`STATX_ATTR_MOUNT_ROOT`, Linux 5.8); `None` when
/// the kernel cannot tell or `path` cannot be looked at. Used for hints only.
pub(crate) fn is_mount_root(path: &CStr) -> Option<bool> {
    // SAFETY: statx is plain old data; all-zero is a valid value.
    let mut stx: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: path is NUL-terminated and stx is writable.
    let rc = unsafe {
        libc::statx(
            libc::AT_FDCWD,
            path.as_ptr(),
            libc::AT_NO_AUTOMOUNT,
            0,
            &mut stx,
        )
    };
    let bit = libc::STATX_ATTR_MOUNT_ROOT as u64;
    if rc < 0 || stx.stx_attributes_mask & bit == 0 {
        return None;
    }
    Some(stx.stx_attributes & bit != 0)
}

/// Total RAM and the page size, in bytes, from `sysinfo(2)` and `sysconf(_SC_PAGESIZE)`:
/// what the kernel's tmpfs `size=N%` is computed from.
pub(crate) fn ram_and_page_size() -> Result<(u64, u64), Errno> {
    // SAFETY: sysinfo is plain old data; all-zero is a valid value.
    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: info is writable.
    check(unsafe { libc::sysinfo(&mut info) })?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let page = if page > 0 { page as u64 } else { 4096 };
    let unit = u64::from(info.mem_unit.max(1));
    Ok((info.totalram as u64 * unit, page))
}

/// Whether the kernel has `mount_setattr(2)` (Linux 5.12), probed with a call that can only
/// fail: `EBADF`/`EINVAL` mean it exists, `ENOSYS` that it does not (or a filter hides it).
pub(crate) fn has_mount_setattr() -> bool {
    // SAFETY: an invalid descriptor and a NULL attribute: the kernel rejects the call
    // before touching anything.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            -1,
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            std::ptr::null::<libc::mount_attr>(),
            0usize,
        )
    };
    rc == 0 || Errno::last() != Errno::ENOSYS
}
