//! Listing namespaces like `lsns(8)`: an opaque `mntns_namespaces` handle holding a
//! snapshot, read entry by entry into plain `struct mntns_namespace_info` values whose
//! strings and arrays point into the handle.

use std::ffi::{CString, c_char, c_int};
use std::os::fd::IntoRawFd;
use std::os::unix::ffi::OsStrExt;
use std::ptr;

use mntns::ns::{NamespaceInfo, Pin};
use mntns::{Errno, Result};

use crate::error::{Call, guard};
use crate::mount::MNTNS_UNSET32;
use crate::ns::{kind_arg, mntns_nsid};

/// `struct mntns_pin.type`: a process is in the namespace.
pub const MNTNS_PIN_PROCESS: c_int = 1;
/// `struct mntns_pin.type`: a process holds the namespace open (`/proc/PID/fd/FD`).
pub const MNTNS_PIN_FD: c_int = 2;
/// `struct mntns_pin.type`: an nsfs file is bind-mounted (as `ip netns add` does).
pub const MNTNS_PIN_BIND_MOUNT: c_int = 3;

/// One thing that keeps a namespace alive. A plain value; `path` points into the list it
/// came from.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct mntns_pin {
    /// `MNTNS_PIN_PROCESS`, `MNTNS_PIN_FD` or `MNTNS_PIN_BIND_MOUNT`.
    pub r#type: c_int,
    /// The process in it or holding the descriptor; 0 for a bind mount.
    pub pid: libc::pid_t,
    /// The descriptor number in that process for `MNTNS_PIN_FD`; -1 otherwise.
    pub fd: c_int,
    /// For `MNTNS_PIN_BIND_MOUNT`, the mount point as the caller can open it (bytes, not
    /// necessarily UTF-8); NULL otherwise. Valid while the list lives.
    pub path: *const c_char,
}

/// One namespace of a `mntns_namespaces` list: the `lsns` columns (NS, TYPE, NPROCS, PID,
/// UID, USER, COMMAND), what holds it, and its relations. Filled by `mntns_namespaces_get`;
/// every pointer in it points into the list and is valid until `mntns_namespaces_free`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct mntns_namespace_info {
    /// The namespace: `id.kind` is lsns's TYPE, `id.ino` its NS.
    pub id: mntns_nsid,
    /// How many processes are in it (lsns's NPROCS); 0 when only an fd or a bind mount
    /// holds it.
    pub nprocs: usize,
    /// `nprocs` process ids in ascending order; NULL when `nprocs` is 0.
    pub pids: *const libc::pid_t,
    /// The lowest pid whose details could be read (lsns's PID); 0 when no process is in it.
    pub pid: libc::pid_t,
    /// The owner of that process's `/proc/PID` as seen from the caller (lsns's UID);
    /// `MNTNS_UNSET32` when no process is in it.
    pub uid: u32,
    /// The user name of `uid` from `/etc/passwd`, or the number (lsns's USER); NULL when no
    /// process is in it.
    pub user: *const c_char,
    /// That process's command line, arguments joined by spaces, or its `comm` name
    /// (lsns's COMMAND; bytes, not necessarily UTF-8); NULL when no process is in it.
    pub command: *const c_char,
    /// `npins` things found holding it: the lowest pid first when a process is in it, then
    /// descriptors, then bind mounts; NULL when `npins` is 0.
    pub pins: *const mntns_pin,
    /// The number of entries in `pins`.
    pub npins: usize,
    /// The user namespace that owns it (for a user namespace, the one it was created in);
    /// `kind` 0 when that is outside the caller's view.
    pub owner: mntns_nsid,
    /// The parent of a user or pid namespace; `kind` 0 for other kinds and at the top of
    /// the hierarchy the caller can see.
    pub parent: mntns_nsid,
    /// The kernel's 64-bit id of a mount namespace (`NS_GET_MNTNS_ID`, Linux 6.8); 0 for
    /// other kinds and older kernels.
    pub kernel_id: u64,
}

/// An opaque snapshot of the namespaces the caller can see, from `mntns_namespaces_list`;
/// owned by the caller and released with `mntns_namespaces_free`.
pub struct mntns_namespaces {
    entries: Vec<Entry>,
}

/// One namespace with the memory its C view points into. The heap buffers of the vectors
/// and strings never move, so the pointers in `view` stay valid while the entry lives.
struct Entry {
    info: NamespaceInfo,
    view: mntns_namespace_info,
    _pids: Vec<libc::pid_t>,
    _pins: Vec<mntns_pin>,
    _strings: Vec<CString>,
}

/// A C string of `bytes`, cut at a NUL byte should one ever appear (the kernel's names and
/// paths have none).
pub(crate) fn c_string(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap_or_default()
}

fn non_null_or_empty<T>(v: &[T]) -> *const T {
    if v.is_empty() {
        ptr::null()
    } else {
        v.as_ptr()
    }
}

impl Entry {
    fn new(info: NamespaceInfo) -> Entry {
        let mut strings = Vec::new();
        let mut keep = |s: Option<&[u8]>| match s {
            Some(bytes) => {
                let c = c_string(bytes);
                let p = c.as_ptr();
                strings.push(c);
                p
            }
            None => ptr::null(),
        };
        let user = keep(info.user.as_deref().map(str::as_bytes));
        let command = keep(info.command.as_deref().map(str::as_bytes));
        let pins: Vec<mntns_pin> = info
            .pins
            .iter()
            .map(|pin| match pin {
                Pin::Process(pid) => mntns_pin {
                    r#type: MNTNS_PIN_PROCESS,
                    pid: pid.as_raw(),
                    fd: -1,
                    path: ptr::null(),
                },
                Pin::Fd { pid, fd } => mntns_pin {
                    r#type: MNTNS_PIN_FD,
                    pid: pid.as_raw(),
                    fd: *fd,
                    path: ptr::null(),
                },
                Pin::BindMount { path } => mntns_pin {
                    r#type: MNTNS_PIN_BIND_MOUNT,
                    pid: 0,
                    fd: -1,
                    path: keep(Some(path.as_os_str().as_bytes())),
                },
                // Pin is not #[non_exhaustive] today; a new kind would be a compile error
                // here, which is what we want.
            })
            .collect();
        let pids: Vec<libc::pid_t> = info.pids.iter().map(|p| p.as_raw()).collect();
        let view = mntns_namespace_info {
            id: mntns_nsid::from_id(info.id),
            nprocs: info.nprocs,
            pids: non_null_or_empty(&pids),
            pid: info.pid.map_or(0, |p| p.as_raw()),
            uid: info.uid.unwrap_or(MNTNS_UNSET32),
            user,
            command,
            pins: non_null_or_empty(&pins),
            npins: pins.len(),
            owner: mntns_nsid::from_option(info.owner),
            parent: mntns_nsid::from_option(info.parent),
            kernel_id: info.kernel_id.unwrap_or(0),
        };
        Entry {
            info,
            view,
            _pids: pids,
            _pins: pins,
            _strings: strings,
        }
    }
}

/// The entry at `index`, or `-ERANGE` naming the list's length.
fn entry(call: Call, list: &mntns_namespaces, index: usize) -> Result<&Entry> {
    list.entries.get(index).ok_or_else(|| {
        call.error(
            Errno::ERANGE,
            format!(
                "index {index} is past the end of a list of {}",
                list.entries.len()
            ),
        )
    })
}

/// Lists every namespace of `kind` (`MNTNS_KIND_*`, or 0 for all kinds) that the caller
/// can see, like `lsns`: sorted by inode number, each with its processes, the lowest pid's
/// uid, user and command, what holds it (namespaces held only by an open descriptor or an
/// nsfs bind mount are listed too, with `nprocs` 0), its owner, parent and 64-bit id.
/// Processes the caller may not inspect are left out; one exiting during the scan is
/// skipped, never an error.
///
/// On success writes to `*list_out` a new list owned by the caller: read it with
/// `mntns_namespaces_count` and `mntns_namespaces_get`, release it with
/// `mntns_namespaces_free`. Returns 0, or `-errno`: `-EINVAL` for a NULL `list_out` or an
/// unknown `kind`; `-ENOENT` when `/proc` is not mounted; `-EMFILE`/`-ENOMEM`.
///
/// # Safety
/// `list_out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_namespaces_list(
    kind: c_int,
    list_out: *mut *mut mntns_namespaces,
) -> c_int {
    guard("mntns_namespaces_list", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(list_out, "list_out") }?;
        let kind = match kind {
            0 => None,
            k => Some(kind_arg(call, k, "kind")?),
        };
        let entries = mntns::namespaces(kind)?
            .into_iter()
            .map(Entry::new)
            .collect();
        out.set(Box::into_raw(Box::new(mntns_namespaces { entries })));
        Ok(0)
    })
}

/// The number of namespaces in `list`. Infallible for a valid list; NULL gives 0 (and an
/// `EINVAL` message in `mntns_last_error`).
///
/// # Safety
/// `list` is NULL or a list from `mntns_namespaces_list` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_namespaces_count(list: *const mntns_namespaces) -> usize {
    guard("mntns_namespaces_count", |call| {
        // SAFETY: the caller's contract.
        let list = unsafe { call.input(list, "list") }?;
        Ok(list.entries.len())
    })
}

/// Copies the namespace at `index` (0 to count - 1) of `list` into `*info_out`. The
/// strings and arrays it points to belong to `list` and stay valid until
/// `mntns_namespaces_free(list)`; the struct itself is the caller's.
///
/// Returns 0, or `-errno`: `-EINVAL` for NULL arguments; `-ERANGE` for an index past the
/// end (nothing is written).
///
/// # Safety
/// `list` is NULL or a live list; `info_out` is NULL or valid for writing a
/// `struct mntns_namespace_info`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_namespaces_get(
    list: *const mntns_namespaces,
    index: usize,
    info_out: *mut mntns_namespace_info,
) -> c_int {
    guard("mntns_namespaces_get", |call| {
        // SAFETY: the caller's contract.
        let (list, out) = unsafe { (call.input(list, "list")?, call.out(info_out, "info_out")?) };
        out.set(entry(call, list, index)?.view);
        Ok(0)
    })
}

/// Opens the namespace at `index` of `list` through what was found holding it (checking it
/// is still that namespace), or by searching again as `mntns_ns_find` does.
///
/// On success writes a new close-on-exec descriptor to `*fd_out`; the caller owns it and
/// closes it. Returns 0, or `-errno`: `-EINVAL` for NULL arguments; `-ERANGE` for an index
/// past the end; `-ENOENT` when nothing holds the namespace any more.
///
/// # Safety
/// `list` is NULL or a live list; `fd_out` is NULL or valid for writing an `int`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_namespaces_open(
    list: *const mntns_namespaces,
    index: usize,
    fd_out: *mut c_int,
) -> c_int {
    guard("mntns_namespaces_open", |call| {
        // SAFETY: the caller's contract.
        let (list, out) = unsafe { (call.input(list, "list")?, call.out(fd_out, "fd_out")?) };
        let ns = entry(call, list, index)?.info.open()?;
        out.set(ns.into_fd().into_raw_fd());
        Ok(0)
    })
}

/// Releases `list` and everything its entries point to. NULL is a no-op. Freeing a list
/// twice is undefined behaviour, as with `free(3)`.
///
/// # Safety
/// `list` is NULL or a list from `mntns_namespaces_list` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_namespaces_free(list: *mut mntns_namespaces) {
    guard("mntns_namespaces_free", |_| {
        if !list.is_null() {
            // SAFETY: list came from Box::into_raw in mntns_namespaces_list and is freed
            // once (the caller's contract).
            drop(unsafe { Box::from_raw(list) });
        }
        Ok(())
    })
}
