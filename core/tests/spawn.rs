//! Sandboxes against the real kernel: Spec → Plan → spawn, as root and rootless, through
//! both clone paths. What the command sees is checked from inside (a shell or busybox in the
//! sandbox reports its fds, cwd, mounts, ids), and the harness checks the host after every
//! case (mount table unchanged, nothing left running).

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mntns::{
    CloneMode, Errno, ExitStatus, MountEntry, Namespaces, NsId, NsKind, Plan, Spec, Stdio,
    TmpfsOptions,
};
use mntns_testkit::{BOTH, Ctx, ROOT, case, host_mount_table, in_child};

const BUSYBOX: &str = "/bin/busybox";

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: fds is an array of two ints.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: two new descriptors we own.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// Runs `argv` in the plan with stdout captured; returns the status and the output.
fn capture(plan: &Plan, argv: &[&str]) -> (ExitStatus, String) {
    capture_passing(plan, argv, &[])
}

/// [`capture`], passing descriptors.
fn capture_passing(plan: &Plan, argv: &[&str], pass: &[(i32, i32)]) -> (ExitStatus, String) {
    let (r, w) = pipe();
    let mut child = plan
        .spawn_with(
            argv,
            [Stdio::Inherit, Stdio::Fd(w.as_raw_fd()), Stdio::Inherit],
            pass,
        )
        .unwrap_or_else(|e| panic!("spawn {argv:?}: {e}"));
    drop(w);
    let mut out = String::new();
    std::fs::File::from(r).read_to_string(&mut out).unwrap();
    (child.wait().unwrap(), out)
}

fn sh(plan: &Plan, script: &str) -> String {
    let (status, out) = capture(plan, &["/bin/sh", "-c", script]);
    assert!(status.success(), "{script}: {status}\n{out}");
    out
}

/// Both clone paths where the plan allows them.
fn modes() -> [CloneMode; 2] {
    [CloneMode::Vfork, CloneMode::Fork]
}

fn host_default_root_runs_commands(_ctx: &Ctx) {
    for mode in modes() {
        let plan = Spec::host().clone_mode(mode).plan().unwrap();
        assert_eq!(plan.uses_vfork(), mode == CloneMode::Vfork);
        let out = sh(
            &plan,
            "pwd; ls /; test -w /tmp && echo tmp-writable; cat /etc/hostname >/dev/null && echo etc; echo x > /dev/null && echo devnull",
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "/", "{out}");
        for want in [
            "usr",
            "etc",
            "proc",
            "dev",
            "tmp",
            "tmp-writable",
            "devnull",
        ] {
            assert!(lines.contains(&want), "{want} missing in {out}");
        }
        // /usr is read-only inside, on every submount.
        let (status, _) = capture(&plan, &["/bin/sh", "-c", "touch /usr/x 2>/dev/null"]);
        assert!(!status.success());
        // The sandbox's mount namespace is not ours.
        let ns = sh(&plan, "readlink /proc/self/ns/mnt");
        assert_ne!(ns.trim(), NsId::of_self(NsKind::Mount).unwrap().to_string());
    }
}

fn bare_root_with_busybox(_ctx: &Ctx) {
    for mode in modes() {
        let plan = Spec::new()
            .clone_mode(mode)
            .ro_bind(BUSYBOX, "/bin/busybox")
            .symlink("busybox", "/bin/sh")
            .symlink("busybox", "/bin/ls")
            .tmpfs("/tmp", TmpfsOptions::parse("size=1m").unwrap())
            .plan()
            .unwrap();
        let out = sh(&plan, "ls -a /; ls /bin");
        let mut names: Vec<&str> = out.lines().collect();
        names.sort();
        assert_eq!(
            names,
            vec![".", "..", "bin", "busybox", "ls", "sh", "tmp"],
            "{out}"
        );
    }
}

fn exit_status_and_signals(_ctx: &Ctx) {
    let plan = Spec::host().plan().unwrap();
    let (status, _) = capture(&plan, &["/bin/sh", "-c", "exit 3"]);
    assert_eq!(status.code(), Some(3));
    assert_eq!(status.shell_code(), 3);
    let (status, _) = capture(&plan, &["/bin/sh", "-c", "kill -TERM $$"]);
    assert_eq!(status.signal(), Some(libc::SIGTERM));
    assert_eq!(status.shell_code(), 128 + libc::SIGTERM);
}

fn missing_command_is_enoent_named(_ctx: &Ctx) {
    for mode in modes() {
        let plan = Spec::host().clone_mode(mode).plan().unwrap();
        let t = Instant::now();
        let e = plan.spawn_argv(["no-such-command-x"]).unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(1));
        assert_eq!(e.errno(), Errno::ENOENT);
        assert_eq!(e.step(), "exec");
        assert_eq!(e.path(), Some(Path::new("no-such-command-x")));
        assert!(e.to_string().contains("command not found"), "{e}");
        let plan = Spec::host()
            .clone_mode(mode)
            .file("/not-executable", "echo hi\n")
            .plan()
            .unwrap();
        let e = plan.spawn_argv(["/not-executable"]).unwrap_err();
        assert_eq!(e.errno(), Errno::EACCES, "{e}");
        let e = plan.spawn_argv(Vec::<&str>::new()).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
    }
}

fn setup_failure_names_the_step(_ctx: &Ctx) {
    for mode in modes() {
        // A tmpfs whose mount point would have to be created inside a read-only bind.
        let plan = Spec::host()
            .clone_mode(mode)
            .tmpfs("/usr/no-such-dir/x", TmpfsOptions::new())
            .plan()
            .unwrap();
        let before = host_mount_table();
        let t = Instant::now();
        let e = plan.spawn_argv(["/bin/true"]).unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(1));
        assert_eq!(e.errno(), Errno::EROFS, "{e}");
        assert_eq!(e.step(), "mount tmpfs on");
        assert_eq!(e.path(), Some(Path::new("/usr/no-such-dir/x")));
        assert!(e.to_string().contains("read-only"), "{e}");
        assert_eq!(before, host_mount_table());
    }
}

fn bad_specs_are_refused_before_any_process(ctx: &Ctx) {
    let tmp = || TmpfsOptions::new();
    let cases: Vec<(Spec, Errno, &str)> = vec![
        (
            Spec::new().tmpfs("relative", tmp()),
            Errno::EINVAL,
            "absolute",
        ),
        (Spec::new().tmpfs("/a/../b", tmp()), Errno::EINVAL, ".."),
        (Spec::new().tmpfs("/a\0b", tmp()), Errno::EINVAL, "NUL"),
        (
            Spec::new().tmpfs("/x", tmp()).dir("/x"),
            Errno::EINVAL,
            "two entries on one target",
        ),
        (
            Spec::new().bind("/no/such/source", "/x"),
            Errno::ENOENT,
            "does not exist",
        ),
        (
            Spec::new().bind("relative/src", "/x"),
            Errno::EINVAL,
            "absolute",
        ),
        (
            Spec::new().hostname("x".repeat(65)),
            Errno::EINVAL,
            "HOST_NAME_MAX",
        ),
        (
            Spec::new().setenv("A=B", "c"),
            Errno::EINVAL,
            "not a variable name",
        ),
        (Spec::new().pass_fd(5, 1), Errno::EINVAL, "0, 1, 2"),
        (
            Spec::new().pass_fd(5, 9).pass_fd(6, 9),
            Errno::EINVAL,
            "two descriptors",
        ),
        (
            Spec::new().root(mntns::Root::Dir(ctx.scratch().join("missing"))),
            Errno::ENOENT,
            "",
        ),
        (
            Spec::new().root(mntns::Root::Dir(PathBuf::from("/etc/hostname"))),
            Errno::ENOTDIR,
            "",
        ),
        (Spec::new().cwd("relative"), Errno::EINVAL, "absolute"),
        (
            Spec::new().mount(MountEntry::Dir {
                target: "/d".into(),
                mode: 0o10000,
            }),
            Errno::EINVAL,
            "mode",
        ),
        (
            Spec::new().tmpfs(format!("/{}", "n/".repeat(2100)), tmp()),
            Errno::ENAMETOOLONG,
            "",
        ),
        (
            Spec::new().identity(mntns::Identity::Maps {
                uid_map: vec![],
                gid_map: vec![mntns::idmap::IdMap::single(0, 0)],
                setgroups: mntns::idmap::SetGroups::Deny,
                uid: 0,
                gid: 0,
            }),
            Errno::EINVAL,
            "empty",
        ),
    ];
    for (spec, errno, text) in cases {
        let e = spec.plan().unwrap_err();
        assert_eq!(e.errno(), errno, "{spec:?}: {e}");
        assert!(e.to_string().contains(text), "{e}");
    }
    // A proc in a rootless sandbox needs a PID namespace.
    if ctx.mode == mntns_testkit::Mode::Rootless {
        let e = Spec::new().proc("/proc").plan().unwrap_err();
        assert!(e.to_string().contains("PID namespace"), "{e}");
    }
}

fn only_asked_fds_reach_the_command(_ctx: &Ctx) {
    // Extra descriptors in the caller, inheritable ones included.
    // SAFETY: plain dup calls.
    let leaked = unsafe { libc::dup(2) };
    let (pass_r, pass_w) = pipe();
    for mode in modes() {
        let plan = Spec::host().clone_mode(mode).plan().unwrap();
        let script = "ls /proc/self/fd | sort -n | tr '\\n' ' '; echo ok >&7";
        let (status, out) = capture_passing(
            &plan,
            &["/bin/sh", "-c", script],
            &[(pass_w.as_raw_fd(), 7)],
        );
        assert!(status.success(), "{out}");
        // 0, 1, 2, the passed 7, and the fd ls itself opens for the directory.
        let fds: Vec<i32> = out
            .split_whitespace()
            .filter_map(|s| s.parse().ok())
            .collect();
        let expected: Vec<i32> = vec![0, 1, 2, 3, 7];
        assert_eq!(fds, expected, "{out}");
        let mut buf = [0u8; 3];
        // SAFETY: reading from our pipe into a local buffer.
        assert_eq!(
            unsafe { libc::read(pass_r.as_raw_fd(), buf.as_mut_ptr().cast(), 3) },
            3
        );
        assert_eq!(&buf, b"ok\n");
    }
    // SAFETY: closing our dup.
    unsafe { libc::close(leaked) };
}

fn stdio_null_and_fds(_ctx: &Ctx) {
    let plan = Spec::host().stdin(Stdio::Null).plan().unwrap();
    let out = sh(&plan, "cat; readlink /proc/self/fd/0");
    assert_eq!(out.trim(), "/dev/null");
}

fn cwd_env_and_hostname(_ctx: &Ctx) {
    let host = nix_hostname();
    let plan = Spec::host()
        .cwd("/tmp")
        .env_clear()
        .setenv("PATH", "/usr/bin:/bin")
        .setenv("ONLY", "this")
        .hostname("box")
        .plan()
        .unwrap();
    assert!(plan.namespaces().contains(Namespaces::UTS));
    let out = sh(
        &plan,
        "pwd; cd ..; pwd; env | sort | grep -v '^PWD=\\|^OLDPWD=\\|^SHLVL=\\|^_=' ; hostname",
    );
    assert_eq!(
        out, "/tmp\n/\nONLY=this\nPATH=/usr/bin:/bin\nbox\n",
        "{out:?}"
    );
    assert_eq!(nix_hostname(), host, "the host's hostname must not change");

    let plan = Spec::host()
        .setenv("KEEP", "1")
        .unsetenv("HOME")
        .plan()
        .unwrap();
    let out = sh(&plan, "echo ${KEEP}-${HOME:-unset}");
    assert_eq!(out.trim(), "1-unset");
}

fn nix_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap()
}

fn pid_namespace_init(_ctx: &Ctx) {
    let plan = Spec::host().namespaces(Namespaces::PID).plan().unwrap();
    assert!(!plan.uses_vfork());
    // The command is pid 2 under the sandbox's init, and /proc shows only the sandbox.
    let out = sh(&plan, "echo $$; ls /proc | grep -c '^[0-9]'");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "2", "{out}");
    // init, the shell, ls's pipeline partner: a handful at most.
    assert!(lines[1].parse::<u32>().unwrap() <= 4, "{out}");
    // Orphans are reaped and nothing survives init: a background sleep dies with it.
    let (status, out) = capture(&plan, &["/bin/sh", "-c", "sleep 100 & echo $!"]);
    assert!(status.success(), "{out}");
    // The exit status is the command's, signals included.
    let (status, _) = capture(&plan, &["/bin/sh", "-c", "exit 7"]);
    assert_eq!(status.code(), Some(7));
    let (status, _) = capture(&plan, &["/bin/sh", "-c", "kill -KILL $$"]);
    assert_eq!(status.signal(), Some(libc::SIGKILL));
}

fn pid_namespace_forwards_signals(_ctx: &Ctx) {
    let plan = Spec::host().namespaces(Namespaces::PID).plan().unwrap();
    let (r, w) = pipe();
    let mut child = plan
        .spawn_with(
            [
                "/bin/sh",
                "-c",
                "trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.05; done",
            ],
            [Stdio::Inherit, Stdio::Fd(w.as_raw_fd()), Stdio::Inherit],
            &[],
        )
        .unwrap();
    drop(w);
    let mut f = std::fs::File::from(r);
    let mut buf = [0u8; 6];
    f.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ready\n");
    child.kill(libc::SIGTERM).unwrap();
    let status = child.wait().unwrap();
    let mut rest = String::new();
    f.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "got-term\n");
    assert_eq!(status.code(), Some(42));
    // Killing a finished sandbox says it has exited.
    let e = child.kill(libc::SIGTERM).unwrap_err();
    assert!(e.to_string().contains("has exited"), "{e}");
}

/// Where pidfd_send_signal is missing or filtered (seccomp profiles, valgrind), signals and
/// dropping a running child still work (through kill(2)) instead of failing, or hanging in
/// the drop's wait.
fn kill_without_pidfd_send_signal(_ctx: &Ctx) {
    mntns_testkit::deny_syscalls(&[libc::SYS_pidfd_send_signal], libc::ENOSYS);
    let plan = Spec::host().plan().unwrap();
    let mut child = plan.spawn_argv(["/bin/sleep", "10"]).unwrap();
    assert!(child.pidfd().is_some());
    child.kill(libc::SIGTERM).unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGTERM));
    let child = plan.spawn_argv(["/bin/sleep", "10"]).unwrap();
    let pid = child.pid().as_raw();
    let started = Instant::now();
    drop(child);
    assert!(started.elapsed() < Duration::from_secs(5));
    // SAFETY: kill with signal 0 only checks whether the (reaped) pid exists.
    assert_eq!(unsafe { libc::kill(pid, 0) }, -1);
    assert_eq!(Errno::last(), Errno::ESRCH);
}

fn child_handle(_ctx: &Ctx) {
    let plan = Spec::host().plan().unwrap();
    let mut child = plan.spawn_argv(["/bin/sleep", "10"]).unwrap();
    assert!(child.pidfd().is_some());
    assert_eq!(child.try_wait().unwrap(), None);
    assert_eq!(child.wait_timeout(Duration::from_millis(50)).unwrap(), None);
    let id = child.ns_id(NsKind::Mount).unwrap();
    assert_ne!(id, NsId::of_self(NsKind::Mount).unwrap());
    child.kill(libc::SIGKILL).unwrap();
    let status = child.wait_timeout(Duration::from_secs(5)).unwrap().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    assert_eq!(child.wait().unwrap(), status);
    // Dropping a running sandbox kills and reaps it (the harness fails on leftovers).
    let child = plan.spawn_argv(["/bin/sleep", "10"]).unwrap();
    let pid = child.pid();
    drop(child);
    assert!(!Path::new(&format!("/proc/{pid}")).exists());
}

fn caller_ignoring_sigchld_gets_status(_ctx: &Ctx) {
    // SAFETY: setting SIGCHLD to SIG_IGN in this single-threaded case process.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    for spec in [Spec::host(), Spec::host().namespaces(Namespaces::PID)] {
        let plan = spec.plan().unwrap();
        let (status, _) = capture(&plan, &["/bin/sh", "-c", "exit 5"]);
        assert_eq!(status.code(), Some(5));
    }
}

fn enter_runs_in_the_caller(_ctx: &Ctx) {
    let plan = Spec::host().hostname("entered").plan().unwrap();
    let before = NsId::of_self(NsKind::Mount).unwrap();
    plan.enter().unwrap();
    assert_ne!(NsId::of_self(NsKind::Mount).unwrap(), before);
    assert_eq!(std::env::current_dir().unwrap(), Path::new("/"));
    assert!(Path::new("/usr/bin").exists());
    assert_eq!(nix_hostname().trim(), "entered");
    // A threaded caller is refused.
    let status = in_child(|| {
        let t = std::thread::spawn(|| std::thread::sleep(Duration::from_millis(300)));
        let e = Spec::host().plan().unwrap().enter().unwrap_err();
        assert!(e.to_string().contains("threads"), "{e}");
        t.join().unwrap();
    });
    assert_eq!(status, 0);
}

/// Targets are resolved inside the root: symlinks in a directory root pointing out of it
/// (absolute, relative, through /proc/self/root) land inside, or fail; nothing outside the
/// root is created.
fn symlinked_targets_stay_inside(ctx: &Ctx) {
    let root = ctx.dir("root");
    std::fs::create_dir_all(root.join("usr")).unwrap();
    std::fs::create_dir_all(root.join("run")).unwrap();
    std::fs::create_dir_all(root.join("var")).unwrap();
    let outside = ctx.dir("outside");
    symlink(&outside, root.join("abs")).unwrap();
    symlink("../../../../../../../..", root.join("rel")).unwrap();
    symlink("/proc/self/root", root.join("magic")).unwrap();
    symlink("../run", root.join("var/run")).unwrap();
    let spec = Spec::new()
        .root(mntns::Root::Dir(root.clone()))
        .ro_bind("/usr", "/usr")
        .symlink("usr/bin", "/bin")
        .symlink("usr/lib", "/lib")
        .symlink("usr/lib64", "/lib64")
        .tmpfs("/abs/t1", TmpfsOptions::new())
        .tmpfs("/rel/t2/", TmpfsOptions::new())
        .dir("/var/run/d/.")
        .file("/abs/f", "x");
    // The absolute link points at a path that does not exist inside the root: the mount
    // fails, and nothing is created outside.
    let e = spec.plan().unwrap().spawn_argv(["/bin/true"]).unwrap_err();
    assert_eq!(e.errno(), Errno::ENOENT, "{e}");
    assert_eq!(e.path(), Some(Path::new("/abs/t1")));
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    // Once that path exists inside the root, the link leads there.
    let inside = root.join(outside.strip_prefix("/").unwrap());
    std::fs::create_dir_all(&inside).unwrap();
    let plan = spec.plan().unwrap();
    let out = sh(
        &plan,
        "ls -d /t2 /run/d && mountpoint -q /t2 && mountpoint -q /abs/t1 && cat /abs/f && echo mounted",
    );
    assert!(out.contains("xmounted"), "{out}");
    // Nothing was created outside the root; everything landed inside.
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    assert!(inside.join("t1").is_dir() && inside.join("f").is_file());
    assert!(root.join("t2").is_dir() && root.join("run/d").is_dir());
    // A link through /proc/self/root is resolved inside the root: without a /proc there it
    // leads nowhere (ENOENT); with one, the magic link is refused (ELOOP), never followed.
    let plan = Spec::new()
        .root(mntns::Root::Dir(root.clone()))
        .tmpfs("/magic/x", TmpfsOptions::new())
        .plan()
        .unwrap();
    let e = plan.spawn_argv(["/x"]).unwrap_err();
    assert_eq!(e.errno(), Errno::ENOENT, "{e}");
    let plan = Spec::new()
        .root(mntns::Root::Dir(root.clone()))
        .bind("/proc", "/proc")
        .tmpfs("/magic/x", TmpfsOptions::new())
        .plan()
        .unwrap();
    let e = plan.spawn_argv(["/x"]).unwrap_err();
    assert_eq!(e.errno(), Errno::ELOOP, "{e}");
    assert!(e.to_string().contains("symlink"), "{e}");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

fn proc_and_dev_symlinks_are_refused(ctx: &Ctx) {
    let root = ctx.dir("root");
    std::fs::create_dir_all(root.join("real")).unwrap();
    symlink("real", root.join("proc")).unwrap();
    symlink("real", root.join("dev")).unwrap();
    let base = Spec::new()
        .root(mntns::Root::Dir(root.clone()))
        .namespaces(Namespaces::PID);
    for spec in [base.clone().proc("/proc"), base.dev("/dev")] {
        let e = spec.plan().unwrap().spawn_argv(["/x"]).unwrap_err();
        assert_eq!(e.errno(), Errno::ELOOP, "{e}");
        assert!(
            e.to_string()
                .contains("refuses to mount them through a symlink"),
            "{e}"
        );
    }
    assert_eq!(std::fs::read_dir(root.join("real")).unwrap().count(), 0);
}

/// Under an rshared outer `/`, sandboxes with tmpfs and binds — and failed ones — leave the
/// outer table byte for byte unchanged.
fn rshared_host_table_unchanged(_ctx: &Ctx) {
    // SAFETY: constant strings; this is the case's own namespace.
    let rc = unsafe {
        libc::mount(
            c"none".as_ptr(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_SHARED,
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0);
    let before = host_mount_table();
    let good = Spec::host()
        .tmpfs("/scratch", TmpfsOptions::parse("size=1m").unwrap())
        .bind("/tmp", "/hosttmp")
        .plan()
        .unwrap();
    let bad = Spec::host()
        .tmpfs("/usr/nope/x", TmpfsOptions::new())
        .plan()
        .unwrap();
    for i in 0..1000 {
        let (status, _) = capture(&good, &["/bin/true"]);
        assert!(status.success());
        if i % 10 == 0 {
            assert!(bad.spawn_argv(["/bin/true"]).is_err());
        }
    }
    assert_eq!(before, host_mount_table());
}

/// Many threads allocating and holding locks in the caller: spawning never deadlocks, and
/// rootless sandboxes work from a multithreaded caller (the user namespace is created in the
/// single-threaded child).
fn spawn_from_busy_threads(_ctx: &Ctx) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let stop = Arc::new(AtomicBool::new(false));
    let lock = Arc::new(Mutex::new(Vec::<u8>::new()));
    let mut threads = Vec::new();
    for _ in 0..8 {
        let stop = stop.clone();
        let lock = lock.clone();
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut v = lock.lock().unwrap();
                v.extend(std::iter::repeat_n(1u8, 4096));
                let garbage: Vec<Vec<u8>> = (0..16).map(|i| vec![i; 1024]).collect();
                drop(garbage);
                v.clear();
            }
        }));
    }
    let plans = [
        Spec::host().plan().unwrap(),
        Spec::host().namespaces(Namespaces::PID).plan().unwrap(),
    ];
    let t = Instant::now();
    for i in 0..400 {
        let plan = &plans[i % 2];
        let mut child = plan.spawn_argv(["/bin/true"]).unwrap();
        assert!(child.wait().unwrap().success());
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    assert!(t.elapsed() < Duration::from_secs(50));
}

fn itimer_signals_cause_no_eintr(_ctx: &Ctx) {
    extern "C" fn on_alarm(_: libc::c_int) {}
    // SAFETY: installing a handler without SA_RESTART and a 1 ms interval timer in this
    // case process.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_alarm as *const () as usize;
        libc::sigaction(libc::SIGALRM, &sa, std::ptr::null_mut());
        let it = libc::itimerval {
            it_interval: libc::timeval {
                tv_sec: 0,
                tv_usec: 1000,
            },
            it_value: libc::timeval {
                tv_sec: 0,
                tv_usec: 1000,
            },
        };
        libc::setitimer(libc::ITIMER_REAL, &it, std::ptr::null_mut());
    }
    for spec in [Spec::host(), Spec::host().namespaces(Namespaces::PID)] {
        let plan = spec.plan().unwrap();
        for _ in 0..500 {
            let mut child = plan.spawn_argv(["/bin/true"]).unwrap();
            assert!(child.wait().unwrap().success());
        }
    }
}

fn die_with_parent(_ctx: &Ctx) {
    for spec in [Spec::host(), Spec::host().namespaces(Namespaces::PID)] {
        let (r, w) = pipe();
        let plan = spec.plan().unwrap();
        // A middle process spawns the sandbox, reports its pid, and is then killed.
        // SAFETY: fork in the single-threaded case process.
        let middle = unsafe { libc::fork() };
        if middle == 0 {
            let child = plan.spawn_argv(["/bin/sleep", "100"]).unwrap();
            let pid = child.pid().as_raw();
            // SAFETY: writing 4 bytes to our pipe.
            unsafe { libc::write(w.as_raw_fd(), pid.to_ne_bytes().as_ptr().cast(), 4) };
            std::mem::forget(child);
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        drop(w);
        let mut buf = [0u8; 4];
        std::fs::File::from(r).read_exact(&mut buf).unwrap();
        let sandbox = i32::from_ne_bytes(buf);
        let pidfd = mntns_pidfd(sandbox);
        // SAFETY: killing and reaping our own child.
        unsafe {
            libc::kill(middle, libc::SIGKILL);
            libc::waitpid(middle, std::ptr::null_mut(), 0);
        }
        // The sandbox dies within a second (its pidfd becomes readable).
        let mut p = libc::pollfd {
            fd: pidfd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut p, 1, 2000) };
        assert_eq!(n, 1, "the sandbox outlived its parent");
    }
}

fn mntns_pidfd(pid: i32) -> OwnedFd {
    // SAFETY: pidfd_open returns a new descriptor.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
    assert!(
        fd >= 0,
        "pidfd_open {pid}: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: a new descriptor we own.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

fn low_fd_limit_is_clean_emfile(_ctx: &Ctx) {
    for spec in [Spec::host(), Spec::host().namespaces(Namespaces::PID)] {
        let plan = spec.plan().unwrap();
        let before = mntns_testkit::open_fds();
        let highest = *before.iter().max().unwrap();
        let lim = libc::rlimit {
            rlim_cur: (highest + 1) as u64,
            rlim_max: 4096,
        };
        // SAFETY: lowering our own soft limit, then filling every free number below it.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
        let mut fillers = Vec::new();
        loop {
            // SAFETY: dup of stdin; EMFILE ends the loop.
            let fd = unsafe { libc::dup(0) };
            if fd < 0 {
                break;
            }
            fillers.push(fd);
        }
        let e = plan.spawn_argv(["/bin/true"]).unwrap_err();
        assert_eq!(e.errno(), Errno::EMFILE, "{e}");
        assert!(e.to_string().contains("RLIMIT_NOFILE"), "{e}");
        for fd in fillers {
            // SAFETY: closing our own dups.
            unsafe { libc::close(fd) };
        }
        assert_eq!(mntns_testkit::open_fds(), before);
        let lim = libc::rlimit {
            rlim_cur: 1024,
            rlim_max: 4096,
        };
        // SAFETY: restoring a usable limit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
        assert!(
            plan.spawn_argv(["/bin/true"])
                .unwrap()
                .wait()
                .unwrap()
                .success()
        );
    }
}

fn tar_root(ctx: &Ctx) {
    let archive = ctx.scratch().join("root.tar");
    make_tar(&archive, false);
    let gz = ctx.scratch().join("root.tar.gz");
    make_tar(&gz, true);
    for path in [archive, gz] {
        let plan = Spec::new()
            .root(mntns::Root::Tar {
                path,
                tmpfs: TmpfsOptions::parse("size=16m,mode=755").unwrap(),
            })
            .plan()
            .unwrap();
        let out = sh(
            &plan,
            "cat /etc/motd; ls -l /etc/motd /data/fifo /dev/nul /data/hard | cut -c1-10; \
             readlink /data/escape; cat /data/escape/etc/motd; stat -c %u /data/owned; \
             stat -c %a /data/setuid",
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "hello from the archive", "{out}");
        assert!(lines.iter().any(|l| l.starts_with("prw")), "fifo: {out}");
        let dev = if ctx.mode == mntns_testkit::Mode::Root {
            "crw"
        } else {
            "-rw"
        };
        assert!(lines.iter().any(|l| l.starts_with(dev)), "device: {out}");
        assert!(
            out.contains("/\nhello from the archive"),
            "escape symlink: {out}"
        );
        // The setuid bit survives the unpack (modes are applied after ownership).
        assert_eq!(lines.last().copied(), Some("4755"), "{out}");
        let owner = if ctx.mode == mntns_testkit::Mode::Root {
            "4242"
        } else {
            "0"
        };
        assert_eq!(lines[lines.len() - 2], owner, "{out}");
    }
}

/// A tar with a static busybox as /bin/sh and a few entry kinds.
fn make_tar(path: &Path, gzip: bool) {
    let file = std::fs::File::create(path).unwrap();
    let w: Box<dyn std::io::Write> = if gzip {
        Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ))
    } else {
        Box::new(file)
    };
    let mut b = tar::Builder::new(w);
    let dir = |b: &mut tar::Builder<_>, name: &str| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_size(0);
        b.append_data(&mut h, name, std::io::empty()).unwrap();
    };
    dir(&mut b, "./");
    dir(&mut b, "bin/");
    dir(&mut b, "etc/");
    dir(&mut b, "dev/");
    dir(&mut b, "data/");
    let busybox = std::fs::read(BUSYBOX).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o755);
    h.set_size(busybox.len() as u64);
    b.append_data(&mut h, "bin/busybox", &busybox[..]).unwrap();
    for applet in ["sh", "cat", "ls", "cut", "readlink", "stat"] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, format!("bin/{applet}"), "busybox")
            .unwrap();
    }
    let motd = b"hello from the archive\n";
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_size(motd.len() as u64);
    b.append_data(&mut h, "etc/motd", &motd[..]).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o4755);
    h.set_size(2);
    b.append_data(&mut h, "data/setuid", &b"x\n"[..]).unwrap();
    // An owner that a rootless unpack cannot represent: kept where it can be, else the
    // entry keeps the unpacker's.
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_uid(4242);
    h.set_gid(4242);
    h.set_size(2);
    b.append_data(&mut h, "data/owned", &b"x\n"[..]).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Fifo);
    h.set_mode(0o644);
    h.set_size(0);
    b.append_data(&mut h, "data/fifo", std::io::empty())
        .unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Char);
    h.set_mode(0o666);
    h.set_size(0);
    h.set_device_major(1).unwrap();
    h.set_device_minor(3).unwrap();
    b.append_data(&mut h, "dev/nul", std::io::empty()).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Link);
    h.set_size(0);
    b.append_link(&mut h, "data/hard", "etc/motd").unwrap();
    // An absolute symlink to "/" is fine: inside the sandbox it is the sandbox's root.
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "data/escape", "/").unwrap();
    b.into_inner().unwrap().flush().unwrap();
}

fn tar_root_refuses_escapes(ctx: &Ctx) {
    let outside = ctx.dir("outside");
    // "../x" entries, and a symlink followed by an entry through it.
    for (name, mk) in [("dotdot", 0), ("through-symlink", 1), ("corrupt", 2)] {
        let path = ctx.scratch().join(format!("{name}.tar"));
        let file = std::fs::File::create(&path).unwrap();
        match mk {
            0 => {
                let mut b = tar::Builder::new(file);
                let mut h = tar::Header::new_gnu();
                h.set_mode(0o644);
                h.set_size(1);
                // Bypass the builder's own path check with a raw name.
                h.as_gnu_mut().unwrap().name[..10].copy_from_slice(b"../evil\0\0\0");
                h.set_cksum();
                b.append(&h, &b"x"[..]).unwrap();
                b.finish().unwrap();
            }
            1 => {
                let mut b = tar::Builder::new(file);
                let mut h = tar::Header::new_gnu();
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, "out", &outside).unwrap();
                let mut h = tar::Header::new_gnu();
                h.set_mode(0o644);
                h.set_size(1);
                b.append_data(&mut h, "out/planted", &b"x"[..]).unwrap();
                b.finish().unwrap();
            }
            _ => {
                use std::io::Write;
                let mut f = file;
                f.write_all(&[0x41u8; 700]).unwrap();
            }
        }
        let plan = Spec::new()
            .root(mntns::Root::Tar {
                path: path.clone(),
                tmpfs: TmpfsOptions::new(),
            })
            .plan()
            .unwrap();
        let before = host_mount_table();
        match plan.spawn_argv(["/bin/true"]) {
            Err(e) => {
                assert!(
                    matches!(e.errno(), Errno::EINVAL | Errno::EIO | Errno::ENOENT),
                    "{name}: {e}"
                );
            }
            Ok(mut child) => {
                // The symlink case may unpack fine (the file lands inside the root); the
                // command is missing, though, so it cannot succeed.
                panic!("{name}: spawned {:?}", child.wait());
            }
        }
        assert_eq!(before, host_mount_table());
        assert_eq!(
            std::fs::read_dir(&outside).unwrap().count(),
            0,
            "{name}: planted outside"
        );
        assert!(!ctx.scratch().parent().unwrap().join("evil").exists());
    }
}

/// Kernels without the newer calls (or a seccomp filter hiding them): clone3, openat2,
/// open_tree, move_mount, mount_setattr, close_range. Every fallback path runs: clone(2),
/// the component walk, binds through /proc/self/fd, per-mount remounts, fcntl loops.
fn fallbacks_without_new_syscalls(ctx: &Ctx) {
    use mntns_testkit::nr;
    // A tree with a submount, to bind read-only recursively.
    let tree = ctx.dir("tree");
    mntns::mount_tmpfs(&tree, &TmpfsOptions::new()).unwrap();
    std::fs::create_dir(tree.join("sub")).unwrap();
    mntns::mount_tmpfs(&tree.join("sub"), &TmpfsOptions::new()).unwrap();
    let plans: Vec<Plan> = [CloneMode::Vfork, CloneMode::Fork]
        .into_iter()
        .map(|mode| {
            Spec::host()
                .clone_mode(mode)
                .ro_bind(&tree, "/tree")
                .tmpfs("/scratch", TmpfsOptions::parse("size=1m").unwrap())
                .plan()
                .unwrap()
        })
        .collect();
    mntns_testkit::deny_syscalls(
        &[
            nr::CLONE3,
            nr::OPENAT2,
            nr::OPEN_TREE,
            nr::MOVE_MOUNT,
            nr::MOUNT_SETATTR,
            libc::SYS_close_range,
        ],
        libc::ENOSYS,
    );
    // Plans made now know there is no mount_setattr (they list the submounts up front).
    let late = Spec::host()
        .ro_bind(&tree, "/tree")
        .tmpfs("/scratch", TmpfsOptions::parse("size=1m").unwrap())
        .namespaces(Namespaces::PID)
        .plan()
        .unwrap();
    for plan in plans.iter().chain([&late]) {
        let out = sh(
            plan,
            "touch /scratch/ok && echo scratch; touch /tree/x 2>/dev/null || echo tree-ro; \
             touch /tree/sub/x 2>/dev/null || echo sub-ro; ls /proc/self/fd | wc -l",
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(&lines[..2], &["scratch", "tree-ro"], "{out}");
        // Without mount_setattr only plans made after the filter know the submounts.
        if std::ptr::eq(plan, &late) {
            assert_eq!(lines[2], "sub-ro", "{out}");
        }
        // 0, 1, 2 and ls's own directory fd.
        assert_eq!(lines.last().copied(), Some("4"), "{out}");
    }
    // Without openat2 a symlink on the way to a target is refused, never followed.
    let root = ctx.dir("root");
    std::fs::create_dir_all(root.join("run")).unwrap();
    std::fs::create_dir_all(root.join("var")).unwrap();
    symlink("../run", root.join("var/run")).unwrap();
    let e = Spec::new()
        .root(mntns::Root::Dir(root))
        .dir("/var/run/d")
        .plan()
        .unwrap()
        .spawn_argv(["/x"])
        .unwrap_err();
    assert_eq!(e.errno(), Errno::ELOOP, "{e}");
}

/// A full tmpfs gives the sandboxed program ENOSPC (size and inode limits), and its memory
/// is returned when the sandbox is gone.
fn tmpfs_limits_inside(_ctx: &Ctx) {
    let plan = Spec::host()
        .tmpfs(
            "/small",
            TmpfsOptions::parse("size=64k,nr_inodes=8").unwrap(),
        )
        .plan()
        .unwrap();
    let out = sh(
        &plan,
        "dd if=/dev/zero of=/small/big bs=4k count=100 2>&1 | grep -o 'No space left on device' | head -1; \
         rm /small/big; for i in 1 2 3 4 5 6 7 8 9 10; do touch /small/f$i 2>/dev/null || echo \"inode limit at $i\"; done | head -1",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "No space left on device", "{out}");
    assert!(lines[1].starts_with("inode limit at "), "{out}");
}

/// Session, no_new_privs and a kept old root, seen from inside.
fn process_attributes(_ctx: &Ctx) {
    let plan = Spec::host()
        .new_session(true)
        .no_new_privs(true)
        .keep_old_root("/oldroot")
        .plan()
        .unwrap();
    // Fields of /proc/self/stat after the command name: state ppid pgrp session.
    let out = sh(
        &plan,
        "grep NoNewPrivs /proc/self/status; \
         s=$(cut -d')' -f2 /proc/self/stat); set -- $s; test \"$4\" = \"$$\" && echo own-session; \
         test -d /oldroot/proc && echo oldroot-kept",
    );
    assert!(out.contains("NoNewPrivs:\t1"), "{out}");
    assert!(out.contains("own-session"), "{out}");
    assert!(out.contains("oldroot-kept"), "{out}");
    // The defaults: no new session, no_new_privs off, the old root gone.
    let plan = Spec::host().plan().unwrap();
    let out = sh(
        &plan,
        "grep NoNewPrivs /proc/self/status; ls -d /oldroot 2>/dev/null || echo gone",
    );
    assert!(
        out.contains("NoNewPrivs:\t0") && out.contains("gone"),
        "{out}"
    );
}

/// Signals the caller ignores stay ignored across exec, except SIGPIPE and SIGXFSZ (which
/// language runtimes ignore for themselves): `restore_signals`, on by default, sets those
/// two back to their default in the command, on every clone path and under a PID
/// namespace's init; `restore_signals(false)` passes them on.
fn restore_signals(_ctx: &Ctx) {
    let bit = |sig: i32| 1u64 << (sig - 1);
    for sig in [libc::SIGPIPE, libc::SIGXFSZ, libc::SIGHUP] {
        // SAFETY: setting a disposition in this single-threaded case process.
        assert_ne!(unsafe { libc::signal(sig, libc::SIG_IGN) }, libc::SIG_ERR);
    }
    let ignored = |plan: &Plan| {
        let out = sh(plan, "grep SigIgn /proc/self/status");
        let hex = out.trim().strip_prefix("SigIgn:\t").unwrap().to_owned();
        u64::from_str_radix(&hex, 16).unwrap()
    };
    let all = bit(libc::SIGPIPE) | bit(libc::SIGXFSZ) | bit(libc::SIGHUP);
    for (mode, extra) in [
        (CloneMode::Vfork, Namespaces::empty()),
        (CloneMode::Fork, Namespaces::empty()),
        (CloneMode::Auto, Namespaces::PID),
    ] {
        let spec = Spec::host().clone_mode(mode).namespaces(extra);
        let got = ignored(&spec.clone().plan().unwrap());
        assert_eq!(got & all, bit(libc::SIGHUP), "{mode:?} {extra:?}: {got:#x}");
        let got = ignored(&spec.restore_signals(false).plan().unwrap());
        assert_eq!(
            got & all,
            all,
            "{mode:?} {extra:?}, restore_signals(false): {got:#x}"
        );
    }
    let plan = Spec::host().plan().unwrap().to_string();
    assert!(
        plan.contains("signal(SIGPIPE and SIGXFSZ, SIG_DFL)"),
        "{plan}"
    );
    let plan = Spec::host()
        .restore_signals(false)
        .plan()
        .unwrap()
        .to_string();
    assert!(!plan.contains("SIGPIPE"), "{plan}");
}

/// A sandbox started paused is set up and waits before its command: its namespaces can be
/// read however short-lived the command, and resume() runs it (or reports its failure).
fn start_paused_and_resume(_ctx: &Ctx) {
    for extra in [Namespaces::empty(), Namespaces::PID] {
        let plan = Spec::host()
            .namespaces(extra)
            .start_paused(true)
            .plan()
            .unwrap();
        assert!(!plan.uses_vfork());
        assert!(
            plan.to_string().contains("pause: spawn returns here"),
            "{plan}"
        );
        let (r, w) = pipe();
        let mut child = plan
            .spawn_with(
                ["/bin/sh", "-c", "echo ran; exit 6"],
                [Stdio::Inherit, Stdio::Fd(w.as_raw_fd()), Stdio::Inherit],
                &[],
            )
            .unwrap();
        drop(w);
        assert!(child.is_paused());
        // Still waiting: nothing ran, and the namespaces are there to be read.
        assert_eq!(
            child.wait_timeout(Duration::from_millis(100)).unwrap(),
            None
        );
        let id = child.ns_id(NsKind::Mount).unwrap();
        assert_ne!(id, NsId::of_self(NsKind::Mount).unwrap());
        child.resume().unwrap();
        assert!(!child.is_paused());
        let mut out = String::new();
        std::fs::File::from(r).read_to_string(&mut out).unwrap();
        assert_eq!(out, "ran\n");
        assert_eq!(child.wait().unwrap().code(), Some(6));
        // A command that cannot start fails at resume, named.
        let mut child = plan.spawn_argv(["no-such-command"]).unwrap();
        let e = child.resume().unwrap_err();
        assert_eq!((e.step(), e.errno()), ("exec", Errno::ENOENT), "{e}");
        // Dropped while paused: killed and reaped (the harness fails on leftovers).
        drop(plan.spawn_argv(["/bin/true"]).unwrap());
    }
}

fn main() {
    mntns_testkit::main(&[
        case!(start_paused_and_resume, BOTH),
        case!(process_attributes, BOTH),
        case!(restore_signals, BOTH),
        case!(tmpfs_limits_inside, BOTH),
        case!(fallbacks_without_new_syscalls, BOTH),
        case!(host_default_root_runs_commands, BOTH),
        case!(bare_root_with_busybox, BOTH),
        case!(exit_status_and_signals, BOTH),
        case!(missing_command_is_enoent_named, BOTH),
        case!(setup_failure_names_the_step, BOTH),
        case!(bad_specs_are_refused_before_any_process, BOTH),
        case!(only_asked_fds_reach_the_command, BOTH),
        case!(stdio_null_and_fds, BOTH),
        case!(cwd_env_and_hostname, BOTH),
        case!(pid_namespace_init, BOTH),
        case!(pid_namespace_forwards_signals, BOTH),
        case!(child_handle, BOTH),
        case!(kill_without_pidfd_send_signal, BOTH),
        case!(caller_ignoring_sigchld_gets_status, BOTH),
        case!(enter_runs_in_the_caller, BOTH),
        case!(symlinked_targets_stay_inside, BOTH),
        case!(proc_and_dev_symlinks_are_refused, BOTH),
        case!(rshared_host_table_unchanged, BOTH),
        case!(spawn_from_busy_threads, BOTH),
        case!(itimer_signals_cause_no_eintr, BOTH),
        case!(die_with_parent, BOTH),
        case!(low_fd_limit_is_clean_emfile, BOTH),
        case!(tar_root, BOTH),
        case!(tar_root_refuses_escapes, BOTH),
        case!(host_default_root_runs_commands_rootless_from_root, ROOT),
    ]);
}

/// A root caller asking for a rootless sandbox explicitly (a user namespace mapping root).
fn host_default_root_runs_commands_rootless_from_root(_ctx: &Ctx) {
    let plan = Spec::host()
        .identity(mntns::Identity::Rootless {
            uid: 1000,
            gid: 1000,
        })
        .plan()
        .unwrap();
    assert!(plan.has_user_namespace());
    let out = sh(&plan, "id -u; id -g; cat /proc/self/uid_map");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "1000");
    assert_eq!(lines[1], "1000");
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        vec!["1000", "0", "1"]
    );
    // Explicit maps, written by the parent.
    let plan = Spec::host()
        .identity(mntns::Identity::Maps {
            uid_map: vec![mntns::idmap::IdMap::new(0, 100000, 65536)],
            gid_map: vec![mntns::idmap::IdMap::new(0, 100000, 65536)],
            setgroups: mntns::idmap::SetGroups::Deny,
            uid: 33,
            gid: 33,
        })
        .plan()
        .unwrap();
    assert!(!plan.uses_vfork());
    let out = sh(&plan, "id -u; cat /proc/self/uid_map");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "33");
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        vec!["0", "100000", "65536"]
    );
}
