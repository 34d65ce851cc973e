//! One error type for every operation: which step failed, on which path, with which errno,
//! and — for the usual causes — a hint that says what to change.
//!
//! Messages read like `mount tmpfs on /tmp/x: EPERM (operation not permitted; user
//! namespaces are disabled: user.max_user_namespaces=0)`: lowercase, no trailing period,
//! step first. Bindings never rewrite them; they only carry them over (`OSError` in Python,
//! `mntns_last_error()` in C, one line on stderr in the CLI).

use std::borrow::Cow;
use std::ffi::CStr;
use std::fmt;
use std::path::{Path, PathBuf};

/// The result type of every fallible libmntns call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A Linux error number (`errno`), as the kernel returned it or as libmntns chose it for a
/// refusal (`EINVAL` for bad input, for instance).
///
/// This is libmntns's own type so that no `nix` type appears in a public signature; the
/// raw value is always available through [`Errno::raw`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(i32);

macro_rules! errno_consts {
    ($($name:ident),* $(,)?) => {
        impl Errno {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                pub const $name: Errno = Errno(libc::$name);
            )*
        }
    };
}

errno_consts!(
    EPERM,
    ENOENT,
    ESRCH,
    EINTR,
    EIO,
    ENXIO,
    E2BIG,
    ENOEXEC,
    EBADF,
    ECHILD,
    EAGAIN,
    ENOMEM,
    EACCES,
    EFAULT,
    EBUSY,
    EEXIST,
    EXDEV,
    ENODEV,
    ENOTDIR,
    EISDIR,
    EINVAL,
    ENFILE,
    EMFILE,
    ENOSPC,
    EROFS,
    EMLINK,
    ERANGE,
    ENAMETOOLONG,
    ENOSYS,
    ELOOP,
    EOVERFLOW,
    EUSERS,
    EOPNOTSUPP,
    ENOTSUP,
    ENOTRECOVERABLE,
    ENOTEMPTY,
    ETXTBSY,
    EFBIG,
    ESPIPE,
    EPIPE,
    ENOTTY,
    EUCLEAN,
    ENOLINK
);

impl Errno {
    /// Wraps a raw errno value.
    pub const fn from_raw(raw: i32) -> Errno {
        Errno(raw)
    }

    /// The raw errno value (positive).
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// The value of `errno` left by the last failed libc call on this thread.
    pub fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }

    /// The symbolic name, `"EPERM"`; `"E<number>"` for values without one.
    pub fn name(self) -> Cow<'static, str> {
        let nix = nix::errno::Errno::from_raw(self.0);
        if nix == nix::errno::Errno::UnknownErrno {
            Cow::Owned(format!("E{}", self.0))
        } else {
            // nix's Debug output is exactly the C name of the constant.
            Cow::Owned(format!("{nix:?}"))
        }
    }

    /// The C library's description, lowercased (`"operation not permitted"`), as
    /// `strerror(3)` gives it.
    pub fn description(self) -> String {
        let mut buf = [0u8; 128];
        // SAFETY: buf is writable for its whole length; the XSI strerror_r that libc binds
        // writes a NUL-terminated string into it and returns 0 on success.
        let rc = unsafe { libc::strerror_r(self.0, buf.as_mut_ptr().cast(), buf.len()) };
        let text = if rc == 0 {
            CStr::from_bytes_until_nul(&buf)
                .map(|c| c.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            String::new()
        };
        if text.is_empty() {
            return format!("unknown error {}", self.0);
        }
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => first.to_lowercase().chain(chars).collect(),
            None => text,
        }
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl From<&std::io::Error> for Errno {
    /// The OS error number of an I/O error; `EIO` for errors that did not come from the OS.
    fn from(e: &std::io::Error) -> Self {
        Errno(e.raw_os_error().unwrap_or(libc::EIO))
    }
}

impl From<nix::errno::Errno> for Errno {
    fn from(e: nix::errno::Errno) -> Self {
        Errno(e as i32)
    }
}

/// What went wrong: the step, the path it concerned (if any), the errno, and a hint.
///
/// Display gives one line: `STEP [PATH]: ENAME (description[; hint])`. Every binding shows
/// this same line; [`Error::errno`] is what C returns (negated) and what Python's `OSError`
/// carries.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    step: Cow<'static, str>,
    path: Option<PathBuf>,
    errno: Errno,
    hint: Option<Cow<'static, str>>,
    invalid_input: bool,
}

impl Error {
    /// An error of `step` with `errno`, no path and no hint.
    pub fn new(step: impl Into<Cow<'static, str>>, errno: Errno) -> Error {
        Error {
            step: step.into(),
            path: None,
            errno,
            hint: None,
            invalid_input: false,
        }
    }

    /// An error of `step` with the errno the last failed libc call left on this thread.
    pub fn last_os(step: impl Into<Cow<'static, str>>) -> Error {
        Error::new(step, Errno::last())
    }

    /// An `EINVAL` refusal of bad input; `why` says what was wrong and quotes the value.
    pub fn invalid(step: impl Into<Cow<'static, str>>, why: impl Into<Cow<'static, str>>) -> Error {
        let mut e = Error::new(step, Errno::EINVAL).with_hint(why);
        e.invalid_input = true;
        e
    }

    /// Attaches the path the step concerned.
    pub fn with_path(mut self, path: impl AsRef<Path>) -> Error {
        self.path = Some(path.as_ref().to_path_buf());
        self
    }

    /// Attaches (or replaces) the hint.
    pub fn with_hint(mut self, hint: impl Into<Cow<'static, str>>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    /// Attaches a hint only when none is present yet.
    pub fn or_hint(self, hint: impl FnOnce() -> Option<String>) -> Error {
        if self.hint.is_some() {
            return self;
        }
        match hint() {
            Some(h) => self.with_hint(h),
            None => self,
        }
    }

    /// The step that failed, such as `"mount tmpfs on"` or `"pivot_root"`.
    pub fn step(&self) -> &str {
        &self.step
    }

    /// The path the failing step concerned, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The error number.
    pub fn errno(&self) -> Errno {
        self.errno
    }

    /// What probably caused it and what to change, when libmntns knows.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// Whether this error refuses bad input — a value libmntns checked and rejected, made
    /// by [`Error::invalid`] — rather than reporting a system call that failed or a state
    /// of the system (the errno is then `EINVAL`). Bindings raise their "bad argument"
    /// error for it (Python's `ValueError`).
    pub fn is_invalid_input(&self) -> bool {
        self.invalid_input
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.step)?;
        if let Some(path) = &self.path {
            write!(f, " {}", path.display())?;
        }
        write!(f, ": {} ({}", self.errno.name(), self.errno.description())?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        f.write_str(")")
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug shows the same line as Display so that `unwrap()` failures read well.
        write!(f, "Error(\"{self}\")")
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        let kind = std::io::Error::from_raw_os_error(e.errno.raw()).kind();
        std::io::Error::new(kind, e)
    }
}

/// Hints for the usual causes, shared by every module so the same cause reads the same way
/// wherever it shows up. Each looks at the host only when an error has already happened.
pub(crate) mod hints {
    use super::Errno;

    /// Reads a sysctl under /proc/sys (dots as slashes); `None` when absent.
    pub(crate) fn sysctl(name: &str) -> Option<String> {
        let path = format!("/proc/sys/{}", name.replace('.', "/"));
        std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_owned())
    }

    /// Why creating namespaces of `kinds` may be refused: the count limits
    /// (`user.max_<kind>_namespaces`, read from the caller's user namespace, and the nesting
    /// limit of 32 user namespaces) for ENOSPC/EUSERS; disabled or restricted user namespaces
    /// and missing privilege for EPERM/EACCES.
    pub(crate) fn namespaces_refused(errno: Errno, kinds: crate::Namespaces) -> Option<String> {
        let mut why = Vec::new();
        if errno == Errno::ENOSPC || errno == Errno::EUSERS {
            for kind in kinds.kinds() {
                let name = format!("user.max_{}_namespaces", kind.name());
                let value = sysctl(&name).unwrap_or_else(|| "?".into());
                why.push(format!("{name}={value}"));
            }
            let mut hint = format!(
                "a namespace limit was reached: {} (limits of the caller's user namespace,                  counted per user)",
                why.join(", ")
            );
            if kinds.contains(crate::Namespaces::USER) {
                hint.push_str(", or user namespaces are nested 32 deep");
            }
            return Some(hint);
        }
        if errno != Errno::EPERM && errno != Errno::EACCES {
            return None;
        }
        if kinds.contains(crate::Namespaces::USER) {
            if sysctl("user.max_user_namespaces").as_deref() == Some("0") {
                why.push("user namespaces are disabled: user.max_user_namespaces=0".to_owned());
            }
            if sysctl("kernel.unprivileged_userns_clone").as_deref() == Some("0") {
                why.push(
                    "unprivileged user namespaces are disabled by \
                     kernel.unprivileged_userns_clone=0"
                        .to_owned(),
                );
            }
            if sysctl("kernel.apparmor_restrict_unprivileged_userns").as_deref() == Some("1") {
                why.push(
                    "AppArmor restricts unprivileged user namespaces \
                     (kernel.apparmor_restrict_unprivileged_userns=1)"
                        .to_owned(),
                );
            }
        }
        if why.is_empty() {
            if kinds.contains(crate::Namespaces::USER) {
                why.push(
                    "a seccomp filter or security module may block it \
                     (check Seccomp: in /proc/self/status)"
                        .to_owned(),
                );
            } else {
                why.push(
                    "creating namespaces needs CAP_SYS_ADMIN in the current user namespace: \
                     create a user namespace too (Namespaces::USER, or unshare_rootless)"
                        .to_owned(),
                );
            }
        }
        Some(why.join("; "))
    }

    /// Why mounting may have run out of room.
    pub(crate) fn mount_limit(errno: Errno) -> Option<String> {
        if errno != Errno::ENOSPC {
            return None;
        }
        let max = sysctl("fs.mount-max").unwrap_or_else(|| "?".into());
        Some(format!(
            "the mount namespace reached its mount limit (fs.mount-max={max})"
        ))
    }

    /// Why an operation needing CAP_SYS_ADMIN was refused.
    pub(crate) fn mount_eperm(errno: Errno) -> Option<String> {
        if errno != Errno::EPERM {
            return None;
        }
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Some(
                "mounting needs CAP_SYS_ADMIN in the user namespace that owns the mount \
                 namespace: unshare Namespaces::USER | Namespaces::MOUNT first"
                    .to_owned(),
            );
        }
        Some(
            "CAP_SYS_ADMIN is missing over this mount namespace (it belongs to another \
             user namespace, or a security module refused it)"
                .to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_step_path_errno_and_hint() {
        let e = Error::new("mount tmpfs on", Errno::EPERM)
            .with_path("/tmp/x")
            .with_hint("user namespaces disabled");
        assert_eq!(
            e.to_string(),
            "mount tmpfs on /tmp/x: EPERM (operation not permitted; user namespaces disabled)"
        );
        assert_eq!(e.errno().raw(), libc::EPERM);
        assert_eq!(e.path(), Some(Path::new("/tmp/x")));
    }

    #[test]
    fn invalid_input_is_marked() {
        let bad = Error::invalid("tmpfs size", "\"0\" is not a valid size").with_path("/x");
        assert!(bad.is_invalid_input());
        assert_eq!(bad.errno(), Errno::EINVAL);
        let kernel = Error::new("mount tmpfs on", Errno::EINVAL).with_hint("from the kernel");
        assert!(!kernel.is_invalid_input());
    }

    #[test]
    fn display_without_path_or_hint() {
        let e = Error::new("unshare", Errno::EINVAL);
        assert_eq!(e.to_string(), "unshare: EINVAL (invalid argument)");
    }

    #[test]
    fn errno_names_and_unknowns() {
        assert_eq!(Errno::ENOENT.name(), "ENOENT");
        assert_eq!(Errno::from_raw(4095).name(), "E4095");
        assert!(Errno::from_raw(4095).description().contains("4095"));
    }

    #[test]
    fn io_error_keeps_kind() {
        let io: std::io::Error = Error::new("open", Errno::ENOENT).into();
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    }
}
