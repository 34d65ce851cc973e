//! How every exported function fails: the panic guard, the thread's last error message, and
//! the argument checks that turn NULL pointers into `-EINVAL` before any work is done.
//!
//! Each exported body is one call to [`guard`]: the closure returns the core's `Result`,
//! and `guard` turns it into the C return value — `0` (or a non-negative count) on success,
//! `-errno` on failure after storing the error's one-line message for
//! [`mntns_last_error`]. A panic is caught there too and becomes `-ENOTRECOVERABLE`: no
//! unwinding ever crosses into C (rustls-ffi#286 was a missed wrapper; the test in
//! `capi/tests/exports.rs` fails when an exported function does not start with `guard(`).

use std::cell::RefCell;
use std::ffi::{CStr, CString, OsStr, c_char, c_int};
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::ptr::NonNull;

use mntns::{Errno, Error, Result};

thread_local! {
    /// The message of the last failure on this thread, NUL-terminated.
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// The message of the last libmntns call that failed **on the calling thread**, as one
/// line: `STEP [PATH]: ENAME (description[; hint])`, for instance `mount tmpfs on /x:
/// ENOENT (no such file or directory; the target directory does not exist (create it
/// first))`. The same line Rust's `Error` displays and the CLI prints.
///
/// Returns `""` when no call has failed on this thread yet. Never returns NULL. Successful
/// calls leave the message alone (like `errno`): look at it only after a call returned a
/// negative value.
///
/// Ownership: the string belongs to the library. It stays valid until the next failing
/// libmntns call on the same thread (which replaces it) or until the thread exits; copy it
/// to keep it longer. Other threads have their own message and never change this one.
#[unsafe(no_mangle)]
pub extern "C" fn mntns_last_error() -> *const c_char {
    // Exempt from guard: it cannot fail, and it must keep working while a thread is being
    // torn down (try_with instead of with, which would panic there).
    LAST_ERROR
        .try_with(|last| last.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}

/// Stores `error`'s one-line message as this thread's last error.
fn set_last_error(error: &Error) {
    // A NUL byte can only come from a quoted value, and quoting escapes it; replace any
    // that slips through so the message is never cut short.
    let text = error.to_string().replace('\0', "\\0");
    let message = CString::new(text).unwrap_or_default();
    // During thread teardown the slot may be gone; the return value still says it failed.
    let _ = LAST_ERROR.try_with(|last| *last.borrow_mut() = message);
}

/// What an exported function returns when its body failed: `-errno` for `int`, nothing
/// for `void`, `0` for counts.
pub(crate) trait Outcome {
    /// The C return value for a failure with `errno`.
    fn failed(errno: Errno) -> Self;
}

impl Outcome for c_int {
    fn failed(errno: Errno) -> c_int {
        -errno.raw()
    }
}

impl Outcome for () {
    fn failed(_: Errno) {}
}

impl Outcome for usize {
    fn failed(_: Errno) -> usize {
        0
    }
}

/// Runs the body of the exported function `name`: its value on success; on failure the
/// error's message becomes this thread's last error and the C failure value
/// ([`Outcome::failed`]) is returned; a panic is caught and reported as
/// `-ENOTRECOVERABLE` with the panic's message, never unwound into C.
pub(crate) fn guard<T: Outcome>(name: &'static str, body: impl FnOnce(Call) -> Result<T>) -> T {
    let call = Call { name };
    match catch_unwind(AssertUnwindSafe(|| body(call))) {
        Ok(Ok(value)) => value,
        Ok(Err(error)) => {
            set_last_error(&error);
            T::failed(error.errno())
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            let error = Error::new(name, Errno::ENOTRECOVERABLE).with_hint(format!(
                "libmntns panicked: {what}; this is a bug in libmntns, please report it"
            ));
            set_last_error(&error);
            T::failed(Errno::ENOTRECOVERABLE)
        }
    }
}

/// An output parameter that was checked to be non-NULL before any work was done; written
/// once, at the end, only on success.
pub(crate) struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    /// Writes the result (the pointer may point to uninitialized memory, so the old value
    /// is neither read nor dropped).
    pub(crate) fn set(self, value: T) {
        // SAFETY: the pointer was checked to be non-NULL when the Out was made, and the
        // caller of the exported function promised it is valid for writes of a T.
        unsafe { self.0.as_ptr().write(value) }
    }
}

/// The exported function being run: checks its arguments and names it in the messages.
#[derive(Clone, Copy)]
pub(crate) struct Call {
    name: &'static str,
}

impl Call {
    /// The `EINVAL` error for a refused argument, with `why` as hint.
    pub(crate) fn invalid(self, why: impl Into<std::borrow::Cow<'static, str>>) -> Error {
        Error::invalid(self.name, why)
    }

    /// An error of this function with `errno` and `hint`.
    pub(crate) fn error(
        self,
        errno: Errno,
        hint: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Error {
        Error::new(self.name, errno).with_hint(hint)
    }

    fn null(self, arg: &str) -> Error {
        self.invalid(format!("{arg} is NULL"))
    }

    /// A `const char *` path argument as a `Path`; its bytes need not be UTF-8.
    ///
    /// # Safety
    /// `ptr` is NULL or a NUL-terminated string that outlives `'a`.
    pub(crate) unsafe fn path<'a>(self, ptr: *const c_char, arg: &str) -> Result<&'a Path> {
        if ptr.is_null() {
            return Err(self.null(arg));
        }
        // SAFETY: non-NULL and NUL-terminated, by the caller's contract.
        let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
        Ok(Path::new(OsStr::from_bytes(bytes)))
    }

    /// Like [`Call::path`], but NULL gives `None` (for arguments documented as optional).
    ///
    /// # Safety
    /// As [`Call::path`].
    pub(crate) unsafe fn optional_path<'a>(self, ptr: *const c_char) -> Option<&'a Path> {
        if ptr.is_null() {
            return None;
        }
        // SAFETY: non-NULL and NUL-terminated, by the caller's contract.
        let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
        Some(Path::new(OsStr::from_bytes(bytes)))
    }

    /// A `const char *` text argument (options, sizes, ids), which must be UTF-8; in
    /// practice ASCII.
    ///
    /// # Safety
    /// `ptr` is NULL or a NUL-terminated string that outlives `'a`.
    pub(crate) unsafe fn text<'a>(self, ptr: *const c_char, arg: &str) -> Result<&'a str> {
        if ptr.is_null() {
            return Err(self.null(arg));
        }
        // SAFETY: non-NULL and NUL-terminated, by the caller's contract.
        let c = unsafe { CStr::from_ptr(ptr) };
        c.to_str().map_err(|_| {
            self.invalid(format!(
                "{arg} {:?} is not valid UTF-8 text",
                String::from_utf8_lossy(c.to_bytes())
            ))
        })
    }

    /// A pointer to an input value.
    ///
    /// # Safety
    /// `ptr` is NULL or points to a valid `T` that outlives `'a`.
    pub(crate) unsafe fn input<'a, T>(self, ptr: *const T, arg: &str) -> Result<&'a T> {
        // SAFETY: by the caller's contract, a non-NULL ptr points to a valid T.
        unsafe { ptr.as_ref() }.ok_or_else(|| self.null(arg))
    }

    /// An output parameter, checked for NULL now and written with [`Out::set`] on success.
    ///
    /// # Safety
    /// `ptr` is NULL or valid for writing a `T` until the exported function returns.
    pub(crate) unsafe fn out<T>(self, ptr: *mut T, arg: &str) -> Result<Out<T>> {
        NonNull::new(ptr).map(Out).ok_or_else(|| self.null(arg))
    }

    /// A file descriptor argument: negative values are `EBADF` (the kernel's answer for
    /// them) before any system call.
    pub(crate) fn fd(self, fd: c_int, arg: &str) -> Result<BorrowedFd<'static>> {
        if fd < 0 {
            return Err(self.error(
                Errno::EBADF,
                format!("{arg} {fd} is not an open file descriptor"),
            ));
        }
        // SAFETY: fd is not -1 (BorrowedFd's niche); that it is open is the caller's
        // promise, and a closed one only makes the system call fail with EBADF. The
        // descriptor is used only while the exported function runs.
        Ok(unsafe { BorrowedFd::borrow_raw(fd) })
    }

    /// A yes/no argument: exactly 0 or 1, so that flags passed in the wrong place are
    /// refused instead of being read as "yes".
    pub(crate) fn boolean(self, value: c_int, arg: &str) -> Result<bool> {
        match value {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.invalid(format!("{arg} must be 0 or 1, not {value}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last() -> String {
        // SAFETY: mntns_last_error returns a valid NUL-terminated string.
        unsafe { CStr::from_ptr(mntns_last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn errors_become_negative_errno_and_a_message() {
        let rc: c_int = guard("mntns_test", |_| {
            Err(Error::new("mount tmpfs on", Errno::ENOENT).with_path("/x"))
        });
        assert_eq!(rc, -libc::ENOENT);
        assert_eq!(
            last(),
            "mount tmpfs on /x: ENOENT (no such file or directory)"
        );
        // Success leaves the message, like errno.
        let rc: c_int = guard("mntns_test", |_| Ok(7));
        assert_eq!(rc, 7);
        assert!(last().starts_with("mount tmpfs on /x"));
    }

    #[test]
    fn panics_become_enotrecoverable() {
        let rc: c_int = guard("mntns_test", |_| panic!("boom {}", 42));
        assert_eq!(rc, -libc::ENOTRECOVERABLE);
        let msg = last();
        assert!(msg.starts_with("mntns_test: ENOTRECOVERABLE"), "{msg}");
        assert!(msg.contains("boom 42"), "{msg}");
        let rc: usize = guard("mntns_test", |_| panic!("static"));
        assert_eq!(rc, 0);
        assert!(last().contains("static"));
        guard("mntns_test", |_| -> Result<()> { panic!("void") });
        assert!(last().contains("void"));
    }

    #[test]
    fn last_error_is_per_thread() {
        let _: c_int = guard("mntns_here", |c| Err(c.invalid("here")));
        let other = std::thread::spawn(|| {
            let before = last();
            let _: c_int = guard("mntns_there", |c| Err(c.invalid("there")));
            (before, last())
        })
        .join()
        .unwrap();
        assert_eq!(other.0, "");
        assert!(other.1.contains("there"), "{}", other.1);
        assert!(last().contains("here"), "{}", last());
    }

    #[test]
    fn argument_checks() {
        let call = Call { name: "mntns_f" };
        // SAFETY: NULL and valid C strings only.
        unsafe {
            let e = call.path(std::ptr::null(), "target").unwrap_err();
            assert_eq!(
                e.to_string(),
                "mntns_f: EINVAL (invalid argument; target is NULL)"
            );
            let p = call.path(c"/a\xffb".as_ptr(), "target").unwrap();
            assert_eq!(p.as_os_str().as_bytes(), b"/a\xffb");
            let e = call.text(c"\xff".as_ptr(), "options").unwrap_err();
            assert!(e.to_string().contains("UTF-8"), "{e}");
            assert!(call.optional_path(std::ptr::null()).is_none());
            let e = call
                .out::<u64>(std::ptr::null_mut(), "bytes_out")
                .err()
                .unwrap();
            assert!(e.to_string().contains("bytes_out is NULL"));
        }
        assert_eq!(call.fd(-1, "fd").unwrap_err().errno(), Errno::EBADF);
        assert!(call.boolean(2, "recursive").is_err());
        assert!(call.boolean(1, "recursive").unwrap());
    }

    #[test]
    fn nul_bytes_in_messages_are_escaped() {
        let _: c_int = guard("mntns_test", |c| Err(c.invalid("a\0b")));
        assert!(last().ends_with("a\\0b)"), "{}", last());
    }
}
