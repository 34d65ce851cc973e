//! Mount operations: tmpfs with sizes libmntns parses and bounds itself, bind mounts from a
//! source opened once, read-only and other mount flags that really apply to every submount,
//! propagation (`mount --make-[r]private` and friends) and unmounting.
//!
//! | by hand | here |
//! |---|---|
//! | `mount -t tmpfs -o size=1m,mode=755 tmpfs /x` | [`mount_tmpfs`] with [`TmpfsOptions`] |
//! | `mount --rbind /a /b`, `mount -o bind,ro` | [`bind`] with [`BindOptions`] |
//! | `mount -o remount,bind,nosuid /b` | [`set_mount_flags`] |
//! | `mount --make-rprivate /` | [`set_propagation`] |
//! | `umount /b`, `umount -l /b` | [`unmount`] |
//!
//! ## Sizes are ours, not the kernel's
//!
//! The kernel's tmpfs turns `size=0` — and any size so large that rounding it up to pages
//! wraps around — into an *unlimited* tmpfs, silently. libmntns parses every size itself
//! ([`Size::parse`]), refuses `0` and anything above [`Size::MAX_BYTES`], and always hands the
//! kernel a plain byte count, so the bound checked here is the bound the kernel applies. An
//! unlimited tmpfs happens only through [`Size::Unlimited`].
//!
//! ## Paths
//!
//! Every path must be absolute, free of NUL bytes and shorter than `PATH_MAX`; this is
//! checked before any system call (`EINVAL`, `ENAMETOOLONG`). Symlinks are followed the way
//! `mount(8)` follows them. A bind source is opened once (`O_PATH`) and every later step uses
//! that descriptor, so it cannot be swapped between the checks and the mount.
//!
//! ## Kernel interfaces and fallbacks
//!
//! Binds use `open_tree(2)` + `mount_setattr(2)` + `move_mount(2)` (Linux 5.2/5.12): the
//! copy is made read-only *before* it is attached, recursively and atomically. Without those
//! calls (`ENOSYS`: old kernels, seccomp filters) the classic path runs: `mount(2)` with
//! `MS_BIND` from `/proc/self/fd/N`, then one `MS_REMOUNT|MS_BIND` per mount of the tree —
//! each keeping the flags it already has, because a user namespace may not clear flags
//! that a more privileged namespace set (they are *locked*), which is what makes a naive
//! read-only remount fail with `EPERM` for rootless callers (bubblewrap does the same).

use std::ffi::{CStr, CString};
use std::fmt;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use bitflags::bitflags;

use crate::error::{Errno, Error, Result, hints};
use crate::sys::mount_api::{self as sys, MountAttr, SetattrTarget};

/// An `MS_*` constant (a `c_ulong`, 32 bits wide on 32-bit targets) as a `u64`.
#[allow(clippy::unnecessary_cast)] // the same type only on 64-bit targets
const fn ms_bits(flag: libc::c_ulong) -> u64 {
    flag as u64
}

/// `PATH_MAX` on Linux, counting the terminating NUL.
const PATH_MAX: usize = libc::PATH_MAX as usize;
/// `NAME_MAX` on Linux: the longest path component.
const NAME_MAX: usize = 255;

// ---------------------------------------------------------------------------------------
// Sizes and inode counts
// ---------------------------------------------------------------------------------------

/// The size limit of a tmpfs: bytes, a percentage of RAM, or explicitly unlimited.
///
/// Text forms ([`Size::parse`], also [`FromStr`]; [`fmt::Display`] writes a form that
/// parses back to the same value):
/// - a decimal byte count with an optional suffix `k`, `m`, `g` or `t` (or `K`, `M`, `G`,
///   `T`), powers of 1024 as the kernel's `memparse` reads them: `4096`, `64k`, `1m`, `2G`;
/// - a percentage of total RAM from 1 to 100: `10%` (what the kernel's `size=10%` gives:
///   `RAM × 10 / 100`, rounded up to pages);
/// - the word `unlimited`.
///
/// Refused with `EINVAL` quoting the value: empty strings, whitespace, signs, fractions
/// (`1.5m`), hexadecimal or leading zeros (the kernel reads `010` as octal), unknown
/// suffixes, `0` (the kernel's word for unlimited), `0%` or more than `100%`, and anything
/// above [`Size::MAX_BYTES`] (including values that overflow 64 bits after the suffix).
///
/// The kernel rounds every size up to whole pages; `statfs(2)` on the mount shows
/// `f_blocks × f_bsize` equal to the size rounded up to the page size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Size {
    /// A number of bytes (rounded up to pages by the kernel).
    Bytes(u64),
    /// A percentage of total RAM, 1 to 100.
    Percent(u32),
    /// No limit at all (`size=0` to the kernel): the tmpfs may fill RAM and swap. Only
    /// this variant produces an unlimited tmpfs.
    Unlimited,
}

impl Size {
    /// The largest byte count accepted: 4 EiB (2^62 bytes), `4194304t`.
    ///
    /// No machine has that much memory, and values near 2^64 are where the kernel's
    /// round-up to pages wraps around to 0 — an unlimited tmpfs. 2^62 bytes is 2^50 pages,
    /// far inside what the kernel represents (`LONG_MAX` pages).
    pub const MAX_BYTES: u64 = 1 << 62;

    /// Parses a size as described in the type documentation.
    ///
    /// # Errors
    /// `EINVAL` quoting the value and saying what is wrong with it.
    pub fn parse(s: &str) -> Result<Size> {
        parse_size_value(s).map_err(|why| size_error(s, &why))
    }

    /// Checks a value built directly (the variants are public): `Bytes(0)`, bytes above
    /// [`Size::MAX_BYTES`] and percentages outside 1..=100 are refused.
    ///
    /// # Errors
    /// `EINVAL` quoting the value.
    pub fn validate(self) -> Result<()> {
        self.check()
            .map_err(|why| size_error(&self.to_string(), &why))
    }

    fn check(self) -> Result<(), String> {
        match self {
            Size::Bytes(0) => Err(ZERO_SIZE.to_owned()),
            Size::Bytes(n) if n > Size::MAX_BYTES => Err(too_big()),
            Size::Percent(0) => Err("0% is no size; the kernel would make it unlimited".into()),
            Size::Percent(p) if p > 100 => Err(format!("{p}% is more than all of RAM")),
            _ => Ok(()),
        }
    }

    /// The limit in bytes as it is handed to the kernel: the byte count itself, or the
    /// percentage resolved against total RAM (`sysinfo(2)`) exactly as the kernel resolves
    /// `size=N%`; `None` for [`Size::Unlimited`].
    ///
    /// # Errors
    /// `EINVAL` for an invalid value (see [`Size::validate`]); the `sysinfo(2)` error.
    pub fn bytes(self) -> Result<Option<u64>> {
        self.validate()?;
        match self {
            Size::Bytes(n) => Ok(Some(n)),
            Size::Unlimited => Ok(None),
            Size::Percent(p) => {
                let (ram, page) = sys::ram_and_page_size()
                    .map_err(|e| Error::new("read RAM size (sysinfo)", e))?;
                // The kernel: size = (N << PAGE_SHIFT) * totalram_pages / 100.
                let bytes = u128::from(p) * u128::from(page) * u128::from(ram / page) / 100;
                let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
                if bytes == 0 {
                    return Err(size_error(
                        &self.to_string(),
                        "is less than one byte of this machine's RAM",
                    ));
                }
                Ok(Some(bytes))
            }
        }
    }
}

impl fmt::Display for Size {
    /// `1m`, `4097`, `10%`, `unlimited`: the shortest exact form, which [`Size::parse`]
    /// reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Size::Bytes(n) => f.write_str(&with_suffix(n, &["k", "m", "g", "t"])),
            Size::Percent(p) => write!(f, "{p}%"),
            Size::Unlimited => f.write_str("unlimited"),
        }
    }
}

impl FromStr for Size {
    type Err = Error;

    /// As [`Size::parse`].
    fn from_str(s: &str) -> Result<Size> {
        Size::parse(s)
    }
}

/// Parses a size and resolves it to bytes: `parse_size("1m")` is `Ok(1048576)`, `"10%"`
/// gives a tenth of RAM as the kernel computes it. For bindings that deal in byte counts
/// (the C API's `mntns_parse_size`).
///
/// # Errors
/// `EINVAL` quoting the value for anything [`Size::parse`] refuses, and for `unlimited`,
/// which is not a byte count.
pub fn parse_size(s: &str) -> Result<u64> {
    match Size::parse(s)?.bytes()? {
        Some(bytes) => Ok(bytes),
        None => Err(size_error(s, "unlimited is not a number of bytes")),
    }
}

const ZERO_SIZE: &str = "0 would make the kernel's tmpfs unlimited; ask for Size::Unlimited \
                         (\"unlimited\") explicitly if that is what you want";

fn too_big() -> String {
    "more than 4 EiB (2^62 bytes, 4194304t), the largest size libmntns accepts".to_owned()
}

fn size_error(value: &str, why: &str) -> Error {
    Error::invalid(
        "tmpfs size",
        format!("{value:?} is not a valid size: {why}"),
    )
}

fn parse_size_value(s: &str) -> Result<Size, String> {
    if s == "unlimited" {
        return Ok(Size::Unlimited);
    }
    if let Some(number) = s.strip_suffix('%') {
        let p = parse_scaled(number, &[])?;
        let size = Size::Percent(u32::try_from(p).unwrap_or(u32::MAX));
        size.check()?;
        return Ok(size);
    }
    let n = parse_scaled(s, &[('k', 10), ('m', 20), ('g', 30), ('t', 40)])?;
    let size = Size::Bytes(n);
    size.check()?;
    Ok(size)
}

/// Parses `digits[suffix]` where `suffixes` maps a lowercase letter (either case accepted)
/// to a power of two. Returns the reason on failure.
fn parse_scaled(s: &str, suffixes: &[(char, u32)]) -> Result<u64, String> {
    let expected = if suffixes.is_empty() {
        "expected a decimal number".to_owned()
    } else {
        let list: Vec<String> = suffixes.iter().map(|(c, _)| c.to_string()).collect();
        format!(
            "expected a decimal number with an optional suffix {} (powers of 1024)",
            list.join("/")
        )
    };
    if s.is_empty() {
        return Err(format!("empty; {expected}"));
    }
    if s.chars().any(char::is_whitespace) {
        return Err(format!("contains whitespace; {expected}"));
    }
    if s.starts_with('-') {
        return Err("negative".to_owned());
    }
    if s.starts_with('+') {
        return Err(format!("a sign is not accepted; {expected}"));
    }
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, rest) = s.split_at(end);
    if digits.is_empty() {
        return Err(format!("no digits; {expected}"));
    }
    if rest.starts_with('.') || rest.starts_with(',') {
        return Err("fractions are not accepted; use a smaller unit (1536k, not 1.5m)".into());
    }
    if digits == "0" && (rest.starts_with('x') || rest.starts_with('X')) {
        return Err(format!("hexadecimal is not accepted; {expected}"));
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(format!(
            "leading zeros are not accepted (the kernel would read {digits} as octal); \
             {expected}"
        ));
    }
    let shift = if rest.is_empty() {
        0
    } else {
        let mut chars = rest.chars();
        let letter = chars.next().map(|c| c.to_ascii_lowercase());
        match suffixes.iter().find(|(c, _)| Some(*c) == letter) {
            Some((_, shift)) if chars.as_str().is_empty() => *shift,
            _ => return Err(format!("unknown suffix {rest:?}; {expected}")),
        }
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| "does not fit in 64 bits".to_owned())?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| "does not fit in 64 bits after the suffix".to_owned())
}

/// `n` with the largest suffix that divides it exactly (`suffixes[i]` is 1024^(i+1)).
fn with_suffix(n: u64, suffixes: &[&str]) -> String {
    for (i, suffix) in suffixes.iter().enumerate().rev() {
        let unit = 1u64 << (10 * (i + 1));
        if n != 0 && n % unit == 0 {
            return format!("{}{suffix}", n / unit);
        }
    }
    n.to_string()
}

/// The inode limit of a tmpfs (`nr_inodes=`): a count, or explicitly unlimited.
///
/// Text forms: a decimal count with an optional suffix `k`, `m` or `g` (powers of 1024, as
/// the kernel reads them), or `unlimited`. `0` (the kernel's word for unlimited) is refused,
/// as is anything above [`Inodes::MAX`]; the other refusals are those of [`Size`].
/// `statfs(2)` shows the count as `f_files`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Inodes {
    /// At most this many inodes (the root directory takes one).
    Count(u64),
    /// No inode limit (`nr_inodes=0` to the kernel). Only this variant gives one.
    Unlimited,
}

impl Inodes {
    /// The largest count the kernel accepts: `ULONG_MAX / BOGO_INODE_SIZE` (1024), since
    /// Linux 6.6 (`mm/shmem.c`); larger values are `EINVAL` from the kernel.
    pub const MAX: u64 = u64::MAX / 1024;

    /// Parses an inode limit as described in the type documentation.
    ///
    /// # Errors
    /// `EINVAL` quoting the value.
    pub fn parse(s: &str) -> Result<Inodes> {
        parse_inodes_value(s).map_err(|why| inodes_error(s, &why))
    }

    /// Checks a value built directly: `Count(0)` and counts above [`Inodes::MAX`] are
    /// refused.
    ///
    /// # Errors
    /// `EINVAL` quoting the value.
    pub fn validate(self) -> Result<()> {
        self.check()
            .map_err(|why| inodes_error(&self.to_string(), &why))
    }

    fn check(self) -> Result<(), String> {
        match self {
            Inodes::Count(0) => Err("0 would make the kernel's tmpfs inode count unlimited; \
                                     ask for Inodes::Unlimited (\"unlimited\") explicitly"
                .to_owned()),
            Inodes::Count(n) if n > Inodes::MAX => Err(format!(
                "more than {} (ULONG_MAX / 1024), the most the kernel accepts",
                Inodes::MAX
            )),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Inodes {
    /// `1k`, `1000`, `unlimited`: a form [`Inodes::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Inodes::Count(n) => f.write_str(&with_suffix(n, &["k", "m", "g"])),
            Inodes::Unlimited => f.write_str("unlimited"),
        }
    }
}

impl FromStr for Inodes {
    type Err = Error;

    /// As [`Inodes::parse`].
    fn from_str(s: &str) -> Result<Inodes> {
        Inodes::parse(s)
    }
}

fn inodes_error(value: &str, why: &str) -> Error {
    Error::invalid(
        "tmpfs nr_inodes",
        format!("{value:?} is not a valid inode count: {why}"),
    )
}

fn parse_inodes_value(s: &str) -> Result<Inodes, String> {
    if s == "unlimited" {
        return Ok(Inodes::Unlimited);
    }
    let inodes = Inodes::Count(parse_scaled(s, &[('k', 10), ('m', 20), ('g', 30)])?);
    inodes.check()?;
    Ok(inodes)
}

// ---------------------------------------------------------------------------------------
// Mount flags
// ---------------------------------------------------------------------------------------

bitflags! {
    /// Per-mount flags, with the kernel's `MS_*` values (`mount(2)`).
    ///
    /// At most one of `NOATIME`, `RELATIME` and `STRICTATIME` may be given: they are the
    /// three values of one setting, the atime mode (relatime is the kernel's default).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct MountFlags: u64 {
        /// `MS_RDONLY` (`ro`): no writes through this mount.
        const RDONLY = ms_bits(libc::MS_RDONLY);
        /// `MS_NOSUID` (`nosuid`): set-user-id and set-group-id bits and file capabilities
        /// are ignored on exec.
        const NOSUID = ms_bits(libc::MS_NOSUID);
        /// `MS_NODEV` (`nodev`): device files cannot be opened.
        const NODEV = ms_bits(libc::MS_NODEV);
        /// `MS_NOEXEC` (`noexec`): nothing can be executed.
        const NOEXEC = ms_bits(libc::MS_NOEXEC);
        /// `MS_NOATIME` (`noatime`): access times are never updated.
        const NOATIME = ms_bits(libc::MS_NOATIME);
        /// `MS_NODIRATIME` (`nodiratime`): directory access times are never updated.
        const NODIRATIME = ms_bits(libc::MS_NODIRATIME);
        /// `MS_RELATIME` (`relatime`): access times are updated only when older than the
        /// modification time (or a day old); the kernel's default.
        const RELATIME = ms_bits(libc::MS_RELATIME);
        /// `MS_STRICTATIME` (`strictatime`): every access updates the access time.
        const STRICTATIME = ms_bits(libc::MS_STRICTATIME);
        /// `MS_NOSYMFOLLOW` (`nosymfollow`, Linux 5.10): symlinks are not followed when
        /// resolving paths through this mount.
        const NOSYMFOLLOW = ms_bits(libc::MS_NOSYMFOLLOW);
    }
}

/// The flags, in display order, with their `mount -o` names.
const FLAG_NAMES: [(MountFlags, &str); 9] = [
    (MountFlags::RDONLY, "ro"),
    (MountFlags::NOSUID, "nosuid"),
    (MountFlags::NODEV, "nodev"),
    (MountFlags::NOEXEC, "noexec"),
    (MountFlags::NOATIME, "noatime"),
    (MountFlags::NODIRATIME, "nodiratime"),
    (MountFlags::RELATIME, "relatime"),
    (MountFlags::STRICTATIME, "strictatime"),
    (MountFlags::NOSYMFOLLOW, "nosymfollow"),
];

const ATIME_FLAGS: MountFlags = MountFlags::NOATIME
    .union(MountFlags::RELATIME)
    .union(MountFlags::STRICTATIME);

impl MountFlags {
    /// Builds a set from raw `MS_*` bits, refusing any bit that is not one of the flags
    /// above (`MS_BIND`, `MS_REMOUNT` and the rest are chosen by the operations themselves;
    /// unknown bits are never ignored silently).
    ///
    /// # Errors
    /// `EINVAL` naming the unknown bits.
    pub fn from_raw(bits: u64) -> Result<MountFlags> {
        MountFlags::from_bits(bits).ok_or_else(|| {
            let unknown = bits & !MountFlags::all().bits();
            Error::invalid(
                "mount flags",
                format!("unknown flag bits {unknown:#x} in {bits:#x}"),
            )
        })
    }

    /// The flags as `mount -o` names (`ro`, `nosuid`…), in a fixed order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        FLAG_NAMES
            .into_iter()
            .filter(move |(flag, _)| self.contains(*flag))
            .map(|(_, name)| name)
    }

    /// The flag named `name` in `mount -o` syntax.
    fn from_option_name(name: &str) -> Option<MountFlags> {
        FLAG_NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(flag, _)| *flag)
    }

    /// The flags `statfs(2)` reports for a mount (`ST_*` bits in `f_flags`).
    pub(crate) fn from_statfs(st: u64) -> MountFlags {
        let table = [
            (libc::ST_RDONLY, MountFlags::RDONLY),
            (libc::ST_NOSUID, MountFlags::NOSUID),
            (libc::ST_NODEV, MountFlags::NODEV),
            (libc::ST_NOEXEC, MountFlags::NOEXEC),
            (libc::ST_NOATIME, MountFlags::NOATIME),
            (libc::ST_NODIRATIME, MountFlags::NODIRATIME),
            (libc::ST_RELATIME, MountFlags::RELATIME),
            (sys::ST_NOSYMFOLLOW, MountFlags::NOSYMFOLLOW),
        ];
        table
            .into_iter()
            .filter(|(st_bit, _)| st & *st_bit != 0)
            .fold(MountFlags::empty(), |acc, (_, flag)| acc | flag)
    }

    /// The `MOUNT_ATTR_*` bits of the flags other than the atime mode.
    fn attr_bits(self) -> u64 {
        let table = [
            (MountFlags::RDONLY, libc::MOUNT_ATTR_RDONLY),
            (MountFlags::NOSUID, libc::MOUNT_ATTR_NOSUID),
            (MountFlags::NODEV, libc::MOUNT_ATTR_NODEV),
            (MountFlags::NOEXEC, libc::MOUNT_ATTR_NOEXEC),
            (MountFlags::NODIRATIME, libc::MOUNT_ATTR_NODIRATIME),
            (MountFlags::NOSYMFOLLOW, libc::MOUNT_ATTR_NOSYMFOLLOW),
        ];
        table
            .into_iter()
            .filter(|(flag, _)| self.contains(*flag))
            .fold(0, |acc, (_, bit)| acc | bit)
    }
}

impl fmt::Display for MountFlags {
    /// Comma-separated `mount -o` names: `ro,nosuid,nodev`; empty for no flags.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.names().collect();
        f.write_str(&names.join(","))
    }
}

impl FromStr for MountFlags {
    type Err = Error;

    /// Parses comma-separated `mount -o` names (`ro,nosuid`); the empty string is no
    /// flags.
    fn from_str(s: &str) -> Result<MountFlags> {
        let mut flags = MountFlags::empty();
        if s.is_empty() {
            return Ok(flags);
        }
        for name in s.split(',') {
            let flag = MountFlags::from_option_name(name).ok_or_else(|| {
                Error::invalid(
                    "mount flags",
                    format!(
                        "unknown flag {name:?} in {s:?}; known: {}",
                        MountFlags::all()
                    ),
                )
            })?;
            if flags.contains(flag) {
                return Err(Error::invalid(
                    "mount flags",
                    format!("{name} given twice in {s:?}"),
                ));
            }
            flags |= flag;
        }
        check_atime(flags, "mount flags")?;
        Ok(flags)
    }
}

/// Refuses more than one atime mode.
fn check_atime(flags: MountFlags, step: &'static str) -> Result<()> {
    let atime = flags & ATIME_FLAGS;
    if atime.bits().count_ones() > 1 {
        return Err(Error::invalid(
            step,
            format!("{atime} conflict: a mount has one atime mode"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// tmpfs
// ---------------------------------------------------------------------------------------

/// What a tmpfs is mounted with: size, inode limit, root directory mode and owner, swap,
/// and mount flags. A builder; [`TmpfsOptions::parse`] reads the `mount -o` syntax.
///
/// The default gives no option at all, so the kernel's defaults apply — the same as `mount
/// -t tmpfs` without `-o`: a size limit of **half of RAM** (not unlimited), an inode limit
/// of half the RAM pages, mode 1777, owner of the caller.
///
/// ```
/// use mntns::mount::{Inodes, MountFlags, Size, TmpfsOptions};
/// let opts = TmpfsOptions::new()
///     .size(Size::parse("1m")?)
///     .nr_inodes(Inodes::Count(1024))
///     .mode(0o755)
///     .flags(MountFlags::NOSUID | MountFlags::NODEV);
/// assert_eq!(opts.to_string(), "size=1m,nr_inodes=1k,mode=755,nosuid,nodev");
/// assert_eq!(opts.data()?, "size=1048576,nr_inodes=1024,mode=755");
/// assert_eq!(TmpfsOptions::parse(&opts.to_string())?, opts);
/// # Ok::<(), mntns::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TmpfsOptions {
    size: Option<Size>,
    nr_inodes: Option<Inodes>,
    mode: Option<u32>,
    uid: Option<u32>,
    gid: Option<u32>,
    noswap: bool,
    flags: MountFlags,
}

impl TmpfsOptions {
    /// No options: the kernel's defaults (half of RAM; see the type documentation).
    pub fn new() -> TmpfsOptions {
        TmpfsOptions::default()
    }

    /// The size limit (`size=`).
    pub fn size(mut self, size: Size) -> TmpfsOptions {
        self.size = Some(size);
        self
    }

    /// The inode limit (`nr_inodes=`).
    pub fn nr_inodes(mut self, inodes: Inodes) -> TmpfsOptions {
        self.nr_inodes = Some(inodes);
        self
    }

    /// The permission bits of the root directory (`mode=`), at most `0o7777`.
    pub fn mode(mut self, mode: u32) -> TmpfsOptions {
        self.mode = Some(mode);
        self
    }

    /// The owner of the root directory (`uid=`), as seen from the caller's user namespace
    /// (it must be mapped there).
    pub fn uid(mut self, uid: u32) -> TmpfsOptions {
        self.uid = Some(uid);
        self
    }

    /// The group of the root directory (`gid=`), as seen from the caller's user namespace.
    pub fn gid(mut self, gid: u32) -> TmpfsOptions {
        self.gid = Some(gid);
        self
    }

    /// Never swap this tmpfs's pages out (`noswap`, Linux 6.4). The kernel allows it only
    /// to a mount namespace owned by the initial user namespace: rootless callers get
    /// `EINVAL`.
    pub fn noswap(mut self, noswap: bool) -> TmpfsOptions {
        self.noswap = noswap;
        self
    }

    /// The mount flags (`ro`, `nosuid`, …), replacing any given before.
    pub fn flags(mut self, flags: MountFlags) -> TmpfsOptions {
        self.flags = flags;
        self
    }

    /// The mount flags this tmpfs will be mounted with (the `mountflags` of `mount(2)`).
    pub fn mount_flags(&self) -> MountFlags {
        self.flags
    }

    /// Parses the `mount -o` syntax: comma-separated `size=SIZE`, `nr_inodes=COUNT`,
    /// `mode=OCTAL`, `uid=N`, `gid=N`, `noswap`, and the flags `ro`, `rw`, `nosuid`,
    /// `nodev`, `noexec`, `noatime`, `nodiratime`, `relatime`, `strictatime`,
    /// `nosymfollow`. The empty string gives the defaults. `SIZE` and `COUNT` are read by
    /// [`Size::parse`] and [`Inodes::parse`].
    ///
    /// # Errors
    /// `EINVAL` naming the option and its value for an unknown option, a bad value, an
    /// option given twice, a value given to a flag or missing for a key, an empty item
    /// (`a,,b`), and conflicts (`ro,rw`; two atime modes).
    pub fn parse(s: &str) -> Result<TmpfsOptions> {
        const STEP: &str = "tmpfs options";
        let mut opts = TmpfsOptions::new();
        if s.is_empty() {
            return Ok(opts);
        }
        let mut seen: Vec<&str> = Vec::new();
        let mut rw = false;
        for item in s.split(',') {
            if item.is_empty() {
                return Err(Error::invalid(
                    STEP,
                    format!("empty option in {s:?} (two commas in a row, or one at an end)"),
                ));
            }
            let (key, value) = match item.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (item, None),
            };
            if seen.contains(&key) {
                return Err(Error::invalid(STEP, format!("{key} given twice in {s:?}")));
            }
            seen.push(key);
            let bad = |why: String| match value {
                Some(v) => Error::invalid(STEP, format!("{key}={v:?}: {why}")),
                None => Error::invalid(STEP, format!("{key:?}: {why}")),
            };
            let needs_value = || value.ok_or_else(|| bad("needs a value (key=value)".into()));
            match key {
                "size" => opts.size = Some(parse_size_value(needs_value()?).map_err(bad)?),
                "nr_inodes" => {
                    opts.nr_inodes = Some(parse_inodes_value(needs_value()?).map_err(bad)?);
                }
                "mode" => opts.mode = Some(parse_mode(needs_value()?).map_err(bad)?),
                "uid" => opts.uid = Some(parse_id(needs_value()?).map_err(bad)?),
                "gid" => opts.gid = Some(parse_id(needs_value()?).map_err(bad)?),
                _ if value.is_some()
                    && (key == "noswap"
                        || key == "rw"
                        || MountFlags::from_option_name(key).is_some()) =>
                {
                    return Err(bad(format!("{key} is a flag and takes no value")));
                }
                "noswap" => opts.noswap = true,
                "rw" => rw = true,
                _ => match MountFlags::from_option_name(key) {
                    Some(flag) => opts.flags |= flag,
                    None => {
                        return Err(Error::invalid(
                            STEP,
                            format!(
                                "unknown option {key:?} in {s:?}; known: size, nr_inodes, \
                                 mode, uid, gid, noswap, rw, {}",
                                MountFlags::all().to_string().replace(',', ", ")
                            ),
                        ));
                    }
                },
            }
        }
        if rw && opts.flags.contains(MountFlags::RDONLY) {
            return Err(Error::invalid(STEP, format!("ro and rw conflict in {s:?}")));
        }
        check_atime(opts.flags, STEP)?;
        Ok(opts)
    }

    /// Checks every value: size and inode limit (see [`Size::validate`],
    /// [`Inodes::validate`]), mode at most `0o7777`, uid and gid not `(uid_t)-1`, one atime
    /// mode at most. [`mount_tmpfs`] and [`TmpfsOptions::data`] call it.
    ///
    /// # Errors
    /// `EINVAL` quoting the bad value.
    pub fn validate(&self) -> Result<()> {
        const STEP: &str = "tmpfs options";
        if let Some(size) = self.size {
            size.validate()?;
        }
        if let Some(inodes) = self.nr_inodes {
            inodes.validate()?;
        }
        if let Some(mode) = self.mode
            && mode > 0o7777
        {
            return Err(Error::invalid(
                STEP,
                format!(
                    "mode {mode:#o} has bits outside 0o7777 (permissions, setuid, setgid, sticky)"
                ),
            ));
        }
        for (name, id) in [("uid", self.uid), ("gid", self.gid)] {
            if id == Some(u32::MAX) {
                return Err(Error::invalid(
                    STEP,
                    format!("{name} 4294967295 is (uid_t)-1, which names no one"),
                ));
            }
        }
        check_atime(self.flags, STEP)
    }

    /// The option string handed to the kernel as `mount(2)`'s `data`: every size as a
    /// plain byte count (percentages resolved here, never by the kernel), so the bounds
    /// libmntns checked are the ones that apply. `size=1m,mode=755` gives
    /// `size=1048576,mode=755`. Mount flags are not part of it ([`TmpfsOptions::mount_flags`]).
    ///
    /// # Errors
    /// As [`TmpfsOptions::validate`]; the `sysinfo(2)` error for a percentage.
    pub fn data(&self) -> Result<String> {
        self.validate()?;
        let mut parts = Vec::new();
        if let Some(size) = self.size {
            parts.push(format!("size={}", size.bytes()?.unwrap_or(0)));
        }
        match self.nr_inodes {
            Some(Inodes::Count(n)) => parts.push(format!("nr_inodes={n}")),
            Some(Inodes::Unlimited) => parts.push("nr_inodes=0".to_owned()),
            None => {}
        }
        if let Some(mode) = self.mode {
            parts.push(format!("mode={mode:o}"));
        }
        if let Some(uid) = self.uid {
            parts.push(format!("uid={uid}"));
        }
        if let Some(gid) = self.gid {
            parts.push(format!("gid={gid}"));
        }
        if self.noswap {
            parts.push("noswap".to_owned());
        }
        Ok(parts.join(","))
    }
}

impl fmt::Display for TmpfsOptions {
    /// The `mount -o` form [`TmpfsOptions::parse`] reads back, sizes as given
    /// (`size=10%,mode=755,nosuid`); empty for the defaults.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(size) = self.size {
            parts.push(format!("size={size}"));
        }
        if let Some(inodes) = self.nr_inodes {
            parts.push(format!("nr_inodes={inodes}"));
        }
        if let Some(mode) = self.mode {
            parts.push(format!("mode={mode:o}"));
        }
        if let Some(uid) = self.uid {
            parts.push(format!("uid={uid}"));
        }
        if let Some(gid) = self.gid {
            parts.push(format!("gid={gid}"));
        }
        if self.noswap {
            parts.push("noswap".to_owned());
        }
        parts.extend(self.flags.names().map(str::to_owned));
        f.write_str(&parts.join(","))
    }
}

impl FromStr for TmpfsOptions {
    type Err = Error;

    /// As [`TmpfsOptions::parse`].
    fn from_str(s: &str) -> Result<TmpfsOptions> {
        TmpfsOptions::parse(s)
    }
}

fn parse_mode(s: &str) -> Result<u32, String> {
    if s.is_empty() || !s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return Err("expected octal permission bits such as 755 or 1777".to_owned());
    }
    match u32::from_str_radix(s, 8) {
        Ok(mode) if mode <= 0o7777 => Ok(mode),
        _ => Err("more than 7777 (permissions, setuid, setgid, sticky)".to_owned()),
    }
}

fn parse_id(s: &str) -> Result<u32, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected a decimal id".to_owned());
    }
    match s.parse::<u32>() {
        Ok(id) if id != u32::MAX => Ok(id),
        _ => Err("more than the largest id (4294967294)".to_owned()),
    }
}

/// Mounts a new tmpfs on `target`, as `mount -t tmpfs -o OPTIONS tmpfs TARGET` does.
///
/// The options are validated and turned into the kernel's option string first
/// ([`TmpfsOptions::data`]). The mount is made in the caller's mount namespace; with
/// private (or slave) propagation at `target`, no other namespace sees it.
///
/// # Errors
/// Before any system call: `EINVAL` for a relative target, a NUL byte or a bad option;
/// `ENAMETOOLONG` for a path of `PATH_MAX` bytes or more. From `mount(2)`, step `mount tmpfs
/// on` with the target: `EPERM` (no `CAP_SYS_ADMIN` over the mount namespace: create a user
/// namespace first), `ENOENT` (the target does not exist), `ENOTDIR`, `ENOSPC` (mount
/// limit `fs.mount-max`), `EINVAL` (`noswap` outside the initial user namespace, an unmapped
/// `uid`/`gid`).
///
/// See `mount(2)`, `tmpfs(5)`.
pub fn mount_tmpfs(target: &Path, opts: &TmpfsOptions) -> Result<()> {
    const STEP: &str = "mount tmpfs on";
    let target_c = checked_path(target, STEP)?;
    let data = opts.data().map_err(|e| e.with_path(target))?;
    let data_c = CString::new(data).map_err(|_| Error::invalid(STEP, "NUL byte in options"))?;
    let data_arg = (!data_c.is_empty()).then_some(data_c.as_c_str());
    sys::mount(
        Some(c"tmpfs"),
        &target_c,
        Some(c"tmpfs"),
        opts.flags.bits(),
        data_arg,
    )
    .map_err(|errno| {
        Error::new(STEP, errno)
            .with_path(target)
            .or_hint(|| tmpfs_hint(errno, opts))
    })
}

fn tmpfs_hint(errno: Errno, opts: &TmpfsOptions) -> Option<String> {
    if errno == Errno::EINVAL {
        let mut why = Vec::new();
        if opts.noswap {
            if in_initial_user_namespace() {
                why.push("noswap needs Linux 6.4 or newer".to_owned());
            } else {
                why.push(
                    "noswap is only allowed in the initial user namespace; the kernel \
                     refuses it in rootless (user namespace) mounts"
                        .to_owned(),
                );
            }
        }
        for (name, id) in [("uid", opts.uid), ("gid", opts.gid)] {
            if let Some(id) = id {
                why.push(format!(
                    "{name} {id} may not be mapped in this user namespace \
                     (/proc/self/{name}_map)"
                ));
            }
        }
        return (!why.is_empty()).then(|| why.join("; "));
    }
    if errno == Errno::ENOENT {
        return Some("the target directory does not exist (create it first)".to_owned());
    }
    common_hint(errno)
}

/// Whether the caller is in the initial user namespace (its uid map is the identity over
/// every id). Used for hints.
fn in_initial_user_namespace() -> bool {
    std::fs::read_to_string("/proc/self/uid_map")
        .is_ok_and(|map| map.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"])
}

// ---------------------------------------------------------------------------------------
// Binds and mount flags
// ---------------------------------------------------------------------------------------

/// How [`bind`] binds: recursively or not, read-only or not, with which extra flags.
///
/// The default is a recursive, writable bind adding no flag (`mount --rbind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BindOptions {
    recursive: bool,
    readonly: bool,
    flags: MountFlags,
}

impl Default for BindOptions {
    fn default() -> BindOptions {
        BindOptions {
            recursive: true,
            readonly: false,
            flags: MountFlags::empty(),
        }
    }
}

impl BindOptions {
    /// A recursive, writable bind (`mount --rbind`).
    pub fn new() -> BindOptions {
        BindOptions::default()
    }

    /// Whether the mounts below the source come along (`--rbind`, the default) or only the
    /// source's own mount (`--bind`; the submounts' mount points show what is under them).
    pub fn recursive(mut self, recursive: bool) -> BindOptions {
        self.recursive = recursive;
        self
    }

    /// Makes the bind read-only — every mount of it when recursive, submounts included.
    pub fn readonly(mut self, readonly: bool) -> BindOptions {
        self.readonly = readonly;
        self
    }

    /// Flags to add to the bind (and to its submounts when recursive), such as
    /// `NOSUID | NODEV | NOEXEC`. Flags the source already has are kept in any case.
    pub fn flags(mut self, flags: MountFlags) -> BindOptions {
        self.flags = flags;
        self
    }

    /// The flags the bind gets: [`BindOptions::flags`] plus `RDONLY` when read-only.
    pub fn effective_flags(&self) -> MountFlags {
        if self.readonly {
            self.flags | MountFlags::RDONLY
        } else {
            self.flags
        }
    }

    /// Whether the bind is recursive.
    pub fn is_recursive(&self) -> bool {
        self.recursive
    }
}

/// Binds `source` onto `target`, as `mount --rbind SOURCE TARGET` (or `--bind` when not
/// recursive), then applies read-only and the extra flags to the new mounts — all of them
/// when recursive.
///
/// The steps:
/// 1. `source` is opened once with `O_PATH` (a symlink there is followed at this moment,
///    as `mount --bind` follows it) and only that descriptor is used afterwards.
/// 2. With the new mount API: `open_tree(OPEN_TREE_CLONE [| AT_RECURSIVE])` copies the
///    tree, `mount_setattr(AT_RECURSIVE)` sets the flags on the still-detached copy, and
///    `move_mount` attaches it — the bind is never visible writable.
/// 3. Without it (`ENOSYS`): `mount("/proc/self/fd/N", target, MS_BIND [| MS_REC])`, then
///    `mount_setattr` on the target, or — also `ENOSYS` — one `MS_REMOUNT | MS_BIND` per
///    mount under the target keeping the flags each already has (see the module docs on
///    locked flags). If setting the flags fails, the bind is detached again.
///
/// # Errors
/// Before any system call: `EINVAL`/`ENAMETOOLONG` for bad paths (see the module docs) and
/// conflicting atime flags. Step `open bind source` with the source: `ENOENT` when it does
/// not exist, `EACCES`. Step `bind SOURCE onto` with the target: `ENOENT` (target missing),
/// `EPERM` (no `CAP_SYS_ADMIN`), `EINVAL` (a non-recursive bind in a user namespace of a
/// source with locked submounts), `ENOSPC` (mount limit). Step `set mount flags … on`:
/// failures applying the flags.
///
/// See `mount(2)` (`MS_BIND`), `open_tree(2)`, `move_mount(2)`, `mount_setattr(2)`.
pub fn bind(source: &Path, target: &Path, opts: &BindOptions) -> Result<()> {
    let source_c = checked_path(source, "open bind source")?;
    let target_c = checked_path(target, "bind onto")?;
    let flags = opts.effective_flags();
    check_atime(flags, "bind options")?;
    let bind_error = |errno: Errno| {
        Error::new(format!("bind {} onto", source.display()), errno)
            .with_path(target)
            .or_hint(|| bind_hint(errno, opts.recursive))
    };

    // 1. Open the source once; everything below uses this descriptor.
    let source_fd = sys::open_path(&source_c).map_err(|errno| {
        Error::new("open bind source", errno)
            .with_path(source)
            .or_hint(|| (errno == Errno::ENOENT).then(|| "the bind source does not exist".into()))
    })?;

    // 2. New mount API: clone, set the flags while detached, attach.
    match sys::open_tree_clone(source_fd.as_fd(), opts.recursive) {
        Ok(tree) => {
            let mut flags_pending = !flags.is_empty();
            if flags_pending {
                let change = attr_change(flags, MountFlags::empty());
                match sys::mount_setattr(SetattrTarget::Fd(tree.as_fd()), opts.recursive, change) {
                    Ok(()) => flags_pending = false,
                    // No mount_setattr: remount after attaching (step 3's second half).
                    Err(Errno::ENOSYS) => {}
                    Err(errno) => {
                        // The detached copy has the source's flags: look there for the hint.
                        let none = MountFlags::empty();
                        return Err(Error::new(format!("set mount flags {flags} on"), errno)
                            .with_path(target)
                            .or_hint(|| {
                                let locked = errno == Errno::EPERM && has_cap_sys_admin();
                                locked
                                    .then(|| locked_flags_hint(source, flags, none))
                                    .flatten()
                                    .or_else(|| common_hint(errno))
                            }));
                    }
                }
            }
            match sys::move_mount_to(tree.as_fd(), &target_c) {
                Ok(()) => {
                    if flags_pending {
                        apply_or_detach(&target_c, target, flags, opts.recursive)?;
                    }
                    return Ok(());
                }
                // open_tree without move_mount (a filter): the classic path below.
                Err(Errno::ENOSYS) => {}
                Err(errno) => return Err(bind_error(errno)),
            }
        }
        Err(Errno::ENOSYS) => {}
        Err(errno) => return Err(bind_error(errno)),
    }

    // 3. Classic path: bind from the descriptor through /proc, then set the flags.
    let fd_path = format!("/proc/self/fd/{}", source_fd.as_raw_fd());
    let fd_path_c = CString::new(fd_path).expect("no NUL in a /proc/self/fd path");
    let mut ms = ms_bits(libc::MS_BIND);
    if opts.recursive {
        ms |= ms_bits(libc::MS_REC);
    }
    sys::mount(Some(&fd_path_c), &target_c, None, ms, None).map_err(|errno| {
        let e = bind_error(errno);
        if errno == Errno::ENOENT && !Path::new("/proc/self/fd").exists() {
            return e.with_hint(
                "without open_tree(2) the bind goes through /proc/self/fd: mount /proc",
            );
        }
        e
    })?;
    if !flags.is_empty() {
        apply_or_detach(&target_c, target, flags, opts.recursive)?;
    }
    Ok(())
}

/// Sets `flags` on the freshly attached bind at `target`; detaches the bind again if that
/// fails, so that a bind asked to be read-only never stays writable.
fn apply_or_detach(
    target_c: &CStr,
    target: &Path,
    flags: MountFlags,
    recursive: bool,
) -> Result<()> {
    change_flags(target_c, target, flags, MountFlags::empty(), recursive).inspect_err(|_| {
        let _ = sys::umount2(target_c, libc::MNT_DETACH);
    })
}

/// Sets and clears mount flags on the mount at `path`, and on every mount below it when
/// `recursive`, as `mount -o remount,bind,FLAGS` does for one mount.
///
/// Flags in neither set are left as they are. Clearing `NOATIME` or `STRICTATIME` returns
/// the atime mode to the default, relatime. Uses `mount_setattr(2)` (atomic for the whole
/// tree); without it (`ENOSYS`), one `MS_REMOUNT | MS_BIND` per mount, each keeping its
/// other flags.
///
/// # Errors
/// Before any system call: bad paths (module docs); `EINVAL` when a flag is both set and
/// cleared, for two atime modes, and for clearing `RELATIME` (set `NOATIME` or
/// `STRICTATIME` instead). From the kernel, step `set mount flags … on`: `EINVAL` when
/// `path` is not a mount point; `EPERM` when a flag to clear is *locked by a parent
/// namespace* (it was set by a more privileged mount namespace and a user namespace may not
/// clear it; the hint names the flag), or without `CAP_SYS_ADMIN`.
///
/// See `mount_setattr(2)`, `mount(2)` (`MS_REMOUNT | MS_BIND`).
pub fn set_mount_flags(
    path: &Path,
    set: MountFlags,
    clear: MountFlags,
    recursive: bool,
) -> Result<()> {
    const STEP: &str = "set mount flags on";
    let path_c = checked_path(path, STEP)?;
    let both = set & clear;
    if !both.is_empty() {
        return Err(Error::invalid(STEP, format!("{both} both set and cleared")).with_path(path));
    }
    if clear.contains(MountFlags::RELATIME) {
        return Err(Error::invalid(
            STEP,
            "relatime cannot be cleared: it is the default atime mode; set noatime or \
             strictatime instead",
        )
        .with_path(path));
    }
    check_atime(set, STEP).map_err(|e| e.with_path(path))?;
    change_flags(&path_c, path, set, clear, recursive)
}

/// The `mount_setattr` change for setting `set` and clearing `clear`.
pub(crate) fn attr_change(set: MountFlags, clear: MountFlags) -> MountAttr {
    let mut change = MountAttr {
        set: set.attr_bits(),
        clear: clear.attr_bits(),
    };
    // The atime mode is one field: changing it means clearing the whole field
    // (MOUNT_ATTR__ATIME) and setting the new value (relatime is 0).
    if set.intersects(ATIME_FLAGS) || clear.intersects(ATIME_FLAGS) {
        change.clear |= libc::MOUNT_ATTR__ATIME;
        if set.contains(MountFlags::NOATIME) {
            change.set |= libc::MOUNT_ATTR_NOATIME;
        } else if set.contains(MountFlags::STRICTATIME) {
            change.set |= libc::MOUNT_ATTR_STRICTATIME;
        }
    }
    change
}

/// The flags for one `MS_REMOUNT | MS_BIND` of a mount that has `current`: everything it
/// has (locked flags included, or the kernel says EPERM), minus `clear`, plus `set`.
fn remount_flags(current: MountFlags, set: MountFlags, clear: MountFlags) -> MountFlags {
    let mut flags = current - clear;
    if set.intersects(ATIME_FLAGS) || clear.intersects(ATIME_FLAGS) {
        flags -= ATIME_FLAGS;
    }
    flags |= set;
    // A remount without any atime flag keeps the old mode; say relatime explicitly when an
    // atime flag was cleared.
    if clear.intersects(ATIME_FLAGS) && !set.intersects(ATIME_FLAGS) {
        flags |= MountFlags::RELATIME;
    }
    flags
}

/// mount_setattr, or the remount walk when the kernel (or a filter) lacks it.
fn change_flags(
    path_c: &CStr,
    path: &Path,
    set: MountFlags,
    clear: MountFlags,
    recursive: bool,
) -> Result<()> {
    match sys::mount_setattr(
        SetattrTarget::Path(path_c),
        recursive,
        attr_change(set, clear),
    ) {
        Ok(()) => Ok(()),
        Err(Errno::ENOSYS) => remount_each(path_c, path, set, clear, recursive),
        Err(errno) => Err(flags_error(errno, path, set, clear)),
    }
}

/// The fallback of [`change_flags`]: one bind remount per mount at or under `path`, in
/// mount table order (parents before their children), each keeping its current flags.
/// A mount hidden under another one at the same place cannot be reached by path and keeps
/// its flags.
fn remount_each(
    path_c: &CStr,
    path: &Path,
    set: MountFlags,
    clear: MountFlags,
    recursive: bool,
) -> Result<()> {
    let points = if recursive {
        let real = std::fs::canonicalize(path)
            .map_err(|e| Error::new("resolve", Errno::from(&e)).with_path(path))?;
        let points = mount_points_under(&real)?;
        if !points.contains(&real) {
            return Err(flags_error(Errno::EINVAL, path, set, clear));
        }
        let mut cs = Vec::with_capacity(points.len());
        for p in points {
            cs.push((checked_path(&p, "set mount flags on")?, p));
        }
        cs
    } else {
        vec![(path_c.to_owned(), path.to_path_buf())]
    };
    for (point_c, point) in &points {
        let current = sys::statfs_flags(point_c)
            .map(MountFlags::from_statfs)
            .map_err(|errno| Error::new("read mount flags (statfs) of", errno).with_path(point))?;
        let flags = remount_flags(current, set, clear);
        let ms = ms_bits(libc::MS_REMOUNT) | ms_bits(libc::MS_BIND) | flags.bits();
        sys::mount(None, point_c, None, ms, None)
            .map_err(|errno| flags_error(errno, point, set, clear))?;
    }
    Ok(())
}

/// The error of a flag change on the mount at `path` (whose current flags the hint reads).
fn flags_error(errno: Errno, path: &Path, set: MountFlags, clear: MountFlags) -> Error {
    let what = match (set.is_empty(), clear.is_empty()) {
        (false, true) => format!("set mount flags {set} on"),
        (true, false) => format!("clear mount flags {clear} on"),
        _ => format!("set mount flags {set} and clear {clear} on"),
    };
    Error::new(what, errno).with_path(path).or_hint(|| {
        if errno == Errno::EPERM && has_cap_sys_admin() {
            if let Some(hint) = locked_flags_hint(path, set, clear) {
                return Some(hint);
            }
        }
        if errno == Errno::EINVAL {
            return not_a_mount_point_hint(path);
        }
        common_hint(errno)
    })
}

/// Why a flag change by a caller that has CAP_SYS_ADMIN got EPERM: it touches flags locked
/// by a more privileged mount namespace. `None` when it does not.
fn locked_flags_hint(path: &Path, set: MountFlags, clear: MountFlags) -> Option<String> {
    const WHY: &str = "a mount that came from a more privileged mount namespace keeps the \
                       flags set there: a user namespace may add restrictions but never lift \
                       them";
    let current = path_cstring_lossless(path)
        .and_then(|c| sys::statfs_flags(&c).ok())
        .map(MountFlags::from_statfs);
    let cleared = match current {
        Some(current) => current & clear,
        None => clear,
    };
    if !cleared.is_empty() {
        return Some(format!(
            "cannot clear {cleared}: locked by parent namespace ({WHY})"
        ));
    }
    // The atime mode (with nodiratime) is locked as a whole: it cannot change at all.
    let atime = (set | clear) & (ATIME_FLAGS | MountFlags::NODIRATIME);
    if !atime.is_empty() {
        let now = current.map_or_else(String::new, |c| {
            let mode = c & (ATIME_FLAGS | MountFlags::NODIRATIME);
            if mode.is_empty() {
                " (it is strictatime)".to_owned()
            } else {
                format!(" (it is {mode})")
            }
        });
        return Some(format!(
            "cannot change the atime mode to {atime}: the atime mode{now} is locked by parent \
             namespace ({WHY})"
        ));
    }
    None
}

// ---------------------------------------------------------------------------------------
// Propagation
// ---------------------------------------------------------------------------------------

/// The propagation type of a mount (`mount --make-*`; see `mount_namespaces(7)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Propagation {
    /// `private` (`MS_PRIVATE`): no events in or out.
    Private,
    /// `slave` (`MS_SLAVE`): receives events from its former peers, sends none.
    Slave,
    /// `shared` (`MS_SHARED`): exchanges mount events with its peer group.
    Shared,
    /// `unbindable` (`MS_UNBINDABLE`): private, and cannot be bind-mounted.
    Unbindable,
}

impl Propagation {
    /// Every type, in the order of the `mount --make-*` documentation.
    pub const ALL: [Propagation; 4] = [
        Propagation::Shared,
        Propagation::Slave,
        Propagation::Private,
        Propagation::Unbindable,
    ];

    /// The name: `private`, `slave`, `shared`, `unbindable`.
    pub const fn name(self) -> &'static str {
        match self {
            Propagation::Private => "private",
            Propagation::Slave => "slave",
            Propagation::Shared => "shared",
            Propagation::Unbindable => "unbindable",
        }
    }

    /// The `MS_*` flag for `mount(2)`.
    pub const fn ms_flag(self) -> u64 {
        ms_bits(match self {
            Propagation::Private => libc::MS_PRIVATE,
            Propagation::Slave => libc::MS_SLAVE,
            Propagation::Shared => libc::MS_SHARED,
            Propagation::Unbindable => libc::MS_UNBINDABLE,
        })
    }

    fn step(self, recursive: bool) -> &'static str {
        match (self, recursive) {
            (Propagation::Private, false) => "make private",
            (Propagation::Private, true) => "make rprivate",
            (Propagation::Slave, false) => "make slave",
            (Propagation::Slave, true) => "make rslave",
            (Propagation::Shared, false) => "make shared",
            (Propagation::Shared, true) => "make rshared",
            (Propagation::Unbindable, false) => "make unbindable",
            (Propagation::Unbindable, true) => "make runbindable",
        }
    }
}

impl fmt::Display for Propagation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Propagation {
    type Err = Error;

    /// Parses `private`, `slave`, `shared` or `unbindable`.
    fn from_str(s: &str) -> Result<Propagation> {
        Propagation::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "propagation",
                    format!(
                        "unknown propagation {s:?}; expected private, slave, shared or \
                         unbindable"
                    ),
                )
            })
    }
}

/// Changes the propagation type of the mount at `path` — and of every mount below it when
/// `recursive` — as `mount --make-[r]private|slave|shared|unbindable PATH` does.
///
/// # Errors
/// Before any system call: bad paths (module docs). From `mount(2)`, step `make [r]TYPE`
/// with the path: `EINVAL` when `path` is not a mount point (the hint says so), `EPERM`
/// without `CAP_SYS_ADMIN`, `ENOENT`.
///
/// See `mount(2)` (`MS_SHARED` …), `mount_namespaces(7)`.
pub fn set_propagation(path: &Path, propagation: Propagation, recursive: bool) -> Result<()> {
    let step = propagation.step(recursive);
    let path_c = checked_path(path, step)?;
    let mut ms = propagation.ms_flag();
    if recursive {
        ms |= ms_bits(libc::MS_REC);
    }
    sys::mount(Some(c"none"), &path_c, None, ms, None).map_err(|errno| {
        Error::new(step, errno).with_path(path).or_hint(|| {
            if errno == Errno::EINVAL {
                return not_a_mount_point_hint(path);
            }
            common_hint(errno)
        })
    })
}

// ---------------------------------------------------------------------------------------
// Unmount
// ---------------------------------------------------------------------------------------

bitflags! {
    /// How [`unmount`] unmounts, with the kernel's values (`umount2(2)`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct UnmountFlags: i32 {
        /// `MNT_DETACH` (`umount -l`): detach now, free when no longer busy.
        const DETACH = libc::MNT_DETACH;
        /// `MNT_FORCE` (`umount -f`): ask the filesystem to abort pending requests (NFS).
        const FORCE = libc::MNT_FORCE;
        /// `MNT_EXPIRE`: mark for expiry; a second call unmounts if it stayed unused.
        /// Not with `DETACH` or `FORCE`.
        const EXPIRE = libc::MNT_EXPIRE;
        /// `UMOUNT_NOFOLLOW`: do not follow a symlink at `path`.
        const NOFOLLOW = libc::UMOUNT_NOFOLLOW;
    }
}

impl UnmountFlags {
    /// Builds a set from raw `umount2` flag bits, refusing unknown bits.
    ///
    /// # Errors
    /// `EINVAL` naming the unknown bits.
    pub fn from_raw(bits: i32) -> Result<UnmountFlags> {
        UnmountFlags::from_bits(bits).ok_or_else(|| {
            let unknown = bits & !UnmountFlags::all().bits();
            Error::invalid(
                "unmount flags",
                format!("unknown flag bits {unknown:#x} in {bits:#x}"),
            )
        })
    }
}

/// Unmounts the mount at `path`, as `umount(8)` does (`umount -l` with
/// [`UnmountFlags::DETACH`]).
///
/// # Errors
/// Before any system call: bad paths (module docs); `EINVAL` for `EXPIRE` with `DETACH` or
/// `FORCE`. From `umount2(2)`, step `unmount` with the path: `EBUSY` when something is using
/// the mount (the hint suggests `DETACH`); `EINVAL` when `path` is not a mount point, or the
/// mount is locked to the one it covers (inherited by a user namespace); `EAGAIN` after a
/// first `EXPIRE`; `EPERM` without `CAP_SYS_ADMIN`.
///
/// See `umount2(2)`.
pub fn unmount(path: &Path, flags: UnmountFlags) -> Result<()> {
    const STEP: &str = "unmount";
    let path_c = checked_path(path, STEP)?;
    if flags.contains(UnmountFlags::EXPIRE)
        && flags.intersects(UnmountFlags::DETACH | UnmountFlags::FORCE)
    {
        return Err(
            Error::invalid(STEP, "EXPIRE cannot be combined with DETACH or FORCE").with_path(path),
        );
    }
    sys::umount2(&path_c, flags.bits()).map_err(|errno| {
        Error::new(STEP, errno)
            .with_path(path)
            .or_hint(|| match errno {
                Errno::EBUSY => Some(format!(
                    "{} is busy: a process has a file open, its working directory or root \
                 inside it, or another mount sits on it; UnmountFlags::DETACH (umount -l) \
                 detaches it now and frees it once unused",
                    path.display()
                )),
                Errno::EINVAL => match sys::is_mount_root(&path_c) {
                    Some(true) => Some(
                        "the mount is locked: it came from a more privileged mount namespace \
                     together with the mount it covers, and can only go away with that \
                     one (or it is this namespace's root)"
                            .to_owned(),
                    ),
                    _ => not_a_mount_point_hint(path),
                },
                Errno::EAGAIN if flags.contains(UnmountFlags::EXPIRE) => Some(
                    "marked as expired; unmount again with EXPIRE to remove it if it stays unused"
                        .to_owned(),
                ),
                _ => common_hint(errno),
            })
    })
}

// ---------------------------------------------------------------------------------------
// Paths, the mount table, hints
// ---------------------------------------------------------------------------------------

/// Checks a path before any system call and turns it into a C string: not empty, no NUL
/// byte, absolute, shorter than `PATH_MAX`, no component longer than `NAME_MAX`.
fn checked_path(path: &Path, step: &'static str) -> Result<CString> {
    let bytes = path.as_os_str().as_bytes();
    if bytes.is_empty() {
        return Err(Error::invalid(step, "empty path"));
    }
    if bytes.contains(&0) {
        return Err(Error::invalid(step, "path contains a NUL byte").with_path(path));
    }
    if !path.is_absolute() {
        return Err(Error::invalid(
            step,
            format!("{path:?} is a relative path; mount paths must be absolute"),
        )
        .with_path(path));
    }
    if bytes.len() >= PATH_MAX {
        return Err(Error::new(step, Errno::ENAMETOOLONG)
            .with_path(path)
            .with_hint(format!(
                "the path is {} bytes; PATH_MAX is {PATH_MAX} including the final NUL",
                bytes.len()
            )));
    }
    if let Some(long) = bytes.split(|&b| b == b'/').find(|c| c.len() > NAME_MAX) {
        return Err(Error::new(step, Errno::ENAMETOOLONG)
            .with_path(path)
            .with_hint(format!(
                "a path component is {} bytes; NAME_MAX is {NAME_MAX}",
                long.len()
            )));
    }
    Ok(CString::new(bytes).expect("NUL bytes were refused above"))
}

fn path_cstring_lossless(path: &Path) -> Option<CString> {
    CString::new(path.as_os_str().as_bytes()).ok()
}

/// The mount points at or under `root` (itself included), in the order of
/// `/proc/thread-self/mountinfo` (parents before children).
fn mount_points_under(root: &Path) -> Result<Vec<PathBuf>> {
    let table =
        crate::table::mounts_with(None, crate::table::TableSource::Mountinfo).map_err(|e| {
            e.with_hint("the fallback for kernels without mount_setattr(2) needs /proc mounted")
        })?;
    Ok(table
        .iter()
        .map(|m| m.target())
        .filter(|point| point.starts_with(root))
        .map(Path::to_path_buf)
        .collect())
}

/// Whether the calling thread has CAP_SYS_ADMIN in its user namespace (`CapEff` in
/// `/proc/thread-self/status`). Used to tell "locked flag" from "no privilege" in hints.
fn has_cap_sys_admin() -> bool {
    const CAP_SYS_ADMIN: u32 = 21;
    std::fs::read_to_string("/proc/thread-self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let hex = line.strip_prefix("CapEff:")?.trim();
                u64::from_str_radix(hex, 16).ok()
            })
        })
        .is_some_and(|caps| caps & (1 << CAP_SYS_ADMIN) != 0)
}

fn not_a_mount_point_hint(path: &Path) -> Option<String> {
    let c = path_cstring_lossless(path)?;
    match sys::is_mount_root(&c) {
        Some(true) => None,
        _ => Some(format!(
            "{} is not a mount point (bind it onto itself first to make it one)",
            path.display()
        )),
    }
}

fn bind_hint(errno: Errno, recursive: bool) -> Option<String> {
    if errno == Errno::ENOENT {
        return Some("the bind target does not exist (create it first)".to_owned());
    }
    if errno == Errno::EINVAL && !recursive {
        return Some(
            "a non-recursive bind is refused when the source has submounts locked by a more \
             privileged mount namespace (it would uncover what they hide); bind recursively"
                .to_owned(),
        );
    }
    common_hint(errno)
}

fn common_hint(errno: Errno) -> Option<String> {
    match errno {
        Errno::ENOENT => Some("the path does not exist".to_owned()),
        Errno::ENOTDIR => Some("a component of the path is not a directory".to_owned()),
        Errno::EPERM => hints::mount_eperm(errno),
        Errno::ENOSPC => hints::mount_limit(errno),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn sizes_parse() {
        let good: &[(&str, Size)] = &[
            ("1", Size::Bytes(1)),
            ("4096", Size::Bytes(4096)),
            ("64k", Size::Bytes(64 << 10)),
            ("64K", Size::Bytes(64 << 10)),
            ("1m", Size::Bytes(MIB)),
            ("3M", Size::Bytes(3 * MIB)),
            ("2g", Size::Bytes(2 << 30)),
            ("2G", Size::Bytes(2 << 30)),
            ("1t", Size::Bytes(1 << 40)),
            ("1T", Size::Bytes(1 << 40)),
            ("4194304t", Size::Bytes(Size::MAX_BYTES)),
            ("4611686018427387904", Size::Bytes(Size::MAX_BYTES)),
            ("1%", Size::Percent(1)),
            ("10%", Size::Percent(10)),
            ("100%", Size::Percent(100)),
            ("unlimited", Size::Unlimited),
        ];
        for (text, size) in good {
            assert_eq!(Size::parse(text).unwrap(), *size, "{text}");
            assert_eq!(text.parse::<Size>().unwrap(), *size, "{text}");
        }
    }

    #[test]
    fn bad_sizes_are_einval_quoting_the_value() {
        let bad: &[(&str, &str)] = &[
            ("", "empty"),
            (" ", "whitespace"),
            (" 1m", "whitespace"),
            ("1m ", "whitespace"),
            ("1 m", "whitespace"),
            ("\t1", "whitespace"),
            ("-1", "negative"),
            ("-1m", "negative"),
            ("+1m", "sign"),
            ("1.5m", "fractions"),
            ("0.5g", "fractions"),
            ("1,5m", "fractions"),
            ("abc", "no digits"),
            ("m", "no digits"),
            ("%", "empty"),
            ("1x", "unknown suffix"),
            ("1mb", "unknown suffix"),
            ("1MiB", "unknown suffix"),
            ("1p", "unknown suffix"),
            ("1e", "unknown suffix"),
            ("1kk", "unknown suffix"),
            ("0x10", "hexadecimal"),
            ("010", "leading zeros"),
            ("0", "unlimited"),
            ("0k", "unlimited"),
            ("0%", "0%"),
            ("101%", "more than all of RAM"),
            ("1000%", "more than all of RAM"),
            ("10.5%", "fractions"),
            ("-10%", "negative"),
            ("10k%", "unknown suffix"),
            ("18446744073709551615", "4 EiB"),
            ("18446744073709551616", "64 bits"),
            ("99999999999999999999999", "64 bits"),
            ("16777216t", "64 bits"),
            ("4611686018427387905", "4 EiB"),
            ("4194305t", "4 EiB"),
            ("4294967297g", "4 EiB"),
            ("17179869184g", "64 bits"),
            ("Unlimited", "no digits"),
            ("unlimited ", "whitespace"),
            ("infinity", "no digits"),
            ("1m\0", "unknown suffix"),
        ];
        for (text, why) in bad {
            let e = Size::parse(text).unwrap_err();
            assert_eq!(e.errno(), Errno::EINVAL, "{text:?}");
            let msg = e.to_string();
            assert!(msg.contains(&format!("{text:?}")), "{text:?}: {msg}");
            assert!(msg.contains(why), "{text:?}: {msg}");
        }
    }

    #[test]
    fn size_display_round_trips() {
        for size in [
            Size::Bytes(1),
            Size::Bytes(4097),
            Size::Bytes(1024),
            Size::Bytes(1536 << 10),
            Size::Bytes(MIB),
            Size::Bytes(5 << 30),
            Size::Bytes(3 << 40),
            Size::Bytes(Size::MAX_BYTES),
            Size::Percent(50),
            Size::Unlimited,
        ] {
            let text = size.to_string();
            assert_eq!(Size::parse(&text).unwrap(), size, "{text}");
        }
        assert_eq!(Size::Bytes(MIB).to_string(), "1m");
        assert_eq!(Size::Bytes(1536 << 10).to_string(), "1536k");
        assert_eq!(Size::Bytes(4097).to_string(), "4097");
    }

    #[test]
    fn built_sizes_are_validated() {
        for bad in [
            Size::Bytes(0),
            Size::Bytes(Size::MAX_BYTES + 1),
            Size::Bytes(u64::MAX),
            Size::Percent(0),
            Size::Percent(101),
        ] {
            assert_eq!(
                bad.validate().unwrap_err().errno(),
                Errno::EINVAL,
                "{bad:?}"
            );
            assert!(bad.bytes().is_err(), "{bad:?}");
        }
        assert_eq!(Size::Bytes(7).bytes().unwrap(), Some(7));
        assert_eq!(Size::Unlimited.bytes().unwrap(), None);
    }

    #[test]
    fn percent_resolves_like_the_kernel() {
        let (ram, page) = sys::ram_and_page_size().unwrap();
        let pages = ram / page;
        let ten = Size::Percent(10).bytes().unwrap().unwrap();
        assert_eq!(ten, 10 * page * pages / 100);
        let all = Size::Percent(100).bytes().unwrap().unwrap();
        assert_eq!(all, pages * page);
        assert_eq!(parse_size("100%").unwrap(), all);
        assert_eq!(parse_size("1m").unwrap(), MIB);
        let e = parse_size("unlimited").unwrap_err();
        assert!(e.to_string().contains("not a number of bytes"), "{e}");
    }

    #[test]
    fn inodes_parse_and_refuse() {
        assert_eq!(Inodes::parse("1k").unwrap(), Inodes::Count(1024));
        assert_eq!(Inodes::parse("2M").unwrap(), Inodes::Count(2 << 20));
        assert_eq!(Inodes::parse("1g").unwrap(), Inodes::Count(1 << 30));
        assert_eq!(Inodes::parse("17").unwrap(), Inodes::Count(17));
        assert_eq!(Inodes::parse("unlimited").unwrap(), Inodes::Unlimited);
        assert_eq!(
            Inodes::parse(&Inodes::MAX.to_string()).unwrap(),
            Inodes::Count(Inodes::MAX)
        );
        for (text, why) in [
            ("0", "unlimited"),
            ("", "empty"),
            ("1t", "unknown suffix"),
            ("-5", "negative"),
            ("1.5k", "fractions"),
            ("18014398509481984", "most the kernel accepts"),
            ("16777216g", "most the kernel accepts"),
            ("x", "no digits"),
        ] {
            let e = Inodes::parse(text).unwrap_err();
            assert_eq!(e.errno(), Errno::EINVAL);
            let msg = e.to_string();
            assert!(
                msg.contains(&format!("{text:?}")) && msg.contains(why),
                "{msg}"
            );
        }
        for inodes in [Inodes::Count(1000), Inodes::Count(4096), Inodes::Unlimited] {
            assert_eq!(Inodes::parse(&inodes.to_string()).unwrap(), inodes);
        }
        assert!(Inodes::Count(0).validate().is_err());
    }

    #[test]
    fn tmpfs_options_parse_and_print() {
        let opts =
            TmpfsOptions::parse("size=1m,mode=755,nr_inodes=1k,uid=0,gid=0,noswap,ro,nosuid")
                .unwrap();
        assert_eq!(
            opts,
            TmpfsOptions::new()
                .size(Size::Bytes(MIB))
                .mode(0o755)
                .nr_inodes(Inodes::Count(1024))
                .uid(0)
                .gid(0)
                .noswap(true)
                .flags(MountFlags::RDONLY | MountFlags::NOSUID)
        );
        assert_eq!(
            opts.data().unwrap(),
            "size=1048576,nr_inodes=1024,mode=755,uid=0,gid=0,noswap"
        );
        assert_eq!(
            opts.to_string(),
            "size=1m,nr_inodes=1k,mode=755,uid=0,gid=0,noswap,ro,nosuid"
        );
        assert_eq!(TmpfsOptions::parse(&opts.to_string()).unwrap(), opts);
        assert_eq!(opts.mount_flags(), MountFlags::RDONLY | MountFlags::NOSUID);

        assert_eq!(TmpfsOptions::parse("").unwrap(), TmpfsOptions::new());
        assert_eq!(TmpfsOptions::new().data().unwrap(), "");
        assert_eq!(TmpfsOptions::new().to_string(), "");
        let rw = TmpfsOptions::parse("rw,mode=1777").unwrap();
        assert_eq!(rw, TmpfsOptions::new().mode(0o1777));
        let unlimited = TmpfsOptions::parse("size=unlimited,nr_inodes=unlimited").unwrap();
        assert_eq!(unlimited.data().unwrap(), "size=0,nr_inodes=0");
        let all =
            TmpfsOptions::parse("nodev,noexec,noatime,nodiratime,nosymfollow,mode=0700,size=4097")
                .unwrap();
        assert_eq!(all.data().unwrap(), "size=4097,mode=700");
        assert_eq!(TmpfsOptions::parse(&all.to_string()).unwrap(), all);
    }

    #[test]
    fn tmpfs_option_errors_name_key_and_value() {
        let cases: &[(&str, &[&str])] = &[
            ("size=1.5m", &["size", "\"1.5m\"", "fractions"]),
            ("size=0", &["size", "\"0\"", "unlimited"]),
            ("size=", &["size", "empty"]),
            ("size", &["size", "needs a value"]),
            ("size=1m,size=2m", &["size given twice"]),
            ("ro,ro", &["ro given twice"]),
            ("nr_inodes=0", &["nr_inodes", "\"0\"", "unlimited"]),
            ("nr_inodes=1.5k", &["nr_inodes", "fractions"]),
            ("mode=10000", &["mode", "\"10000\"", "7777"]),
            ("mode=789", &["mode", "\"789\"", "octal"]),
            ("mode=", &["mode", "octal"]),
            ("mode=-1", &["mode", "octal"]),
            ("uid=-1", &["uid", "\"-1\""]),
            ("uid=4294967295", &["uid", "4294967295"]),
            ("gid=99999999999", &["gid", "99999999999"]),
            ("gid=x", &["gid", "\"x\""]),
            ("huge=always", &["unknown option", "\"huge\""]),
            ("SIZE=1m", &["unknown option", "\"SIZE\""]),
            ("ro=1", &["ro", "takes no value"]),
            ("noswap=yes", &["noswap", "takes no value"]),
            ("size=1m,,ro", &["empty option"]),
            ("size=1m,", &["empty option"]),
            (",", &["empty option"]),
            ("ro,rw", &["ro and rw conflict"]),
            ("noatime,strictatime", &["noatime,strictatime conflict"]),
            ("relatime,noatime", &["noatime,relatime conflict"]),
        ];
        for (text, needles) in cases {
            let e = TmpfsOptions::parse(text).unwrap_err();
            assert_eq!(e.errno(), Errno::EINVAL, "{text}");
            let msg = e.to_string();
            for needle in *needles {
                assert!(msg.contains(needle), "{text}: {msg} lacks {needle}");
            }
        }
    }

    #[test]
    fn built_tmpfs_options_are_validated() {
        let cases = [
            (TmpfsOptions::new().mode(0o10000), "0o10000"),
            (TmpfsOptions::new().uid(u32::MAX), "uid 4294967295"),
            (TmpfsOptions::new().gid(u32::MAX), "gid 4294967295"),
            (TmpfsOptions::new().size(Size::Bytes(0)), "\"0\""),
            (TmpfsOptions::new().nr_inodes(Inodes::Count(0)), "\"0\""),
            (
                TmpfsOptions::new().flags(MountFlags::NOATIME | MountFlags::RELATIME),
                "conflict",
            ),
        ];
        for (opts, needle) in cases {
            let e = opts.data().unwrap_err();
            assert_eq!(e.errno(), Errno::EINVAL);
            assert!(e.to_string().contains(needle), "{e}");
        }
    }

    #[test]
    fn mount_flags_have_kernel_values_and_refuse_unknown_bits() {
        assert_eq!(MountFlags::RDONLY.bits(), 1);
        assert_eq!(MountFlags::NOSUID.bits(), 2);
        assert_eq!(MountFlags::NODEV.bits(), 4);
        assert_eq!(MountFlags::NOEXEC.bits(), 8);
        assert_eq!(MountFlags::NOSYMFOLLOW.bits(), 0x100);
        assert_eq!(MountFlags::NOATIME.bits(), 0x400);
        assert_eq!(MountFlags::NODIRATIME.bits(), 0x800);
        assert_eq!(MountFlags::RELATIME.bits(), 1 << 21);
        assert_eq!(MountFlags::STRICTATIME.bits(), 1 << 24);
        let e =
            MountFlags::from_raw(ms_bits(libc::MS_NOSUID) | ms_bits(libc::MS_BIND)).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        assert!(e.to_string().contains("0x1000"), "{e}");
        assert!(MountFlags::from_raw(1 << 40).is_err());
        assert_eq!(
            MountFlags::from_raw(3).unwrap(),
            MountFlags::RDONLY | MountFlags::NOSUID
        );
        let parsed: MountFlags = "ro,nosuid,nodev".parse().unwrap();
        assert_eq!(parsed.to_string(), "ro,nosuid,nodev");
        assert!("ro,bogus".parse::<MountFlags>().is_err());
        assert!("noatime,relatime".parse::<MountFlags>().is_err());
        assert_eq!(
            MountFlags::all().to_string().split(',').count(),
            FLAG_NAMES.len()
        );
    }

    #[test]
    fn unmount_flags_refuse_unknown_bits() {
        assert_eq!(UnmountFlags::DETACH.bits(), 2);
        assert_eq!(UnmountFlags::FORCE.bits(), 1);
        assert_eq!(UnmountFlags::EXPIRE.bits(), 4);
        assert_eq!(UnmountFlags::NOFOLLOW.bits(), 8);
        let e = UnmountFlags::from_raw(0x2 | 0x100).unwrap_err();
        assert!(e.to_string().contains("0x100"), "{e}");
        assert_eq!(UnmountFlags::from_raw(2).unwrap(), UnmountFlags::DETACH);
    }

    #[test]
    fn propagation_names_round_trip() {
        for p in Propagation::ALL {
            assert_eq!(p.to_string().parse::<Propagation>().unwrap(), p);
        }
        assert!("rprivate".parse::<Propagation>().is_err());
        assert!("Private".parse::<Propagation>().is_err());
        assert_eq!(Propagation::Private.ms_flag(), ms_bits(libc::MS_PRIVATE));
    }

    #[test]
    fn atime_changes_map_to_one_field() {
        let c = attr_change(MountFlags::NOATIME | MountFlags::RDONLY, MountFlags::NOSUID);
        assert_eq!(c.set, libc::MOUNT_ATTR_NOATIME | libc::MOUNT_ATTR_RDONLY);
        assert_eq!(c.clear, libc::MOUNT_ATTR__ATIME | libc::MOUNT_ATTR_NOSUID);
        let c = attr_change(MountFlags::empty(), MountFlags::NOATIME);
        assert_eq!((c.set, c.clear), (0, libc::MOUNT_ATTR__ATIME));
        let c = attr_change(MountFlags::RELATIME, MountFlags::empty());
        assert_eq!((c.set, c.clear), (0, libc::MOUNT_ATTR__ATIME));

        let current = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::RELATIME;
        assert_eq!(
            remount_flags(current, MountFlags::RDONLY, MountFlags::empty()),
            current | MountFlags::RDONLY
        );
        assert_eq!(
            remount_flags(current, MountFlags::NOATIME, MountFlags::NODEV),
            MountFlags::NOSUID | MountFlags::NOATIME
        );
        assert_eq!(
            remount_flags(
                MountFlags::NOATIME,
                MountFlags::empty(),
                MountFlags::NOATIME
            ),
            MountFlags::RELATIME
        );
    }

    #[test]
    fn paths_are_checked_before_any_call() {
        let e = checked_path(Path::new("relative/x"), "s").unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        assert!(e.to_string().contains("relative"), "{e}");
        let e = checked_path(Path::new("/a\0b"), "s").unwrap_err();
        assert!(e.to_string().contains("NUL"), "{e}");
        assert_eq!(
            checked_path(Path::new(""), "s").unwrap_err().errno(),
            Errno::EINVAL
        );
        let long = format!("/{}", "a/".repeat(PATH_MAX / 2));
        let e = checked_path(Path::new(&long), "s").unwrap_err();
        assert_eq!(e.errno(), Errno::ENAMETOOLONG);
        let e = checked_path(Path::new(&format!("/{}", "n".repeat(256))), "s").unwrap_err();
        assert_eq!(e.errno(), Errno::ENAMETOOLONG);
        assert!(checked_path(Path::new(&format!("/{}", "n".repeat(255))), "s").is_ok());
        let just_under = format!("/{}", "b/".repeat((PATH_MAX - 2) / 2));
        assert_eq!(just_under.len(), PATH_MAX - 1);
        assert!(checked_path(Path::new(&just_under), "s").is_ok());
    }

    #[test]
    fn mount_points_under_a_prefix() {
        let here = mount_points_under(Path::new("/")).unwrap();
        assert!(here.iter().any(|p| p == Path::new("/")), "{here:?}");
        let proc = mount_points_under(Path::new("/proc")).unwrap();
        assert!(proc.iter().all(|p| p.starts_with("/proc")), "{proc:?}");
        // Whole components only: /pro is not a prefix of /proc.
        assert!(mount_points_under(Path::new("/pro")).unwrap().is_empty());
    }
}
