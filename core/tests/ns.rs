//! Namespaces against the real kernel: unshare, ids, listing, entering. Each case runs in a
//! forked child with its own namespaces (see the mntns-testkit crate).

use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mntns::ns::{ListOptions, NamespaceInfo, Pin, namespaces_with};
use mntns::{Errno, Namespaces, NsFd, NsId, NsKind, NsSource, Pid};
use mntns_testkit::{
    BOTH, Ctx, NOBODY_ONLY, ROOT, ROOTLESS, assert_no_fd_leak, case, deny_syscalls, in_child, nr,
    sh,
};

fn unshare_mount_gives_new_id(_ctx: &Ctx) {
    let before = NsId::of_self(NsKind::Mount).unwrap();
    mntns::unshare(Namespaces::MOUNT).unwrap();
    let after = NsId::of_self(NsKind::Mount).unwrap();
    assert_ne!(before, after);
    // The id prints exactly as readlink shows it.
    let link = sh("readlink /proc/$PPID/ns/mnt");
    assert_eq!(link.trim(), after.to_string());
}

fn unshare_every_kind(_ctx: &Ctx) {
    let before: Vec<_> = NsKind::ALL
        .iter()
        .map(|k| NsId::of_self(*k).unwrap())
        .collect();
    mntns::unshare(Namespaces::all()).unwrap();
    // pid and time apply to children only: the caller keeps its own, and its first child
    // (which becomes pid 1 of the new pid namespace; after it exits no more children can be
    // created there) sees the new ones.
    let children_only = [NsKind::Pid, NsKind::Time];
    for (i, kind) in NsKind::ALL.iter().enumerate() {
        let now = NsId::of_self(*kind).unwrap();
        if children_only.contains(kind) {
            assert_eq!(now, before[i], "{kind}");
        } else {
            assert_ne!(now, before[i], "{kind}");
        }
    }
    let status = in_child(|| {
        assert_eq!(std::process::id(), 1);
        for (i, kind) in NsKind::ALL.iter().enumerate() {
            if children_only.contains(kind) {
                assert_ne!(NsId::of_self(*kind).unwrap(), before[i], "{kind} in child");
            }
        }
    });
    assert_eq!(status, 0);
}

fn unshare_refuses_threads(_ctx: &Ctx) {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || rx.recv().ok());
    for flags in [
        Namespaces::MOUNT,
        Namespaces::USER,
        Namespaces::USER | Namespaces::MOUNT,
    ] {
        let e = mntns::unshare(flags).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        let msg = e.to_string();
        assert!(
            msg.contains("2 threads") && msg.contains("single-threaded"),
            "{msg}"
        );
    }
    // Kinds the kernel applies to the whole process still work from a threaded process.
    mntns::unshare(Namespaces::UTS).unwrap();
    tx.send(()).unwrap();
    t.join().unwrap();
}

/// Namespace count limits are per user namespace, so a rootless case can lower its own
/// (`user.max_mnt_namespaces` inside its user namespace) without touching the host. The
/// error must name the limit and its value.
fn unshare_at_namespace_limit_names_it(_ctx: &Ctx) {
    std::fs::write("/proc/sys/user/max_mnt_namespaces", "1").unwrap();
    std::fs::write("/proc/sys/user/max_uts_namespaces", "0").unwrap();
    let e = mntns::unshare(Namespaces::MOUNT).unwrap_err();
    assert_eq!(e.errno(), Errno::ENOSPC);
    let msg = e.to_string();
    assert!(msg.contains("user.max_mnt_namespaces=1"), "{msg}");
    let e = mntns::unshare(Namespaces::UTS | Namespaces::MOUNT).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("user.max_uts_namespaces=0") && msg.contains("user.max_mnt_namespaces=1"),
        "{msg}"
    );
}

fn unshare_without_privilege_says_why(_ctx: &Ctx) {
    let e = mntns::unshare(Namespaces::MOUNT).unwrap_err();
    assert_eq!(e.errno(), Errno::EPERM);
    let msg = e.to_string();
    assert!(msg.starts_with("unshare mnt: EPERM"), "{msg}");
    assert!(msg.contains("Namespaces::USER"), "{msg}");
    // As nobody, a user namespace together with a mount namespace works.
    let before = NsId::of_self(NsKind::User).unwrap();
    mntns::unshare(Namespaces::USER | Namespaces::MOUNT).unwrap();
    let after = NsId::of_pid(Pid::this(), NsKind::User).unwrap();
    assert_ne!(before, after);
}

fn seccomp_helper_denies(_ctx: &Ctx) {
    mntns_testkit::deny_syscalls(&[mntns_testkit::nr::PIDFD_OPEN], libc::ENOSYS);
    // SAFETY: a raw syscall with plain arguments.
    let rc = unsafe { libc::syscall(libc::SYS_pidfd_open, std::process::id(), 0) };
    assert_eq!(rc, -1);
    assert_eq!(Errno::last(), Errno::ENOSYS);
}

// ---------------------------------------------------------------------------------------
// Helpers: processes that hold namespaces, zombies, mounts, lsns.

/// A forked child that ran `setup` (typically unsharing namespaces) and now waits, keeping
/// its namespaces alive, until the `Held` is dropped.
struct Held {
    pid: Pid,
    release: Option<OwnedFd>,
}

/// The read end of the release pipe in a holder child; grandchildren made by
/// [`fork_waiter`] block on it too.
static RELEASE_FD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid two-element array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 returned two new descriptors that nothing else owns.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// Closes every descriptor above 2 except `keep` (a forked child must not keep other
/// holders' release pipes open, nor the case's namespace fds).
fn close_other_fds(keep: &[i32]) {
    let fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    for fd in fds {
        if fd > 2 && !keep.contains(&fd) {
            // SAFETY: closing a descriptor this process owns (or a stale number: EBADF).
            unsafe { libc::close(fd) };
        }
    }
}

fn hold(setup: impl FnOnce()) -> Held {
    let (ready_r, ready_w) = pipe();
    let (release_r, release_w) = pipe();
    // SAFETY: cases are single-threaded when they call this; the child only runs `setup`
    // and then waits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        drop(ready_r);
        drop(release_w);
        close_other_fds(&[ready_w.as_raw_fd(), release_r.as_raw_fd()]);
        RELEASE_FD.store(release_r.as_raw_fd(), std::sync::atomic::Ordering::SeqCst);
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(setup)).is_ok();
        if ok {
            // SAFETY: one byte from a valid buffer to our pipe.
            unsafe { libc::write(ready_w.as_raw_fd(), b"1".as_ptr().cast(), 1) };
            wait_for_eof(release_r.as_raw_fd());
        }
        // Reap the grandchildren (they see the same end of file and exit).
        // SAFETY: waitpid on our own children.
        while unsafe { libc::waitpid(-1, std::ptr::null_mut(), 0) } > 0 {}
        // SAFETY: ends the child without running the harness's atexit handlers.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) }
    }
    drop(ready_w);
    drop(release_r);
    let mut byte = [0u8; 1];
    // SAFETY: reading one byte into a valid buffer.
    let n = unsafe { libc::read(ready_r.as_raw_fd(), byte.as_mut_ptr().cast(), 1) };
    if n != 1 {
        // SAFETY: waitpid on our own child.
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
        panic!("holder child {pid} failed its setup (see its panic above)");
    }
    Held {
        pid: Pid::from_raw(pid).unwrap(),
        release: Some(release_w),
    }
}

fn wait_for_eof(fd: i32) {
    let mut byte = [0u8; 1];
    // SAFETY: reading into a valid buffer until end of file.
    while unsafe { libc::read(fd, byte.as_mut_ptr().cast(), 1) } != 0 {}
}

/// In a holder's setup: forks a grandchild that waits for the same release (so one
/// namespace has two processes).
fn fork_waiter() -> Pid {
    // SAFETY: the holder child is single-threaded.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        wait_for_eof(RELEASE_FD.load(std::sync::atomic::Ordering::SeqCst));
        // SAFETY: ends the grandchild.
        unsafe { libc::_exit(0) }
    }
    Pid::from_raw(pid).unwrap()
}

impl Held {
    fn pid(&self) -> Pid {
        self.pid
    }

    /// Lets the child exit and reaps it.
    fn release(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if self.release.take().is_some() {
            let mut status = 0;
            // SAFETY: waitpid on our own child.
            unsafe { libc::waitpid(self.pid.as_raw(), &mut status, 0) };
            assert!(
                libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                "holder {} ended with status {status:#x}",
                self.pid
            );
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.release.take().is_some() {
            // SAFETY: waitpid on our own child.
            unsafe { libc::waitpid(self.pid.as_raw(), std::ptr::null_mut(), 0) };
        }
    }
}

/// A child that has exited but is not reaped yet. Reap it with [`reap`].
fn zombie() -> Pid {
    // SAFETY: single-threaded case; the child exits at once.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        // SAFETY: ends the child.
        unsafe { libc::_exit(0) }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let state = stat.rsplit_once(')').unwrap().1.trim_start().chars().next();
        if state == Some('Z') {
            return Pid::from_raw(pid).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "child {pid} never became a zombie"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn reap(pid: Pid) {
    // SAFETY: waitpid on our own child.
    let rc = unsafe { libc::waitpid(pid.as_raw(), std::ptr::null_mut(), 0) };
    assert_eq!(rc, pid.as_raw());
}

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

fn mount_tmpfs(target: &Path) {
    let t = cpath(target);
    // SAFETY: valid C strings; a plain tmpfs mount in this process's own mount namespace.
    let rc = unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            t.as_ptr(),
            c"tmpfs".as_ptr(),
            0,
            c"size=1m".as_ptr().cast(),
        )
    };
    assert_eq!(
        rc,
        0,
        "mount tmpfs on {}: {}",
        target.display(),
        Errno::last()
    );
}

fn bind(source: &Path, target: &Path) {
    let (s, t) = (cpath(source), cpath(target));
    // SAFETY: valid C strings; a bind mount in this process's own mount namespace.
    let rc = unsafe {
        libc::mount(
            s.as_ptr(),
            t.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        )
    };
    assert_eq!(
        rc,
        0,
        "bind {} on {}: {}",
        source.display(),
        target.display(),
        Errno::last()
    );
}

fn umount(target: &Path) {
    let t = cpath(target);
    // SAFETY: a valid C string.
    assert_eq!(unsafe { libc::umount2(t.as_ptr(), libc::MNT_DETACH) }, 0);
}

fn is_tmpfs(path: &Path) -> bool {
    let c = cpath(path);
    let mut st = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: valid C string and out pointer.
    assert_eq!(unsafe { libc::statfs(c.as_ptr(), st.as_mut_ptr()) }, 0);
    // SAFETY: statfs returned 0.
    let st = unsafe { st.assume_init() };
    st.f_type == libc::TMPFS_MAGIC
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its length.
    assert_eq!(
        unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) },
        0
    );
    let end = buf.iter().position(|&b| b == 0).unwrap();
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

fn set_hostname(name: &str) {
    // SAFETY: a valid buffer and its length.
    let rc = unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) };
    assert_eq!(rc, 0, "sethostname: {}", Errno::last());
}

/// Writes the id maps of a process that just unshared a user namespace: its outer uid and
/// gid (0 in both modes: root, or root of the rootless case's namespace) map to 0.
fn map_self_to_root() {
    std::fs::write("/proc/self/setgroups", "deny").unwrap();
    std::fs::write("/proc/self/uid_map", "0 0 1").unwrap();
    std::fs::write("/proc/self/gid_map", "0 0 1").unwrap();
}

fn readlink_ns(pid: Pid, kind: NsKind) -> String {
    std::fs::read_link(format!("/proc/{pid}/ns/{}", kind.name()))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn pidfd(pid: Pid) -> OwnedFd {
    // SAFETY: pidfd_open with a pid and no flags.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
    assert!(fd >= 0, "pidfd_open {pid}: {}", Errno::last());
    // SAFETY: a new descriptor that nothing else owns.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

fn find(list: &[NamespaceInfo], id: NsId) -> &NamespaceInfo {
    list.iter()
        .find(|n| n.id == id)
        .unwrap_or_else(|| panic!("{id} not listed"))
}

// A minimal JSON reader for lsns -J output (objects, arrays, strings, numbers, literals).
#[derive(Clone, Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

fn parse_json(text: &str) -> Json {
    fn ws(s: &[u8], i: &mut usize) {
        while *i < s.len() && s[*i].is_ascii_whitespace() {
            *i += 1;
        }
    }
    fn string(s: &[u8], i: &mut usize) -> String {
        assert_eq!(s[*i], b'"');
        *i += 1;
        let mut out = Vec::new();
        loop {
            let c = s[*i];
            *i += 1;
            match c {
                b'"' => return String::from_utf8(out).unwrap(),
                b'\\' => {
                    let e = s[*i];
                    *i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = std::str::from_utf8(&s[*i..*i + 4]).unwrap();
                            *i += 4;
                            let c = char::from_u32(u32::from_str_radix(hex, 16).unwrap())
                                .unwrap_or('\u{fffd}');
                            out.extend_from_slice(c.to_string().as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
    }
    fn value(s: &[u8], i: &mut usize) -> Json {
        ws(s, i);
        match s[*i] {
            b'{' => {
                *i += 1;
                let mut map = BTreeMap::new();
                loop {
                    ws(s, i);
                    if s[*i] == b'}' {
                        *i += 1;
                        return Json::Obj(map);
                    }
                    if s[*i] == b',' {
                        *i += 1;
                        ws(s, i);
                    }
                    let k = string(s, i);
                    ws(s, i);
                    assert_eq!(s[*i], b':');
                    *i += 1;
                    let v = value(s, i);
                    map.insert(k, v);
                }
            }
            b'[' => {
                *i += 1;
                let mut items = Vec::new();
                loop {
                    ws(s, i);
                    if s[*i] == b']' {
                        *i += 1;
                        return Json::Arr(items);
                    }
                    if s[*i] == b',' {
                        *i += 1;
                    }
                    items.push(value(s, i));
                }
            }
            b'"' => Json::Str(string(s, i)),
            b'n' => {
                *i += 4;
                Json::Null
            }
            b't' => {
                *i += 4;
                Json::Bool(true)
            }
            b'f' => {
                *i += 5;
                Json::Bool(false)
            }
            _ => {
                let start = *i;
                while *i < s.len() && b"+-0123456789.eE".contains(&s[*i]) {
                    *i += 1;
                }
                Json::Num(std::str::from_utf8(&s[start..*i]).unwrap().parse().unwrap())
            }
        }
    }
    let mut i = 0;
    value(text.as_bytes(), &mut i)
}

/// One lsns row, reduced to the columns both sides have.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    ns: u64,
    kind: String,
    nprocs: u64,
    pid: Option<i32>,
    user: Option<String>,
    command: Option<String>,
}

/// `lsns -J -l -t KIND` (flat list mode): its rows and the pid of the lsns process.
///
/// lsns 2.38 itself fails now and then when a process exits while it reads it (fixed in
/// later versions, which skip such processes as we do); such runs are retried.
fn lsns(kind: NsKind) -> (Vec<Row>, Pid) {
    for _ in 0..50 {
        if let Some(result) = lsns_once(kind) {
            return result;
        }
    }
    panic!("lsns -t {kind} failed 50 times in a row");
}

fn lsns_once(kind: NsKind) -> Option<(Vec<Row>, Pid)> {
    let child = Command::new("lsns")
        .args(["-J", "-l", "-t", kind.name()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run lsns");
    let lsns_pid = Pid::from_raw(child.id() as i32).unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        eprintln!(
            "note: lsns failed ({:?}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    let json = parse_json(&String::from_utf8(out.stdout).unwrap());
    let Json::Obj(top) = json else {
        panic!("lsns output is not an object")
    };
    let Some(Json::Arr(items)) = top.get("namespaces") else {
        return Some((Vec::new(), lsns_pid));
    };
    let num = |v: Option<&Json>| match v {
        Some(Json::Num(n)) => Some(*n as u64),
        Some(Json::Str(s)) => s.parse().ok(),
        _ => None,
    };
    let text = |v: Option<&Json>| match v {
        Some(Json::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let rows = items
        .iter()
        .map(|item| {
            let Json::Obj(o) = item else {
                panic!("lsns row is not an object")
            };
            Row {
                ns: num(o.get("ns")).unwrap(),
                kind: text(o.get("type")).unwrap(),
                nprocs: num(o.get("nprocs")).unwrap_or(0),
                pid: num(o.get("pid")).map(|p| p as i32),
                user: text(o.get("user")),
                command: text(o.get("command")),
            }
        })
        .collect();
    Some((rows, lsns_pid))
}

/// Our listing as lsns rows: only namespaces with a process (lsns 2.38 lists no others).
fn rows_of(list: &[NamespaceInfo]) -> Vec<Row> {
    list.iter()
        .filter(|n| n.nprocs > 0)
        .map(|n| Row {
            ns: n.id.inode(),
            kind: n.kind().name().to_owned(),
            nprocs: n.nprocs as u64,
            pid: n.pid.map(Pid::as_raw),
            user: n.user.clone(),
            command: n.command.clone(),
        })
        .collect()
}

/// What lsns should print given our listing, when the lsns process itself was running in
/// the caller's `kind` namespace: one more process there, and its pid when it is lower.
fn expected_by_lsns(ours: &[Row], kind: NsKind, lsns_pid: Pid) -> Vec<Row> {
    let mine = NsId::of_self(kind).unwrap().inode();
    ours.iter()
        .cloned()
        .map(|mut r| {
            if r.ns == mine {
                r.nprocs += 1;
                if r.pid.is_none_or(|p| p > lsns_pid.as_raw()) {
                    r.pid = Some(lsns_pid.as_raw());
                    r.user = None;
                    r.command = None;
                }
            }
            r
        })
        .collect()
}

fn comparable(mut lsns_rows: Vec<Row>, lsns_pid: Pid) -> Vec<Row> {
    for r in &mut lsns_rows {
        if r.pid == Some(lsns_pid.as_raw()) {
            r.user = None;
            r.command = None;
        }
    }
    lsns_rows
}

// ---------------------------------------------------------------------------------------
// Ids.

fn ids_equal_readlink(ctx: &Ctx) {
    let child =
        hold(|| mntns::unshare(Namespaces::UTS | Namespaces::NET | Namespaces::MOUNT).unwrap());
    let mut pids = vec![Pid::this(), child.pid()];
    // The harness's parent is visible to root only (rootless may not inspect it).
    if ctx.mode == mntns_testkit::Mode::Root {
        pids.push(Pid::from_raw(std::os::unix::process::parent_id() as i32).unwrap());
    }
    assert_no_fd_leak(|| {
        for &pid in &pids {
            let fd = pidfd(pid);
            for kind in NsKind::ALL {
                let id = NsId::of_pid(pid, kind).unwrap();
                assert_eq!(id.to_string(), readlink_ns(pid, kind), "{pid} {kind}");
                assert_eq!(
                    NsId::of_pidfd(fd.as_fd(), kind).unwrap(),
                    id,
                    "{pid} {kind}"
                );
                assert_eq!(NsFd::of_pid(pid, kind).unwrap().id(), id);
                let parsed: NsId = readlink_ns(pid, kind).parse().unwrap();
                assert_eq!(parsed, id);
            }
        }
    });
    // The child's unshared kinds differ from ours, the others are shared.
    for kind in NsKind::ALL {
        let same = NsId::of_pid(child.pid(), kind).unwrap() == NsId::of_self(kind).unwrap();
        let unshared = matches!(kind, NsKind::Uts | NsKind::Net | NsKind::Mount);
        assert_eq!(same, !unshared, "{kind}");
    }
    child.release();
}

fn ids_of_exited_processes(_ctx: &Ctx) {
    let z = zombie();
    let zfd = pidfd(z);
    assert_no_fd_leak(|| {
        for kind in NsKind::ALL {
            let e = NsId::of_pid(z, kind).unwrap_err();
            assert_eq!(e.errno(), Errno::ESRCH, "{e}");
            assert!(
                e.to_string().contains(&format!("process {z} has exited")),
                "{e}"
            );
            let e = NsId::of_pidfd(zfd.as_fd(), kind).unwrap_err();
            assert_eq!(e.errno(), Errno::ESRCH, "{e}");
            assert!(e.to_string().contains("has exited"), "{e}");
        }
    });
    reap(z);
    assert_no_fd_leak(|| {
        let e = NsId::of_pid(z, NsKind::Mount).unwrap_err();
        assert_eq!(e.errno(), Errno::ESRCH, "{e}");
        assert!(
            e.to_string().contains(&format!("process {z} has exited")),
            "{e}"
        );
        let e = NsId::of_pidfd(zfd.as_fd(), NsKind::Mount).unwrap_err();
        assert_eq!(e.errno(), Errno::ESRCH, "{e}");
    });
}

// ---------------------------------------------------------------------------------------
// Listing.

/// Oracle: our listing equals `lsns -J -l -t KIND` for every kind. Root only: a rootless
/// case may inspect only its own processes, so its view and lsns's (run the same way) are
/// both tiny; `list_sanity` covers that mode.
fn list_equals_lsns(ctx: &Ctx) {
    assert_eq!(ctx.mode, mntns_testkit::Mode::Root);
    // Extra namespaces: one process in new mount/net/uts/ipc namespaces, one with two
    // processes (a grandchild shares them), one in a new user namespace.
    let a = hold(|| {
        mntns::unshare(Namespaces::MOUNT | Namespaces::NET | Namespaces::UTS | Namespaces::IPC)
            .unwrap()
    });
    let b = hold(|| {
        mntns::unshare(Namespaces::MOUNT | Namespaces::NET | Namespaces::CGROUP).unwrap();
        fork_waiter();
    });
    let c = hold(|| {
        mntns::unshare(Namespaces::USER | Namespaces::MOUNT).unwrap();
        map_self_to_root();
    });
    let created: Vec<NsId> = [&a, &b, &c]
        .iter()
        .flat_map(|h| NsKind::ALL.map(|k| NsId::of_pid(h.pid(), k).unwrap()))
        .filter(|id| *id != NsId::of_self(id.kind()).unwrap())
        .collect();
    assert!(created.len() >= 9, "{created:?}");

    for kind in NsKind::ALL {
        let opts = ListOptions::new().kind(Some(kind));
        let mut verified_whole_table = false;
        for _attempt in 0..20 {
            let before = rows_of(&namespaces_with(&opts).unwrap());
            let (theirs, lsns_pid) = lsns(kind);
            let after = rows_of(&namespaces_with(&opts).unwrap());
            let theirs = comparable(theirs, lsns_pid);
            // Our namespaces are fully under this case's control: they must always match.
            for id in created.iter().filter(|id| id.kind() == kind) {
                let ours = before.iter().find(|r| r.ns == id.inode()).unwrap();
                let row = theirs.iter().find(|r| r.ns == id.inode());
                assert_eq!(row, Some(ours), "{id}: lsns vs ours");
            }
            assert_eq!(
                before
                    .iter()
                    .filter(|r| created.iter().any(|c| c.inode() == r.ns))
                    .count(),
                created.iter().filter(|c| c.kind() == kind).count()
            );
            // The whole table, when no other process came or went meanwhile (other
            // processes on the host may churn; then try again).
            if before == after && theirs == expected_by_lsns(&before, kind, lsns_pid) {
                verified_whole_table = true;
                break;
            }
        }
        if !verified_whole_table {
            // A host this busy still gets the invariant checks: every namespace lsns shows
            // with processes is one we list too.
            let ours = namespaces_with(&opts).unwrap();
            let (theirs, _) = lsns(kind);
            let ours_after = namespaces_with(&opts).unwrap();
            for r in &theirs {
                let known = |l: &[NamespaceInfo]| l.iter().any(|n| n.id.inode() == r.ns);
                assert!(
                    known(&ours) || known(&ours_after),
                    "lsns lists {r:?}, we do not"
                );
            }
            eprintln!("note: {kind}: host too busy for a whole-table comparison");
        }
        eprintln!("{kind}: whole table equals lsns: {verified_whole_table}");
    }
    a.release();
    b.release();
    c.release();
}

/// What any caller sees of its own processes, root or rootless: its namespaces with its
/// pids, a child's new namespaces with the child as lowest pid, uid, user, command and
/// owner as /proc says.
fn list_sanity(_ctx: &Ctx) {
    let child =
        hold(|| mntns::unshare(Namespaces::UTS | Namespaces::IPC | Namespaces::MOUNT).unwrap());
    let list = mntns::namespaces(None).unwrap();
    let me = Pid::this();
    for kind in NsKind::ALL {
        let ns = find(&list, NsId::of_self(kind).unwrap());
        assert!(ns.pids.contains(&me), "{}: {:?}", ns.id, ns.pids);
        assert_eq!(ns.nprocs, ns.pids.len());
        assert_eq!(ns.pin(), Some(&Pin::Process(ns.pid.unwrap())));
    }
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.pid())).unwrap();
    let mut expected = cmdline.clone();
    expected.pop();
    let expected = String::from_utf8_lossy(&expected).replace('\0', " ");
    let owner_uid = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(format!("/proc/{}", child.pid()))
            .unwrap()
            .uid()
    };
    for kind in [NsKind::Uts, NsKind::Ipc, NsKind::Mount] {
        let id = NsId::of_pid(child.pid(), kind).unwrap();
        let ns = find(&list, id);
        assert_eq!(ns.nprocs, 1, "{id}");
        assert_eq!(ns.pids, vec![child.pid()]);
        assert_eq!(ns.pid, Some(child.pid()));
        assert_eq!(ns.uid, Some(owner_uid));
        // uid 0 is root in both modes (the rootless case's uid maps to 0 inside).
        assert_eq!(ns.user.as_deref(), Some("root"));
        assert_eq!(ns.command.as_deref(), Some(expected.as_str()));
        assert_eq!(ns.owner, Some(NsId::of_self(NsKind::User).unwrap()), "{id}");
        assert_eq!(ns.parent, None);
        assert_eq!(ns.kernel_id.is_some(), kind == NsKind::Mount);
        assert_eq!(ns.open().unwrap().id(), id);
    }
    // Sorted like lsns: by inode.
    assert!(list.windows(2).all(|w| w[0].id.inode() < w[1].id.inode()));
    // Single kinds list the same namespaces as the full listing.
    for kind in NsKind::ALL {
        let one = mntns::namespaces(Some(kind)).unwrap();
        assert!(one.iter().all(|n| n.kind() == kind));
        for n in one
            .iter()
            .filter(|n| n.pids.contains(&me) || n.pids.contains(&child.pid()))
        {
            assert!(list.iter().any(|m| m.id == n.id), "{}", n.id);
        }
    }
    child.release();
}

/// Namespaces no process is in, held by an open fd or by a bind mount of their nsfs file
/// (in this case's mount table, or in another mount namespace's), are listed with nprocs 0
/// and the right pin, found by id, and opened.
fn list_pinned_by_fd_and_bind_mount(ctx: &Ctx) {
    mntns_testkit::prepare_mount_ns_binds();
    let me = Pid::this();
    // 1. A mount namespace pinned by a bind mount of /proc/PID/ns/mnt onto a file here
    //    (allowed: the namespace is newer than this case's own).
    let mnt_file = ctx.scratch().join("mnt-pin");
    std::fs::write(&mnt_file, "").unwrap();
    let x = hold(|| mntns::unshare(Namespaces::MOUNT).unwrap());
    let mnt_by_mount = NsId::of_pid(x.pid(), NsKind::Mount).unwrap();
    bind(
        &PathBuf::from(format!("/proc/{}/ns/mnt", x.pid())),
        &mnt_file,
    );
    x.release();
    // 2. A net namespace pinned by a bind mount here, as `ip netns add` does.
    let net_file = ctx.scratch().join("net-pin");
    std::fs::write(&net_file, "").unwrap();
    let y = hold(|| mntns::unshare(Namespaces::NET).unwrap());
    let net_by_mount = NsId::of_pid(y.pid(), NsKind::Net).unwrap();
    bind(
        &PathBuf::from(format!("/proc/{}/ns/net", y.pid())),
        &net_file,
    );
    y.release();
    // 3. A mount and a user namespace pinned only by fds this process holds.
    let z = hold(|| {
        mntns::unshare(Namespaces::USER | Namespaces::MOUNT).unwrap();
        map_self_to_root();
    });
    let mnt_fd = NsFd::of_pid(z.pid(), NsKind::Mount).unwrap();
    let user_fd = NsFd::of_pid(z.pid(), NsKind::User).unwrap();
    z.release();
    // 4. A net namespace pinned by a bind mount that exists only in another process's
    //    mount namespace.
    let other_file = ctx.scratch().join("net-pin-elsewhere");
    std::fs::write(&other_file, "").unwrap();
    let w = hold(|| mntns::unshare(Namespaces::NET).unwrap());
    let net_elsewhere = NsId::of_pid(w.pid(), NsKind::Net).unwrap();
    let w_path = PathBuf::from(format!("/proc/{}/ns/net", w.pid()));
    let g = hold(|| {
        mntns::unshare(Namespaces::MOUNT).unwrap();
        bind(&w_path, &other_file);
    });
    w.release();

    let list = mntns::namespaces(None).unwrap();
    let check = |id: NsId, pin: &Pin| {
        let ns = find(&list, id);
        assert_eq!(ns.nprocs, 0, "{id}: {ns:?}");
        assert_eq!(ns.pid, None);
        assert_eq!(ns.pids, Vec::<Pid>::new());
        assert_eq!(ns.command, None);
        assert!(ns.pins.contains(pin), "{id}: {:?} lacks {pin}", ns.pins);
        assert!(
            ns.pins.iter().all(|p| !matches!(p, Pin::Process(_))),
            "{id}: {:?}",
            ns.pins
        );
        assert_eq!(NsFd::find(id).unwrap().id(), id);
        assert_eq!(ns.open().unwrap().id(), id);
        assert!(ns.owner.is_some(), "{id}");
        ns.clone()
    };
    let m = check(
        mnt_by_mount,
        &Pin::BindMount {
            path: mnt_file.clone(),
        },
    );
    assert!(m.kernel_id.is_some());
    check(
        net_by_mount,
        &Pin::BindMount {
            path: net_file.clone(),
        },
    );
    let fd_pin = |fd: &NsFd| Pin::Fd {
        pid: me,
        fd: fd.as_raw_fd(),
    };
    check(mnt_fd.id(), &fd_pin(&mnt_fd));
    let u = check(user_fd.id(), &fd_pin(&user_fd));
    assert_eq!(u.parent, Some(NsId::of_self(NsKind::User).unwrap()));
    let elsewhere = PathBuf::from(format!("/proc/{}/root{}", g.pid(), other_file.display()));
    check(net_elsewhere, &Pin::BindMount { path: elsewhere });
    // This case's own table does not have the other namespace's bind mount.
    assert!(!sh("cat /proc/self/mounts").contains("net-pin-elsewhere"));

    // Kind filters see them too.
    let mounts = mntns::namespaces(Some(NsKind::Mount)).unwrap();
    assert!(mounts.iter().any(|n| n.id == mnt_by_mount));
    assert!(mounts.iter().any(|n| n.id == mnt_fd.id()));
    assert!(mounts.iter().all(|n| n.kind() == NsKind::Mount));

    // lsns 2.38 lists only namespaces some process is in; newer versions also list
    // these (with no PID). Whatever it shows of them must agree with nprocs 0.
    if ctx.mode == mntns_testkit::Mode::Root {
        for id in [
            mnt_by_mount,
            net_by_mount,
            mnt_fd.id(),
            user_fd.id(),
            net_elsewhere,
        ] {
            let (rows, _) = lsns(id.kind());
            match rows.iter().find(|r| r.ns == id.inode()) {
                Some(r) => assert_eq!(r.nprocs, 0, "{r:?}"),
                None => eprintln!("note: lsns does not list {id} (held without a process)"),
            }
        }
    }

    // Once nothing holds them, they are gone.
    g.release();
    umount(&mnt_file);
    umount(&net_file);
    let (mnt_id, user_id) = (mnt_fd.id(), user_fd.id());
    drop(mnt_fd);
    drop(user_fd);
    let after = mntns::namespaces(None).unwrap();
    for id in [mnt_by_mount, net_by_mount, mnt_id, user_id, net_elsewhere] {
        assert!(after.iter().all(|n| n.id != id), "{id} still listed");
        let e = NsFd::find(id).unwrap_err();
        assert_eq!(e.errno(), Errno::ENOENT);
        assert!(
            e.to_string()
                .contains(&format!("no process or mount holds namespace {id}")),
            "{e}"
        );
    }
}

/// Listing while processes come and go: every call succeeds.
fn list_survives_churn(_ctx: &Ctx) {
    let (stop_r, stop_w) = pipe();
    // SAFETY: single-threaded case; the child only forks and reaps.
    let churner = unsafe { libc::fork() };
    assert!(churner >= 0);
    if churner == 0 {
        drop(stop_w);
        let mut n = 0u64;
        loop {
            let mut pfd = libc::pollfd {
                fd: stop_r.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd, no wait.
            if unsafe { libc::poll(&mut pfd, 1, 0) } != 0 {
                // SAFETY: ends the churner.
                unsafe { libc::_exit(0) }
            }
            n += 1;
            // SAFETY: the churner is single-threaded; its children exit at once.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                if n % 3 == 0 {
                    // A namespace that appears and vanishes mid-scan.
                    // SAFETY: plain unshare in a single-threaded child.
                    unsafe { libc::unshare(libc::CLONE_NEWUTS) };
                }
                // SAFETY: ends the short-lived child.
                unsafe { libc::_exit(0) }
            }
            if pid > 0 {
                // SAFETY: waitpid on our own child.
                unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
            }
        }
    }
    drop(stop_r);
    let churner = Pid::from_raw(churner).unwrap();
    let mine = NsId::of_self(NsKind::Uts).unwrap();
    for i in 0..50 {
        let list = mntns::namespaces(None)
            .unwrap_or_else(|e| panic!("listing {i} failed during churn: {e}"));
        assert!(list.iter().any(|n| n.id == mine));
        match NsFd::find(NsId::of_pid(churner, NsKind::Mount).unwrap()) {
            Ok(fd) => assert_eq!(fd.kind(), NsKind::Mount),
            Err(e) => panic!("find during churn: {e}"),
        }
    }
    drop(stop_w);
    reap(churner);
}

// ---------------------------------------------------------------------------------------
// Owner, parent, 64-bit id.

fn owner_parent_and_kernel_id(_ctx: &Ctx) {
    let child = hold(|| {
        mntns::unshare(Namespaces::USER | Namespaces::MOUNT).unwrap();
        map_self_to_root();
    });
    let my_user = NsId::of_self(NsKind::User).unwrap();
    let user = NsFd::of_pid(child.pid(), NsKind::User).unwrap();
    let mnt = NsFd::of_pid(child.pid(), NsKind::Mount).unwrap();
    assert_ne!(user.id(), my_user);
    // Its user namespace's parent is ours; its mount namespace is owned by its own user
    // namespace; our mount namespace is owned by our user namespace.
    assert_eq!(user.parent().unwrap().map(|p| p.id()), Some(my_user));
    assert_eq!(user.owner().unwrap().id(), my_user);
    assert_eq!(mnt.owner().unwrap().id(), user.id());
    let my_mnt = NsFd::of_self(NsKind::Mount).unwrap();
    assert_eq!(my_mnt.owner().unwrap().id(), my_user);
    // The listing says the same.
    let list = mntns::namespaces(None).unwrap();
    let u = find(&list, user.id());
    assert_eq!(u.parent, Some(my_user));
    assert_eq!(u.owner, Some(my_user));
    let m = find(&list, mnt.id());
    assert_eq!(m.owner, Some(user.id()));
    assert_eq!(m.parent, None);
    // The 64-bit id: stable while held, different for another namespace, the same through
    // another fd and in the listing.
    let kid = mnt
        .kernel_id()
        .unwrap()
        .expect("NS_GET_MNTNS_ID on Linux 6.8+");
    assert_eq!(mnt.kernel_id().unwrap(), Some(kid));
    assert_eq!(
        NsFd::of_pid(child.pid(), NsKind::Mount)
            .unwrap()
            .kernel_id()
            .unwrap(),
        Some(kid)
    );
    assert_eq!(m.kernel_id, Some(kid));
    let mine = my_mnt.kernel_id().unwrap().unwrap();
    assert_ne!(mine, kid);
    assert_eq!(find(&list, my_mnt.id()).kernel_id, Some(mine));
    child.release();
    // Still held by `mnt`: the same id after the process is gone.
    assert_eq!(mnt.kernel_id().unwrap(), Some(kid));
}

// ---------------------------------------------------------------------------------------
// Entering.

const NAME: &str = "mntns-enter-test";

/// A child with its own uts (hostname set) and mount namespace (a tmpfs mounted on `dir`).
fn uts_and_mount_holder(dir: &Path) -> Held {
    let dir = dir.to_path_buf();
    hold(move || {
        mntns::unshare(Namespaces::UTS | Namespaces::MOUNT).unwrap();
        set_hostname(NAME);
        mount_tmpfs(&dir);
    })
}

fn enter_by_pid_path_and_fd(ctx: &Ctx) {
    let dir = ctx.dir("m");
    let x = uts_and_mount_holder(&dir);
    let pid = x.pid();
    assert_ne!(hostname(), NAME);
    assert!(!is_tmpfs(&dir));
    let run = |what: &str, f: &dyn Fn()| {
        let status = in_child(f);
        assert_eq!(status, 0, "{what}");
    };
    // By pid (one setns on a pidfd joins both).
    run("pid", &|| {
        mntns::enter(NsSource::Pid(pid), Namespaces::UTS | Namespaces::MOUNT).unwrap();
        assert_eq!(hostname(), NAME);
        assert!(is_tmpfs(&dir));
        assert_eq!(
            NsId::of_self(NsKind::Mount).unwrap(),
            NsId::of_pid(pid, NsKind::Mount).unwrap()
        );
    });
    run("enter_pid", &|| {
        mntns::ns::enter_pid(pid, Namespaces::UTS).unwrap();
        assert_eq!(hostname(), NAME);
        assert!(!is_tmpfs(&dir));
    });
    // By pidfd.
    run("pidfd", &|| {
        let fd = pidfd(pid);
        mntns::enter(
            NsSource::PidFd(fd.as_fd()),
            Namespaces::UTS | Namespaces::MOUNT,
        )
        .unwrap();
        assert_eq!(hostname(), NAME);
        assert!(is_tmpfs(&dir));
    });
    // By path, with and without naming the kind.
    run("path", &|| {
        let p = PathBuf::from(format!("/proc/{pid}/ns/uts"));
        mntns::enter(NsSource::Path(&p), Namespaces::UTS).unwrap();
        assert_eq!(hostname(), NAME);
        let p = PathBuf::from(format!("/proc/{pid}/ns/mnt"));
        mntns::ns::enter_path(&p).unwrap();
        assert!(is_tmpfs(&dir));
    });
    // By an open fd.
    run("fd", &|| {
        let uts = NsFd::of_pid(pid, NsKind::Uts).unwrap();
        let mnt = NsFd::of_pid(pid, NsKind::Mount).unwrap();
        mntns::enter(NsSource::Fd(uts.as_fd()), Namespaces::empty()).unwrap();
        assert_eq!(hostname(), NAME);
        mntns::ns::enter_fd(mnt.as_fd()).unwrap();
        assert!(is_tmpfs(&dir));
    });
    // The fallback for kernels without pidfd_open: /proc/PID/ns/* one by one.
    run("fallback", &|| {
        deny_syscalls(&[nr::PIDFD_OPEN], libc::ENOSYS);
        mntns::enter(NsSource::Pid(pid), Namespaces::UTS | Namespaces::MOUNT).unwrap();
        assert_eq!(hostname(), NAME);
        assert!(is_tmpfs(&dir));
    });
    // None of that moved this process.
    assert_ne!(hostname(), NAME);
    assert!(!is_tmpfs(&dir));
    x.release();
}

/// A fresh process joins a rootless child's user and mount namespaces (user first, so its
/// capabilities cover the mount namespace), with and without pidfds.
fn enter_user_and_mount(ctx: &Ctx) {
    let dir = ctx.dir("m");
    let d = dir.clone();
    let x = hold(move || {
        mntns::unshare(Namespaces::USER | Namespaces::MOUNT).unwrap();
        map_self_to_root();
        mount_tmpfs(&d);
    });
    let pid = x.pid();
    let theirs = NsId::of_pid(pid, NsKind::User).unwrap();
    for fallback in [false, true] {
        let status = in_child(|| {
            if fallback {
                deny_syscalls(&[nr::PIDFD_OPEN], libc::ENOSYS);
            }
            mntns::enter(NsSource::Pid(pid), Namespaces::USER | Namespaces::MOUNT).unwrap();
            assert_eq!(NsId::of_self(NsKind::User).unwrap(), theirs);
            assert!(is_tmpfs(&dir));
            // Its own capabilities now: it may mount in that namespace.
            mount_tmpfs(&dir);
        });
        assert_eq!(status, 0, "fallback={fallback}");
    }
    assert!(!is_tmpfs(&dir));
    x.release();
}

fn enter_exited_process(_ctx: &Ctx) {
    let z = zombie();
    let zfd = pidfd(z);
    let expect_exited = |e: mntns::Error| {
        assert_eq!(e.errno(), Errno::ESRCH, "{e}");
        assert!(
            e.to_string().contains(&format!("process {z} has exited")),
            "{e}"
        );
    };
    // A zombie still shows its user and pid namespaces in /proc; it has exited all the
    // same.
    let sets = [
        Namespaces::UTS,
        Namespaces::USER | Namespaces::PID,
        Namespaces::PID,
        Namespaces::all(),
    ];
    assert_no_fd_leak(|| {
        for kinds in sets {
            expect_exited(mntns::enter(NsSource::Pid(z), kinds).unwrap_err());
            expect_exited(mntns::enter(NsSource::PidFd(zfd.as_fd()), kinds).unwrap_err());
        }
    });
    let status = in_child(|| {
        deny_syscalls(&[nr::PIDFD_OPEN], libc::ENOSYS);
        assert_no_fd_leak(|| {
            for kinds in sets {
                expect_exited(mntns::enter(NsSource::Pid(z), kinds).unwrap_err());
            }
        });
    });
    assert_eq!(status, 0);
    reap(z);
    assert_no_fd_leak(|| {
        expect_exited(
            mntns::enter(NsSource::Pid(z), Namespaces::UTS | Namespaces::NET).unwrap_err(),
        );
        let e = mntns::enter(NsSource::PidFd(zfd.as_fd()), Namespaces::UTS).unwrap_err();
        assert_eq!(e.errno(), Errno::ESRCH, "{e}");
        assert!(e.to_string().contains("has exited"), "{e}");
    });
    let status = in_child(|| {
        deny_syscalls(&[nr::PIDFD_OPEN], libc::ENOSYS);
        expect_exited(mntns::enter(NsSource::Pid(z), Namespaces::UTS).unwrap_err());
    });
    assert_eq!(status, 0);
}

fn enter_refuses_bad_kinds(_ctx: &Ctx) {
    let uts = Path::new("/proc/self/ns/uts");
    let e = mntns::enter(NsSource::Path(uts), Namespaces::NET).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    let msg = e.to_string();
    assert!(
        msg.contains("uts namespace") && msg.contains("not net"),
        "{msg}"
    );
    assert_eq!(e.path(), Some(uts));
    let user = NsFd::of_self(NsKind::User).unwrap();
    let e = mntns::enter(NsSource::Fd(user.as_fd()), Namespaces::MOUNT).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    assert!(
        e.to_string().contains("user namespace") && e.to_string().contains("not mnt"),
        "{e}"
    );
    let e = mntns::enter(NsSource::Path(uts), Namespaces::UTS | Namespaces::NET).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    assert!(e.to_string().contains("uts,net"), "{e}");
    let e = mntns::enter(NsSource::Pid(Pid::this()), Namespaces::empty()).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    let e = mntns::ns::enter_path(Path::new("/proc/self/status")).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    assert!(e.to_string().contains("not a namespace file"), "{e}");
    let e = mntns::ns::enter_path(Path::new("/nonexistent/ns")).unwrap_err();
    assert_eq!(e.errno(), Errno::ENOENT);
}

fn enter_refuses_threads(ctx: &Ctx) {
    let dir = ctx.dir("m");
    let x = uts_and_mount_holder(&dir);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || rx.recv().ok());
    let mnt_path = PathBuf::from(format!("/proc/{}/ns/mnt", x.pid()));
    let errors = [
        mntns::enter(NsSource::Pid(x.pid()), Namespaces::MOUNT).unwrap_err(),
        mntns::enter(NsSource::Pid(x.pid()), Namespaces::USER | Namespaces::UTS).unwrap_err(),
        mntns::ns::enter_path(&mnt_path).unwrap_err(),
    ];
    for e in errors {
        assert_eq!(e.errno(), Errno::EINVAL);
        let msg = e.to_string();
        assert!(
            msg.contains("2 threads") && msg.contains("single-threaded"),
            "{msg}"
        );
    }
    // Nothing was joined.
    assert!(!is_tmpfs(&dir));
    tx.send(()).unwrap();
    t.join().unwrap();
    x.release();
}

/// Re-joining one's own namespaces works for every kind but user, which the kernel refuses
/// (the error says so).
fn enter_own_namespaces(_ctx: &Ctx) {
    let status = in_child(|| {
        // Namespaces this process owns in both modes (rootless may not re-join the host's).
        mntns::unshare(Namespaces::UTS | Namespaces::NET | Namespaces::IPC).unwrap();
        let me = Pid::this();
        let before: Vec<NsId> = NsKind::ALL
            .iter()
            .map(|&k| NsId::of_self(k).unwrap())
            .collect();
        let kinds = Namespaces::UTS | Namespaces::NET | Namespaces::IPC | Namespaces::MOUNT;
        mntns::enter(NsSource::Pid(me), kinds).unwrap();
        mntns::ns::enter_path(Path::new("/proc/self/ns/uts")).unwrap();
        let after: Vec<NsId> = NsKind::ALL
            .iter()
            .map(|&k| NsId::of_self(k).unwrap())
            .collect();
        assert_eq!(before, after);
        for e in [
            mntns::enter(NsSource::Pid(me), Namespaces::USER).unwrap_err(),
            mntns::enter(NsSource::Pid(me), Namespaces::USER | Namespaces::UTS).unwrap_err(),
            mntns::ns::enter_path(Path::new("/proc/self/ns/user")).unwrap_err(),
        ] {
            assert_eq!(e.errno(), Errno::EINVAL, "{e}");
            assert!(e.to_string().contains("already in user:["), "{e}");
        }
        deny_syscalls(&[nr::PIDFD_OPEN], libc::ENOSYS);
        mntns::enter(NsSource::Pid(me), kinds).unwrap();
        let e = mntns::enter(NsSource::Pid(me), Namespaces::USER).unwrap_err();
        assert!(e.to_string().contains("already in user:["), "{e}");
    });
    assert_eq!(status, 0);
}

/// Without CAP_SYS_ADMIN over the target, EPERM says what is missing.
fn enter_without_privilege_says_why(_ctx: &Ctx) {
    let x = hold(|| {});
    for fallback in [false, true] {
        let status = in_child(|| {
            if fallback {
                deny_syscalls(&[nr::PIDFD_OPEN], libc::ENOSYS);
            }
            let e = mntns::enter(NsSource::Pid(x.pid()), Namespaces::UTS).unwrap_err();
            assert_eq!(e.errno(), Errno::EPERM, "{e}");
            assert!(e.to_string().contains("CAP_SYS_ADMIN"), "{e}");
            let p = PathBuf::from(format!("/proc/{}/ns/net", x.pid()));
            let e = mntns::ns::enter_path(&p).unwrap_err();
            assert_eq!(e.errno(), Errno::EPERM, "{e}");
            assert!(e.to_string().contains("CAP_SYS_ADMIN"), "{e}");
        });
        assert_eq!(status, 0, "fallback={fallback}");
    }
    x.release();
}

fn main() {
    mntns_testkit::main(&[
        case!(unshare_mount_gives_new_id, BOTH),
        case!(unshare_every_kind, BOTH),
        case!(unshare_refuses_threads, BOTH),
        case!(unshare_without_privilege_says_why, NOBODY_ONLY),
        case!(unshare_at_namespace_limit_names_it, ROOTLESS),
        case!(seccomp_helper_denies, BOTH),
        case!(ids_equal_readlink, BOTH),
        case!(ids_of_exited_processes, BOTH),
        case!(list_equals_lsns, ROOT),
        case!(list_sanity, BOTH),
        case!(list_pinned_by_fd_and_bind_mount, BOTH),
        case!(list_survives_churn, BOTH),
        case!(owner_parent_and_kernel_id, BOTH),
        case!(enter_by_pid_path_and_fd, BOTH),
        case!(enter_user_and_mount, BOTH),
        case!(enter_exited_process, BOTH),
        case!(enter_refuses_bad_kinds, BOTH),
        case!(enter_refuses_threads, BOTH),
        case!(enter_own_namespaces, BOTH),
        case!(enter_without_privilege_says_why, NOBODY_ONLY),
    ]);
}
