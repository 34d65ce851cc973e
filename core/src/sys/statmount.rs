//! `statmount(2)` and `listmount(2)` (Linux 6.8): read a mount table by mount id, in any
//! mount namespace the caller may see, without `/proc`. libc has neither the calls nor
//! their structures, so both are spelled out here from the kernel's
//! `include/uapi/linux/mount.h`. Raw calls returning [`Errno`]; `crate::table` turns the
//! answers into `Mount` records.

use crate::error::Errno;

/// The system call numbers. Since Linux 5.x every architecture shares one numbering for
/// new calls (`include/uapi/asm-generic/unistd.h`), except alpha, mips and ia64, where
/// these calls report `ENOSYS` from this crate.
#[cfg(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "aarch64",
    target_arch = "arm",
    target_arch = "riscv64",
    target_arch = "riscv32",
    target_arch = "loongarch64",
    target_arch = "powerpc64",
    target_arch = "powerpc",
    target_arch = "s390x",
))]
mod nr {
    pub(super) const STATMOUNT: Option<libc::c_long> = Some(457);
    pub(super) const LISTMOUNT: Option<libc::c_long> = Some(458);
}
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "aarch64",
    target_arch = "arm",
    target_arch = "riscv64",
    target_arch = "riscv32",
    target_arch = "loongarch64",
    target_arch = "powerpc64",
    target_arch = "powerpc",
    target_arch = "s390x",
)))]
mod nr {
    pub(super) const STATMOUNT: Option<libc::c_long> = None;
    pub(super) const LISTMOUNT: Option<libc::c_long> = None;
}

// `statmount.mask` bits (request and answer).
/// `sb_dev_*`, `sb_magic`, `sb_flags`.
pub(crate) const STATMOUNT_SB_BASIC: u64 = 0x0001;
/// `mnt_id*`, `mnt_parent_id*`, `mnt_attr`, `mnt_propagation`, `mnt_peer_group`,
/// `mnt_master`.
pub(crate) const STATMOUNT_MNT_BASIC: u64 = 0x0002;
/// `propagate_from`.
pub(crate) const STATMOUNT_PROPAGATE_FROM: u64 = 0x0004;
/// `mnt_root` (string).
pub(crate) const STATMOUNT_MNT_ROOT: u64 = 0x0008;
/// `mnt_point` (string).
pub(crate) const STATMOUNT_MNT_POINT: u64 = 0x0010;
/// `fs_type` (string).
pub(crate) const STATMOUNT_FS_TYPE: u64 = 0x0020;
/// `mnt_opts` (string, Linux 6.11): security and filesystem options, escaped as in
/// mountinfo, without the leading comma.
pub(crate) const STATMOUNT_MNT_OPTS: u64 = 0x0080;
/// `fs_subtype` (string, Linux 6.13); set in the answer only when there is a subtype.
pub(crate) const STATMOUNT_FS_SUBTYPE: u64 = 0x0100;
/// `sb_source` (string, Linux 6.13), unescaped.
pub(crate) const STATMOUNT_SB_SOURCE: u64 = 0x0200;
/// `supported_mask` (Linux 6.15): every bit this kernel can answer.
pub(crate) const STATMOUNT_SUPPORTED_MASK: u64 = 0x1000;

/// What Linux 6.8 answers: everything `crate::table` asks for except the strings added
/// later. Used to retry when a kernel refuses bits it does not know.
pub(crate) const STATMOUNT_MASK_V68: u64 = STATMOUNT_SB_BASIC
    | STATMOUNT_MNT_BASIC
    | STATMOUNT_PROPAGATE_FROM
    | STATMOUNT_MNT_ROOT
    | STATMOUNT_MNT_POINT
    | STATMOUNT_FS_TYPE;

/// `LSMT_ROOT`: list from the root of the namespace (as `mnt_id` of `listmount`).
pub(crate) const LSMT_ROOT: u64 = u64::MAX;

// `statmount.sb_flags` bits (`SB_*` in include/linux/fs.h, same values as `MS_*`).
pub(crate) const SB_RDONLY: u32 = 1;
pub(crate) const SB_SYNCHRONOUS: u32 = 16;
pub(crate) const SB_DIRSYNC: u32 = 128;
pub(crate) const SB_LAZYTIME: u32 = 1 << 25;

// `statmount.mnt_attr` bits (`MOUNT_ATTR_*`).
pub(crate) const MOUNT_ATTR_RDONLY: u64 = 0x0000_0001;
pub(crate) const MOUNT_ATTR_NOSUID: u64 = 0x0000_0002;
pub(crate) const MOUNT_ATTR_NODEV: u64 = 0x0000_0004;
pub(crate) const MOUNT_ATTR_NOEXEC: u64 = 0x0000_0008;
pub(crate) const MOUNT_ATTR__ATIME: u64 = 0x0000_0070;
pub(crate) const MOUNT_ATTR_RELATIME: u64 = 0x0000_0000;
pub(crate) const MOUNT_ATTR_NOATIME: u64 = 0x0000_0010;
pub(crate) const MOUNT_ATTR_NODIRATIME: u64 = 0x0000_0080;
pub(crate) const MOUNT_ATTR_IDMAP: u64 = 0x0010_0000;
pub(crate) const MOUNT_ATTR_NOSYMFOLLOW: u64 = 0x0020_0000;

// `statmount.mnt_propagation` bits (`MS_*`).
pub(crate) const MS_UNBINDABLE: u64 = 1 << 17;
pub(crate) const MS_SLAVE: u64 = 1 << 19;
pub(crate) const MS_SHARED: u64 = 1 << 20;

/// `struct mnt_id_req`, second published version (`MNT_ID_REQ_SIZE_VER1`, Linux 6.11:
/// adds `mnt_ns_id`). Linux 6.8–6.10 accept it while `mnt_ns_id` is 0 (the trailing bytes
/// must be zero) and refuse a non-zero namespace id with `E2BIG`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct MntIdReq {
    size: u32,
    /// `mnt_ns_fd` / `mnt_fd` in Linux 6.18+ (with flags we never pass); must be 0 here.
    spare: u32,
    mnt_id: u64,
    /// statmount: the request mask; listmount: the last id already listed (0 to start).
    param: u64,
    /// The 64-bit id of the namespace to look in (`NS_GET_MNTNS_ID`), 0 for the caller's.
    mnt_ns_id: u64,
}

const MNT_ID_REQ_SIZE_VER1: u32 = 32;
const _: () = assert!(std::mem::size_of::<MntIdReq>() == MNT_ID_REQ_SIZE_VER1 as usize);

/// The fixed part of `struct statmount`, field for field. Strings follow it in the same
/// buffer (`char str[]`); each `[str]` field is an offset into that tail.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct StatmountHeader {
    /// Total size written, strings included.
    pub size: u32,
    /// `[str]` options (`STATMOUNT_MNT_OPTS`).
    pub mnt_opts: u32,
    /// What was written.
    pub mask: u64,
    pub sb_dev_major: u32,
    pub sb_dev_minor: u32,
    pub sb_magic: u64,
    /// `SB_{RDONLY,SYNCHRONOUS,DIRSYNC,LAZYTIME}`.
    pub sb_flags: u32,
    /// `[str]` filesystem type.
    pub fs_type: u32,
    /// Unique 64-bit mount id (never reused).
    pub mnt_id: u64,
    pub mnt_parent_id: u64,
    /// The id /proc/PID/mountinfo shows (reused).
    pub mnt_id_old: u32,
    pub mnt_parent_id_old: u32,
    /// `MOUNT_ATTR_*`.
    pub mnt_attr: u64,
    /// `MS_{SHARED,SLAVE,PRIVATE,UNBINDABLE}`.
    pub mnt_propagation: u64,
    pub mnt_peer_group: u64,
    pub mnt_master: u64,
    pub propagate_from: u64,
    /// `[str]` root of the mount within its filesystem.
    pub mnt_root: u32,
    /// `[str]` mount point, relative to the caller's root (or the namespace's root).
    pub mnt_point: u32,
    pub mnt_ns_id: u64,
    /// `[str]` subtype (`sshfs` of `fuse.sshfs`).
    pub fs_subtype: u32,
    /// `[str]` source, unescaped.
    pub sb_source: u32,
    pub opt_num: u32,
    pub opt_array: u32,
    pub opt_sec_num: u32,
    pub opt_sec_array: u32,
    pub supported_mask: u64,
    pub mnt_uidmap_num: u32,
    pub mnt_uidmap: u32,
    pub mnt_gidmap_num: u32,
    pub mnt_gidmap: u32,
    spare2: [u64; 43],
}

/// Size of the fixed part; the string area starts right after it.
pub(crate) const STATMOUNT_HEADER_SIZE: usize = 512;
const _: () = assert!(std::mem::size_of::<StatmountHeader>() == STATMOUNT_HEADER_SIZE);

/// One `statmount(2)` call for mount `mnt_id` (unique id) in namespace `ns_id` (0: the
/// caller's), asking for `mask`, into `buf` (u64 elements so the header is aligned).
///
/// `EOVERFLOW` means the strings did not fit: call again with a larger buffer.
pub(crate) fn statmount(mnt_id: u64, ns_id: u64, mask: u64, buf: &mut [u64]) -> Result<(), Errno> {
    let Some(nr) = nr::STATMOUNT else {
        return Err(Errno::ENOSYS);
    };
    let req = MntIdReq {
        size: MNT_ID_REQ_SIZE_VER1,
        mnt_id,
        param: mask,
        mnt_ns_id: ns_id,
        ..MntIdReq::default()
    };
    let bytes = std::mem::size_of_val(buf);
    // SAFETY: req is a valid mnt_id_req of the size it declares; buf is writable for
    // `bytes` bytes, which is what we pass as the buffer size; flags are 0.
    let rc = unsafe {
        libc::syscall(
            nr,
            &req as *const MntIdReq,
            buf.as_mut_ptr(),
            bytes,
            0 as libc::c_uint,
        )
    };
    if rc < 0 { Err(Errno::last()) } else { Ok(()) }
}

/// One `listmount(2)` call: the unique ids of the mounts below `LSMT_ROOT` in namespace
/// `ns_id` (0: the caller's) that come after id `last` (0: from the start), at most
/// `out.len()` of them. Returns how many were written; fewer than `out.len()` means the
/// listing is complete.
pub(crate) fn listmount(ns_id: u64, last: u64, out: &mut [u64]) -> Result<usize, Errno> {
    let Some(nr) = nr::LISTMOUNT else {
        return Err(Errno::ENOSYS);
    };
    let req = MntIdReq {
        size: MNT_ID_REQ_SIZE_VER1,
        mnt_id: LSMT_ROOT,
        param: last,
        mnt_ns_id: ns_id,
        ..MntIdReq::default()
    };
    // SAFETY: req is a valid mnt_id_req; out is writable for out.len() u64 values, the
    // count we pass; flags are 0 (forward order).
    let rc = unsafe {
        libc::syscall(
            nr,
            &req as *const MntIdReq,
            out.as_mut_ptr(),
            out.len(),
            0 as libc::c_uint,
        )
    };
    if rc < 0 {
        Err(Errno::last())
    } else {
        Ok(rc as usize)
    }
}

/// A view of one successful `statmount` answer: the header, and the NUL-terminated
/// strings behind it, bounds-checked.
pub(crate) struct StatmountReply<'a> {
    pub header: StatmountHeader,
    strings: &'a [u8],
}

impl<'a> StatmountReply<'a> {
    /// Interprets `buf` after a successful [`statmount`] call.
    pub(crate) fn new(buf: &'a [u64]) -> StatmountReply<'a> {
        assert!(std::mem::size_of_val(buf) >= STATMOUNT_HEADER_SIZE);
        // SAFETY: buf holds at least one header (checked above), is u64-aligned, and
        // StatmountHeader is plain integers, valid for any bit pattern.
        let header = unsafe { std::ptr::read(buf.as_ptr().cast::<StatmountHeader>()) };
        // SAFETY: reinterpreting the u64 buffer as bytes (u8 has no alignment or validity
        // requirements); the length is the buffer's size in bytes.
        let bytes: &'a [u8] = unsafe {
            std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), std::mem::size_of_val(buf))
        };
        let end = (header.size as usize).clamp(STATMOUNT_HEADER_SIZE, bytes.len());
        StatmountReply {
            header,
            strings: &bytes[STATMOUNT_HEADER_SIZE..end],
        }
    }

    /// The string at `offset` when `bit` is set in the answer's mask; `None` otherwise or
    /// when the offset points outside the answer (never trusted blindly).
    pub(crate) fn string(&self, bit: u64, offset: u32) -> Option<&'a [u8]> {
        if self.header.mask & bit == 0 {
            return None;
        }
        let tail = self.strings.get(offset as usize..)?;
        let len = tail.iter().position(|&b| b == 0)?;
        Some(&tail[..len])
    }
}
