//! Joining existing namespaces the way `nsenter(1)` does: [`enter`] with an [`NsSource`]
//! (a pid, a pidfd, a namespace file path or an open namespace fd).
//!
//! For a process, the kernel's `setns(pidfd, flags)` (Linux 5.8) joins several kinds in one
//! step: either all of them or none. On older kernels (no `pidfd_open`, or `setns` refusing
//! a pidfd), every `/proc/PID/ns/KIND` is opened first and then joined one by one, user
//! namespace first so that its capabilities cover the rest, mount namespace last, as
//! nsenter does; a failure part-way leaves the earlier kinds joined (the error names the
//! kind).
//!
//! Kernel rules the errors explain: joining a user or mount namespace (or a time
//! namespace) needs a single-threaded caller; joining the user namespace one is already in
//! is refused (`EINVAL`), while any other kind may be re-joined; joining needs
//! `CAP_SYS_ADMIN` in the user namespace owning the target (`EPERM`). Joining a pid or time
//! namespace applies to the caller's future children, not to the caller; joining a mount
//! namespace moves the caller's root and working directory to that namespace's root.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::Path;
use std::sync::OnceLock;

use super::id::exited_error;
use super::{Namespaces, NsFd, NsId, NsKind};
use crate::error::{Errno, Error, Result};
use crate::process::{self, Pid};

/// Where the namespaces to join come from.
#[derive(Clone, Copy, Debug)]
pub enum NsSource<'a> {
    /// The namespaces of a process (through a pidfd where the kernel has them, so a
    /// reused pid is never joined by mistake).
    Pid(Pid),
    /// The namespaces of the process a pidfd refers to (`pidfd_open(2)`).
    PidFd(BorrowedFd<'a>),
    /// A namespace file: `/proc/PID/ns/KIND`, or a bind mount of one (`/run/netns/NAME`).
    Path(&'a Path),
    /// An open namespace file descriptor (for instance from [`NsFd`]).
    Fd(BorrowedFd<'a>),
}

/// Moves the calling process into existing namespaces, as `setns(2)` and `nsenter(1)` do.
///
/// - For [`NsSource::Pid`] and [`NsSource::PidFd`], `kinds` names the namespaces to join
///   (at least one); they are joined in one atomic `setns(pidfd, kinds)` where the kernel
///   has it (Linux 5.8), otherwise one by one in [`NsKind::ENTER_ORDER`] (user first)
///   after all of them were opened.
/// - For [`NsSource::Path`] and [`NsSource::Fd`], the file is one namespace: `kinds` is
///   empty (join whatever kind it is) or exactly that kind, as a check.
///
/// Joining [`Namespaces::PID`] or [`Namespaces::TIME`] takes effect for children created
/// afterwards. Joining [`Namespaces::MOUNT`] changes the root and working directory to
/// the namespace's root. In a multithreaded process the kinds allowed there (uts, ipc,
/// net, cgroup, pid) are joined by the calling thread only, as `setns(2)` does.
///
/// # Errors
/// - `EINVAL` before any syscall: no kinds for a process; more than one kind for a file;
///   a NUL byte in the path. After opening: a file that is not a namespace file, or one
///   of another kind than `kinds` (the error names both kinds).
/// - `EINVAL` with a hint when the caller is multithreaded and a user, mount or time
///   namespace is to be joined (the kernel refuses; nothing was joined), or when the
///   caller is already in the user namespace to join (the kernel refuses re-entering it;
///   leave [`Namespaces::USER`] out).
/// - `ESRCH` "process N has exited" for a pid that is gone or a zombie.
/// - `EPERM` with a hint: joining needs `CAP_SYS_ADMIN` in the user namespace that owns the
///   target (as an ordinary user, join the owning user namespace in the same call), and
///   permission to inspect the target process.
///
/// See `setns(2)`, `nsenter(1)`, `pidfd_open(2)`.
pub fn enter(source: NsSource<'_>, kinds: Namespaces) -> Result<()> {
    match source {
        NsSource::Pid(pid) => enter_process(Target::Pid(pid), kinds),
        NsSource::PidFd(pidfd) => enter_process(Target::PidFd(pidfd), kinds),
        NsSource::Path(path) => {
            check_file_kinds(kinds)?;
            let fd = NsFd::open(path)?;
            enter_file(fd.as_fd(), kinds, Some(path))
        }
        NsSource::Fd(fd) => {
            check_file_kinds(kinds)?;
            enter_file(fd, kinds, None)
        }
    }
}

/// [`enter`] with [`NsSource::Pid`]: joins the `kinds` namespaces of process `pid`, like
/// `nsenter --target PID`.
///
/// # Errors
/// As [`enter`].
pub fn enter_pid(pid: Pid, kinds: Namespaces) -> Result<()> {
    enter(NsSource::Pid(pid), kinds)
}

/// [`enter`] with [`NsSource::Fd`]: joins the namespace an open namespace file refers to,
/// whatever its kind.
///
/// # Errors
/// As [`enter`].
pub fn enter_fd(fd: BorrowedFd<'_>) -> Result<()> {
    enter(NsSource::Fd(fd), Namespaces::empty())
}

/// [`enter`] with [`NsSource::Path`]: joins the namespace of a namespace file, whatever its
/// kind, like `nsenter --net=/run/netns/NAME`.
///
/// # Errors
/// As [`enter`].
pub fn enter_path(path: &Path) -> Result<()> {
    enter(NsSource::Path(path), Namespaces::empty())
}

#[derive(Clone, Copy)]
enum Target<'a> {
    Pid(Pid),
    PidFd(BorrowedFd<'a>),
}

/// Kinds the kernel refuses to join from a multithreaded process: user and mount
/// (`EINVAL`), time (`EUSERS`).
const SINGLE_THREADED: Namespaces = Namespaces::USER
    .union(Namespaces::MOUNT)
    .union(Namespaces::TIME);

fn step_name(kinds: Namespaces, whose: &str) -> String {
    let noun = if kinds.bits().count_ones() == 1 {
        "namespace"
    } else {
        "namespaces"
    };
    format!("enter {kinds} {noun}{whose}")
}

fn check_threads(kinds: Namespaces, step: &str) -> Result<()> {
    let single = kinds & SINGLE_THREADED;
    if single.is_empty() {
        return Ok(());
    }
    let threads = process::thread_count()?;
    if threads > 1 {
        let hint = format!(
            "the calling process has {threads} threads; joining {single} needs a \
             single-threaded process (the kernel refuses setns into a user, mount or time \
             namespace from a multithreaded one); enter before starting threads, or in a \
             forked child"
        );
        return Err(Error::new(step.to_owned(), Errno::EINVAL).with_hint(hint));
    }
    Ok(())
}

fn check_file_kinds(kinds: Namespaces) -> Result<()> {
    if kinds.bits().count_ones() > 1 {
        return Err(Error::invalid(
            "enter namespace file",
            format!(
                "a namespace file is one namespace, but kinds {kinds} were given; pass \
                 no kind or exactly the file's kind"
            ),
        ));
    }
    Ok(())
}

fn eperm_hint(kinds: Namespaces) -> String {
    let mut hint = String::from(
        "joining a namespace needs CAP_SYS_ADMIN in the user namespace that owns it (and in \
         the caller's own user namespace",
    );
    if kinds.contains(Namespaces::MOUNT) {
        hint.push_str(", plus CAP_SYS_CHROOT for a mount namespace");
    }
    hint.push_str(
        "); as an ordinary user, join the owning user namespace in the same call \
         (Namespaces::USER is joined first), or the target belongs to another user and \
         may not be inspected",
    );
    hint
}

fn already_in_user_hint(id: NsId) -> String {
    format!(
        "the caller is already in {id}, and the kernel refuses to re-enter the user \
         namespace one is in (it would grant a fresh set of capabilities); leave \
         Namespaces::USER out — every other kind may be re-joined"
    )
}

/// Joins namespaces of a process (given by pid or pidfd).
fn enter_process(target: Target<'_>, kinds: Namespaces) -> Result<()> {
    let whose = match target {
        Target::Pid(pid) => format!(" of process {pid}"),
        Target::PidFd(fd) => format!(" of pidfd {}", fd.as_raw_fd()),
    };
    let step = step_name(kinds, &whose);
    if kinds.is_empty() {
        return Err(Error::invalid(
            step,
            "no namespace kinds given; name the kinds to join (Namespaces::MOUNT | …)",
        ));
    }
    check_threads(kinds, &step)?;
    let first = kinds.kinds().next().unwrap_or(NsKind::Mount);

    // 1. A pidfd pins the process: a pid reused after it exits can never be joined.
    let pidfd = match target {
        Target::PidFd(fd) => return enter_with_pidfd(target, fd, kinds, &step),
        Target::Pid(pid) => match crate::sys::nsfs::pidfd_open(pid) {
            Ok(fd) => fd,
            Err(e) if e == Errno::ESRCH => return Err(exited_error(Some(pid), first)),
            // No pidfd_open (Linux < 5.3, or a seccomp filter): /proc only.
            Err(e) if e == Errno::ENOSYS => return enter_one_by_one(target, None, kinds),
            Err(e) => {
                return Err(Error::new(format!("open pidfd of process {pid}"), e));
            }
        },
    };
    enter_with_pidfd(target, pidfd.as_fd(), kinds, &step)
}

fn enter_with_pidfd(
    target: Target<'_>,
    pidfd: BorrowedFd<'_>,
    kinds: Namespaces,
    step: &str,
) -> Result<()> {
    let first = kinds.kinds().next().unwrap_or(NsKind::Mount);
    // 2. setns(pidfd, kinds): all kinds at once (Linux 5.8).
    // SAFETY: setns takes a descriptor and a flag word.
    let rc = unsafe { libc::setns(pidfd.as_raw_fd(), kinds.bits()) };
    if rc == 0 {
        return Ok(());
    }
    let errno = Errno::last();
    let pid = match target {
        Target::Pid(pid) => Some(pid),
        Target::PidFd(fd) => crate::sys::nsfs::pidfd_pid(fd).ok().flatten(),
    };
    if errno == Errno::ESRCH {
        return Err(exited_error(pid, first));
    }
    if errno == Errno::EINVAL && !setns_takes_pidfd() {
        // Linux 5.3–5.7: pidfds exist but setns only takes namespace files.
        return enter_one_by_one(target, Some(pidfd), kinds);
    }
    let err = Error::new(step.to_owned(), errno);
    if errno == Errno::EPERM {
        return Err(err.with_hint(eperm_hint(kinds)));
    }
    if errno == Errno::EINVAL {
        if kinds.contains(Namespaces::USER)
            && let Ok(theirs) = NsId::of_pidfd(pidfd, NsKind::User)
            && NsId::of_self(NsKind::User).is_ok_and(|mine| mine == theirs)
        {
            return Err(err.with_hint(already_in_user_hint(theirs)));
        }
        return Err(err.with_hint(
            "the kernel refused the combination: a pid namespace that is not the caller's \
             or a descendant of it, or a process sharing its filesystem information \
             (CLONE_FS) joining a user or mount namespace",
        ));
    }
    Err(err)
}

/// The fallback: open every namespace first (so a process exiting half-way leaves nothing
/// joined), then join them in [`NsKind::ENTER_ORDER`].
fn enter_one_by_one(
    target: Target<'_>,
    pidfd: Option<BorrowedFd<'_>>,
    kinds: Namespaces,
) -> Result<()> {
    let mut files = Vec::new();
    for kind in kinds.kinds() {
        let fd = match (pidfd, target) {
            // With a pidfd, NsFd::of_pidfd checks that the pid was not reused meanwhile.
            (Some(pidfd), _) | (None, Target::PidFd(pidfd)) => NsFd::of_pidfd(pidfd, kind)?,
            (None, Target::Pid(pid)) => NsFd::of_pid(pid, kind)?,
        };
        files.push(fd);
    }
    let whose = match target {
        Target::Pid(pid) => format!(" of process {pid}"),
        Target::PidFd(fd) => format!(" of pidfd {}", fd.as_raw_fd()),
    };
    for fd in &files {
        join_file(
            fd.as_fd(),
            fd.id(),
            &step_name(fd.kind().flag(), &whose),
            None,
        )?;
    }
    Ok(())
}

/// Joins the namespace of an open namespace file, checking `kinds` against its kind.
fn enter_file(fd: BorrowedFd<'_>, kinds: Namespaces, path: Option<&Path>) -> Result<()> {
    let with_path = |e: Error| match path {
        Some(p) => e.with_path(p),
        None => e,
    };
    let id = NsId::of_fd(fd).map_err(with_path)?;
    let kind = id.kind();
    let step = step_name(kind.flag(), "");
    if !kinds.is_empty() && kinds != kind.flag() {
        let what = match path {
            Some(_) => "the file".to_owned(),
            None => format!("namespace fd {}", fd.as_raw_fd()),
        };
        return Err(with_path(Error::invalid(
            step,
            format!("{what} is a {kind} namespace ({id}), not {kinds}"),
        )));
    }
    check_threads(kind.flag(), &step).map_err(with_path)?;
    join_file(fd, id, &step, path)
}

fn join_file(fd: BorrowedFd<'_>, id: NsId, step: &str, path: Option<&Path>) -> Result<()> {
    // SAFETY: setns takes a descriptor and the kind it must be (checked by the kernel).
    let rc = unsafe { libc::setns(fd.as_raw_fd(), id.kind().flag().bits()) };
    if rc == 0 {
        return Ok(());
    }
    let errno = Errno::last();
    let mut err = Error::new(step.to_owned(), errno);
    if let Some(p) = path {
        err = err.with_path(p);
    }
    if errno == Errno::EPERM {
        return Err(err.with_hint(eperm_hint(id.kind().flag())));
    }
    if errno == Errno::EINVAL
        && id.kind() == NsKind::User
        && NsId::of_self(NsKind::User).is_ok_and(|mine| mine == id)
    {
        return Err(err.with_hint(already_in_user_hint(id)));
    }
    if errno == Errno::EINVAL && id.kind() == NsKind::Pid {
        return Err(err.with_hint(
            "a pid namespace can only be joined when it is the caller's or a descendant of it",
        ));
    }
    Err(err)
}

/// Whether `setns(2)` accepts pidfds (Linux 5.8), from the kernel release.
fn setns_takes_pidfd() -> bool {
    static ANSWER: OnceLock<bool> = OnceLock::new();
    *ANSWER.get_or_init(|| {
        let mut uts = std::mem::MaybeUninit::<libc::utsname>::uninit();
        // SAFETY: uname fills the struct it is given.
        if unsafe { libc::uname(uts.as_mut_ptr()) } != 0 {
            return true;
        }
        // SAFETY: uname returned 0, so the struct is initialized.
        let uts = unsafe { uts.assume_init() };
        // SAFETY: release is a NUL-terminated string inside the struct.
        let release = unsafe { std::ffi::CStr::from_ptr(uts.release.as_ptr()) };
        release_at_least(release.to_bytes(), (5, 8))
    })
}

/// Whether a kernel release string (`6.18.44-fc`) is at least `major.minor`; unparsable
/// strings count as new (the kernel's own EINVAL is then reported, not hidden).
fn release_at_least(release: &[u8], (major, minor): (u32, u32)) -> bool {
    let text = String::from_utf8_lossy(release);
    let mut parts = text.split(|c: char| !c.is_ascii_digit());
    let parse = |p: Option<&str>| p.and_then(|s| s.parse::<u32>().ok());
    match (parse(parts.next()), parse(parts.next())) {
        (Some(a), Some(b)) => (a, b) >= (major, minor),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_parsing() {
        assert!(release_at_least(b"6.18.44-fc-v657", (5, 8)));
        assert!(release_at_least(b"5.8.0", (5, 8)));
        assert!(!release_at_least(b"5.7.19-generic", (5, 8)));
        assert!(!release_at_least(b"4.19.0", (5, 8)));
        assert!(release_at_least(b"garbage", (5, 8)));
    }

    #[test]
    fn bad_kinds_refused_before_syscalls() {
        let e = enter(NsSource::Pid(Pid::this()), Namespaces::empty()).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        assert!(e.to_string().contains("no namespace kinds"), "{e}");
        let e = enter(
            NsSource::Path(Path::new("/proc/self/ns/uts")),
            Namespaces::UTS | Namespaces::NET,
        )
        .unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        assert!(e.to_string().contains("uts,net"), "{e}");
        let e = enter_path(Path::new("/proc/self/ns/uts\0x")).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        assert!(e.to_string().contains("NUL"), "{e}");
    }

    #[test]
    fn threaded_caller_refused() {
        // The unit-test harness runs tests on threads, so this process is multithreaded.
        let e = enter_pid(Pid::this(), Namespaces::MOUNT).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        let msg = e.to_string();
        assert!(
            msg.contains("threads") && msg.contains("single-threaded"),
            "{msg}"
        );
        let e = enter_path(Path::new("/proc/self/ns/user")).unwrap_err();
        assert!(e.to_string().contains("single-threaded"), "{e}");
    }

    #[test]
    fn mismatched_file_kind_names_both() {
        let e = enter(
            NsSource::Path(Path::new("/proc/self/ns/uts")),
            Namespaces::NET,
        )
        .unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        let msg = e.to_string();
        assert!(
            msg.contains("uts namespace") && msg.contains("not net"),
            "{msg}"
        );
        let e = enter_path(Path::new("/proc/self/status")).unwrap_err();
        assert!(e.to_string().contains("not a namespace file"), "{e}");
    }
}
