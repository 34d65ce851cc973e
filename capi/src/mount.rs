//! Mount operations from C: tmpfs (a plain options struct, or the `mount -o` text), sizes,
//! binds, mount flags, propagation, unmount and the whole `pivot_root` sequence.

use std::ffi::{c_char, c_int};

use mntns::{
    BindOptions, Inodes, MountFlags, Propagation, Size, TmpfsOptions, UnmountFlags, pivot_root,
};

use crate::error::{Call, guard};

// Mount flags: the kernel's MS_* values (sys/mount.h), for tmpfs, binds and
// mntns_set_mount_flags. Checked against libc below.

/// `MS_RDONLY` (`ro`): no writes through the mount.
pub const MNTNS_MOUNT_RDONLY: u64 = 1 << 0;
/// `MS_NOSUID` (`nosuid`): set-user-id/set-group-id bits and file capabilities are ignored.
pub const MNTNS_MOUNT_NOSUID: u64 = 1 << 1;
/// `MS_NODEV` (`nodev`): device files cannot be opened.
pub const MNTNS_MOUNT_NODEV: u64 = 1 << 2;
/// `MS_NOEXEC` (`noexec`): nothing can be executed.
pub const MNTNS_MOUNT_NOEXEC: u64 = 1 << 3;
/// `MS_NOSYMFOLLOW` (`nosymfollow`, Linux 5.10): symlinks are not followed.
pub const MNTNS_MOUNT_NOSYMFOLLOW: u64 = 1 << 8;
/// `MS_NOATIME` (`noatime`): access times are never updated.
pub const MNTNS_MOUNT_NOATIME: u64 = 1 << 10;
/// `MS_NODIRATIME` (`nodiratime`): directory access times are never updated.
pub const MNTNS_MOUNT_NODIRATIME: u64 = 1 << 11;
/// `MS_RELATIME` (`relatime`, the kernel's default atime mode).
pub const MNTNS_MOUNT_RELATIME: u64 = 1 << 21;
/// `MS_STRICTATIME` (`strictatime`): every access updates the access time.
pub const MNTNS_MOUNT_STRICTATIME: u64 = 1 << 24;

/// `struct mntns_tmpfs_opts.flags`: the tmpfs option `noswap` (Linux 6.4; refused by the
/// kernel outside the initial user namespace). Not a mount(2) flag.
pub const MNTNS_TMPFS_NOSWAP: u64 = 1u64 << 32;
/// `mntns_bind` flag: bind the mounts below the source too (`mount --rbind`).
pub const MNTNS_BIND_RECURSIVE: u64 = 1u64 << 33;

/// Marks an unset `uint64_t` field of `struct mntns_tmpfs_opts` (all bits one): the kernel's
/// default applies (for `size_bytes`, half of RAM — not unlimited).
pub const MNTNS_UNSET64: u64 = u64::MAX;
/// Marks an unset `uint32_t` (all bits one): a `struct mntns_tmpfs_opts` field left at the
/// kernel's default, or the `uid` of a namespace no process is in.
pub const MNTNS_UNSET32: u32 = u32::MAX;
/// `size_bytes` or `nr_inodes` of `struct mntns_tmpfs_opts`: explicitly no limit. The only
/// way to get an unlimited tmpfs; 0 is refused, never read as unlimited.
pub const MNTNS_TMPFS_UNLIMITED: u64 = u64::MAX - 1;

/// `mntns_set_propagation`: `MS_PRIVATE`, no events in or out.
pub const MNTNS_PROPAGATION_PRIVATE: c_int = 1 << 18;
/// `mntns_set_propagation`: `MS_SLAVE`, receive events from the former peers, send none.
pub const MNTNS_PROPAGATION_SLAVE: c_int = 1 << 19;
/// `mntns_set_propagation`: `MS_SHARED`, exchange events with the peer group.
pub const MNTNS_PROPAGATION_SHARED: c_int = 1 << 20;
/// `mntns_set_propagation`: `MS_UNBINDABLE`, private and not bind-mountable.
pub const MNTNS_PROPAGATION_UNBINDABLE: c_int = 1 << 17;

/// `mntns_unmount`: `MNT_FORCE` (`umount -f`), abort pending requests (NFS).
pub const MNTNS_UNMOUNT_FORCE: c_int = 1 << 0;
/// `mntns_unmount`: `MNT_DETACH` (`umount -l`), detach now, free once unused.
pub const MNTNS_UNMOUNT_DETACH: c_int = 1 << 1;
/// `mntns_unmount`: `MNT_EXPIRE`, mark for expiry (not with FORCE or DETACH).
pub const MNTNS_UNMOUNT_EXPIRE: c_int = 1 << 2;
/// `mntns_unmount`: `UMOUNT_NOFOLLOW`, do not follow a symlink at the path.
pub const MNTNS_UNMOUNT_NOFOLLOW: c_int = 1 << 3;

#[allow(clippy::unnecessary_cast)] // c_ulong is u64 on 64-bit targets only
const _: () = {
    assert!(MNTNS_MOUNT_RDONLY == libc::MS_RDONLY as u64);
    assert!(MNTNS_MOUNT_NOSUID == libc::MS_NOSUID as u64);
    assert!(MNTNS_MOUNT_NODEV == libc::MS_NODEV as u64);
    assert!(MNTNS_MOUNT_NOEXEC == libc::MS_NOEXEC as u64);
    assert!(MNTNS_MOUNT_NOSYMFOLLOW == libc::MS_NOSYMFOLLOW as u64);
    assert!(MNTNS_MOUNT_NOATIME == libc::MS_NOATIME as u64);
    assert!(MNTNS_MOUNT_NODIRATIME == libc::MS_NODIRATIME as u64);
    assert!(MNTNS_MOUNT_RELATIME == libc::MS_RELATIME as u64);
    assert!(MNTNS_MOUNT_STRICTATIME == libc::MS_STRICTATIME as u64);
    assert!(MountFlags::all().bits() & (MNTNS_TMPFS_NOSWAP | MNTNS_BIND_RECURSIVE) == 0);
    assert!(MNTNS_PROPAGATION_PRIVATE as u64 == libc::MS_PRIVATE as u64);
    assert!(MNTNS_PROPAGATION_SLAVE as u64 == libc::MS_SLAVE as u64);
    assert!(MNTNS_PROPAGATION_SHARED as u64 == libc::MS_SHARED as u64);
    assert!(MNTNS_PROPAGATION_UNBINDABLE as u64 == libc::MS_UNBINDABLE as u64);
    assert!(MNTNS_UNMOUNT_FORCE == libc::MNT_FORCE);
    assert!(MNTNS_UNMOUNT_DETACH == libc::MNT_DETACH);
    assert!(MNTNS_UNMOUNT_EXPIRE == libc::MNT_EXPIRE);
    assert!(MNTNS_UNMOUNT_NOFOLLOW == libc::UMOUNT_NOFOLLOW);
};

/// What a tmpfs is mounted with. Fill it with `mntns_tmpfs_opts_init` (every field unset:
/// the kernel's defaults, as `mount -t tmpfs` without `-o`), then set what you need. A
/// plain value owned by the caller; the library only reads it.
///
/// Unset is all bits one: `MNTNS_UNSET64` for the 64-bit fields, `MNTNS_UNSET32` for the
/// 32-bit ones. 0 is never a default: a size or inode count of 0 is refused with
/// `-EINVAL` (the kernel would make it unlimited); ask for `MNTNS_TMPFS_UNLIMITED`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct mntns_tmpfs_opts {
    /// The size limit in bytes (`size=`), 1 to 2^62, rounded up to pages by the kernel;
    /// `MNTNS_TMPFS_UNLIMITED`; or `MNTNS_UNSET64` for the kernel's default (half of RAM).
    pub size_bytes: u64,
    /// The permission bits of the root directory (`mode=`), at most 07777;
    /// `MNTNS_UNSET32` for the default 1777.
    pub mode: u32,
    /// The inode limit (`nr_inodes=`), 1 to `UINT64_MAX / 1024`; `MNTNS_TMPFS_UNLIMITED`;
    /// or `MNTNS_UNSET64` for the kernel's default.
    pub nr_inodes: u64,
    /// The owner of the root directory (`uid=`), as seen from the caller's user namespace;
    /// `MNTNS_UNSET32` for the caller.
    pub uid: u32,
    /// The group of the root directory (`gid=`); `MNTNS_UNSET32` for the caller's.
    pub gid: u32,
    /// `MNTNS_MOUNT_*` flags, plus `MNTNS_TMPFS_NOSWAP`; 0 for none. Other bits are
    /// refused.
    pub flags: u64,
}

impl mntns_tmpfs_opts {
    fn unset() -> mntns_tmpfs_opts {
        mntns_tmpfs_opts {
            size_bytes: MNTNS_UNSET64,
            mode: MNTNS_UNSET32,
            nr_inodes: MNTNS_UNSET64,
            uid: MNTNS_UNSET32,
            gid: MNTNS_UNSET32,
            flags: 0,
        }
    }

    /// The core's options, every value checked.
    pub(crate) fn to_options(self, call: Call) -> mntns::Result<TmpfsOptions> {
        let mut opts = TmpfsOptions::new();
        match self.size_bytes {
            MNTNS_UNSET64 => {}
            MNTNS_TMPFS_UNLIMITED => opts = opts.size(Size::Unlimited),
            0 => {
                return Err(call.invalid(
                    "size_bytes is 0, which the kernel would make an unlimited tmpfs; use \
                     MNTNS_TMPFS_UNLIMITED for no limit, or MNTNS_UNSET64 for the kernel's \
                     default (half of RAM)",
                ));
            }
            n => {
                let size = Size::Bytes(n);
                size.validate()?;
                opts = opts.size(size);
            }
        }
        match self.nr_inodes {
            MNTNS_UNSET64 => {}
            MNTNS_TMPFS_UNLIMITED => opts = opts.nr_inodes(Inodes::Unlimited),
            0 => {
                return Err(call.invalid(
                    "nr_inodes is 0, which the kernel would make unlimited; use \
                     MNTNS_TMPFS_UNLIMITED for no limit, or MNTNS_UNSET64 for the default",
                ));
            }
            n => {
                let inodes = Inodes::Count(n);
                inodes.validate()?;
                opts = opts.nr_inodes(inodes);
            }
        }
        if self.mode != MNTNS_UNSET32 {
            opts = opts.mode(self.mode);
        }
        if self.uid != MNTNS_UNSET32 {
            opts = opts.uid(self.uid);
        }
        if self.gid != MNTNS_UNSET32 {
            opts = opts.gid(self.gid);
        }
        let known = MountFlags::all().bits() | MNTNS_TMPFS_NOSWAP;
        if self.flags & !known != 0 {
            return Err(call.invalid(format!(
                "unknown flag bits {:#x} in flags {:#x}; tmpfs takes MNTNS_MOUNT_* and \
                 MNTNS_TMPFS_NOSWAP",
                self.flags & !known,
                self.flags
            )));
        }
        opts = opts
            .noswap(self.flags & MNTNS_TMPFS_NOSWAP != 0)
            .flags(MountFlags::from_raw(self.flags & !MNTNS_TMPFS_NOSWAP)?);
        opts.validate()?;
        Ok(opts)
    }
}

/// Sets every field of `*opts` to unset (`MNTNS_UNSET64`/`MNTNS_UNSET32`, flags 0): a tmpfs
/// mounted with it gets the kernel's defaults, as `mount -t tmpfs` without `-o`.
///
/// Returns 0, or `-EINVAL` when `opts` is NULL.
///
/// # Safety
/// `opts` is NULL or valid for writing a `struct mntns_tmpfs_opts`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_tmpfs_opts_init(opts: *mut mntns_tmpfs_opts) -> c_int {
    guard("mntns_tmpfs_opts_init", |call| {
        // SAFETY: the caller's contract.
        let out = unsafe { call.out(opts, "opts") }?;
        out.set(mntns_tmpfs_opts::unset());
        Ok(0)
    })
}

/// Mounts a new tmpfs on `target`, as `mount -t tmpfs -o OPTIONS tmpfs TARGET`. Every value
/// of `*opts` is checked first, and sizes go to the kernel as plain byte counts, so the
/// bound checked is the bound that applies. The caller keeps both arguments.
///
/// `target` is an absolute path (bytes, not necessarily UTF-8). The mount is made in the
/// caller's mount namespace: make `/` private first (`mntns_set_propagation`) so no other
/// namespace sees it.
///
/// Returns 0, or `-errno`. Before any system call: `-EINVAL` for NULL arguments, a relative
/// target, size or inode count 0, sizes above 2^62, mode above 07777, unknown flag bits, two
/// atime modes; `-ENAMETOOLONG`. From the kernel: `-EPERM` (no `CAP_SYS_ADMIN` over the
/// mount namespace: `mntns_unshare_rootless` first), `-ENOENT` (target missing),
/// `-ENOTDIR`, `-ENOSPC` (mount limit), `-EINVAL` (`MNTNS_TMPFS_NOSWAP` in a user
/// namespace, an unmapped uid/gid). `mntns_last_error` names the step, target and cause.
///
/// # Safety
/// `target` is NULL or a NUL-terminated string; `opts` is NULL or points to a
/// `struct mntns_tmpfs_opts`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_mount_tmpfs(
    target: *const c_char,
    opts: *const mntns_tmpfs_opts,
) -> c_int {
    guard("mntns_mount_tmpfs", |call| {
        // SAFETY: the caller's contract.
        let (target, opts) = unsafe { (call.path(target, "target")?, call.input(opts, "opts")?) };
        let opts = opts.to_options(call).map_err(|e| e.with_path(target))?;
        mntns::mount_tmpfs(target, &opts)?;
        Ok(0)
    })
}

/// Mounts a new tmpfs on `target` with options in the `mount -o` syntax:
/// `"size=1m,mode=755,nosuid"`. Keys: `size=` (bytes with optional k/m/g/t, powers of 1024;
/// `N%` of RAM; `unlimited`), `nr_inodes=` (count with optional k/m/g, or `unlimited`),
/// `mode=` (octal), `uid=`, `gid=`, `noswap`, and the flags `ro`, `rw`, `nosuid`, `nodev`,
/// `noexec`, `noatime`, `nodiratime`, `relatime`, `strictatime`, `nosymfollow`. `""` gives
/// the kernel's defaults. The caller keeps both strings.
///
/// Returns 0, or `-errno` as `mntns_mount_tmpfs`; `-EINVAL` quoting the option for an
/// unknown option, a bad value (`size=0`, `size=1.5m`, `mode=999`…), an option given twice,
/// `ro` with `rw`, and for NULL arguments.
///
/// # Safety
/// `target` and `options` are NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_mount_tmpfs_options(
    target: *const c_char,
    options: *const c_char,
) -> c_int {
    guard("mntns_mount_tmpfs_options", |call| {
        // SAFETY: the caller's contract.
        let (target, options) =
            unsafe { (call.path(target, "target")?, call.text(options, "options")?) };
        let opts = TmpfsOptions::parse(options).map_err(|e| e.with_path(target))?;
        mntns::mount_tmpfs(target, &opts)?;
        Ok(0)
    })
}

/// Parses a tmpfs size and resolves it to bytes: `"1m"` is 1048576, `"64k"`, `"2G"`
/// (suffixes k/m/g/t in either case, powers of 1024), `"10%"` is a tenth of RAM as the
/// kernel computes it.
///
/// On success writes `*bytes_out`. Returns 0, or `-EINVAL` quoting the text for NULL
/// arguments, empty text, whitespace, signs, fractions, hex, leading zeros, unknown
/// suffixes, `0`, `0%`, more than `100%`, more than 2^62 bytes, and `unlimited` (not a
/// number of bytes).
///
/// # Safety
/// `text` is NULL or a NUL-terminated string; `bytes_out` is NULL or valid for writing a
/// `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_parse_size(text: *const c_char, bytes_out: *mut u64) -> c_int {
    guard("mntns_parse_size", |call| {
        // SAFETY: the caller's contract.
        let (text, out) = unsafe { (call.text(text, "text")?, call.out(bytes_out, "bytes_out")?) };
        out.set(mntns::parse_size(text)?);
        Ok(0)
    })
}

/// Binds `source` onto `target`, as `mount --bind` (or `mount --rbind` with
/// `MNTNS_BIND_RECURSIVE`), then applies the `MNTNS_MOUNT_*` flags in `flags` to the new
/// mount — to every mount of it when recursive. `MNTNS_MOUNT_RDONLY` gives a read-only
/// bind that is never visible writable. `source` is opened once and only that descriptor
/// is used. Both paths are absolute bytes, not necessarily UTF-8; the caller keeps them.
///
/// `flags`: `MNTNS_BIND_RECURSIVE` and `MNTNS_MOUNT_*` bits; others are `-EINVAL`.
///
/// Returns 0, or `-errno`. Before any system call: `-EINVAL` for NULL arguments, relative
/// paths, unknown bits, two atime modes; `-ENAMETOOLONG`. Then `-ENOENT` naming the source
/// or the target that is missing, `-EACCES`, `-EPERM` (no `CAP_SYS_ADMIN`), `-EINVAL` (a
/// non-recursive bind, in a user namespace, of a source with locked submounts), `-ENOSPC`.
///
/// # Safety
/// `source` and `target` are NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_bind(
    source: *const c_char,
    target: *const c_char,
    flags: u64,
) -> c_int {
    guard("mntns_bind", |call| {
        // SAFETY: the caller's contract.
        let (source, target) =
            unsafe { (call.path(source, "source")?, call.path(target, "target")?) };
        let known = MountFlags::all().bits() | MNTNS_BIND_RECURSIVE;
        if flags & !known != 0 {
            return Err(call.invalid(format!(
                "unknown flag bits {:#x} in flags {flags:#x}; mntns_bind takes \
                 MNTNS_BIND_RECURSIVE and MNTNS_MOUNT_*",
                flags & !known
            )));
        }
        let opts = BindOptions::new()
            .recursive(flags & MNTNS_BIND_RECURSIVE != 0)
            .flags(MountFlags::from_raw(flags & !MNTNS_BIND_RECURSIVE)?);
        mntns::bind(source, target, &opts)?;
        Ok(0)
    })
}

/// Sets the `MNTNS_MOUNT_*` flags in `set` and clears those in `clear` on the mount at
/// `path`, and on every mount below it when `recursive` is 1, as `mount -o
/// remount,bind,FLAGS` does; other flags stay as they are. Clearing `MNTNS_MOUNT_NOATIME`
/// or `MNTNS_MOUNT_STRICTATIME` returns to relatime. The caller keeps `path`.
///
/// Returns 0, or `-errno`: `-EINVAL` before any system call for a NULL or relative path,
/// unknown bits, a flag both set and cleared, two atime modes, clearing
/// `MNTNS_MOUNT_RELATIME`, `recursive` other than 0 or 1; from the kernel `-EINVAL` when
/// `path` is not a mount point, `-EPERM` for a flag *locked by a parent namespace* (the
/// message names it) or without `CAP_SYS_ADMIN`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_set_mount_flags(
    path: *const c_char,
    set: u64,
    clear: u64,
    recursive: c_int,
) -> c_int {
    guard("mntns_set_mount_flags", |call| {
        // SAFETY: the caller's contract.
        let path = unsafe { call.path(path, "path") }?;
        let set = MountFlags::from_raw(set)?;
        let clear = MountFlags::from_raw(clear)?;
        let recursive = call.boolean(recursive, "recursive")?;
        mntns::set_mount_flags(path, set, clear, recursive)?;
        Ok(0)
    })
}

/// Changes the propagation of the mount at `path` to `propagation`
/// (`MNTNS_PROPAGATION_PRIVATE`, `_SLAVE`, `_SHARED` or `_UNBINDABLE`), and of every mount
/// below it when `recursive` is 1, as `mount --make-[r]private` and friends. The caller
/// keeps `path`.
///
/// Returns 0, or `-errno`: `-EINVAL` for a NULL or relative path, an unknown
/// `propagation`, `recursive` other than 0 or 1, and (from the kernel) when `path` is not a
/// mount point; `-EPERM` without `CAP_SYS_ADMIN`; `-ENOENT`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_set_propagation(
    path: *const c_char,
    propagation: c_int,
    recursive: c_int,
) -> c_int {
    guard("mntns_set_propagation", |call| {
        // SAFETY: the caller's contract.
        let path = unsafe { call.path(path, "path") }?;
        let propagation = Propagation::ALL
            .into_iter()
            .find(|p| p.ms_flag() == propagation as u64 && propagation > 0)
            .ok_or_else(|| {
                call.invalid(format!(
                    "propagation {propagation:#x} is not one of MNTNS_PROPAGATION_PRIVATE, \
                     _SLAVE, _SHARED, _UNBINDABLE"
                ))
            })?;
        let recursive = call.boolean(recursive, "recursive")?;
        mntns::set_propagation(path, propagation, recursive)?;
        Ok(0)
    })
}

/// Unmounts the mount at `path`, as `umount` (`umount -l` with `MNTNS_UNMOUNT_DETACH`).
/// `flags`: `MNTNS_UNMOUNT_*` bits or 0; unknown bits are `-EINVAL`. The caller keeps
/// `path`.
///
/// Returns 0, or `-errno`: `-EINVAL` for a NULL or relative path, unknown bits, `EXPIRE`
/// with `DETACH` or `FORCE`, and (from the kernel) when `path` is not a mount point or the
/// mount is locked; `-EBUSY` (the message suggests `MNTNS_UNMOUNT_DETACH`); `-EAGAIN` after
/// a first `EXPIRE`; `-EPERM`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_unmount(path: *const c_char, flags: c_int) -> c_int {
    guard("mntns_unmount", |call| {
        // SAFETY: the caller's contract.
        let path = unsafe { call.path(path, "path") }?;
        mntns::unmount(path, UnmountFlags::from_raw(flags)?)?;
        Ok(0)
    })
}

/// `mntns_pivot_root` choosing how `/` is made non-shared first: `MNTNS_PROPAGATION_SLAVE`
/// (the default of `mntns_pivot_root`: host mounts still appear, nothing goes back) or
/// `MNTNS_PROPAGATION_PRIVATE` (no propagation either way).
///
/// Returns as `mntns_pivot_root`, and `-EINVAL` for another `propagation`.
///
/// # Safety
/// `new_root` and `old_root` are NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_pivot_root_with(
    new_root: *const c_char,
    old_root: *const c_char,
    propagation: c_int,
) -> c_int {
    guard("mntns_pivot_root_with", |call| {
        // SAFETY: the caller's contract.
        let (new_root, old_root) = unsafe {
            (
                call.path(new_root, "new_root")?,
                call.optional_path(old_root),
            )
        };
        let propagation = match propagation {
            MNTNS_PROPAGATION_SLAVE => mntns::RootPropagation::Slave,
            MNTNS_PROPAGATION_PRIVATE => mntns::RootPropagation::Private,
            other => {
                return Err(call.invalid(format!(
                    "propagation {other:#x} is not MNTNS_PROPAGATION_SLAVE or \
                     MNTNS_PROPAGATION_PRIVATE"
                )));
            }
        };
        let mut opts = mntns::PivotOptions::new().propagation(propagation);
        if let Some(old) = old_root {
            opts = opts.keep_old_root(old);
        }
        mntns::pivot_root_with(new_root, &opts)?;
        Ok(0)
    })
}

/// Makes `new_root` the root of the caller's mount namespace with the whole safe sequence:
/// make `/` rslave, bind `new_root` onto itself when it is not a mount point,
/// `pivot_root(".", ".")`, detach the old root (or keep it at `old_root`), `chdir("/")` and
/// check the working directory. The caller keeps both strings.
///
/// `old_root`: NULL to detach the old root, or a path inside the new root (relative to it:
/// `"old-root"` and `"/old-root"` mean the same; created with mode 0700 when missing) where
/// the old root stays mounted.
///
/// Call it in a mount namespace of your own (`mntns_unshare`/`mntns_unshare_rootless`): it
/// refuses to run in the initial mount namespace.
///
/// Returns 0, or `-errno`: `-EINVAL` for a NULL `new_root`, a bad `old_root` (`..`,
/// empty); `-ENOENT`/`-ENOTDIR`/`-EACCES` naming the new root; `-EPERM` in the initial mount
/// namespace or without `CAP_SYS_ADMIN`; `-EINVAL`/`-EBUSY` from `pivot_root(2)` with the
/// cause found.
///
/// # Safety
/// `new_root` and `old_root` are NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mntns_pivot_root(
    new_root: *const c_char,
    old_root: *const c_char,
) -> c_int {
    guard("mntns_pivot_root", |call| {
        // SAFETY: the caller's contract.
        let (new_root, old_root) = unsafe {
            (
                call.path(new_root, "new_root")?,
                call.optional_path(old_root),
            )
        };
        pivot_root(new_root, old_root)?;
        Ok(0)
    })
}
