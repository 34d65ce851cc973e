//! Mount tables like `findmnt`: an opaque `mntns_mounts` handle holding a snapshot of one
//! mount namespace's table, read entry by entry into plain `struct mntns_mount` values
//! whose strings point into the handle.

use std::ffi::{CString, c_char, c_int};
use std::os::unix::ffi::OsStrExt;
use std::ptr;

use mntns::{Errno, Error, Mount, NsFd, Pid, Result, TableSource};

use crate::error::{Call, guard};
use crate::namespaces::c_string;

/// One mount, as one line of `/proc/PID/mountinfo` describes it. Filled by
/// `mntns_mounts_get`; the strings point into the table and are valid until
/// `mntns_mounts_free`. Text is bytes (paths need not be UTF-8), decoded: a mount point
/// `/tmp/a b` reads `/tmp/a b`, not `/tmp/a\040b`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct mntns_mount {
    /// The mount id (mountinfo field 1, findmnt's ID); reused by the kernel once gone.
    pub id: u32,
    /// The parent mount's id (field 2).
    pub parent_id: u32,
    /// The 64-bit mount id that is never reused (`statmount(2)`, Linux 6.8); 0 when the
    /// table was read from mountinfo.
    pub unique_id: u64,
    /// The parent's 64-bit id; 0 when read from mountinfo.
    pub parent_unique_id: u64,
    /// The major number of the filesystem's device (`st_dev`).
    pub major: u32,
    /// The minor number of the filesystem's device.
    pub minor: u32,
    /// The directory of the filesystem mounted here (field 4, findmnt's FSROOT): `/` for a
    /// whole filesystem.
    pub root: *const c_char,
    /// The mount point (field 5, findmnt's TARGET).
    pub target: *const c_char,
    /// The filesystem type with its subtype: `tmpfs`, `ext4`, `fuse.sshfs`.
    pub fstype: *const c_char,
    /// Where the filesystem comes from (findmnt's SOURCE): a device, `tmpfs`, `none`…; NULL
    /// when the kernel shows none.
    pub source: *const c_char,
    /// The per-mount options as mountinfo shows them: `rw,nosuid,nodev,relatime`.
    pub options: *const c_char,
    /// The superblock options as mountinfo shows them: `rw,size=1024k,mode=755`.
    pub super_options: *const c_char,
    /// The peer group it shares events with (`shared:N`); 0 when not shared.
    pub shared: u32,
    /// The peer group it receives events from (`master:N`); 0 when not a slave.
    pub master: u32,
    /// The nearest dominating peer group visible from the reader's root when it differs
    /// from `master` (`propagate_from:N`); 0 otherwise.
    pub propagate_from: u32,
    /// 1 when the mount is unbindable, else 0.
    pub unbindable: c_int,
}

/// An opaque snapshot of one mount table, from `mntns_mounts_read` or
/// `mntns_mounts_of_namespace_fd`; owned by the caller and released with
/// `mntns_mounts_free`.
pub struct mntns_mounts {
    entries: Vec<Entry>,
}

/// One mount's C view and the strings it points into (heap buffers that never move).
struct Entry {
    view: mntns_mount,
    _strings: [CString; 6],
}

impl Entry {
    fn new(m: &Mount) -> Entry {
        let strings = [
            c_string(m.root().as_os_str().as_bytes()),
            c_string(m.target().as_os_str().as_bytes()),
            c_string(m.fstype().as_bytes()),
            c_string(m.source().map_or(&b""[..], |s| s.as_bytes())),
            c_string(m.options().as_bytes()),
            c_string(m.super_options().as_bytes()),
        ];
        let p = m.propagation();
        let view = mntns_mount {
            id: m.id(),
            parent_id: m.parent_id(),
            unique_id: m.unique_id().unwrap_or(0),
            parent_unique_id: m.parent_unique_id().unwrap_or(0),
            major: m.major(),
            minor: m.minor(),
            root: strings[0].as_ptr(),
            target: strings[1].as_ptr(),
            fstype: strings[2].as_ptr(),
            source: if m.source().is_some() {
                strings[3].as_ptr()
            } else {
                ptr::null()
            },
            options: strings[4].as_ptr(),
            super_options: strings[5].as_ptr(),
            shared: p.shared.unwrap_or(0),
            master: p.master.unwrap_or(0),
            propagate_from: p.propagate_from.unwrap_or(0),
            unbindable: c_int::from(p.unbindable),
        };
        Entry {
            view,
            _strings: strings,
        }
    }
}

fn table(mounts: Vec<Mount>) -> *mut mntns_mounts {
    let entries = mounts.iter().map(Entry::new).collect();
    Box::into_raw(Box::new(mntns_mounts { entries }))
}

/// Where a mount table is read from (`mntns_mounts_read_from`,
/// `mntns_mounts_of_namespace_fd_from`): the default choice, only `statmount(2)` and
/// `listmount(2)` (Linux 6.8; with 64-bit unique ids), or only `/proc/PID/mountinfo`.
pub const MNTNS_TABLE_AUTO: c_int = 1;
/// Only `statmount(2)`/`listmount(2)`; `-ENOSYS` on kernels without them.
pub const MNTNS_TABLE_STATMOUNT: c_int = 2;
/// Only `/proc/PID/mountinfo`.
pub const MNTNS_TABLE_MOUNTINFO: c_int = 3;

fn table_source(call: Call, source: c_int) -> Result<TableSource> {
    match source {
        MNTNS_TABLE_AUTO => Ok(TableSource::Auto),
        MNTNS_TABLE_STATMOUNT => Ok(TableSource::Statmount),
        MNTNS_TABLE_MOUNTINFO => Ok(TableSource::Mountinfo),
        other => Err(call.invalid(format!(
            "source {other} is not MNTNS_TABLE_AUTO, MNTNS_TABLE_STATMOUNT or \
             MNTNS_TABLE_MOUNTINFO"
        ))),
    }
}

/// Reads the mount table of process `pid`, or of the calling thread for `pid` 0 (what
/// `/proc/thread-self/mountinfo` shows): from mountinfo, which reads the whole table at
/// once, or through `statmount(2)`/`listmount(2)` when /proc is not there; both give the
/// same records (`mntns_mounts_read_from` picks one).
///
/// On success writes to `*table_out` a new table owned by the caller: read it with
/// `mntns_mounts_count`/`mntns_mounts_get`, release it with `mntns_mounts_free`. Returns 0,
/// or `-errno`: `-EINVAL` for a NULL `table_out` or a negative `pid`; `-ESRCH` "process N
/// has exited"; `-EACCES`/`-EPERM` when the caller may not look at that process.
///
/// # Safety
/// `table_out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_mounts_read(
    pid: libc::pid_t,
    table_out: *mut *mut mntns_mounts,
) -> c_int {
    guard("mntns_mounts_read", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(table_out, "table_out") }?;
        let pid = match pid {
            0 => None,
            p => Some(Pid::from_raw(p)?),
        };
        out.set(table(mntns::mounts(pid)?));
        Ok(0)
    })
}

/// `mntns_mounts_read` with the source chosen: `MNTNS_TABLE_AUTO`, `MNTNS_TABLE_STATMOUNT`
/// (records then carry the 64-bit unique ids) or `MNTNS_TABLE_MOUNTINFO`.
///
/// Returns as `mntns_mounts_read`, and `-EINVAL` for another `source`; `-ENOSYS` for
/// `MNTNS_TABLE_STATMOUNT` on a kernel without statmount.
///
/// # Safety
/// `table_out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_mounts_read_from(
    pid: libc::pid_t,
    source: c_int,
    table_out: *mut *mut mntns_mounts,
) -> c_int {
    guard("mntns_mounts_read_from", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(table_out, "table_out") }?;
        let source = table_source(call, source)?;
        let pid = match pid {
            0 => None,
            p => Some(Pid::from_raw(p)?),
        };
        out.set(table(mntns::table::mounts_with(pid, source)?));
        Ok(0)
    })
}

/// `mntns_mounts_of_namespace_fd` with the source chosen (`MNTNS_TABLE_*`).
///
/// Returns as `mntns_mounts_of_namespace_fd`, and `-EINVAL` for another `source`.
///
/// # Safety
/// `table_out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_mounts_of_namespace_fd_from(
    fd: c_int,
    source: c_int,
    table_out: *mut *mut mntns_mounts,
) -> c_int {
    guard("mntns_mounts_of_namespace_fd_from", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(table_out, "table_out") }?;
        let source = table_source(call, source)?;
        let owned = call
            .fd(fd, "fd")?
            .try_clone_to_owned()
            .map_err(|e| Error::new("duplicate namespace fd", Errno::from(&e)))?;
        let ns = NsFd::from_fd(owned)?;
        out.set(table(mntns::table::mounts_of_namespace_with(&ns, source)?));
        Ok(0)
    })
}

/// Reads the mount table of the mount namespace that the open namespace file `fd` refers
/// to, without entering it (`statmount(2)` by the namespace's 64-bit id, or a short-lived
/// child's mountinfo). Works for namespaces no process is in. The caller keeps `fd`.
///
/// On success writes a new table to `*table_out` (the caller frees it with
/// `mntns_mounts_free`). Returns 0, or `-errno`: `-EINVAL` for a NULL `table_out`, a file
/// that is not a namespace file or not a mount namespace; `-EBADF`; `-EPERM` when the
/// caller may not join or inspect it.
///
/// # Safety
/// `table_out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_mounts_of_namespace_fd(
    fd: c_int,
    table_out: *mut *mut mntns_mounts,
) -> c_int {
    guard("mntns_mounts_of_namespace_fd", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(table_out, "table_out") }?;
        let owned = call
            .fd(fd, "fd")?
            .try_clone_to_owned()
            .map_err(|e| Error::new("duplicate namespace fd", Errno::from(&e)))?;
        let ns = NsFd::from_fd(owned)?;
        out.set(table(mntns::mounts_of_namespace(&ns)?));
        Ok(0)
    })
}

/// The number of mounts in `table`. Infallible for a valid table; NULL gives 0 (and an
/// `EINVAL` message in `mntns_last_error`).
///
/// # Safety
/// `table` is NULL or a table not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_mounts_count(table: *const mntns_mounts) -> usize {
    guard("mntns_mounts_count", |call| {
        // SAFETY: the caller's contract.
        let table = unsafe { call.input(table, "table") }?;
        Ok(table.entries.len())
    })
}

fn entry(call: Call, table: &mntns_mounts, index: usize) -> Result<&Entry> {
    table.entries.get(index).ok_or_else(|| {
        call.error(
            Errno::ERANGE,
            format!(
                "index {index} is past the end of a table of {}",
                table.entries.len()
            ),
        )
    })
}

/// Copies the mount at `index` (0 to count - 1, parents before children as mountinfo
/// orders them) into `*mount_out`. Its strings belong to `table` and stay valid until
/// `mntns_mounts_free(table)`; the struct itself is the caller's.
///
/// Returns 0, or `-errno`: `-EINVAL` for NULL arguments; `-ERANGE` for an index past the
/// end (nothing is written).
///
/// # Safety
/// `table` is NULL or a table not yet freed; `mount_out` is NULL or valid for writing a
/// `struct mntns_mount`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_mounts_get(
    table: *const mntns_mounts,
    index: usize,
    mount_out: *mut mntns_mount,
) -> c_int {
    guard("mntns_mounts_get", |call| {
        // SAFETY: the caller's contract.
        let (table, out) = unsafe {
            (
                call.input(table, "table")?,
                call.out(mount_out, "mount_out")?,
            )
        };
        out.set(entry(call, table, index)?.view);
        Ok(0)
    })
}

/// Releases `table` and every string its mounts point to. NULL is a no-op. Freeing a table
/// twice is undefined behaviour, as with `free(3)`.
///
/// # Safety
/// `table` is NULL or a table not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_mounts_free(table: *mut mntns_mounts) {
    guard("mntns_mounts_free", |_| {
        if !table.is_null() {
            // SAFETY: table came from Box::into_raw in table() and is freed once (the
            // caller's contract).
            drop(unsafe { Box::from_raw(table) });
        }
        Ok(())
    })
}
