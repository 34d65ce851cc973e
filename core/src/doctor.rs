//! What this host allows, and what to change when it does not: the probes behind
//! `mntns doctor`.
//!
//! Each probe looks at the real thing where it can — a system call that exists answers
//! anything but `ENOSYS`; namespaces are created for real, in a forked child that exits
//! at once — and reads the sysctls and `/proc/self/status` fields that explain a refusal.
//! Nothing here changes the caller: the children that create namespaces or mount a
//! `proc` do so in namespaces of their own and are reaped before [`probes`] returns.
//!
//! The forked children make raw system calls only, on memory prepared before the fork,
//! so [`probes`] is safe to call from a multithreaded process (after `fork` only the
//! calling thread exists, and a lock another thread held would stay locked).

use std::ffi::CString;
use std::fmt;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use crate::error::{Errno, Error, Result, hints};
use crate::ns::{NsFd, NsKind};

/// What a probe found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Available and allowed.
    Ok,
    /// The kernel does not have it (or a filter makes it look so: `ENOSYS`).
    Missing,
    /// The kernel has it, but a setting, a filter or a mount refuses it.
    Refused,
}

impl Status {
    /// `ok`, `missing` or `refused`.
    pub const fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Missing => "missing",
            Status::Refused => "refused",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One probe's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// What was probed: `user namespaces`, `user.max_user_namespaces`, `clone3`…
    pub name: &'static str,
    /// The verdict.
    pub status: Status,
    /// What was observed, in one line (the errno, the sysctl's value, the mount found).
    pub detail: String,
    /// What to change, in one line; `None` when there is nothing to do.
    pub remedy: Option<String>,
}

impl Probe {
    fn ok(name: &'static str, detail: impl Into<String>) -> Probe {
        Probe {
            name,
            status: Status::Ok,
            detail: detail.into(),
            remedy: None,
        }
    }

    fn not_ok(
        name: &'static str,
        status: Status,
        detail: impl Into<String>,
        remedy: impl Into<String>,
    ) -> Probe {
        Probe {
            name,
            status,
            detail: detail.into(),
            remedy: Some(remedy.into()),
        }
    }
}

/// Runs every probe, in this order: user namespaces and the three sysctls that restrict
/// them, a seccomp filter blocking `unshare`/`clone`, the root mount's propagation,
/// whether `/proc` is covered by other mounts (which forbids a new `proc` in a rootless
/// sandbox), the new mount API (`open_tree`, `fsopen`), `mount_setattr`,
/// `statmount`/`listmount`, `pidfd_open`, `clone3` and `openat2`.
///
/// # Errors
/// Only when a probe cannot run at all: `fork` or `pipe` failing (`EAGAIN`, `EMFILE`).
/// A refusal is a [`Status`], not an error.
///
/// See `user_namespaces(7)`, `seccomp(2)`, `mount_namespaces(7)`, `proc(5)`.
pub fn probes() -> Result<Vec<Probe>> {
    let sysctls = Sysctls::read();
    let seccomp = SeccompStatus::of_self();
    let userns = user_namespaces(&sysctls, &seccomp)?;
    let userns_ok = userns.status == Status::Ok;
    Ok(vec![
        userns,
        max_user_namespaces(&sysctls),
        unprivileged_userns_clone(&sysctls),
        apparmor_restriction(&sysctls),
        seccomp_filter(&seccomp, &sysctls)?,
        root_propagation(),
        proc_visible(userns_ok)?,
        new_mount_api(),
        mount_setattr(),
        statmount(),
        pidfd(),
        clone3(),
        openat2(),
    ])
}

// ---------------------------------------------------------------------------------------
// Settings read from /proc.

/// The user-namespace sysctls (`None`: this kernel has no such sysctl).
struct Sysctls {
    max_user_namespaces: Option<String>,
    unprivileged_userns_clone: Option<String>,
    apparmor_restrict: Option<String>,
}

impl Sysctls {
    fn read() -> Sysctls {
        Sysctls {
            max_user_namespaces: hints::sysctl("user.max_user_namespaces"),
            unprivileged_userns_clone: hints::sysctl("kernel.unprivileged_userns_clone"),
            apparmor_restrict: hints::sysctl("kernel.apparmor_restrict_unprivileged_userns"),
        }
    }

    /// Why an unprivileged user namespace would be refused by a setting, if one says so.
    fn refusal(&self) -> Option<(String, String)> {
        if self.max_user_namespaces.as_deref() == Some("0") {
            return Some((
                "user.max_user_namespaces=0".to_owned(),
                "sysctl -w user.max_user_namespaces=15000".to_owned(),
            ));
        }
        if self.unprivileged_userns_clone.as_deref() == Some("0") {
            return Some((
                "kernel.unprivileged_userns_clone=0".to_owned(),
                "sysctl -w kernel.unprivileged_userns_clone=1".to_owned(),
            ));
        }
        if self.apparmor_restrict.as_deref() == Some("1") {
            return Some((
                "kernel.apparmor_restrict_unprivileged_userns=1".to_owned(),
                APPARMOR_REMEDY.to_owned(),
            ));
        }
        None
    }
}

const APPARMOR_REMEDY: &str = "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or \
                               give the program an AppArmor profile with the `userns,` rule";

const SECCOMP_REMEDY: &str = "run outside the seccomp profile (docker/podman: --security-opt \
                              seccomp=unconfined, or a profile that allows unshare, clone, \
                              setns and mount)";

/// The `Seccomp:` and `Seccomp_filters:` lines of `/proc/self/status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SeccompStatus {
    /// 0 none, 1 strict, 2 filter; `None` when the kernel does not say.
    mode: Option<u32>,
    /// How many filters are installed (Linux 5.9).
    filters: Option<u32>,
}

impl SeccompStatus {
    fn of_self() -> SeccompStatus {
        let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        SeccompStatus::parse(&text)
    }

    fn parse(status: &str) -> SeccompStatus {
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().parse().ok())
        };
        SeccompStatus {
            mode: field("Seccomp:"),
            filters: field("Seccomp_filters:"),
        }
    }

    fn filtered(&self) -> bool {
        self.mode == Some(2)
    }

    fn describe(&self) -> String {
        match (self.mode, self.filters) {
            (Some(0), _) => "Seccomp: 0 (no filter)".to_owned(),
            (Some(2), Some(n)) => format!("Seccomp: 2 ({n} filter(s) installed)"),
            (Some(2), None) => "Seccomp: 2 (a filter is installed)".to_owned(),
            (Some(m), _) => format!("Seccomp: {m}"),
            (None, _) => "no Seccomp: line in /proc/self/status".to_owned(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// User namespaces.

fn user_namespaces(sysctls: &Sysctls, seccomp: &SeccompStatus) -> Result<Probe> {
    const NAME: &str = "user namespaces";
    // Root may always create user namespaces; what matters for rootless sandboxes is what
    // an ordinary user may do, so root's child first becomes uid/gid 65534.
    // SAFETY: geteuid has no preconditions.
    let drop_to_nobody = unsafe { libc::geteuid() } == 0;
    let [dropped, errno] = in_child(&|| {
        // SAFETY: raw credential and unshare calls in the single-threaded child.
        unsafe {
            let mut dropped = 0;
            if drop_to_nobody
                && libc::syscall(libc::SYS_setgroups, 0, std::ptr::null::<libc::gid_t>()) == 0
                && libc::syscall(libc::SYS_setresgid, NOBODY, NOBODY, NOBODY) == 0
                && libc::syscall(libc::SYS_setresuid, NOBODY, NOBODY, NOBODY) == 0
            {
                dropped = 1;
            }
            [dropped, result(libc::unshare(libc::CLONE_NEWUSER))]
        }
    })?;
    let who = if dropped == 1 {
        "an unprivileged process (uid 65534)".to_owned()
    } else {
        // SAFETY: geteuid has no preconditions.
        format!("this user (uid {})", unsafe { libc::geteuid() })
    };
    if errno == 0 {
        return Ok(Probe::ok(NAME, format!("{who} may create user namespaces")));
    }
    let e = Errno::from_raw(errno);
    let tried = format!("{who}: unshare(CLONE_NEWUSER) failed with {e}");
    if e == Errno::EINVAL {
        return Ok(Probe::not_ok(
            NAME,
            Status::Missing,
            format!("{tried}: the kernel has no user namespaces"),
            "use a kernel built with CONFIG_USER_NS=y",
        ));
    }
    if e == Errno::ENOSYS {
        return Ok(Probe::not_ok(
            NAME,
            Status::Refused,
            format!("{tried}: a seccomp filter blocks unshare"),
            SECCOMP_REMEDY,
        ));
    }
    if let Some((why, remedy)) = sysctls.refusal() {
        return Ok(Probe::not_ok(
            NAME,
            Status::Refused,
            format!("{tried} ({why})"),
            remedy,
        ));
    }
    if e == Errno::ENOSPC || e == Errno::EUSERS {
        return Ok(Probe::not_ok(
            NAME,
            Status::Refused,
            format!("{tried}: a limit was reached (user.max_user_namespaces, or 32 nested)"),
            "raise user.max_user_namespaces, or create the sandbox from a less nested namespace",
        ));
    }
    let remedy = if seccomp.filtered() {
        format!("a seccomp filter is installed: {SECCOMP_REMEDY}")
    } else {
        "check the security modules (AppArmor, SELinux) for a rule refusing user namespaces"
            .to_owned()
    };
    Ok(Probe::not_ok(NAME, Status::Refused, tried, remedy))
}

fn max_user_namespaces(sysctls: &Sysctls) -> Probe {
    const NAME: &str = "user.max_user_namespaces";
    match sysctls.max_user_namespaces.as_deref() {
        None => Probe::ok(NAME, "absent (no per-user-namespace limit to check)"),
        Some("0") => Probe::not_ok(
            NAME,
            Status::Refused,
            "0: user namespaces are disabled",
            "sysctl -w user.max_user_namespaces=15000",
        ),
        Some(n) => Probe::ok(NAME, n.to_owned()),
    }
}

fn unprivileged_userns_clone(sysctls: &Sysctls) -> Probe {
    const NAME: &str = "kernel.unprivileged_userns_clone";
    match sysctls.unprivileged_userns_clone.as_deref() {
        None => Probe::ok(
            NAME,
            "absent (a Debian/Ubuntu kernel switch this kernel does not have)",
        ),
        Some("0") => Probe::not_ok(
            NAME,
            Status::Refused,
            "0: only privileged processes may create user namespaces",
            "sysctl -w kernel.unprivileged_userns_clone=1",
        ),
        Some(v) => Probe::ok(NAME, v.to_owned()),
    }
}

fn apparmor_restriction(sysctls: &Sysctls) -> Probe {
    const NAME: &str = "kernel.apparmor_restrict_unprivileged_userns";
    match sysctls.apparmor_restrict.as_deref() {
        None => Probe::ok(NAME, "absent (no AppArmor user namespace restriction)"),
        Some("1") => Probe::not_ok(
            NAME,
            Status::Refused,
            "1: AppArmor refuses user namespaces to unconfined unprivileged programs",
            APPARMOR_REMEDY,
        ),
        Some(v) => Probe::ok(NAME, v.to_owned()),
    }
}

// ---------------------------------------------------------------------------------------
// seccomp.

fn seccomp_filter(seccomp: &SeccompStatus, sysctls: &Sysctls) -> Result<Probe> {
    const NAME: &str = "seccomp";
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    // Try what a sandbox does first: clone with a namespace flag (a filter may inspect the
    // flags, as Docker's default profile does) and unshare. Root asks for a mount
    // namespace only (no sysctl restricts that); others need a user namespace with it.
    let flags = if root {
        libc::CLONE_NEWNS
    } else {
        libc::CLONE_NEWUSER | libc::CLONE_NEWNS
    };
    let [clone_errno, unshare_errno] = in_child(&|| {
        // SAFETY: raw clone/wait/unshare calls in the single-threaded child; the clone
        // child shares nothing (no CLONE_VM) and exits at once.
        unsafe {
            let pid = libc::syscall(
                libc::SYS_clone,
                (flags | libc::SIGCHLD) as libc::c_ulong,
                0usize,
                0usize,
                0usize,
                0usize,
            );
            let clone_errno = if pid == 0 {
                libc::_exit(0)
            } else if pid < 0 {
                *libc::__errno_location()
            } else {
                libc::waitpid(pid as libc::pid_t, std::ptr::null_mut(), 0);
                0
            };
            [clone_errno, result(libc::unshare(flags))]
        }
    })?;
    let ns = if root { "mount" } else { "user+mount" };
    let tried = |errno: i32, call: &str| match errno {
        0 => format!("{call} of a {ns} namespace works"),
        e => format!(
            "{call} of a {ns} namespace fails with {}",
            Errno::from_raw(e)
        ),
    };
    let seen = format!(
        "{}; {}; {}",
        seccomp.describe(),
        tried(clone_errno, "clone"),
        tried(unshare_errno, "unshare")
    );
    if !seccomp.filtered() {
        return Ok(Probe::ok(NAME, seen));
    }
    let failed = [clone_errno, unshare_errno];
    let enosys = failed.contains(&libc::ENOSYS);
    let eperm = failed.contains(&libc::EPERM);
    // ENOSYS never comes from the kernel for these calls; EPERM does (the sysctls), so it
    // is put on the filter only when no setting explains it.
    let explained = !root && sysctls.refusal().is_some();
    if enosys || (eperm && !explained) {
        return Ok(Probe::not_ok(NAME, Status::Refused, seen, SECCOMP_REMEDY));
    }
    Ok(Probe::ok(NAME, seen))
}

// ---------------------------------------------------------------------------------------
// Mount table facts.

fn root_propagation() -> Probe {
    const NAME: &str = "root propagation";
    let table = match crate::table::mounts_with(None, crate::table::TableSource::Mountinfo) {
        Ok(t) => t,
        Err(e) => {
            return Probe::not_ok(
                NAME,
                Status::Refused,
                format!("cannot read the mount table: {e}"),
                "mount /proc",
            );
        }
    };
    // The root mount is the last one mounted on "/" (the one on top).
    let Some(root) = table.iter().rev().find(|m| m.target() == Path::new("/")) else {
        return Probe::ok(NAME, "no mount on / in this table (chroot?)");
    };
    let p = root.propagation();
    match p.shared {
        Some(group) => Probe {
            name: NAME,
            status: Status::Ok,
            detail: format!(
                "/ is {p} (peer group {group}): a new mount namespace starts with it shared, \
                 so mounts made there reach the host until / is made private; libmntns \
                 sandboxes do that first"
            ),
            remedy: Some(
                "by hand, run mount --make-rprivate / right after unshare -m (pivot_root \
                 refuses a shared root with EINVAL)"
                    .to_owned(),
            ),
        },
        None => Probe::ok(NAME, format!("/ is {p}")),
    }
}

fn proc_visible(userns_ok: bool) -> Result<Probe> {
    const NAME: &str = "/proc";
    // 1. Is /proc a proc at all, and what covers parts of it?
    let mut st = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: a NUL-terminated path and a valid out pointer.
    let rc = unsafe { libc::statfs(c"/proc".as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return Ok(Probe::not_ok(
            NAME,
            Status::Missing,
            format!("statfs /proc failed with {}", Errno::last()),
            "mount -t proc proc /proc",
        ));
    }
    // SAFETY: statfs returned 0, so st is initialized.
    let st = unsafe { st.assume_init() };
    if st.f_type != libc::PROC_SUPER_MAGIC {
        return Ok(Probe::not_ok(
            NAME,
            Status::Missing,
            format!("/proc is not a proc filesystem (f_type {:#x})", st.f_type),
            "mount -t proc proc /proc over it",
        ));
    }
    let covered = proc_overmounts();
    let mut vfs = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: a NUL-terminated path and a valid out pointer.
    let read_only = unsafe { libc::statvfs(c"/proc".as_ptr(), vfs.as_mut_ptr()) } == 0
        // SAFETY: statvfs returned 0, so vfs is initialized.
        && unsafe { vfs.assume_init() }.f_flag & libc::ST_RDONLY != 0;

    // 2. The real test: mount a new proc where a rootless sandbox would, in a child with
    //    its own user, mount and pid namespaces.
    if !userns_ok {
        let detail = match covered.is_empty() {
            true => {
                "nothing mounted over parts of /proc (not tried: no user namespaces)".to_owned()
            }
            false => format!(
                "covered by {} (not tried: no user namespaces)",
                covered.join(", ")
            ),
        };
        return Ok(match covered.is_empty() {
            true => Probe::ok(NAME, detail),
            false => Probe::not_ok(NAME, Status::Refused, detail, PROC_REMEDY),
        });
    }
    let errno = mount_proc_rootless(read_only)?;
    let what = if covered.is_empty() {
        "nothing is mounted over parts of /proc".to_owned()
    } else {
        format!("mounted over parts of /proc: {}", covered.join(", "))
    };
    if errno == 0 {
        return Ok(Probe::ok(
            NAME,
            format!("{what}; a rootless sandbox may mount a new proc"),
        ));
    }
    Ok(Probe::not_ok(
        NAME,
        Status::Refused,
        format!(
            "{what}; mounting a new proc in a user namespace fails with {}",
            Errno::from_raw(errno)
        ),
        PROC_REMEDY,
    ))
}

const PROC_REMEDY: &str = "the kernel lets a user namespace mount proc only where the \
                           existing /proc is fully visible: run without masking /proc \
                           (docker/podman: --security-opt systempaths=unconfined), or bind \
                           /proc into the sandbox instead";

/// The mounts covering parts of `/proc` (or `/proc` itself), except those on procfs's own
/// empty mount-point directories (`/proc/sys/fs/binfmt_misc`), which the kernel allows.
fn proc_overmounts() -> Vec<String> {
    let Ok(table) = crate::table::mounts_with(None, crate::table::TableSource::Mountinfo) else {
        return Vec::new();
    };
    table
        .iter()
        .filter(|m| {
            let t = m.target();
            let over_proc = t == Path::new("/proc") && m.fstype() != "proc";
            let under_proc = t.starts_with("/proc") && t != Path::new("/proc");
            (over_proc || under_proc) && t != Path::new("/proc/sys/fs/binfmt_misc")
        })
        .map(|m| {
            format!(
                "{} ({})",
                m.target().display(),
                m.fstype().to_string_lossy()
            )
        })
        .collect()
}

/// Forks a child that creates user, mount and pid namespaces and whose first child (pid 1
/// there) mounts a new proc on `/proc`. Returns 0 or the errno of the step that failed.
fn mount_proc_rootless(read_only: bool) -> Result<i32> {
    // Everything the children touch is built before the fork.
    // SAFETY: getuid/getgid have no preconditions.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let uid_map = CString::new(format!("0 {uid} 1")).expect("no NUL");
    let gid_map = CString::new(format!("0 {gid} 1")).expect("no NUL");
    let mut flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
    if read_only {
        flags |= libc::MS_RDONLY;
    }
    let [_, errno] = in_child(&|| {
        // SAFETY: raw system calls in the single-threaded child on strings built before
        // the fork; the grandchild mounts in namespaces only these two processes share.
        unsafe {
            if libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS | libc::CLONE_NEWPID) != 0 {
                return [1, *libc::__errno_location()];
            }
            let write = |path: &std::ffi::CStr, text: &[u8]| -> bool {
                let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                if fd < 0 {
                    return false;
                }
                let n = libc::write(fd, text.as_ptr().cast(), text.len());
                libc::close(fd);
                n == text.len() as isize
            };
            if !write(c"/proc/self/setgroups", b"deny")
                || !write(c"/proc/self/gid_map", gid_map.as_bytes())
                || !write(c"/proc/self/uid_map", uid_map.as_bytes())
            {
                return [2, *libc::__errno_location()];
            }
            let mut fds = [0 as RawFd; 2];
            if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
                return [3, *libc::__errno_location()];
            }
            let pid = libc::fork();
            if pid < 0 {
                return [3, *libc::__errno_location()];
            }
            if pid == 0 {
                let rc = libc::mount(
                    c"proc".as_ptr(),
                    c"/proc".as_ptr(),
                    c"proc".as_ptr(),
                    flags,
                    std::ptr::null(),
                );
                let errno = if rc == 0 {
                    0
                } else {
                    *libc::__errno_location()
                };
                libc::write(fds[1], (&errno as *const i32).cast(), 4);
                libc::_exit(0);
            }
            libc::close(fds[1]);
            let mut errno: i32 = -1;
            let n = libc::read(fds[0], (&mut errno as *mut i32).cast(), 4);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
            if n != 4 {
                return [4, libc::EIO];
            }
            [4, errno]
        }
    })?;
    Ok(errno)
}

// ---------------------------------------------------------------------------------------
// System calls: present (any answer but ENOSYS), missing, or refused by a filter (EPERM
// where the call needs no privilege).

/// The errno of a raw system call, 0 on success; closes a descriptor it returned.
fn syscall_errno(rc: libc::c_long, returns_fd: bool) -> i32 {
    if rc >= 0 {
        if returns_fd {
            // SAFETY: the call returned a new descriptor that nothing else owns.
            drop(unsafe { OwnedFd::from_raw_fd(rc as RawFd) });
        }
        return 0;
    }
    Errno::last().raw()
}

fn syscall_probe(name: &'static str, errno: i32, ok: &str, needs: &str) -> Probe {
    match errno {
        0 => Probe::ok(name, ok.to_owned()),
        libc::ENOSYS => Probe::not_ok(
            name,
            Status::Missing,
            "ENOSYS: the kernel (or a seccomp filter) does not offer it".to_owned(),
            format!("{needs}; libmntns falls back to the older calls"),
        ),
        e => Probe::not_ok(
            name,
            Status::Refused,
            format!("refused with {}", Errno::from_raw(e)),
            format!("a seccomp filter or security module refuses it: {SECCOMP_REMEDY}"),
        ),
    }
}

fn new_mount_api() -> Probe {
    const NAME: &str = "new mount API";
    // open_tree without OPEN_TREE_CLONE needs no privilege: it only opens a path.
    // SAFETY: a NUL-terminated path and plain flags.
    let open_tree = syscall_errno(
        unsafe {
            libc::syscall(
                libc::SYS_open_tree,
                libc::AT_FDCWD,
                c"/".as_ptr(),
                libc::O_CLOEXEC as libc::c_uint,
            )
        },
        true,
    );
    // fsopen needs CAP_SYS_ADMIN: EPERM from an unprivileged caller still means "present".
    // SAFETY: a NUL-terminated name and plain flags (FSOPEN_CLOEXEC = 1).
    let fsopen = syscall_errno(
        unsafe { libc::syscall(libc::SYS_fsopen, c"tmpfs".as_ptr(), 1 as libc::c_uint) },
        true,
    );
    if open_tree == libc::ENOSYS || fsopen == libc::ENOSYS {
        let which = if open_tree == libc::ENOSYS {
            "open_tree"
        } else {
            "fsopen"
        };
        return syscall_probe(NAME, libc::ENOSYS, "", "needs Linux 5.2").with_detail(format!(
            "{which}: ENOSYS: the kernel (or a seccomp filter) does not offer it"
        ));
    }
    let detail = "open_tree, fsopen, fsmount and move_mount are available";
    syscall_probe(NAME, open_tree, detail, "needs Linux 5.2")
}

fn mount_setattr() -> Probe {
    // Flags no kernel accepts: a kernel with mount_setattr refuses them with EINVAL before
    // it looks at privileges, so EINVAL means "present" even for an unprivileged caller.
    let attr = [0u64; 4];
    // SAFETY: a NUL-terminated path and a valid 32-byte struct mount_attr.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            c"/".as_ptr(),
            0x8000_0000 as libc::c_uint,
            attr.as_ptr(),
            std::mem::size_of_val(&attr),
        )
    };
    let errno = match syscall_errno(rc, false) {
        libc::EINVAL => 0,
        e => e,
    };
    syscall_probe(
        "mount_setattr",
        errno,
        "recursive read-only binds and attribute changes in one call",
        "needs Linux 5.12",
    )
}

fn statmount() -> Probe {
    const NAME: &str = "statmount/listmount";
    let mut ids = [0u64; 1];
    let errno = match crate::sys::statmount::listmount(0, 0, &mut ids) {
        Ok(_) => match crate::sys::statmount::statmount(
            ids[0],
            0,
            crate::sys::statmount::STATMOUNT_MNT_BASIC,
            &mut [0u64; 512],
        ) {
            Ok(()) => 0,
            Err(e) => e.raw(),
        },
        Err(e) => e.raw(),
    };
    if errno != 0 {
        return syscall_probe(NAME, errno, "", "needs Linux 6.8");
    }
    // Reading another namespace's table by id also needs NS_GET_MNTNS_ID.
    let id = NsFd::of_self(NsKind::Mount).and_then(|ns| ns.kernel_id());
    match id {
        Ok(Some(id)) => Probe::ok(
            NAME,
            format!("mount tables by namespace id (this one: {id}), no /proc needed"),
        ),
        Ok(None) => Probe::not_ok(
            NAME,
            Status::Missing,
            "statmount works but NS_GET_MNTNS_ID does not: only this namespace's table",
            "needs Linux 6.8; other namespaces are read through /proc/PID/mountinfo",
        ),
        Err(e) => Probe::not_ok(
            NAME,
            Status::Refused,
            format!("NS_GET_MNTNS_ID: {e}"),
            "mount /proc (the namespace file is read from it)",
        ),
    }
}

fn pidfd() -> Probe {
    // SAFETY: pidfd_open of our own pid with no flags.
    let errno = syscall_errno(
        unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0 as libc::c_uint) },
        true,
    );
    syscall_probe(
        "pidfd_open",
        errno,
        "process handles that survive pid reuse (entering by pidfd, waiting without races)",
        "needs Linux 5.3",
    )
}

fn clone3() -> Probe {
    // A NULL argument of size 0 is refused with EINVAL by a kernel that has clone3, before
    // any process is made.
    // SAFETY: clone3 with a NULL pointer and size 0 creates nothing.
    let rc = unsafe { libc::syscall(libc::SYS_clone3, std::ptr::null::<u8>(), 0usize) };
    let errno = match syscall_errno(rc, false) {
        libc::EINVAL => 0,
        e => e,
    };
    syscall_probe(
        "clone3",
        errno,
        "namespaces, pidfd and cgroup in one call",
        "needs Linux 5.3",
    )
}

fn openat2() -> Probe {
    // struct open_how { u64 flags; u64 mode; u64 resolve; }
    let how: [u64; 3] = [(libc::O_PATH | libc::O_CLOEXEC) as u64, 0, 0];
    // SAFETY: a NUL-terminated path and a valid 24-byte struct open_how.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            libc::AT_FDCWD,
            c"/".as_ptr(),
            how.as_ptr(),
            std::mem::size_of_val(&how),
        )
    };
    syscall_probe(
        "openat2",
        syscall_errno(rc, true),
        "paths resolved inside a root (RESOLVE_IN_ROOT)",
        "needs Linux 5.6",
    )
}

impl Probe {
    fn with_detail(mut self, detail: String) -> Probe {
        self.detail = detail;
        self
    }
}

// ---------------------------------------------------------------------------------------
// Forked children.

const NOBODY: libc::c_long = 65534;

/// 0 for a call that returned 0, else the errno it left.
fn result(rc: libc::c_int) -> i32 {
    if rc == 0 {
        0
    } else {
        // SAFETY: reading this thread's errno.
        unsafe { *libc::__errno_location() }
    }
}

/// Runs `body` in a forked child and returns the two numbers it reports.
///
/// `body` runs after `fork` in a child that may be the copy of a multithreaded process:
/// it must make raw system calls only, on memory that existed before the fork (no
/// allocation, no locks), and must not panic.
fn in_child(body: &dyn Fn() -> [i32; 2]) -> Result<[i32; 2]> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: fds is a valid array of two ints for the kernel to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Error::last_os("create pipe for a doctor probe"));
    }
    // SAFETY: pipe2 returned two new descriptors that nothing else owns.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the child runs only `body` (raw system calls, see above) and `_exit`.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(Error::last_os("fork a doctor probe"));
    }
    if pid == 0 {
        let answer = body();
        // SAFETY: 8 bytes from a valid array to our pipe, then exit without unwinding.
        unsafe {
            libc::write(write_end.as_raw_fd(), answer.as_ptr().cast(), 8);
            libc::_exit(0)
        }
    }
    drop(write_end);
    let mut answer = [0i32; 2];
    let mut got = 0usize;
    while got < 8 {
        // SAFETY: reading into the unfilled tail of an 8-byte array.
        let n = unsafe {
            libc::read(
                read_end.as_fd().as_raw_fd(),
                answer.as_mut_ptr().cast::<u8>().add(got).cast(),
                8 - got,
            )
        };
        if n < 0 && Errno::last() == Errno::EINTR {
            continue;
        }
        if n <= 0 {
            break;
        }
        got += n as usize;
    }
    let mut status = 0;
    // SAFETY: waitpid on our own child with a valid status pointer.
    while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 && Errno::last() == Errno::EINTR {}
    if got != 8 {
        return Err(
            Error::new("doctor probe child", Errno::ECHILD).with_hint(format!(
                "the child ended with wait status {status:#x} without answering"
            )),
        );
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seccomp_lines_parse() {
        let s = SeccompStatus::parse("Name:\tx\nSeccomp:\t2\nSeccomp_filters:\t3\n");
        assert_eq!(
            s,
            SeccompStatus {
                mode: Some(2),
                filters: Some(3)
            }
        );
        assert!(s.filtered());
        assert!(s.describe().contains("3 filter"));
        let s = SeccompStatus::parse("Seccomp:\t0\n");
        assert!(!s.filtered());
        assert_eq!(SeccompStatus::parse("").mode, None);
    }

    #[test]
    fn sysctl_refusals_name_the_setting() {
        let s = Sysctls {
            max_user_namespaces: Some("100".into()),
            unprivileged_userns_clone: Some("0".into()),
            apparmor_restrict: None,
        };
        let (why, remedy) = s.refusal().unwrap();
        assert_eq!(why, "kernel.unprivileged_userns_clone=0");
        assert!(remedy.contains("=1"));
        let s = Sysctls {
            max_user_namespaces: Some("0".into()),
            unprivileged_userns_clone: None,
            apparmor_restrict: Some("1".into()),
        };
        assert_eq!(s.refusal().unwrap().0, "user.max_user_namespaces=0");
        assert_eq!(apparmor_restriction(&s).status, Status::Refused);
        assert_eq!(max_user_namespaces(&s).status, Status::Refused);
        assert_eq!(unprivileged_userns_clone(&s).status, Status::Ok);
    }

    #[test]
    fn syscall_probes_on_this_kernel() {
        // The unit-test process has no seccomp filter; this kernel (6.8+) has every call.
        for p in [
            new_mount_api(),
            mount_setattr(),
            statmount(),
            pidfd(),
            clone3(),
            openat2(),
        ] {
            assert_eq!(p.status, Status::Ok, "{p:?}");
            assert_eq!(p.remedy, None);
        }
    }
}
