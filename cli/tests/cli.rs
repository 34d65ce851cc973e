//! The `mntns` command against the real kernel and against the tools users trust:
//! `readlink`, `lsns`, `findmnt` and `nsenter`, on the same machine state. Each case runs
//! in a forked child with its own namespaces (see the mntns-testkit crate); the namespaces,
//! processes and mounts a case makes are its own and are gone after it.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mntns_testkit::{
    BOTH, Case, Ctx, Mode, NOBODY_ONLY, ROOT, ROOTLESS, case, deny_syscalls, in_child, nr, sh,
};
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// Running the command.

fn mntns_path() -> &'static str {
    env!("CARGO_BIN_EXE_mntns")
}

fn mntns(args: &[&str]) -> Output {
    Command::new(mntns_path())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run mntns")
}

/// Runs mntns, asserts exit status 0 and an empty stderr, returns stdout.
fn mntns_ok(args: &[&str]) -> String {
    let out = mntns(args);
    assert!(
        out.status.success(),
        "mntns {args:?} failed with {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "mntns {args:?} wrote to stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Asserts the exit status and that stderr is exactly one line `mntns: …` containing
/// every one of `needles`; returns that line.
fn mntns_fails(args: &[&str], code: i32, needles: &[&str]) -> String {
    let out = mntns(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "mntns {args:?}: stdout {:?} stderr {:?}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8(out.stderr).unwrap();
    if code != 2 {
        assert_eq!(err.lines().count(), 1, "not one line: {err:?}");
        assert!(err.starts_with("mntns: "), "{err:?}");
    }
    for n in needles {
        assert!(err.contains(n), "{n:?} not in {err:?}");
    }
    err
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad JSON ({e}): {text}"))
}

fn rows<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} array in {v}"))
}

fn readlink(path: &str) -> String {
    std::fs::read_link(path)
        .unwrap_or_else(|e| panic!("readlink {path}: {e}"))
        .to_string_lossy()
        .into_owned()
}

const KINDS: [&str; 8] = ["mnt", "uts", "ipc", "pid", "net", "user", "cgroup", "time"];

// ---------------------------------------------------------------------------------------
// Processes that hold namespaces (as in core/tests/ns.rs).

struct Held {
    pid: i32,
    release: Option<OwnedFd>,
}

/// The write ends of every live holder's release pipe. A holder forked later must not keep
/// a copy of an earlier one's (that holder would then never see end of file).
static RELEASE_FDS: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid two-element array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 returned two new descriptors that nothing else owns.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn wait_for_eof(fd: i32) {
    let mut byte = [0u8; 1];
    // SAFETY: reading into a valid buffer until end of file.
    while unsafe { libc::read(fd, byte.as_mut_ptr().cast(), 1) } > 0 {}
}

/// A forked child that ran `setup` and waits until the `Held` is dropped; with `waiters`,
/// it forks that many children of its own first (same namespaces, more processes).
fn hold(waiters: usize, setup: impl FnOnce()) -> Held {
    let (ready_r, ready_w) = pipe();
    let (release_r, release_w) = pipe();
    // SAFETY: cases are single-threaded; the child runs `setup` and waits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        drop(ready_r);
        drop(release_w);
        let mut others = RELEASE_FDS.lock().unwrap();
        for fd in others.drain(..) {
            // SAFETY: closing this child's copy of another holder's pipe.
            unsafe { libc::close(fd) };
        }
        drop(others);
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(setup)).is_ok();
        if ok {
            for _ in 0..waiters {
                // SAFETY: the holder is single-threaded.
                if unsafe { libc::fork() } == 0 {
                    wait_for_eof(release_r.as_raw_fd());
                    // SAFETY: ends the grandchild.
                    unsafe { libc::_exit(0) }
                }
            }
            // SAFETY: one byte to our pipe.
            unsafe { libc::write(ready_w.as_raw_fd(), b"1".as_ptr().cast(), 1) };
            drop(ready_w);
            wait_for_eof(release_r.as_raw_fd());
        }
        // SAFETY: reaping our own children, then ending without the harness's handlers.
        unsafe {
            while libc::waitpid(-1, std::ptr::null_mut(), 0) > 0 {}
            libc::_exit(if ok { 0 } else { 1 })
        }
    }
    drop(ready_w);
    drop(release_r);
    let mut b = [0u8; 1];
    // SAFETY: one byte into a valid buffer.
    let n = unsafe { libc::read(ready_r.as_raw_fd(), b.as_mut_ptr().cast(), 1) };
    if n != 1 {
        // SAFETY: waitpid on our own child.
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
        panic!("holder {pid} failed its setup");
    }
    RELEASE_FDS.lock().unwrap().push(release_w.as_raw_fd());
    Held {
        pid,
        release: Some(release_w),
    }
}

impl Held {
    fn pid_str(&self) -> String {
        self.pid.to_string()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(fd) = self.release.take() {
            RELEASE_FDS.lock().unwrap().retain(|&f| f != fd.as_raw_fd());
            drop(fd);
            // SAFETY: waitpid on our own child.
            unsafe { libc::waitpid(self.pid, std::ptr::null_mut(), 0) };
        }
    }
}

fn unshare(flags: i32) {
    // SAFETY: a plain flag word, in a single-threaded process.
    let rc = unsafe { libc::unshare(flags) };
    assert_eq!(
        rc,
        0,
        "unshare {flags:#x}: {}",
        std::io::Error::last_os_error()
    );
}

/// After unsharing a user namespace: map our (outer) uid/gid to 0.
fn map_to_root() {
    std::fs::write("/proc/self/setgroups", "deny").unwrap();
    std::fs::write("/proc/self/uid_map", "0 0 1").unwrap();
    std::fs::write("/proc/self/gid_map", "0 0 1").unwrap();
}

fn cstr(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

fn mount_tmpfs(target: &Path, source: &str) {
    let (s, t) = (CString::new(source).unwrap(), cstr(target));
    // SAFETY: valid C strings; a mount in this process's own mount namespace.
    let rc = unsafe {
        libc::mount(
            s.as_ptr(),
            t.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID,
            c"size=64k,mode=755".as_ptr().cast(),
        )
    };
    assert_eq!(
        rc,
        0,
        "mount tmpfs on {}: {}",
        target.display(),
        std::io::Error::last_os_error()
    );
}

fn bind(source: &Path, target: &Path) {
    let (s, t) = (cstr(source), cstr(target));
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
        std::io::Error::last_os_error()
    );
}

fn umount(target: &Path) {
    let t = cstr(target);
    // SAFETY: a valid C string.
    assert_eq!(unsafe { libc::umount2(t.as_ptr(), libc::MNT_DETACH) }, 0);
}

/// A pid that no process has: a child that exited and was reaped.
fn dead_pid() -> i32 {
    // SAFETY: single-threaded case; the child exits at once.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: ends the child.
        unsafe { libc::_exit(0) }
    }
    // SAFETY: reaping our own child.
    unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
    pid
}

fn mnt_ns_kernel_id(path: &str) -> u64 {
    let c = CString::new(path).unwrap();
    // SAFETY: a valid C string; a read-only descriptor.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    assert!(fd >= 0, "open {path}");
    // SAFETY: fd is ours.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut id = 0u64;
    // SAFETY: NS_GET_MNTNS_ID writes one u64.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::NS_GET_MNTNS_ID, &mut id as *mut u64) };
    assert_eq!(rc, 0, "NS_GET_MNTNS_ID");
    id
}

// ---------------------------------------------------------------------------------------
// mntns id

/// `mntns id` prints exactly what readlink prints, for this process, another one, every
/// kind; `--kernel-id` adds NS_GET_MNTNS_ID's answer.
fn id_equals_readlink(_ctx: &Ctx) {
    let holder = hold(0, || {
        unshare(libc::CLONE_NEWUTS | libc::CLONE_NEWNET | libc::CLONE_NEWNS)
    });
    let pid = holder.pid_str();
    for kind in KINDS {
        // The mntns process is our child: its namespaces are ours.
        assert_eq!(
            mntns_ok(&["id", "-t", kind]),
            format!("{}\n", readlink(&format!("/proc/self/ns/{kind}"))),
            "{kind}"
        );
        assert_eq!(
            mntns_ok(&["id", &pid, "--type", kind]),
            format!("{}\n", readlink(&format!("/proc/{pid}/ns/{kind}"))),
            "{kind}"
        );
    }
    // Default: mnt. --all: one line per kind, in KINDS order.
    assert_eq!(
        mntns_ok(&["id"]),
        format!("{}\n", readlink("/proc/self/ns/mnt"))
    );
    let all: String = KINDS
        .iter()
        .map(|k| format!("{}\n", readlink(&format!("/proc/{pid}/ns/{k}"))))
        .collect();
    assert_eq!(mntns_ok(&["id", &pid, "--all"]), all);
    // The holder's unshared kinds differ from ours.
    assert_ne!(
        mntns_ok(&["id", &pid, "-t", "uts"]),
        mntns_ok(&["id", "-t", "uts"])
    );
    // --kernel-id: the link, then the 64-bit id; other kinds have none.
    let line = mntns_ok(&["id", &pid, "--kernel-id"]);
    let expected = mnt_ns_kernel_id(&format!("/proc/{pid}/ns/mnt"));
    assert_eq!(
        line,
        format!("{} {expected}\n", readlink(&format!("/proc/{pid}/ns/mnt")))
    );
    let lines = mntns_ok(&["id", "--all", "-k"]);
    assert!(
        lines
            .lines()
            .next()
            .unwrap()
            .ends_with(&format!(" {}", mnt_ns_kernel_id("/proc/self/ns/mnt")))
    );
    assert!(lines.lines().skip(1).all(|l| !l.contains(' ')), "{lines}");
    drop(holder);

    // A process that is gone, a bad kind, a bad pid.
    let dead = dead_pid().to_string();
    mntns_fails(
        &["id", &dead],
        1,
        &[&format!("process {dead} has exited"), "ESRCH"],
    );
    mntns_fails(&["id", "-t", "bogus"], 2, &["bogus"]);
    mntns_fails(&["id", "0"], 2, &["not a process id"]);
    mntns_fails(&["id", "-t", "uts", "--all"], 2, &["--all"]);
}

// ---------------------------------------------------------------------------------------
// mntns ls

/// One namespace row as both tools print it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct NsRow {
    ns: u64,
    kind: String,
    nprocs: u64,
    pid: Option<u64>,
    user: Option<String>,
    command: Option<String>,
}

fn ns_rows(v: &Value) -> Vec<NsRow> {
    let mut out: Vec<NsRow> = rows(v, "namespaces")
        .iter()
        .map(|r| NsRow {
            ns: r["ns"].as_u64().expect("numeric ns"),
            kind: r["type"].as_str().expect("type").to_owned(),
            nprocs: r["nprocs"].as_u64().expect("numeric nprocs"),
            pid: r["pid"].as_u64(),
            user: r["user"].as_str().map(str::to_owned),
            command: r["command"].as_str().map(str::to_owned),
        })
        .collect();
    out.sort();
    out
}

/// `lsns ARGS` as JSON; lsns 2.38 fails now and then when a process exits while it reads
/// it (later versions skip such processes, as mntns does), so such runs are retried.
fn lsns(args: &[&str]) -> Value {
    for _ in 0..50 {
        let out = Command::new("lsns").args(args).output().expect("run lsns");
        if out.status.success() {
            return json(&String::from_utf8_lossy(&out.stdout));
        }
        eprintln!(
            "note: lsns failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    panic!("lsns {args:?} failed 50 times");
}

/// Oracle: `mntns ls -J -t KIND` equals `lsns -J -l -t KIND` for every kind, with extra
/// sandboxes (new mount/net/uts/ipc namespaces; one with two processes; one in a new user
/// namespace) and a net namespace pinned only by a bind mount. Root only: rootless, lsns
/// and mntns both see only the case's own few processes (`ls_sanity` covers that mode).
fn ls_equals_lsns(ctx: &Ctx) {
    // Enough processes (each in its own uts namespace) that `mntns ls` splits the walk
    // over threads (one per 200 processes and CPU): the merged listing must still be lsns's.
    let crowd = Crowd::new(450, libc::CLONE_NEWUTS);
    let a = hold(0, || {
        unshare(libc::CLONE_NEWNS | libc::CLONE_NEWNET | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC)
    });
    let b = hold(1, || {
        unshare(libc::CLONE_NEWNS | libc::CLONE_NEWNET | libc::CLONE_NEWCGROUP)
    });
    let c = hold(0, || {
        unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS);
        map_to_root();
    });
    // A net namespace kept only by a bind mount of its nsfs file (as `ip netns add`).
    let pin = ctx.scratch().join("netns-pin");
    std::fs::write(&pin, "").unwrap();
    let p = hold(0, || unshare(libc::CLONE_NEWNET));
    let pinned_net = readlink(&format!("/proc/{}/ns/net", p.pid));
    bind(Path::new(&format!("/proc/{}/ns/net", p.pid)), &pin);
    drop(p);
    let pinned_ino: u64 = pinned_net
        .trim_start_matches("net:[")
        .trim_end_matches(']')
        .parse()
        .unwrap();

    let pids: Vec<i32> = [a.pid, b.pid, c.pid]
        .into_iter()
        .chain(crowd.pids.iter().copied())
        .collect();
    let created: Vec<(String, u64)> = pids
        .iter()
        .flat_map(|pid| {
            KINDS.iter().filter_map(move |k| {
                let theirs = readlink(&format!("/proc/{pid}/ns/{k}"));
                (theirs != readlink(&format!("/proc/self/ns/{k}"))).then(|| {
                    let ino = theirs.split(":[").nth(1).unwrap().trim_end_matches(']');
                    (k.to_string(), ino.parse().unwrap())
                })
            })
        })
        .collect();
    assert!(created.len() >= 9 + 450, "{}", created.len());

    for kind in KINDS {
        let mut whole_table = false;
        for _attempt in 0..20 {
            let ours = mntns_ok(&["ls", "-J", "-t", kind]);
            let theirs = lsns(&["-J", "-l", "-t", kind]);
            let ours_after = mntns_ok(&["ls", "-J", "-t", kind]);
            let (ours, ours_after, theirs) = (
                ns_rows(&json(&ours)),
                ns_rows(&json(&ours_after)),
                ns_rows(&theirs),
            );
            // Our sandboxes are under this case's control: they always match.
            for (k, ino) in created.iter().filter(|(k, _)| k == kind) {
                let mine = ours.iter().find(|r| r.ns == *ino);
                let row = theirs.iter().find(|r| r.ns == *ino);
                assert!(mine.is_some(), "{k}:[{ino}] not listed by mntns");
                assert_eq!(mine, row, "{k}:[{ino}]: mntns vs lsns");
            }
            // Nobody lists the bind-pinned namespace without --pinned (lsns 2.38 never).
            assert!(ours.iter().all(|r| r.ns != pinned_ino));
            // The whole table, when no other process came or went meanwhile. Each tool
            // sees itself (and not the other) in this case's namespaces, which keeps the
            // counts equal; this case's process is older, so it stays the lowest pid.
            if ours == ours_after && ours == theirs {
                whole_table = true;
                break;
            }
        }
        eprintln!("{kind}: whole table equals lsns: {whole_table}");
        assert!(
            whole_table || kind != "mnt",
            "the mount namespace table never matched lsns's"
        );
    }

    // -p PID: the namespaces of one process, as lsns -p.
    let ours = ns_rows(&json(&mntns_ok(&["ls", "-J", "-p", &a.pid_str()])));
    let theirs = ns_rows(&lsns(&["-J", "-l", "-p", &a.pid_str()]));
    assert_eq!(ours.len(), 8, "{ours:?}");
    for r in &ours {
        let t = theirs
            .iter()
            .find(|t| t.ns == r.ns)
            .unwrap_or_else(|| panic!("{r:?}"));
        assert_eq!((&t.kind, t.pid), (&r.kind, r.pid));
    }
    // The extra columns lsns has too: parent and owner namespaces.
    let cols = "NS,TYPE,PNS,ONS";
    let ours = json(&mntns_ok(&["ls", "-J", "-o", cols]));
    let theirs = lsns(&["-J", "-l", "-o", cols]);
    let key = |r: &Value| (r["ns"].as_u64(), r["pns"].as_u64(), r["ons"].as_u64());
    for (k, ino) in &created {
        let find = |v: &Value| {
            rows(v, "namespaces")
                .iter()
                .find(|r| r["ns"].as_u64() == Some(*ino))
                .map(key)
        };
        assert_eq!(find(&ours), find(&theirs), "{k}:[{ino}] PNS/ONS");
        assert!(find(&ours).is_some_and(|(_, _, ons)| ons.unwrap() > 0));
    }
    // --pinned: the bind-pinned namespace too, with no process.
    let pinned = json(&mntns_ok(&[
        "ls",
        "-J",
        "-t",
        "net",
        "--pinned",
        "-o",
        "+NSFS,PINNED-BY",
    ]));
    let row = rows(&pinned, "namespaces")
        .iter()
        .find(|r| r["ns"].as_u64() == Some(pinned_ino))
        .unwrap_or_else(|| panic!("{pinned_net} not listed with --pinned"));
    assert_eq!(row["nprocs"], 0);
    assert!(row["pid"].is_null() && row["command"].is_null(), "{row}");
    assert_eq!(row["nsfs"].as_str(), Some(pin.to_str().unwrap()));
    assert_eq!(
        row["pinned-by"],
        serde_json::json!([format!("bind mount {}", pin.display())])
    );
    umount(&pin);
    drop((a, b, c, crowd));
}

/// `n` processes, each in new namespaces of `flags`, waiting until dropped.
struct Crowd {
    pids: Vec<i32>,
    release: Option<OwnedFd>,
}

impl Crowd {
    fn new(n: usize, flags: i32) -> Crowd {
        let (release_r, release_w) = pipe();
        let (ready_r, ready_w) = pipe();
        let mut pids = Vec::with_capacity(n);
        for _ in 0..n {
            // SAFETY: single-threaded case; the child makes raw calls and exits.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
            if pid == 0 {
                // SAFETY: raw calls in the child: own namespaces, say so, wait, exit.
                unsafe {
                    libc::close(release_w.as_raw_fd());
                    for fd in RELEASE_FDS.lock().unwrap().iter() {
                        libc::close(*fd);
                    }
                    let ok = u8::from(libc::unshare(flags) == 0);
                    libc::write(ready_w.as_raw_fd(), (&ok as *const u8).cast(), 1);
                    wait_for_eof(release_r.as_raw_fd());
                    libc::_exit(0)
                }
            }
            pids.push(pid);
        }
        drop(ready_w);
        let mut ready = vec![0u8; n];
        let mut got = 0;
        while got < n {
            // SAFETY: reading into the unfilled tail of `ready`.
            let r = unsafe {
                libc::read(
                    ready_r.as_raw_fd(),
                    ready[got..].as_mut_ptr().cast(),
                    n - got,
                )
            };
            assert!(r > 0, "the crowd did not start");
            got += r as usize;
        }
        assert!(
            ready.iter().all(|&b| b == 1),
            "a crowd process could not unshare"
        );
        Crowd {
            pids,
            release: Some(release_w),
        }
    }
}

impl Drop for Crowd {
    fn drop(&mut self) {
        drop(self.release.take());
        for &pid in &self.pids {
            // SAFETY: waitpid on our own child.
            unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
        }
    }
}

/// What any caller sees of its own processes, root or rootless: a child's new namespaces
/// with the child as lowest pid, its user and command; headings; -n; -o; a namespace
/// held only by an open fd, listed with --pinned.
fn ls_sanity(_ctx: &Ctx) {
    let holder = hold(0, || {
        unshare(libc::CLONE_NEWUTS | libc::CLONE_NEWIPC | libc::CLONE_NEWNS)
    });
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", holder.pid)).unwrap();
    let command = String::from_utf8_lossy(&cmdline[..cmdline.len() - 1]).replace('\0', " ");
    let all = json(&mntns_ok(&["ls", "-J"]));
    for kind in ["uts", "ipc", "mnt"] {
        let link = readlink(&format!("/proc/{}/ns/{kind}", holder.pid));
        let ino: u64 = link
            .split(":[")
            .nth(1)
            .unwrap()
            .trim_end_matches(']')
            .parse()
            .unwrap();
        let row = rows(&all, "namespaces")
            .iter()
            .find(|r| r["ns"].as_u64() == Some(ino))
            .unwrap_or_else(|| panic!("{link} not listed"));
        assert_eq!(row["type"], kind);
        assert_eq!(row["nprocs"], 1);
        assert_eq!(row["pid"].as_i64(), Some(i64::from(holder.pid)));
        // uid 0 is root in both modes (the rootless case's uid maps to 0 inside).
        assert_eq!(row["user"], "root");
        assert_eq!(row["command"].as_str(), Some(command.as_str()));
        // Exactly lsns's keys by default.
        let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
        let mut expected = ["ns", "type", "nprocs", "pid", "user", "command"];
        expected.sort();
        assert_eq!(keys, expected);
    }
    // Sorted by inode, like lsns.
    let inodes: Vec<u64> = rows(&all, "namespaces")
        .iter()
        .map(|r| r["ns"].as_u64().unwrap())
        .collect();
    assert!(inodes.windows(2).all(|w| w[0] <= w[1]));

    // Text: a heading with lsns's column names, NS right-aligned, then one row each.
    let text = mntns_ok(&["ls", "-t", "uts"]);
    let mut lines = text.lines();
    let heading = lines.next().unwrap();
    assert!(heading.trim_start().starts_with("NS TYPE"), "{heading:?}");
    assert!(heading.ends_with("COMMAND"), "{heading:?}");
    let width = heading.find("NS").unwrap() + 2;
    for line in lines {
        assert!(
            line[..width]
                .trim_start()
                .bytes()
                .all(|b| b.is_ascii_digit()),
            "{line:?}"
        );
    }
    let bare = mntns_ok(&["ls", "-t", "uts", "-n", "-o", "NS,NPROCS,PID"]);
    assert_eq!(bare.lines().count(), text.lines().count() - 1);
    assert!(!bare.contains("NS"));
    // The 64-bit id of the holder's mount namespace, as NS_GET_MNTNS_ID gives it.
    let ids = json(&mntns_ok(&[
        "ls",
        "-J",
        "-t",
        "mnt",
        "-p",
        &holder.pid_str(),
        "-o",
        "NS,ID",
    ]));
    let id = rows(&ids, "namespaces")[0]["id"].as_u64();
    assert_eq!(
        id,
        Some(mnt_ns_kernel_id(&format!("/proc/{}/ns/mnt", holder.pid)))
    );
    // A bad column is a usage error naming it and the known ones.
    mntns_fails(&["ls", "-o", "NS,BOGUS"], 2, &["BOGUS", "PINNED-BY"]);

    // A namespace held only by an open fd: listed with --pinned, with the fd as its pin.
    let (ready_r, ready_w) = pipe();
    let owner = hold(0, || {
        let h = hold(0, || unshare(libc::CLONE_NEWUTS));
        let path = CString::new(format!("/proc/{}/ns/uts", h.pid)).unwrap();
        // SAFETY: a valid C string; the descriptor stays open in this holder until it ends.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY) };
        assert!(fd >= 0);
        drop(h);
        let msg = format!("{fd} {}", readlink(&format!("/proc/self/fd/{fd}")));
        // SAFETY: writing our message to the pipe.
        unsafe { libc::write(ready_w.as_raw_fd(), msg.as_ptr().cast(), msg.len()) };
    });
    drop(ready_w);
    let mut buf = [0u8; 64];
    // SAFETY: reading into a valid buffer.
    let n = unsafe { libc::read(ready_r.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    let msg = String::from_utf8_lossy(&buf[..n as usize]).into_owned();
    let (fd, link) = msg.split_once(' ').unwrap();
    let ino: u64 = link
        .split(":[")
        .nth(1)
        .unwrap()
        .trim_end_matches(']')
        .parse()
        .unwrap();
    let plain = json(&mntns_ok(&["ls", "-J", "-t", "uts"]));
    assert!(
        rows(&plain, "namespaces")
            .iter()
            .all(|r| r["ns"].as_u64() != Some(ino))
    );
    let pinned = json(&mntns_ok(&[
        "ls",
        "-J",
        "-t",
        "uts",
        "--pinned",
        "-o",
        "NS,NPROCS,PATH,PINNED-BY",
    ]));
    let row = rows(&pinned, "namespaces")
        .iter()
        .find(|r| r["ns"].as_u64() == Some(ino))
        .unwrap_or_else(|| panic!("{link} not listed with --pinned: {pinned}"));
    assert_eq!(row["nprocs"], 0);
    assert_eq!(
        row["pinned-by"],
        serde_json::json!([format!("fd {fd} of process {}", owner.pid)])
    );
    assert_eq!(
        row["path"].as_str(),
        Some(format!("/proc/{}/fd/{fd}", owner.pid).as_str())
    );
    drop(owner);
    drop(holder);
    // A process that is gone, for -p.
    let dead = dead_pid().to_string();
    mntns_fails(
        &["ls", "-p", &dead],
        1,
        &[&format!("process {dead} has exited")],
    );
}

/// Listing while processes come and go: every run succeeds and prints valid output.
fn ls_survives_churn(_ctx: &Ctx) {
    let (stop_r, stop_w) = pipe();
    // SAFETY: single-threaded case; the child forks short-lived children until told.
    let churner = unsafe { libc::fork() };
    if churner == 0 {
        drop(stop_w);
        // SAFETY: plain calls in the child; O_NONBLOCK to poll the stop pipe.
        unsafe { libc::fcntl(stop_r.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        loop {
            let mut b = [0u8; 1];
            // SAFETY: reading into a valid buffer.
            if unsafe { libc::read(stop_r.as_raw_fd(), b.as_mut_ptr().cast(), 1) } == 0 {
                break;
            }
            for _ in 0..8 {
                // SAFETY: the churner is single-threaded.
                let pid = unsafe { libc::fork() };
                if pid == 0 {
                    // SAFETY: a short-lived child in its own namespaces (a mount namespace
                    // too, so that --pinned reads its mount table while it exits).
                    unsafe {
                        libc::unshare(libc::CLONE_NEWUTS | libc::CLONE_NEWIPC | libc::CLONE_NEWNS);
                        libc::_exit(0)
                    }
                }
            }
            // SAFETY: reaping our own children.
            while unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) } > 0 {}
        }
        // SAFETY: reaping the rest and ending the churner.
        unsafe {
            while libc::waitpid(-1, std::ptr::null_mut(), 0) > 0 {}
            libc::_exit(0)
        }
    }
    drop(stop_r);
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut runs = 0;
    while Instant::now() < deadline || runs < 20 {
        let v = json(&mntns_ok(&[
            "ls",
            "-J",
            "-o",
            "NS,TYPE,NPROCS,PID,USER,COMMAND,PINNED-BY",
        ]));
        assert!(!rows(&v, "namespaces").is_empty());
        mntns_ok(&["ls", "-t", "uts", "--pinned"]);
        mntns_ok(&["ls", "-t", "mnt", "-o", "NS,PINNED-BY,ONS"]);
        runs += 1;
    }
    drop(stop_w);
    // SAFETY: waitpid on our own child.
    unsafe { libc::waitpid(churner, std::ptr::null_mut(), 0) };
    eprintln!("{runs} listings during churn");
}

// ---------------------------------------------------------------------------------------
// mntns mounts

/// Rows reduced to findmnt's default keys.
fn fs_rows(v: &Value, keys: &[&str]) -> Vec<Vec<Value>> {
    let mut out: Vec<Vec<Value>> = rows(v, "filesystems")
        .iter()
        .map(|r| keys.iter().map(|k| r[*k].clone()).collect())
        .collect();
    out.sort_by_key(|r| {
        r.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("\u{1}")
    });
    out
}

fn findmnt(args: &[&str]) -> (Option<i32>, Value) {
    let out = Command::new("findmnt")
        .args(args)
        .output()
        .expect("run findmnt");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let v = if text.trim().is_empty() {
        Value::Null
    } else {
        json(&text)
    };
    (out.status.code(), v)
}

/// In this case's own mount namespace: tmpfs mounts with awkward names and a bind of a
/// subdirectory (findmnt shows `SOURCE[/dir]`), the things sandboxes have.
fn sandbox_like_mounts(dir: &Path) -> PathBuf {
    let base = dir.join("sb");
    std::fs::create_dir_all(&base).unwrap();
    mount_tmpfs(&base, "sandbox-root");
    for d in ["tmp", "with space", "sub/inner", "bound"] {
        std::fs::create_dir_all(base.join(d)).unwrap();
    }
    mount_tmpfs(&base.join("tmp"), "tmpfs");
    mount_tmpfs(&base.join("with space"), "src with space");
    bind(&base.join("sub"), &base.join("bound"));
    base
}

const FINDMNT_KEYS: [&str; 4] = ["target", "source", "fstype", "options"];

/// Oracle: `mntns mounts -J` equals `findmnt -J -l` (target, source, fstype, options; and
/// ids, parents, propagation with -o) for this case's own table, with every backend.
fn mounts_equal_findmnt(ctx: &Ctx) {
    let base = sandbox_like_mounts(ctx.scratch());
    let (code, theirs) = findmnt(&["-J", "-l"]);
    assert_eq!(code, Some(0));
    for source in ["auto", "mountinfo", "statmount"] {
        let ours = json(&mntns_ok(&["mounts", "-J", "--source", source]));
        assert_eq!(
            fs_rows(&ours, &FINDMNT_KEYS),
            fs_rows(&theirs, &FINDMNT_KEYS),
            "--source {source}"
        );
        // The default JSON also has id, parent and propagation, as findmnt's columns.
        let cols = ["target", "id", "parent", "propagation"];
        let (_, with_ids) = findmnt(&["-J", "-l", "-o", "TARGET,ID,PARENT,PROPAGATION"]);
        assert_eq!(
            fs_rows(&ours, &cols),
            fs_rows(&with_ids, &cols),
            "--source {source}"
        );
    }
    // What findmnt shows for the awkward ones.
    let ours = json(&mntns_ok(&["mounts", "-J"]));
    let find = |target: &Path| {
        rows(&ours, "filesystems")
            .iter()
            .find(|r| r["target"].as_str() == target.to_str())
            .cloned()
            .unwrap_or_else(|| panic!("{} not listed", target.display()))
    };
    assert_eq!(find(&base.join("with space"))["source"], "src with space");
    assert_eq!(find(&base.join("bound"))["source"], "sandbox-root[/sub]");
    // Rootless, tmpfs also shows its owner (uid=, gid=) after these.
    let options = find(&base)["options"].as_str().unwrap().to_owned();
    assert!(
        options.starts_with("rw,nosuid,relatime,size=64k,mode=755"),
        "{options}"
    );
    // Other columns against findmnt's same columns.
    let cols = "TARGET,FSROOT,MAJ:MIN,VFS-OPTIONS,FS-OPTIONS,OPT-FIELDS";
    let keys = [
        "target",
        "fsroot",
        "maj:min",
        "vfs-options",
        "fs-options",
        "opt-fields",
    ];
    let (_, theirs) = findmnt(&["-J", "-l", "-o", cols]);
    let ours = json(&mntns_ok(&["mounts", "-J", "-o", cols]));
    assert_eq!(fs_rows(&ours, &keys), fs_rows(&theirs, &keys));
    // UNIQ-ID only from statmount.
    let uniq = json(&mntns_ok(&[
        "mounts",
        "-J",
        "--source",
        "statmount",
        "-o",
        "TARGET,UNIQ-ID",
    ]));
    assert!(
        rows(&uniq, "filesystems")
            .iter()
            .all(|r| r["uniq-id"].as_u64().is_some())
    );
    let none = json(&mntns_ok(&[
        "mounts",
        "-J",
        "--source",
        "mountinfo",
        "-o",
        "TARGET,UNIQ-ID",
    ]));
    assert!(
        rows(&none, "filesystems")
            .iter()
            .all(|r| r["uniq-id"].is_null())
    );

    // Filters: -t and a mount point, as findmnt's.
    for types in ["tmpfs", "notmpfs", "tmpfs,proc", "proc,notmpfs"] {
        let (_, theirs) = findmnt(&["-J", "-l", "-t", types]);
        let ours = json(&mntns_ok(&["mounts", "-J", "-t", types]));
        assert_eq!(
            fs_rows(&ours, &FINDMNT_KEYS),
            fs_rows(&theirs, &FINDMNT_KEYS),
            "-t {types}"
        );
    }
    let target = base.join("with space");
    let (_, theirs) = findmnt(&["-J", "-l", target.to_str().unwrap()]);
    let ours = json(&mntns_ok(&["mounts", "-J", target.to_str().unwrap()]));
    assert_eq!(
        fs_rows(&ours, &FINDMNT_KEYS),
        fs_rows(&theirs, &FINDMNT_KEYS)
    );
    assert_eq!(rows(&ours, "filesystems").len(), 1);
    // Nothing matches: exit status 1 and no output, as findmnt.
    let (code, _) = findmnt(&["-J", "-l", "-t", "bogusfs"]);
    let out = mntns(&["mounts", "-t", "bogusfs"]);
    assert_eq!((out.status.code(), code), (Some(1), Some(1)));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());

    // Text: findmnt's heading, aligned columns.
    let text = mntns_ok(&["mounts", "-t", "tmpfs"]);
    let heading = text.lines().next().unwrap();
    assert!(
        heading.starts_with("TARGET ") && heading.ends_with(" OPTIONS"),
        "{heading:?}"
    );
    let src = heading.find("SOURCE").unwrap();
    for line in text.lines().skip(1) {
        assert_eq!(line.as_bytes()[src - 1], b' ', "{line:?}");
    }
    umount(&base);
}

/// The table of another process in a sandbox-like namespace, by pid and by namespace id,
/// equals `findmnt -N PID`; so does one no process is in, held by a bind mount.
fn mounts_of_another_namespace(ctx: &Ctx) {
    let dir = ctx.dir("other");
    let pin = ctx.scratch().join("mnt-pin");
    std::fs::write(&pin, "").unwrap();
    // The kernel binds a mount namespace's file only into an older namespace; ids are
    // handed out per CPU, so this case runs on one CPU in a namespace made there.
    mntns_testkit::prepare_mount_ns_binds();
    let (d, inner) = (dir.clone(), dir.join("inner"));
    let holder = hold(0, move || {
        unshare(libc::CLONE_NEWNS);
        mount_tmpfs(&d, "holders-tmpfs");
        std::fs::create_dir(&inner).unwrap();
        mount_tmpfs(&inner, "inner-tmpfs");
    });
    bind(Path::new(&format!("/proc/{}/ns/mnt", holder.pid)), &pin);
    let pid = holder.pid_str();
    let (code, theirs) = findmnt(&["-J", "-l", "-N", &pid]);
    assert_eq!(code, Some(0));
    let ns = readlink(&format!("/proc/{pid}/ns/mnt"));
    let inode = ns
        .trim_start_matches("mnt:[")
        .trim_end_matches(']')
        .to_owned();
    for source in ["auto", "mountinfo", "statmount"] {
        for args in [
            vec!["mounts", "-J", "-p", &pid, "--source", source],
            vec!["mounts", "-J", "-N", &pid, "--source", source],
            vec!["mounts", "-J", "--ns", &ns, "--source", source],
        ] {
            let ours = json(&mntns_ok(&args));
            assert_eq!(
                fs_rows(&ours, &FINDMNT_KEYS),
                fs_rows(&theirs, &FINDMNT_KEYS),
                "{args:?}"
            );
        }
    }
    // Not in our own table.
    assert!(!mntns_ok(&["mounts", "-J"]).contains("holders-tmpfs"));
    assert!(mntns_ok(&["mounts", "-J", "-p", &pid]).contains("holders-tmpfs"));

    // Held only by the bind mount now: by id, by number, and by path, every backend (for
    // mountinfo a short-lived child joins it).
    drop(holder);
    for source in ["auto", "mountinfo", "statmount"] {
        for id in [ns.as_str(), inode.as_str(), pin.to_str().unwrap()] {
            let ours = json(&mntns_ok(&["mounts", "-J", "--ns", id, "--source", source]));
            assert_eq!(
                fs_rows(&ours, &FINDMNT_KEYS),
                fs_rows(&theirs, &FINDMNT_KEYS),
                "--ns {id} --source {source}"
            );
        }
    }
    umount(&pin);
    // Gone now: the error says so.
    mntns_fails(
        &["mounts", "--ns", &ns],
        1,
        &[&format!("no process or mount holds namespace {ns}")],
    );
    let dead = dead_pid().to_string();
    mntns_fails(
        &["mounts", "-p", &dead],
        1,
        &[&format!("process {dead} has exited")],
    );
    mntns_fails(
        &["mounts", "--ns", "/etc/passwd"],
        1,
        &["not a namespace file"],
    );
    mntns_fails(&["mounts", "--source", "bogus"], 2, &["bogus"]);
    mntns_fails(&["mounts", "-o", "TARGET,NOPE"], 2, &["NOPE"]);
}

// ---------------------------------------------------------------------------------------
// mntns enter

const SHOW_NS: &str = "for k in mnt uts ipc pid net user cgroup time; do readlink /proc/self/ns/$k; done; hostname; grep -c enter-tmpfs /proc/self/mountinfo || true";

/// A sandbox-like process: new user (rootless), mount (with a tmpfs), uts (hostname
/// "entered"), ipc, net, pid and cgroup namespaces. Returns the holder and the pid of its
/// child, the first process of the new pid namespace, which is in all of them.
fn enter_holder(dir: &Path, user: bool) -> (Held, String) {
    let d = dir.to_path_buf();
    let held = hold(1, move || {
        if user {
            unshare(libc::CLONE_NEWUSER);
            map_to_root();
        }
        unshare(
            libc::CLONE_NEWNS
                | libc::CLONE_NEWUTS
                | libc::CLONE_NEWIPC
                | libc::CLONE_NEWNET
                | libc::CLONE_NEWPID
                | libc::CLONE_NEWCGROUP,
        );
        // SAFETY: a valid buffer and length.
        unsafe { libc::sethostname(b"entered".as_ptr().cast(), 7) };
        mount_tmpfs(&d, "enter-tmpfs");
    });
    let children =
        std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", held.pid)).unwrap();
    let child = children
        .split_whitespace()
        .next()
        .expect("the holder's child")
        .to_owned();
    (held, child)
}

fn run_output(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("run")
}

/// Oracle: `mntns enter` lands in the same namespaces as `nsenter` (every kind's
/// readlink inside, the hostname, the holder's tmpfs), whole and kind by kind; the
/// command's exit status is passed on; 125/126/127 when setup fails or the command
/// cannot run.
fn enter_like_nsenter(ctx: &Ctx) {
    // Rootless, the holder's namespaces belong to a user namespace the case made, so
    // joining them needs that user namespace too (nsenter --all joins it as well).
    let user = ctx.mode == Mode::Rootless;
    let (holder, pid) = enter_holder(&ctx.dir("enter"), user);
    // mntns keeps the caller's credentials when it joins a user namespace, as nsenter
    // --preserve-credentials does (plain nsenter -U switches to uid 0 and calls setgroups,
    // which a rootless sandbox's "deny" refuses).
    let nsenter = |flags: &[&str]| {
        let out = run_output(
            Command::new("nsenter")
                .args(["-t", &pid, "--preserve-credentials"])
                .args(flags)
                .args(["sh", "-c", SHOW_NS]),
        );
        assert!(
            out.status.success(),
            "nsenter {flags:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let ours = |flags: &[&str]| {
        let mut args = vec!["enter", "-t", &pid];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["--", "sh", "-c", SHOW_NS]);
        mntns_ok(&args)
    };
    let all = ours(&["--all"]);
    // nsenter 2.38 --all also re-joins the namespaces the caller shares with the target;
    // rootless, that includes the host's time namespace, which it may not join (EPERM),
    // so there it is given the kinds explicitly. mntns --all skips shared kinds.
    let every: &[&str] = if user {
        &["-U", "-m", "-u", "-i", "-n", "-p", "-C"]
    } else {
        &["--all"]
    };
    assert_eq!(all, nsenter(every));
    assert!(all.contains("entered\n1\n"), "{all}");
    let mut flag_sets: Vec<Vec<&str>> = vec![
        vec!["-m", "-u", "-i", "-n", "-p", "-C"],
        vec!["--mount", "--uts"],
        vec!["-n"],
        vec!["-p"],
    ];
    if user {
        for f in &mut flag_sets {
            f.insert(0, "-U");
        }
    }
    for flags in &flag_sets {
        assert_eq!(ours(flags), nsenter(flags), "{flags:?}");
    }
    // The default command is $SHELL, reading from stdin here.
    let mut cmd = Command::new(mntns_path());
    cmd.args(["enter", "-t", &pid, "--all"])
        .env("SHELL", "/bin/sh");
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"hostname; exit 3\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "entered\n");
    // Exit status of the command, with and without the fork a pid namespace needs.
    let kinds: &[&str] = if user { &["-U", "-m"] } else { &["-m"] };
    for extra in [&[][..], &["-p"][..]] {
        let mut args = vec!["enter", "-t", &pid];
        args.extend_from_slice(kinds);
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--", "sh", "-c", "exit 7"]);
        assert_eq!(mntns(&args).status.code(), Some(7), "{args:?}");
    }
    let plain = ctx.scratch().join("not-executable");
    std::fs::write(&plain, "#!/bin/sh\n").unwrap();
    let plain = plain.to_str().unwrap();
    for (command, code, errno) in [("/no/such/command", 127, "ENOENT"), (plain, 126, "EACCES")] {
        let mut args = vec!["enter", "-t", pid.as_str()];
        args.extend_from_slice(kinds);
        args.extend_from_slice(&["--", command]);
        mntns_fails(&args, code, &[&format!("exec {command}"), errno]);
    }
    drop(holder);
    let dead = dead_pid().to_string();
    mntns_fails(
        &["enter", "-t", &dead, "-m", "--", "true"],
        125,
        &[&format!("process {dead} has exited")],
    );
    // No kind at all is a usage error.
    mntns_fails(&["enter", "-t", "1", "--", "true"], 2, &["--mount"]);
}

/// As an ordinary user without a user namespace of one's own, entering a root-owned
/// namespace is refused with the hint, and exit status 125.
fn enter_without_privilege(_ctx: &Ctx) {
    let ppid = std::os::unix::process::parent_id().to_string();
    mntns_fails(&["enter", "-t", &ppid, "-u", "--", "true"], 125, &["EPERM"]);
}

// ---------------------------------------------------------------------------------------
// mntns doctor

fn doctor() -> Vec<Value> {
    let v = json(&mntns_ok(&["doctor", "-J"]));
    rows(&v, "probes").clone()
}

fn probe<'a>(probes: &'a [Value], name: &str) -> &'a Value {
    probes
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no probe {name:?}"))
}

/// On this host everything the probes look at works, for root and rootless alike and for
/// an unprivileged user: every probe says ok with no remedy.
fn doctor_all_ok_here(_ctx: &Ctx) {
    let probes = doctor();
    assert_eq!(probes.len(), 13);
    for p in &probes {
        assert_eq!(p["status"], "ok", "{p}");
        assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()), "{p}");
        let shared = p["name"] == "root propagation";
        assert!(p["remedy"].is_null() || shared, "{p}");
    }
    // The text form: one line per probe (plus a fix line for shared propagation).
    let text = mntns_ok(&["doctor"]);
    assert!(
        text.lines().filter(|l| l.starts_with("ok ")).count() == 13,
        "{text}"
    );
}

/// System calls a seccomp filter answers with ENOSYS show as missing, each with a remedy;
/// an unshare refused by a filter shows as a seccomp refusal.
fn doctor_sees_filtered_syscalls(_ctx: &Ctx) {
    let status = in_child(|| {
        deny_syscalls(
            &[
                nr::STATMOUNT,
                nr::LISTMOUNT,
                nr::CLONE3,
                nr::PIDFD_OPEN,
                nr::MOUNT_SETATTR,
                nr::OPEN_TREE,
                nr::OPENAT2,
            ],
            libc::ENOSYS,
        );
        let probes = doctor();
        for name in [
            "statmount/listmount",
            "clone3",
            "pidfd_open",
            "mount_setattr",
            "new mount API",
            "openat2",
        ] {
            let p = probe(&probes, name);
            assert_eq!(p["status"], "missing", "{p}");
            assert!(p["detail"].as_str().unwrap().contains("ENOSYS"), "{p}");
            assert!(
                p["remedy"].as_str().is_some_and(|r| r.contains("Linux")),
                "{p}"
            );
        }
        // The filter itself is seen, and allows unshare and clone.
        let s = probe(&probes, "seccomp");
        assert_eq!(s["status"], "ok", "{s}");
        assert!(s["detail"].as_str().unwrap().contains("Seccomp: 2"), "{s}");
        assert_eq!(probe(&probes, "user namespaces")["status"], "ok");
    });
    assert_eq!(status, 0);
    let status = in_child(|| {
        deny_syscalls(&[libc::SYS_unshare], libc::EPERM);
        let probes = doctor();
        let s = probe(&probes, "seccomp");
        assert_eq!(s["status"], "refused", "{s}");
        assert!(
            s["detail"].as_str().unwrap().contains("unshare of a"),
            "{s}"
        );
        assert!(s["remedy"].as_str().unwrap().contains("seccomp"), "{s}");
        let u = probe(&probes, "user namespaces");
        assert_eq!(u["status"], "refused", "{u}");
        assert!(u["remedy"].as_str().unwrap().contains("seccomp"), "{u}");
    });
    assert_eq!(status, 0);
    let status = in_child(|| {
        deny_syscalls(&[libc::SYS_unshare], libc::ENOSYS);
        let probes = doctor();
        let s = probe(&probes, "seccomp");
        assert_eq!(s["status"], "refused", "{s}");
        assert!(s["detail"].as_str().unwrap().contains("ENOSYS"), "{s}");
    });
    assert_eq!(status, 0);
}

/// A mount over part of /proc (as container runtimes mask /proc/kcore, /proc/sys…) makes
/// a new proc impossible in a user namespace: the /proc probe tries it and says so.
fn doctor_sees_covered_proc(_ctx: &Ctx) {
    let status = in_child(|| {
        // This child's own mount namespace, so the case's table is left as it was.
        unshare(libc::CLONE_NEWNS);
        mount_tmpfs(Path::new("/proc/sys"), "mask");
        let probes = doctor();
        let p = probe(&probes, "/proc");
        assert_eq!(p["status"], "refused", "{p}");
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains("/proc/sys (tmpfs)"), "{p}");
        assert!(detail.contains("EPERM"), "{p}");
        assert!(
            p["remedy"].as_str().unwrap().contains("fully visible"),
            "{p}"
        );
    });
    assert_eq!(status, 0);
}

/// A shared root shows with its peer group, as mountinfo has it, and the by-hand remedy.
fn doctor_sees_shared_root(_ctx: &Ctx) {
    let status = in_child(|| {
        unshare(libc::CLONE_NEWNS);
        sh("mount --make-rshared /");
        let group = std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap()
            .lines()
            .rev()
            .find(|l| l.split(' ').nth(4) == Some("/"))
            .and_then(|l| {
                l.split(' ')
                    .find_map(|f| f.strip_prefix("shared:"))
                    .map(str::to_owned)
            })
            .expect("/ is shared");
        let probes = doctor();
        let p = probe(&probes, "root propagation");
        assert_eq!(p["status"], "ok", "{p}");
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("peer group {group}")),
            "{p}"
        );
        assert!(
            p["remedy"].as_str().unwrap().contains("--make-rprivate"),
            "{p}"
        );
    });
    assert_eq!(status, 0);
}

/// With user.max_user_namespaces at 0 (per user namespace, so the rootless case may set
/// its own), both the sysctl probe and the real attempt say refused, naming the setting.
fn doctor_sees_userns_limit(_ctx: &Ctx) {
    std::fs::write("/proc/sys/user/max_user_namespaces", "0").unwrap();
    let probes = doctor();
    let s = probe(&probes, "user.max_user_namespaces");
    assert_eq!(s["status"], "refused", "{s}");
    let u = probe(&probes, "user namespaces");
    assert_eq!(u["status"], "refused", "{u}");
    assert!(u["detail"].as_str().unwrap().contains("ENOSPC"), "{u}");
    assert!(
        u["remedy"]
            .as_str()
            .unwrap()
            .contains("user.max_user_namespaces"),
        "{u}"
    );
    // Without user namespaces the /proc probe cannot try, and says so.
    let p = probe(&probes, "/proc");
    assert!(p["detail"].as_str().unwrap().contains("not tried"), "{p}");
}

// ---------------------------------------------------------------------------------------
// Help, completions, man page.

/// Every command has --help with an example; completions and the man page come from the
/// same definitions.
fn help_completions_man(_ctx: &Ctx) {
    for cmd in [
        "id",
        "ls",
        "mounts",
        "enter",
        "doctor",
        "completions",
        "man",
    ] {
        let help = mntns_ok(&[cmd, "--help"]);
        assert!(help.contains("Examples:"), "{cmd}: {help}");
        assert!(help.contains(&format!("mntns {cmd}")), "{cmd}: {help}");
    }
    assert!(mntns_ok(&["--help"]).contains("Examples:"));
    let ls_help = mntns_ok(&["ls", "--help"]);
    assert!(
        ls_help.contains("PINNED-BY") && ls_help.contains("lsns -l"),
        "{ls_help}"
    );
    assert!(mntns_ok(&["mounts", "--help"]).contains("UNIQ-ID"));
    assert!(mntns_ok(&["--version"]).starts_with("mntns "));
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef mntns"),
        ("fish", "complete -c mntns"),
    ] {
        let script = mntns_ok(&["completions", shell]);
        assert!(script.contains(marker), "{shell}");
        for sub in ["mounts", "doctor", "enter", "kernel-id", "pinned"] {
            assert!(script.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    // bash accepts the script.
    let script = mntns_ok(&["completions", "bash"]);
    let out = Command::new("bash")
        .args(["-c", "source /dev/stdin && complete -p mntns"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(script.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("mntns"),
        "{out:?}"
    );
    let page = mntns_ok(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH mntns"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(page.contains("mounts") && page.contains("doctor"));
    let ls_page = mntns_ok(&["man", "ls"]);
    assert!(
        ls_page.contains(".TH mntns-ls"),
        "{}",
        &ls_page[..200.min(ls_page.len())]
    );
    assert!(ls_page.contains("noheadings"));
    // man(1) renders it.
    let rendered = Command::new("sh")
        .args([
            "-c",
            &format!("{} man ls | man -l - 2>/dev/null | col -b", mntns_path()),
        ])
        .env("MANWIDTH", "100")
        .output()
        .unwrap();
    if rendered.status.success() && !rendered.stdout.is_empty() {
        assert!(String::from_utf8_lossy(&rendered.stdout).contains("noheadings"));
    }
    mntns_fails(&["man", "bogus"], 1, &["bogus"]);
    mntns_fails(&["completions", "tcsh"], 2, &["tcsh"]);
    mntns_fails(&["frobnicate"], 2, &["frobnicate"]);
}

fn main() {
    let cases: &[Case] = &[
        case!(id_equals_readlink, BOTH),
        case!(ls_equals_lsns, ROOT),
        case!(ls_sanity, BOTH),
        case!(ls_survives_churn, BOTH),
        case!(mounts_equal_findmnt, BOTH),
        case!(mounts_of_another_namespace, BOTH),
        case!(enter_like_nsenter, BOTH),
        case!(enter_without_privilege, NOBODY_ONLY),
        case!(
            doctor_all_ok_here,
            &[Mode::Root, Mode::Rootless, Mode::Nobody]
        ),
        case!(doctor_sees_filtered_syscalls, BOTH),
        case!(doctor_sees_covered_proc, BOTH),
        case!(doctor_sees_shared_root, ROOT),
        case!(doctor_sees_userns_limit, ROOTLESS),
        case!(help_completions_man, NOBODY_ONLY),
    ];
    mntns_testkit::main(cases)
}
