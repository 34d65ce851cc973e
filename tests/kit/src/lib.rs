//! The libmntns test harness: every case runs in a forked child that first gets its own
//! namespaces, so a test can mount, unshare and pivot for real without touching the host.
//!
//! Integration tests that need the kernel are binaries with `harness = false` whose `main`
//! calls [`main`] with their cases. The harness process stays single-threaded (so `fork` is
//! safe, nix#248) and checks host invariants after every case:
//!
//! - the host's mount table is unchanged (sorted, mount ids stripped);
//! - no process is left over: the harness is a child subreaper, so anything a case leaked is
//!   reparented to it and reported (then killed);
//! - the case finished within its time limit.
//!
//! Each case runs in the [`Mode`]s it names:
//! - [`Mode::Root`]: real root in a new mount namespace whose `/` is made rprivate.
//! - [`Mode::Rootless`]: uid/gid 65534 ("nobody") with no capabilities, then a new user
//!   namespace (65534 mapped to 0) and mount namespace — what `unshare -Urm` gives an
//!   ordinary user.
//! - [`Mode::Nobody`]: uid/gid 65534 with no capabilities and no new namespace, for cases
//!   that test what an unprivileged caller gets from scratch.
//!
//! Command line: `[FILTER…] [--exact] [--list] [--mode root|rootless|nobody]`; other
//! libtest flags (`--nocapture`, `--test-threads=N`) are accepted and ignored.
//! A case may call [`Ctx::skip`]; skips fail the run unless `MNTNS_ALLOW_SKIP=1`, because a
//! skipped test proves nothing.

use std::ffi::CString;
use std::fmt;
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The uid and gid unprivileged cases run as.
pub const NOBODY: u32 = 65534;

/// Exit code a case child uses to say "skipped".
const SKIP_CODE: i32 = 77;

/// How a case is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Real root in its own mount namespace (`/` made rprivate).
    Root,
    /// Nobody, in its own user namespace (mapped to root) and mount namespace.
    Rootless,
    /// Nobody without capabilities or new namespaces.
    Nobody,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Root => "root",
            Mode::Rootless => "rootless",
            Mode::Nobody => "nobody",
        })
    }
}

/// Root and rootless: the usual pair every privileged behaviour is tested in.
pub const BOTH: &[Mode] = &[Mode::Root, Mode::Rootless];
/// Root only.
pub const ROOT: &[Mode] = &[Mode::Root];
/// Rootless only.
pub const ROOTLESS: &[Mode] = &[Mode::Rootless];
/// Unprivileged without namespaces only.
pub const NOBODY_ONLY: &[Mode] = &[Mode::Nobody];

/// One test case.
pub struct Case {
    /// Name shown in the output and matched by filters.
    pub name: &'static str,
    /// Modes to run it in.
    pub modes: &'static [Mode],
    /// The body; panics fail the case.
    pub run: fn(&Ctx),
    /// Time limit for one run.
    pub timeout: Duration,
}

impl Case {
    /// A case with the default time limit (60 s).
    pub const fn new(name: &'static str, modes: &'static [Mode], run: fn(&Ctx)) -> Case {
        Case {
            name,
            modes,
            run,
            timeout: Duration::from_secs(60),
        }
    }

    /// The same case with another time limit.
    pub const fn timeout(mut self, limit: Duration) -> Case {
        self.timeout = limit;
        self
    }
}

/// Declares a [`Case`] from a function name: `case!(tmpfs_size, BOTH)`.
#[macro_export]
macro_rules! case {
    ($f:ident, $modes:expr) => {
        $crate::Case::new(stringify!($f), $modes, $f)
    };
}

/// What a case body gets.
pub struct Ctx {
    /// The mode this run is in.
    pub mode: Mode,
    scratch: PathBuf,
}

impl Ctx {
    /// A directory on the host filesystem for this run only, writable by the case (owned by
    /// nobody in unprivileged modes), removed after the run. It is *not* a mount point.
    pub fn scratch(&self) -> &Path {
        &self.scratch
    }

    /// A new directory under [`Ctx::scratch`].
    pub fn dir(&self, name: &str) -> PathBuf {
        let p = self.scratch.join(name);
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("mkdir {}: {e}", p.display()));
        p
    }

    /// Whether this run has root's capabilities over its mount namespace.
    pub fn privileged(&self) -> bool {
        self.mode != Mode::Nobody
    }

    /// Ends the case as skipped with the reason (fails the run unless MNTNS_ALLOW_SKIP=1).
    pub fn skip(&self, reason: &str) -> ! {
        eprintln!("SKIP: {reason}");
        let _ = std::io::stderr().flush();
        // SAFETY: _exit ends the process without running atexit handlers or destructors,
        // which belong to the harness parent.
        unsafe { libc::_exit(SKIP_CODE) }
    }
}

/// Runs `cases` as described in the crate docs and exits with 0 when all passed.
pub fn main(cases: &[Case]) -> ! {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut filters = Vec::new();
    let mut exact = false;
    let mut list = false;
    let mut only_mode: Option<Mode> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--exact" => exact = true,
            "--list" => list = true,
            "--mode" => {
                only_mode = Some(match it.next().map(String::as_str) {
                    Some("root") => Mode::Root,
                    Some("rootless") => Mode::Rootless,
                    Some("nobody") => Mode::Nobody,
                    other => panic!("--mode takes root, rootless or nobody, not {other:?}"),
                })
            }
            "--format" | "--test-threads" | "--color" | "--skip" => {
                it.next();
            }
            s if s.starts_with("--") => {}
            s => filters.push(s.to_owned()),
        }
    }
    let selected: Vec<&Case> = cases
        .iter()
        .filter(|c| {
            filters.is_empty()
                || filters.iter().any(|f| {
                    if exact {
                        c.name == f
                    } else {
                        c.name.contains(f.as_str())
                    }
                })
        })
        .collect();
    if list {
        for c in &selected {
            println!("{}: test", c.name);
        }
        std::process::exit(0);
    }
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        eprintln!("the libmntns test harness must run as root (it drops privileges per case)");
        std::process::exit(2);
    }
    // SAFETY: PR_SET_CHILD_SUBREAPER takes an int flag; orphans of cases come back to us.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };

    let allow_skip = std::env::var_os("MNTNS_ALLOW_SKIP").is_some_and(|v| v == "1");
    let runs: usize = selected
        .iter()
        .map(|c| {
            c.modes
                .iter()
                .filter(|m| only_mode.is_none_or(|o| o == **m))
                .count()
        })
        .sum();
    println!("\nrunning {runs} tests");
    let started = Instant::now();
    let (mut passed, mut failed, mut skipped) = (0, Vec::new(), Vec::new());
    for case in selected {
        for &mode in case.modes {
            if only_mode.is_some_and(|o| o != mode) {
                continue;
            }
            let label = format!("{} ({mode})", case.name);
            print!("test {label} ... ");
            let _ = std::io::stdout().flush();
            match run_one(case, mode) {
                Outcome::Pass => {
                    println!("ok");
                    passed += 1;
                }
                Outcome::Skip(reason) => {
                    println!("SKIP: {reason}");
                    skipped.push(format!("{label}: {reason}"));
                }
                Outcome::Fail(why) => {
                    println!("FAILED");
                    eprintln!("---- {label} ----\n{why}");
                    failed.push(label);
                }
            }
        }
    }
    let ok = failed.is_empty() && (skipped.is_empty() || allow_skip);
    println!(
        "\ntest result: {}. {passed} passed; {} failed; {} skipped; finished in {:.2}s\n",
        if ok { "ok" } else { "FAILED" },
        failed.len(),
        skipped.len(),
        started.elapsed().as_secs_f64()
    );
    for f in &failed {
        println!("    failed: {f}");
    }
    if !allow_skip {
        for s in &skipped {
            println!("    skipped (fails the run; set MNTNS_ALLOW_SKIP=1 to accept): {s}");
        }
    }
    std::process::exit(if ok { 0 } else { 101 });
}

enum Outcome {
    Pass,
    Skip(String),
    Fail(String),
}

fn run_one(case: &Case, mode: Mode) -> Outcome {
    let before = host_mount_table();
    let scratch = make_scratch(mode);
    let err_file = scratch.with_extension("stderr");
    let err_c = CString::new(err_file.as_os_str().as_bytes()).unwrap();

    // SAFETY: the harness is single-threaded, so the child may do anything after fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Outcome::Fail(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        // Child: stderr goes to a file the parent reports from; stdout stays shared.
        // SAFETY: plain open/dup2 on a valid C string.
        unsafe {
            let fd = libc::open(
                err_c.as_ptr(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC,
                0o666,
            );
            if fd >= 0 {
                libc::dup2(fd, 2);
                libc::close(fd);
            }
        }
        let code = match enter_mode(mode) {
            Err(e) => {
                eprintln!("harness: could not enter {mode} mode: {e}");
                3
            }
            Ok(()) => {
                let ctx = Ctx {
                    mode,
                    scratch: scratch.clone(),
                };
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (case.run)(&ctx))) {
                    Ok(()) => 0,
                    Err(_) => 1,
                }
            }
        };
        let _ = std::io::stdout().flush();
        // SAFETY: ends the child without running the parent's atexit handlers.
        unsafe { libc::_exit(code) }
    }

    let status = wait_with_timeout(pid, case.timeout);
    let leftovers = reap_leftovers();
    let stderr = std::fs::read_to_string(&err_file).unwrap_or_default();
    let _ = std::fs::remove_file(&err_file);
    remove_scratch(&scratch);
    let after = host_mount_table();

    let mut problems = Vec::new();
    let mut skip = None;
    match status {
        WaitResult::Exited(0) => {}
        WaitResult::Exited(SKIP_CODE) => {
            let reason = stderr
                .lines()
                .find_map(|l| l.strip_prefix("SKIP: "))
                .unwrap_or("no reason given")
                .to_owned();
            skip = Some(reason);
        }
        WaitResult::Exited(code) => problems.push(format!("case exited with status {code}")),
        WaitResult::Signaled(sig) => problems.push(format!("case killed by signal {sig}")),
        WaitResult::TimedOut => problems.push(format!("case timed out after {:?}", case.timeout)),
    }
    if before != after {
        problems.push(format!(
            "HOST MOUNT TABLE CHANGED\nbefore:\n{}\nafter:\n{}",
            before.join("\n"),
            after.join("\n")
        ));
    }
    if !leftovers.is_empty() {
        problems.push(format!("processes left behind and killed: {leftovers:?}"));
    }
    if problems.is_empty() {
        return match skip {
            Some(r) => Outcome::Skip(r),
            None => Outcome::Pass,
        };
    }
    Outcome::Fail(format!("{}\n{}", stderr.trim_end(), problems.join("\n")))
}

fn make_scratch(mode: Mode) -> PathBuf {
    let base = std::env::temp_dir();
    let mut template = base
        .join("mntns-test-XXXXXX")
        .into_os_string()
        .into_encoded_bytes();
    template.push(0);
    // SAFETY: template is a NUL-terminated writable buffer ending in XXXXXX.
    let p = unsafe { libc::mkdtemp(template.as_mut_ptr().cast()) };
    assert!(!p.is_null(), "mkdtemp: {}", std::io::Error::last_os_error());
    template.pop();
    let path = PathBuf::from(std::ffi::OsString::from_vec(template));
    if mode != Mode::Root {
        let c = CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: chown on a valid C string.
        unsafe { libc::chown(c.as_ptr(), NOBODY, NOBODY) };
    }
    path
}

fn remove_scratch(path: &Path) {
    // Make everything writable first: cases may leave read-only directories behind.
    let _ = Command::new("chmod")
        .arg("-R")
        .arg("u+rwX")
        .arg(path)
        .status();
    if let Err(e) = std::fs::remove_dir_all(path) {
        eprintln!("harness: could not remove {}: {e}", path.display());
    }
}

fn write_file(path: &str, data: &str) -> Result<(), String> {
    std::fs::write(path, data).map_err(|e| format!("write {path}: {e}"))
}

fn check(rc: libc::c_int, what: &str) -> Result<(), String> {
    if rc < 0 {
        return Err(format!("{what}: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

/// Drops to nobody with no capabilities; `/proc/self` stays ours (dumpable) so that the
/// process can write its own id maps afterwards.
fn drop_to_nobody() -> Result<(), String> {
    // SAFETY: plain credential syscalls with constant arguments.
    unsafe {
        check(libc::setgroups(0, std::ptr::null()), "setgroups")?;
        check(libc::setresgid(NOBODY, NOBODY, NOBODY), "setresgid")?;
        check(libc::setresuid(NOBODY, NOBODY, NOBODY), "setresuid")?;
        check(
            libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0),
            "PR_SET_DUMPABLE",
        )?;
    }
    Ok(())
}

/// Turns the calling (single-threaded) process into what [`Mode::Rootless`] gives a case:
/// uid/gid 65534 without capabilities, then its own user namespace (65534 mapped to 0,
/// setgroups denied) and mount namespace with `/` rprivate. For `in_child` bodies of root
/// cases that need an unprivileged user namespace below state root made.
pub fn enter_rootless() {
    enter_mode(Mode::Rootless).unwrap_or_else(|e| panic!("enter rootless mode: {e}"));
}

/// Drops the calling process to uid/gid 65534 without capabilities, keeping it dumpable so
/// it can still write its own id maps after creating a user namespace.
pub fn become_nobody() {
    drop_to_nobody().unwrap_or_else(|e| panic!("drop to nobody: {e}"));
}

fn enter_mode(mode: Mode) -> Result<(), String> {
    match mode {
        Mode::Root => {
            // SAFETY: single-threaded child; constant arguments.
            unsafe {
                check(libc::unshare(libc::CLONE_NEWNS), "unshare(CLONE_NEWNS)")?;
                check(
                    libc::mount(
                        c"none".as_ptr(),
                        c"/".as_ptr(),
                        std::ptr::null(),
                        libc::MS_REC | libc::MS_PRIVATE,
                        std::ptr::null(),
                    ),
                    "make / rprivate",
                )?;
            }
        }
        Mode::Rootless => {
            drop_to_nobody()?;
            // SAFETY: single-threaded child; constant arguments.
            unsafe {
                check(
                    libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS),
                    "unshare(CLONE_NEWUSER|CLONE_NEWNS)",
                )?;
            }
            write_file("/proc/self/setgroups", "deny")?;
            write_file("/proc/self/uid_map", &format!("0 {NOBODY} 1"))?;
            write_file("/proc/self/gid_map", &format!("0 {NOBODY} 1"))?;
            // SAFETY: constant arguments.
            unsafe {
                check(
                    libc::mount(
                        c"none".as_ptr(),
                        c"/".as_ptr(),
                        std::ptr::null(),
                        libc::MS_REC | libc::MS_PRIVATE,
                        std::ptr::null(),
                    ),
                    "make / rprivate",
                )?;
            }
        }
        Mode::Nobody => drop_to_nobody()?,
    }
    Ok(())
}

enum WaitResult {
    Exited(i32),
    Signaled(i32),
    TimedOut,
}

fn wait_with_timeout(pid: libc::pid_t, limit: Duration) -> WaitResult {
    let deadline = Instant::now() + limit;
    loop {
        let mut status = 0;
        // SAFETY: waitpid on our own child with a valid status pointer.
        let rc = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if rc == pid {
            if libc::WIFEXITED(status) {
                return WaitResult::Exited(libc::WEXITSTATUS(status));
            }
            return WaitResult::Signaled(libc::WTERMSIG(status));
        }
        if rc < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return WaitResult::Exited(-1);
        }
        if Instant::now() >= deadline {
            // SAFETY: kill/waitpid on our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return WaitResult::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Collects processes that a case left behind (reparented to us as subreaper). Orphans
/// that had already exited (zombies) are reaped silently: a sandbox that died with its
/// parent is what the case wanted. Processes still running when the case ended are leaks:
/// they are killed, reaped and returned.
fn reap_leftovers() -> Vec<i32> {
    let mut leaked = Vec::new();
    for pid in children_of_self() {
        if !is_zombie(pid) {
            leaked.push(pid);
            // SAFETY: kill on a child of ours.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
    let mut status = 0;
    // SAFETY: reaping every remaining child of ours (the killed ones are about to exit).
    while unsafe {
        libc::waitpid(
            -1,
            &mut status,
            if leaked.is_empty() { libc::WNOHANG } else { 0 },
        )
    } > 0
    {}
    leaked
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

fn children_of_self() -> Vec<i32> {
    let me = std::process::id();
    let path = format!("/proc/{me}/task/{me}/children");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// The host's mount table as the harness sees it: each mountinfo line without its mount
/// ids, sorted. Two snapshots are equal when no case changed the host.
pub fn host_mount_table() -> Vec<String> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    normalize_mountinfo(&text)
}

/// Strips mount ids (fields 1 and 2) from mountinfo text and sorts the lines.
pub fn normalize_mountinfo(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.splitn(3, ' ').nth(2).unwrap_or("").to_owned())
        .collect();
    lines.sort();
    lines
}

/// Runs `f` in a forked child and returns its exit status (0 when `f` returned, 1 when it
/// panicked). For a case that needs a second process, e.g. to look from another
/// namespace. The child inherits the case's namespaces and credentials.
pub fn in_child(f: impl FnOnce()) -> i32 {
    let _ = std::io::stdout().flush();
    // SAFETY: callers are single-threaded cases (the harness forks them that way); the child
    // only runs `f` and exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(()) => 0,
            Err(_) => 1,
        };
        let _ = std::io::stdout().flush();
        // SAFETY: ends the child without running the parent's atexit handlers.
        unsafe { libc::_exit(code) }
    }
    let mut status = 0;
    // SAFETY: waitpid on our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    }
}

/// Runs a command and returns its stdout; panics with its stderr when it fails.
pub fn sh(cmd: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The set of open fd numbers of this process.
pub fn open_fds() -> Vec<i32> {
    let mut fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    fds.sort();
    // Drop the fd read_dir itself had open: it is the one not present in a second listing.
    let again: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    fds.retain(|fd| again.contains(fd));
    fds
}

/// Runs `f` twice and asserts that the second run leaves the process's open fds as the
/// first left them (the first run may open lazily cached descriptors).
pub fn assert_no_fd_leak(mut f: impl FnMut()) {
    f();
    let before = open_fds();
    f();
    let after = open_fds();
    assert_eq!(before, after, "open fds changed across a run");
}

/// Installs a seccomp filter on the calling process (and its future children) that makes
/// each syscall number in `syscalls` fail with `errno` — how tests run the fallback paths
/// for kernels without newer calls (statmount, listmount, mount_setattr, open_tree,
/// openat2, clone3…). Sets no_new_privs. x86_64 only.
pub fn deny_syscalls(syscalls: &[libc::c_long], errno: i32) {
    const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
    let stmt = |code: u16, k: u32| libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    };
    let jump = |code: u16, k: u32, jt: u8, jf: u8| libc::sock_filter { code, jt, jf, k };
    let ld = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    let jeq = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    let ret = (libc::BPF_RET | libc::BPF_K) as u16;
    // struct seccomp_data: nr at offset 0, arch at offset 4.
    let mut prog = vec![
        stmt(ld, 4),
        jump(jeq, AUDIT_ARCH_X86_64, 1, 0),
        stmt(ret, libc::SECCOMP_RET_ALLOW),
        stmt(ld, 0),
    ];
    for &nr in syscalls {
        prog.push(jump(jeq, nr as u32, 0, 1));
        prog.push(stmt(
            ret,
            libc::SECCOMP_RET_ERRNO | (errno as u32 & libc::SECCOMP_RET_DATA),
        ));
    }
    prog.push(stmt(ret, libc::SECCOMP_RET_ALLOW));
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    };
    // SAFETY: fprog points at a valid BPF program that outlives the call; the kernel copies
    // it.
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        let rc = libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &fprog as *const libc::sock_fprog,
        );
        assert_eq!(rc, 0, "seccomp: {}", std::io::Error::last_os_error());
    }
}

/// x86_64 numbers of the newer syscalls libmntns has fallbacks for.
pub mod nr {
    /// `statmount(2)`, Linux 6.8.
    pub const STATMOUNT: libc::c_long = 457;
    /// `listmount(2)`, Linux 6.8.
    pub const LISTMOUNT: libc::c_long = 458;
    /// `mount_setattr(2)`, Linux 5.12.
    pub const MOUNT_SETATTR: libc::c_long = libc::SYS_mount_setattr;
    /// `open_tree(2)`, Linux 5.2.
    pub const OPEN_TREE: libc::c_long = libc::SYS_open_tree;
    /// `move_mount(2)`, Linux 5.2.
    pub const MOVE_MOUNT: libc::c_long = libc::SYS_move_mount;
    /// `fsopen(2)`, Linux 5.2.
    pub const FSOPEN: libc::c_long = libc::SYS_fsopen;
    /// `openat2(2)`, Linux 5.6.
    pub const OPENAT2: libc::c_long = libc::SYS_openat2;
    /// `clone3(2)`, Linux 5.3.
    pub const CLONE3: libc::c_long = libc::SYS_clone3;
    /// `pidfd_open(2)`, Linux 5.3.
    pub const PIDFD_OPEN: libc::c_long = libc::SYS_pidfd_open;
}

/// Prepares a case to bind a mount namespace's nsfs file (`/proc/PID/ns/mnt`) into its own
/// mount namespace. The kernel allows that only when the bound namespace is *newer* than the
/// one it is bound into, and namespace ids come from per-CPU batches, so "created later"
/// means "newer" only on one CPU: this pins the case (and its future children) to CPU 0 and
/// moves it into a mount namespace created there. Call it first.
pub fn prepare_mount_ns_binds() {
    // SAFETY: a cpu_set_t is plain data; this sets the calling process's own affinity and
    // unshares its own mount namespace.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        assert_eq!(
            libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set),
            0
        );
        assert_eq!(
            libc::unshare(libc::CLONE_NEWNS),
            0,
            "unshare: {}",
            std::io::Error::last_os_error()
        );
    }
}
