//! Namespaces from C: creating them (`unshare`), joining them (`setns`, like nsenter),
//! naming them (`struct mntns_nsid`, printed `mnt:[4026532211]` like readlink) and holding
//! them open (namespace file descriptors: owner, parent, 64-bit id).

use std::ffi::{c_char, c_int};
use std::os::fd::{IntoRawFd, OwnedFd};

use mntns::{Errno, Error, Namespaces, NsFd, NsId, NsKind, NsSource, Pid, Result};

use crate::error::{Call, guard};

// Namespace flags: the kernel's CLONE_NEW* values (sched.h), so they mix with what C code
// already passes to unshare(2), clone(2) and setns(2). Checked against libc below.

/// `CLONE_NEWNS`: a mount namespace (`/proc/PID/ns/mnt`).
pub const MNTNS_NS_MOUNT: c_int = 1 << 17;
/// `CLONE_NEWUTS`: hostname and NIS domain name (`uts`).
pub const MNTNS_NS_UTS: c_int = 1 << 26;
/// `CLONE_NEWIPC`: System V IPC and POSIX message queues (`ipc`).
pub const MNTNS_NS_IPC: c_int = 1 << 27;
/// `CLONE_NEWPID`: process ids (`pid`); applies to the caller's future children.
pub const MNTNS_NS_PID: c_int = 1 << 29;
/// `CLONE_NEWNET`: network devices, addresses, ports (`net`).
pub const MNTNS_NS_NET: c_int = 1 << 30;
/// `CLONE_NEWUSER`: user and group ids and capabilities (`user`).
pub const MNTNS_NS_USER: c_int = 1 << 28;
/// `CLONE_NEWCGROUP`: the cgroup root directory (`cgroup`).
pub const MNTNS_NS_CGROUP: c_int = 1 << 25;
/// `CLONE_NEWTIME`: monotonic and boot-time clock offsets (`time`); applies to the
/// caller's future children.
pub const MNTNS_NS_TIME: c_int = 1 << 7;

// Namespace kinds: one kind is the single CLONE_NEW* bit of its type, which is also what
// the NS_GET_NSTYPE ioctl returns and what setns(2) takes as nstype. 0 is no kind.

/// The kind `mnt` (equal to `MNTNS_NS_MOUNT`).
pub const MNTNS_KIND_MNT: c_int = MNTNS_NS_MOUNT;
/// The kind `uts` (equal to `MNTNS_NS_UTS`).
pub const MNTNS_KIND_UTS: c_int = MNTNS_NS_UTS;
/// The kind `ipc` (equal to `MNTNS_NS_IPC`).
pub const MNTNS_KIND_IPC: c_int = MNTNS_NS_IPC;
/// The kind `pid` (equal to `MNTNS_NS_PID`).
pub const MNTNS_KIND_PID: c_int = MNTNS_NS_PID;
/// The kind `net` (equal to `MNTNS_NS_NET`).
pub const MNTNS_KIND_NET: c_int = MNTNS_NS_NET;
/// The kind `user` (equal to `MNTNS_NS_USER`).
pub const MNTNS_KIND_USER: c_int = MNTNS_NS_USER;
/// The kind `cgroup` (equal to `MNTNS_NS_CGROUP`).
pub const MNTNS_KIND_CGROUP: c_int = MNTNS_NS_CGROUP;
/// The kind `time` (equal to `MNTNS_NS_TIME`).
pub const MNTNS_KIND_TIME: c_int = MNTNS_NS_TIME;

/// The size of a buffer that holds every formatted `struct mntns_nsid`, NUL included
/// (`cgroup:[18446744073709551615]` is 29 bytes and the NUL).
pub const MNTNS_NSID_FORMAT_MAX: usize = 32;

const _: () = {
    assert!(MNTNS_NS_MOUNT == libc::CLONE_NEWNS);
    assert!(MNTNS_NS_UTS == libc::CLONE_NEWUTS);
    assert!(MNTNS_NS_IPC == libc::CLONE_NEWIPC);
    assert!(MNTNS_NS_PID == libc::CLONE_NEWPID);
    assert!(MNTNS_NS_NET == libc::CLONE_NEWNET);
    assert!(MNTNS_NS_USER == libc::CLONE_NEWUSER);
    assert!(MNTNS_NS_CGROUP == libc::CLONE_NEWCGROUP);
    assert!(MNTNS_NS_TIME == Namespaces::TIME.bits());
    assert!(MNTNS_NS_MOUNT == Namespaces::MOUNT.bits());
    assert!(MNTNS_NS_USER == Namespaces::USER.bits());
};

/// The identity of one namespace: what `readlink /proc/PID/ns/KIND` shows as
/// `KIND:[INO]`, plus the nsfs device.
///
/// An inode number names a namespace only while something keeps that namespace alive (the
/// kernel reuses them); compare ids while you hold the namespace open (`mntns_ns_open`).
/// A plain value: copy it freely, nothing to free.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct mntns_nsid {
    /// One of the `MNTNS_KIND_*` values; 0 in an id that names no namespace (for example
    /// the `owner` of a namespace whose owner is out of view).
    pub kind: c_int,
    /// The nsfs device number (`st_dev` of the namespace file).
    pub dev: u64,
    /// The nsfs inode number: the number between the brackets.
    pub ino: u64,
}

impl mntns_nsid {
    pub(crate) fn from_id(id: NsId) -> mntns_nsid {
        mntns_nsid {
            kind: id.kind().flag().bits(),
            dev: id.dev(),
            ino: id.inode(),
        }
    }

    pub(crate) fn from_option(id: Option<NsId>) -> mntns_nsid {
        id.map(mntns_nsid::from_id).unwrap_or_default()
    }

    fn to_id(self, call: Call) -> Result<NsId> {
        Ok(NsId::new(
            kind_arg(call, self.kind, "id->kind")?,
            self.dev,
            self.ino,
        ))
    }
}

/// A `MNTNS_KIND_*` argument as an `NsKind`; anything else is `EINVAL`.
pub(crate) fn kind_arg(call: Call, kind: c_int, arg: &str) -> Result<NsKind> {
    NsKind::from_clone_flag(kind).ok_or_else(|| {
        call.invalid(format!(
            "{arg} {kind:#x} is not a namespace kind; expected one of MNTNS_KIND_MNT, \
             MNTNS_KIND_UTS, MNTNS_KIND_IPC, MNTNS_KIND_PID, MNTNS_KIND_NET, MNTNS_KIND_USER, \
             MNTNS_KIND_CGROUP, MNTNS_KIND_TIME"
        ))
    })
}

/// A `pid` argument where 0 means the calling thread.
fn pid_or_self(pid: libc::pid_t) -> Result<Option<Pid>> {
    match pid {
        0 => Ok(None),
        _ => Pid::from_raw(pid).map(Some),
    }
}

/// Hands an owned descriptor to C.
fn give_fd(fd: impl Into<OwnedFd>) -> c_int {
    fd.into().into_raw_fd()
}

/// Moves the calling process into new namespaces, as `unshare(2)`.
///
/// `flags`: one or more `MNTNS_NS_*` bits (the `CLONE_NEW*` values); unknown bits and 0 are
/// refused with `-EINVAL`, never ignored. `MNTNS_NS_PID` and `MNTNS_NS_TIME` apply to
/// children created afterwards. A new user namespace starts without an id map: to be root
/// inside it, use `mntns_unshare_rootless`.
///
/// Returns 0, or `-errno`: `-EINVAL` also when the process has several threads and `flags`
/// holds `MNTNS_NS_USER` or `MNTNS_NS_MOUNT` (the kernel refuses the first and would move
/// only the calling thread for the second; the message says so); `-EPERM` without
/// privilege (the message names the sysctl or capability); `-ENOSPC`/`-EUSERS` at a
/// namespace limit.
#[unsafe(no_mangle)]
pub extern "C" fn mntns_unshare(flags: c_int) -> c_int {
    guard("mntns_unshare", |_| {
        mntns::unshare(Namespaces::from_raw(flags)?)?;
        Ok(0)
    })
}

/// Creates a user namespace together with the namespaces in `flags` and maps the caller's
/// effective uid and gid to root inside it (setgroups denied), as `unshare -Ur` does; what
/// an ordinary user needs before mounting anything. `MNTNS_NS_USER` is implied; `flags` 0
/// creates only the user namespace.
///
/// Returns 0, or `-errno` as `mntns_unshare` (a single-threaded process is needed), or the
/// error of writing `/proc/self/uid_map`/`gid_map`.
#[unsafe(no_mangle)]
pub extern "C" fn mntns_unshare_rootless(flags: c_int) -> c_int {
    guard("mntns_unshare_rootless", |_| {
        mntns::unshare_rootless(Namespaces::from_raw(flags)?)?;
        Ok(0)
    })
}

/// Joins namespaces of process `pid`, as `nsenter --target PID` (`setns(2)`).
///
/// `flags`: the `MNTNS_NS_*` kinds to join, at least one; unknown bits are `-EINVAL`.
/// Several kinds are joined at once through a pidfd (all or none), the user namespace
/// first. Joining `MNTNS_NS_MOUNT` moves the root and working directory to that
/// namespace's root; `MNTNS_NS_PID`/`MNTNS_NS_TIME` apply to children created afterwards.
///
/// Returns 0, or `-errno`: `-EINVAL` for `pid` <= 0, for no kinds, in a multithreaded
/// process for user/mount/time namespaces, and when joining the caller's own user
/// namespace; `-ESRCH` "process N has exited"; `-EPERM` without `CAP_SYS_ADMIN` over the
/// target (the message says what to join first).
#[unsafe(no_mangle)]
pub extern "C" fn mntns_enter_pid(pid: libc::pid_t, flags: c_int) -> c_int {
    guard("mntns_enter_pid", |_| {
        let kinds = Namespaces::from_raw(flags)?;
        mntns::enter(NsSource::Pid(Pid::from_raw(pid)?), kinds)?;
        Ok(0)
    })
}

/// Joins namespaces of the process that `pidfd` (from `pidfd_open(2)`) refers to, as
/// `mntns_enter_pid` does; a pidfd never names a reused pid. The caller keeps `pidfd`.
///
/// Returns 0, or `-errno` as `mntns_enter_pid`; `-EBADF` for a negative `pidfd`.
#[unsafe(no_mangle)]
pub extern "C" fn mntns_enter_pidfd(pidfd: c_int, flags: c_int) -> c_int {
    guard("mntns_enter_pidfd", |call| {
        let kinds = Namespaces::from_raw(flags)?;
        mntns::enter(NsSource::PidFd(call.fd(pidfd, "pidfd")?), kinds)?;
        Ok(0)
    })
}

/// Joins the namespace that the open namespace file `fd` refers to (a `/proc/PID/ns/*`
/// file, a bind mount of one, or an fd from `mntns_ns_open`). The caller keeps `fd`.
///
/// `flags`: 0 to join whatever kind it is, or exactly that kind's `MNTNS_NS_*` bit as a
/// check (another kind is `-EINVAL` naming both).
///
/// Returns 0, or `-errno`: `-EBADF`; `-EINVAL` for a file that is not a namespace file, for
/// more than one kind, and the thread rules of `mntns_enter_pid`; `-EPERM`.
#[unsafe(no_mangle)]
pub extern "C" fn mntns_enter_fd(fd: c_int, flags: c_int) -> c_int {
    guard("mntns_enter_fd", |call| {
        let kinds = Namespaces::from_raw(flags)?;
        mntns::enter(NsSource::Fd(call.fd(fd, "fd")?), kinds)?;
        Ok(0)
    })
}

/// Joins the namespace of the namespace file at `path` (`/proc/PID/ns/net`,
/// `/run/netns/NAME`), as `nsenter --net=PATH`. `path` is bytes, not necessarily UTF-8;
/// the caller keeps it. `flags` as for `mntns_enter_fd`.
///
/// Returns 0, or `-errno`: `-EINVAL` for a NULL `path`; the open error (`-ENOENT`…); the
/// errors of `mntns_enter_fd`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_enter_path(path: *const c_char, flags: c_int) -> c_int {
    guard("mntns_enter_path", |call| {
        // SAFETY: the caller's contract.
        let path = unsafe { call.path(path, "path") }?;
        let kinds = Namespaces::from_raw(flags)?;
        mntns::enter(NsSource::Path(path), kinds)?;
        Ok(0)
    })
}

/// The id of the `kind` namespace of process `pid` (`/proc/PID/ns/KIND`), or of the
/// calling thread for `pid` 0 (a thread that unshared its own mount namespace sees that
/// one).
///
/// On success writes `*id_out` (owned by the caller). Returns 0, or `-errno`: `-EINVAL` for
/// a NULL `id_out`, a negative `pid` or an unknown `kind`; `-ESRCH` "process N has exited"
/// (also for a zombie); `-EACCES`/`-EPERM` when the caller may not look at that process;
/// `-ENOENT` when the kernel lacks that kind.
///
/// # Safety
/// `id_out` is NULL or valid for writing a `struct mntns_nsid`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_ns_id(
    pid: libc::pid_t,
    kind: c_int,
    id_out: *mut mntns_nsid,
) -> c_int {
    guard("mntns_ns_id", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(id_out, "id_out") }?;
        let kind = kind_arg(call, kind, "kind")?;
        let id = match pid_or_self(pid)? {
            None => NsId::of_self(kind)?,
            Some(pid) => NsId::of_pid(pid, kind)?,
        };
        out.set(mntns_nsid::from_id(id));
        Ok(0)
    })
}

/// The id of the namespace the open namespace file `fd` refers to. The caller keeps `fd`.
///
/// On success writes `*id_out`. Returns 0, or `-errno`: `-EINVAL` for a NULL `id_out` or an
/// fd that is not a namespace file; `-EBADF`.
///
/// # Safety
/// `id_out` is NULL or valid for writing a `struct mntns_nsid`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_ns_id_fd(fd: c_int, id_out: *mut mntns_nsid) -> c_int {
    guard("mntns_ns_id_fd", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(id_out, "id_out") }?;
        let id = NsId::of_fd(call.fd(fd, "fd")?)?;
        out.set(mntns_nsid::from_id(id));
        Ok(0)
    })
}

/// The id of the namespace file at `path` (bytes, not necessarily UTF-8).
///
/// On success writes `*id_out`. Returns 0, or `-errno`: `-EINVAL` for NULL arguments or a
/// file that is not a namespace file; the open error (`-ENOENT`, `-EACCES`).
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `id_out` is NULL or valid for writing a
/// `struct mntns_nsid`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_ns_id_path(path: *const c_char, id_out: *mut mntns_nsid) -> c_int {
    guard("mntns_ns_id_path", |call| {
        // SAFETY: the caller's contract.
        let (path, out) = unsafe { (call.path(path, "path")?, call.out(id_out, "id_out")?) };
        out.set(mntns_nsid::from_id(NsId::of_path(path)?));
        Ok(0)
    })
}

/// The id of the `kind` namespace of the process `pidfd` refers to. The caller keeps
/// `pidfd`.
///
/// On success writes `*id_out`. Returns 0, or `-errno`: `-EINVAL` for a NULL `id_out` or an
/// unknown `kind`; `-EBADF`; `-ESRCH` "process N has exited".
///
/// # Safety
/// `id_out` is NULL or valid for writing a `struct mntns_nsid`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_ns_id_pidfd(
    pidfd: c_int,
    kind: c_int,
    id_out: *mut mntns_nsid,
) -> c_int {
    guard("mntns_ns_id_pidfd", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(id_out, "id_out") }?;
        let kind = kind_arg(call, kind, "kind")?;
        let id = NsId::of_pidfd(call.fd(pidfd, "pidfd")?, kind)?;
        out.set(mntns_nsid::from_id(id));
        Ok(0)
    })
}

/// Writes `id` as `readlink` shows it, `mnt:[4026532211]`, NUL-terminated, into `buf` of
/// `len` bytes. `MNTNS_NSID_FORMAT_MAX` bytes are always enough.
///
/// Returns the length of the text without the NUL (> 0), like `snprintf`; with `buf` NULL
/// and `len` 0 it only returns that length. Nothing is written on failure: `-ERANGE` when
/// `len` is too small (the message says how many bytes are needed), `-EINVAL` for a NULL
/// `id`, an unknown `id->kind`, or a NULL `buf` with `len` > 0.
///
/// # Safety
/// `id` is NULL or points to a `struct mntns_nsid`; `buf` is NULL or valid for writing
/// `len` bytes (only the text's length plus one are written, so a larger `len` than the
/// buffer is harmless only when the text fits in the real buffer).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_nsid_format(
    id: *const mntns_nsid,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    guard("mntns_nsid_format", |call| {
        // SAFETY: the caller's contract.
        let id = unsafe { call.input(id, "id") }?.to_id(call)?;
        let text = id.to_string();
        let needed = text.len();
        if buf.is_null() {
            if len == 0 {
                return Ok(needed as c_int);
            }
            return Err(call.invalid(format!("buf is NULL but len is {len}")));
        }
        if len <= needed {
            return Err(call.error(
                Errno::ERANGE,
                format!(
                    "{text} needs {} bytes with its NUL, the buffer has {len}",
                    needed + 1
                ),
            ));
        }
        // SAFETY: buf is valid for len > needed bytes (caller's contract); text is a
        // separate Rust allocation of `needed` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr().cast::<c_char>(), buf, needed);
            buf.add(needed).write(0);
        }
        Ok(needed as c_int)
    })
}

/// Parses `KIND:[INO]` as `readlink /proc/PID/ns/KIND` prints it (`mnt:[4026532211]`).
/// `KIND` is `mnt`, `uts`, `ipc`, `pid`, `net`, `user`, `cgroup` or `time`. The text carries
/// no device, so `id_out->dev` is this kernel's nsfs device: the parsed id then equals
/// the ids `mntns_ns_id` reads.
///
/// On success writes `*id_out`. Returns 0, or `-EINVAL` for NULL arguments and any other
/// text (the message quotes it).
///
/// # Safety
/// `text` is NULL or a NUL-terminated string; `id_out` is NULL or valid for writing a
/// `struct mntns_nsid`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_nsid_parse(text: *const c_char, id_out: *mut mntns_nsid) -> c_int {
    guard("mntns_nsid_parse", |call| {
        // SAFETY: the caller's contract.
        let (text, out) = unsafe { (call.text(text, "text")?, call.out(id_out, "id_out")?) };
        out.set(mntns_nsid::from_id(text.parse::<NsId>()?));
        Ok(0)
    })
}

/// Opens the `kind` namespace of process `pid` (of the calling thread for `pid` 0), as
/// `open("/proc/PID/ns/KIND")` with the checks of `mntns_ns_id`. Holding the descriptor
/// keeps the namespace alive, so ids compared while holding it are meaningful.
///
/// On success writes a new close-on-exec descriptor to `*fd_out`; the caller owns it and
/// closes it with `close(2)`. Returns 0, or `-errno` as `mntns_ns_id`.
///
/// # Safety
/// `fd_out` is NULL or valid for writing an `int`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_ns_open(pid: libc::pid_t, kind: c_int, fd_out: *mut c_int) -> c_int {
    guard("mntns_ns_open", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(fd_out, "fd_out") }?;
        let kind = kind_arg(call, kind, "kind")?;
        let ns = match pid_or_self(pid)? {
            None => NsFd::of_self(kind)?,
            Some(pid) => NsFd::of_pid(pid, kind)?,
        };
        out.set(give_fd(ns.into_fd()));
        Ok(0)
    })
}

/// Opens the namespace `*id` wherever it is held: a process in it, a process holding it
/// open, or an nsfs bind mount; the file opened is checked to still be that namespace.
/// `id->dev` 0 matches any device.
///
/// On success writes a new close-on-exec descriptor to `*fd_out` (the caller closes it).
/// Returns 0, or `-errno`: `-EINVAL` for NULL arguments or an unknown kind; `-ENOENT` "no
/// process or mount holds namespace …" when it is gone or held only by processes the caller
/// may not inspect.
///
/// # Safety
/// `id` is NULL or points to a `struct mntns_nsid`; `fd_out` is NULL or valid for writing
/// an `int`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_ns_find(id: *const mntns_nsid, fd_out: *mut c_int) -> c_int {
    guard("mntns_ns_find", |call| {
        // SAFETY: the caller's contract.
        let (id, out) = unsafe { (call.input(id, "id")?, call.out(fd_out, "fd_out")?) };
        let ns = NsFd::find(id.to_id(call)?)?;
        out.set(give_fd(ns.into_fd()));
        Ok(0)
    })
}

/// Borrows `fd` as a namespace file (checking that it is one) for the ioctls below.
fn ns_of_fd(call: Call, fd: c_int) -> Result<NsFd> {
    let owned = call
        .fd(fd, "fd")?
        .try_clone_to_owned()
        .map_err(|e| Error::new("duplicate namespace fd", Errno::from(&e)))?;
    NsFd::from_fd(owned)
}

/// Opens the user namespace that owns the namespace `fd` refers to (`NS_GET_USERNS`); for
/// a user namespace, the one it was created in. The caller keeps `fd`.
///
/// On success writes a new close-on-exec descriptor to `*fd_out` (the caller closes it).
/// Returns 0, or `-errno`: `-EINVAL` for a NULL `fd_out` or a file that is not a namespace
/// file; `-EBADF`; `-EPERM` when the owner is outside the caller's user namespace.
///
/// # Safety
/// `fd_out` is NULL or valid for writing an `int`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_ns_owner(fd: c_int, fd_out: *mut c_int) -> c_int {
    guard("mntns_ns_owner", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(fd_out, "fd_out") }?;
        let owner = ns_of_fd(call, fd)?.owner()?;
        out.set(give_fd(owner.into_fd()));
        Ok(0)
    })
}

/// Opens the parent of the user or pid namespace `fd` refers to (`NS_GET_PARENT`). The
/// caller keeps `fd`.
///
/// On success writes to `*fd_out` a new close-on-exec descriptor (the caller closes it), or
/// -1 when the namespace is at the top of the hierarchy the caller can see. Returns 0, or
/// `-errno`: `-EINVAL` for a NULL `fd_out` and for other kinds (they have no parent);
/// `-EBADF`.
///
/// # Safety
/// `fd_out` is NULL or valid for writing an `int`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_ns_parent(fd: c_int, fd_out: *mut c_int) -> c_int {
    guard("mntns_ns_parent", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(fd_out, "fd_out") }?;
        let parent = ns_of_fd(call, fd)?.parent()?;
        out.set(parent.map_or(-1, |p| give_fd(p.into_fd())));
        Ok(0)
    })
}

/// The kernel's 64-bit id of the mount namespace `fd` refers to (`NS_GET_MNTNS_ID`, Linux
/// 6.8): the id `statmount(2)`/`listmount(2)` take; unlike inode numbers it is never reused.
/// The caller keeps `fd`.
///
/// On success writes `*id_out`: the id, or 0 for other kinds and on kernels without the
/// ioctl. Returns 0, or `-errno`: `-EINVAL` for a NULL `id_out` or a file that is not a
/// namespace file; `-EBADF`.
///
/// # Safety
/// `id_out` is NULL or valid for writing a `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_ns_kernel_id(fd: c_int, id_out: *mut u64) -> c_int {
    guard("mntns_ns_kernel_id", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(id_out, "id_out") }?;
        let id = ns_of_fd(call, fd)?.kernel_id()?;
        out.set(id.unwrap_or(0));
        Ok(0)
    })
}

/// The uid (in the caller's user namespace) that created the user namespace `fd` refers
/// to (`NS_GET_OWNER_UID`). The caller keeps `fd`.
///
/// On success writes `*uid_out`. Returns 0, or `-errno`: `-EINVAL` for a NULL `uid_out`,
/// a file that is not a namespace file, or a namespace that is not a user namespace;
/// `-EBADF`.
///
/// # Safety
/// `uid_out` is NULL or valid for writing a `uint32_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_ns_owner_uid(fd: c_int, uid_out: *mut u32) -> c_int {
    guard("mntns_ns_owner_uid", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(uid_out, "uid_out") }?;
        out.set(ns_of_fd(call, fd)?.owner_uid()?);
        Ok(0)
    })
}

/// Writes the uid and gid maps of a user namespace: of process `pid`'s, or the caller's
/// for `pid` 0 (`/proc/PID/setgroups`, then `uid_map`, then `gid_map`). Each map is text,
/// one `inside outside count` line per range (`"0 1000 1"`); NULL leaves that map unwritten.
/// With `allow_setgroups` 0, `setgroups` is set to `deny` first, which an unprivileged
/// writer needs before a gid map. Both maps are checked before anything is written.
///
/// Returns 0, or `-errno`: `-EINVAL` for a bad map (empty, overlapping, more than 340 lines,
/// a malformed line — the message names it) or `allow_setgroups` other than 0 or 1;
/// `-EPERM` when the caller may not write that map (an unprivileged process may map only
/// its own ids, once); `-ESRCH` "process N has exited".
///
/// # Safety
/// `uid_map` and `gid_map` are NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_write_id_maps(
    pid: libc::pid_t,
    uid_map: *const c_char,
    gid_map: *const c_char,
    allow_setgroups: c_int,
) -> c_int {
    guard("mntns_write_id_maps", |call| {
        let parse = |text: *const c_char, name: &str| -> Result<Vec<mntns::idmap::IdMap>> {
            if text.is_null() {
                return Ok(Vec::new());
            }
            // SAFETY: the caller's contract.
            let text = unsafe { call.text(text, name) }?;
            let map = mntns::idmap::parse_map(text).map_err(|e| {
                call.invalid(format!("{name} {}", e.hint().unwrap_or("is not a map")))
            })?;
            if map.is_empty() {
                return Err(call.invalid(format!(
                    "{name} has no line (NULL leaves that map unwritten)"
                )));
            }
            Ok(map)
        };
        let uid = parse(uid_map, "uid_map")?;
        let gid = parse(gid_map, "gid_map")?;
        let setgroups = if call.boolean(allow_setgroups, "allow_setgroups")? {
            mntns::idmap::SetGroups::Allow
        } else {
            mntns::idmap::SetGroups::Deny
        };
        let pid = match pid {
            0 => None,
            p => Some(mntns::Pid::from_raw(p)?),
        };
        mntns::idmap::write_id_maps(pid, &uid, &gid, setgroups)?;
        Ok(0)
    })
}
