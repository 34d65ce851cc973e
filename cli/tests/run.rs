//! `mntns run` end to end, as root and rootless, each case in its own namespaces (see the
//! mntns-testkit crate): exit statuses, the one-line errors, `--explain`, option order,
//! `--json-status-fd`, signals, roots from a directory, a tar archive or nothing, and real
//! kernel failures injected at each step with strace.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mntns_testkit::{BOTH, Ctx, case, host_mount_table};

/// The `mntns` under test: this build's, or the one `MNTNS_TEST_BIN` names (scripts/test
/// runs these tests again against the static build of scripts/build-cli, which the README's
/// main job runs).
fn mntns_path() -> std::path::PathBuf {
    std::env::var_os("MNTNS_TEST_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_mntns").into(), Into::into)
}

fn mntns() -> Command {
    Command::new(mntns_path())
}

fn run(args: &[&str]) -> Output {
    mntns().arg("run").args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn default_root_walkthrough(ctx: &Ctx) {
    let o = run(&[
        "--tmpfs",
        "/tmp/tmp1:size=1m",
        "--",
        "sh",
        "-c",
        "mount | grep tmp1; readlink /proc/self/ns/mnt; id -u",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("tmpfs on /tmp/tmp1 type tmpfs") && lines[0].contains("size=1024k"),
        "{out}"
    );
    let mine = std::fs::read_link("/proc/self/ns/mnt").unwrap();
    assert!(
        lines[1].starts_with("mnt:[") && lines[1] != mine.to_str().unwrap(),
        "{out}"
    );
    assert_eq!(
        lines[2], "0",
        "root inside, rootless or not ({:?})",
        ctx.mode
    );
}

fn exit_statuses(_ctx: &Ctx) {
    assert_eq!(run(&["--", "sh", "-c", "exit 3"]).status.code(), Some(3));
    assert_eq!(
        run(&["--", "sh", "-c", "kill -KILL $$"]).status.code(),
        Some(128 + 9)
    );
    let o = run(&["--", "no-such-command"]);
    assert_eq!(o.status.code(), Some(127));
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "mntns: exec no-such-command: ENOENT (no such file or directory; command not found"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let o = run(&["--", "/etc/hostname"]);
    assert_eq!(o.status.code(), Some(126), "{}", stderr(&o));
    let o = run(&["--bind", "/no/such/source", "/x", "--", "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        "mntns: open bind source /no/such/source: ENOENT (no such file or directory; the bind source does not exist)\n"
    );
    let o = run(&["--tmpfs", "/x:size=0", "--", "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr(&o).contains("\"0\""), "{}", stderr(&o));
    // Usage errors are clap's (2), with its message, whichever parser saw the line first.
    assert_eq!(run(&["--no-such-option"]).status.code(), Some(2));
    for (args, says) in [
        (
            &["--uid", "x", "--", "true"][..],
            "invalid value 'x' for '--uid <UID>'",
        ),
        (
            &["--bare", "--bare", "--", "true"],
            "'--bare' cannot be used multiple times",
        ),
        (&["--bind", "/a", "--", "true"], "--bind <SRC> <DEST>"),
        (&["--bare"], "<COMMAND>"),
        (&["--bare", "--"], "<COMMAND>"),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
}

fn explain_prints_steps_and_does_nothing(_ctx: &Ctx) {
    let before = host_mount_table();
    let o = run(&[
        "--explain",
        "--unshare",
        "pid,uts",
        "--hostname",
        "box",
        "--tmpfs",
        "/scratch:size=1m",
        "--",
        "sh",
        "-c",
        "echo hi",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("  1. clone(CLONE_NEWUTS|CLONE_NEWPID|CLONE_NEWNS"),
        "{out}"
    );
    for want in [
        "mount --make-rslave /",
        "hostname box",
        "mount -t tmpfs -o size=1048576 tmpfs ./scratch",
        "pivot_root . .",
        "fork: pid 1 stays as init",
        "exec sh -c 'echo hi'",
    ] {
        assert!(out.contains(want), "{want:?} missing:\n{out}");
    }
    assert_eq!(before, host_mount_table());
}

fn mounts_follow_command_line_order(ctx: &Ctx) {
    let src = ctx.dir("src");
    std::fs::write(src.join("marker"), "bound").unwrap();
    let src = src.to_str().unwrap();
    // tmpfs first, then a bind inside it: the bind is visible.
    let o = run(&[
        "--tmpfs",
        "/a",
        "--ro-bind",
        src,
        "/a/b",
        "--",
        "cat",
        "/a/b/marker",
    ]);
    assert_eq!(stdout(&o), "bound", "{}", stderr(&o));
    // bind first, then a tmpfs over its parent: the bind is hidden.
    let o = run(&[
        "--ro-bind",
        src,
        "/a/b",
        "--tmpfs",
        "/a",
        "--",
        "ls",
        "-A",
        "/a",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
}

/// The command skips the Rust runtime's start-up (see `main` in cli/src/main.rs) and does
/// what of it matters itself: closed standard descriptors are opened on /dev/null (so the
/// command's own files never take their numbers), and the command starts with no signal
/// ignored although mntns ignores SIGPIPE.
fn standard_fds_and_signals_without_the_runtime(ctx: &Ctx) {
    use std::os::unix::process::CommandExt;
    let out = ctx.dir("out");
    let mut cmd = mntns();
    cmd.args([
        "run",
        "--bind",
        out.to_str().unwrap(),
        "/out",
        "--",
        "sh",
        "-c",
    ]);
    // (The shell's descriptors are read before any redirection: a shell redirects its own
    // around a builtin or a compound command, and dash even around a command it vforks.)
    cmd.arg(
        "for fd in 0 1 2; do echo \"$fd $(readlink /proc/$$/fd/$fd)\" >> /out/fds; done; \
         grep SigIgn /proc/$$/status > /out/ignored",
    );
    // SAFETY: only close(2) between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            for fd in 0..3 {
                libc::close(fd);
            }
            Ok(())
        });
    }
    let status = cmd.status().unwrap();
    assert!(status.success(), "{status}");
    let fds = std::fs::read_to_string(out.join("fds")).unwrap();
    assert_eq!(fds, "0 /dev/null\n1 /dev/null\n2 /dev/null\n");
    // Ignored: what this process ignores (inherited, as exec keeps it), less SIGPIPE and
    // SIGXFSZ, which the sandbox sets back to their default.
    let mine = std::fs::read_to_string("/proc/self/status").unwrap();
    let mine = mine
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:\t"))
        .unwrap();
    let mine = u64::from_str_radix(mine, 16).unwrap();
    let bit = |sig: i32| 1u64 << (sig - 1);
    let want = mine & !bit(libc::SIGPIPE) & !bit(libc::SIGXFSZ);
    let ignored = std::fs::read_to_string(out.join("ignored")).unwrap();
    assert_eq!(ignored, format!("SigIgn:\t{want:016x}\n"));
}

fn json_status_fd(_ctx: &Ctx) {
    let mut fds = [0; 2];
    // SAFETY: fds is an array of two ints; the write end stays inheritable for mntns.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let o = mntns()
        .args([
            "run",
            "--unshare",
            "pid,net",
            "--json-status-fd",
            &fds[1].to_string(),
            "--",
            "sh",
            "-c",
            "exit 4",
        ])
        .output()
        .unwrap();
    // SAFETY: closing our copy of the write end, then reading the rest.
    unsafe { libc::close(fds[1]) };
    // SAFETY: the read end is ours.
    let mut r = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fds[0]) });
    let mut text = String::new();
    r.read_to_string(&mut text).unwrap();
    assert_eq!(o.status.code(), Some(4));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0]["child-pid"].as_i64().unwrap() > 0, "{text}");
    for key in ["mnt-namespace", "pid-namespace", "net-namespace"] {
        assert!(lines[0][key].as_u64().unwrap() > 0, "{key}: {text}");
    }
    assert_eq!(lines[1]["exit-code"], 4);
}

fn signals_reach_the_command(_ctx: &Ctx) {
    for extra in [&[][..], &["--unshare", "pid"][..]] {
        let mut child = mntns()
            .arg("run")
            .args(extra)
            .args([
                "--",
                "sh",
                "-c",
                "trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let mut buf = [0u8; 6];
        out.read_exact(&mut buf).unwrap();
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(42), "{extra:?}");
    }
}

fn roots_from_dir_tar_and_nothing(ctx: &Ctx) {
    // --bare: nothing but what is given.
    let o = run(&[
        "--bare",
        "--ro-bind",
        "/bin/busybox",
        "/bin/sh",
        "--",
        "/bin/sh",
        "-c",
        "echo bare; echo /*",
    ]);
    assert_eq!(stdout(&o), "bare\n/bin\n", "{}", stderr(&o));
    // --rootfs: a directory with a static busybox; /proc, /dev and /tmp are added.
    let root = ctx.dir("root");
    std::fs::create_dir(root.join("bin")).unwrap();
    std::fs::copy("/bin/busybox", root.join("bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
    let o = run(&[
        "--rootfs",
        root.to_str().unwrap(),
        "--",
        "/bin/sh",
        "-c",
        "echo /*",
    ]);
    assert_eq!(stdout(&o), "/bin /dev /proc /tmp\n", "{}", stderr(&o));
    // --rootfs-tar: the same root as an archive (made with tar(1)).
    let tar = ctx.scratch().join("root.tar");
    let status = Command::new("tar")
        .args([
            "-C",
            root.to_str().unwrap(),
            "-cf",
            tar.to_str().unwrap(),
            ".",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let o = run(&[
        "--rootfs-tar",
        tar.to_str().unwrap(),
        "--root-size",
        "8m",
        "--",
        "/bin/sh",
        "-c",
        "echo /*; df -k / | tail -1",
    ]);
    let out = stdout(&o);
    assert!(
        out.starts_with("/bin /dev /proc /tmp\n"),
        "{out}{}",
        stderr(&o)
    );
    assert!(out.contains(" 8192 "), "{out}");
}

fn unshare_all(ctx: &Ctx) {
    let o = run(&[
        "--unshare-all",
        "--hostname",
        "box",
        "--",
        "sh",
        "-c",
        "hostname; echo $$; ls /sys/class/net 2>/dev/null | tr '\\n' ' '",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("box\n2\n"), "{out}");
    let _ = ctx;
}

fn die_with_parent_by_default(_ctx: &Ctx) {
    for (extra, survives) in [(&[][..], false), (&["--no-die-with-parent"][..], true)] {
        let mut child = mntns()
            .arg("run")
            .args(extra)
            .args(["--", "sh", "-c", "echo $$; exec sleep 30"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let mut line = String::new();
        let mut b = [0u8; 1];
        while out.read(&mut b).unwrap() == 1 && b[0] != b'\n' {
            line.push(b[0] as char);
        }
        let inner: i32 = line.trim().parse().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let alive = std::path::Path::new(&format!("/proc/{inner}")).exists()
            && !std::fs::read_to_string(format!("/proc/{inner}/stat"))
                .unwrap_or_default()
                .contains(") Z");
        assert_eq!(alive, survives, "{extra:?}");
        if alive {
            // SAFETY: killing the survivor we made, then waiting until it is gone.
            unsafe { libc::kill(inner, libc::SIGKILL) };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline
                && !std::fs::read_to_string(format!("/proc/{inner}/stat"))
                    .map(|s| s.contains(") Z"))
                    .unwrap_or(true)
            {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// A real kernel failure at each mount-related step (strace fault injection): the error
/// names the step and the limit, arrives within a second, invents no exit code, and leaves
/// neither mounts nor processes behind.
fn injected_failures_at_every_step(_ctx: &Ctx) {
    let before = host_mount_table();
    let mut seen_steps = Vec::new();
    for when in 1..=30 {
        let start = Instant::now();
        let o = Command::new("strace")
            .args([
                "-f",
                "-o",
                "/dev/null",
                "-e",
                &format!("inject=mount:error=ENOSPC:when={when}"),
            ])
            .arg(mntns_path())
            .args(["run", "--", "true"])
            .output()
            .unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
        if o.status.success() {
            // Past the last mount call: everything ran.
            assert!(when > 5, "only {when} mount calls?");
            break;
        }
        assert_eq!(o.status.code(), Some(125), "when={when}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("ENOSPC") && err.contains("fs.mount-max"),
            "when={when}: {err}"
        );
        seen_steps.push(err.split(':').nth(1).unwrap_or("").to_owned());
    }
    assert!(seen_steps.len() >= 5, "{seen_steps:?}");
    assert_eq!(before, host_mount_table());

    // Other system calls of the setup, each failing once at its first call in the sandbox:
    // the message names the step and the errno; no exit code is invented.
    let cases: &[(&str, &str, &[&str])] = &[
        ("openat2", "EACCES", &["--tmpfs", "/scratch", "--", "true"]),
        ("mkdirat", "EROFS", &["--dir", "/newdir", "--", "true"]),
        ("open_tree", "ENOMEM", &["--", "true"]),
        ("move_mount", "EPERM", &["--", "true"]),
        ("pivot_root", "EBUSY", &["--", "true"]),
        ("sethostname", "EPERM", &["--hostname", "box", "--", "true"]),
        ("symlinkat", "EIO", &["--", "true"]),
        ("prctl", "EINVAL", &["--", "true"]),
        ("execve", "EACCES", &["--", "/usr/bin/true"]),
    ];
    for (syscall, errno, args) in cases {
        // strace counts calls per process: the child's first prctl is the early,
        // best-effort death signal (the second is checked); execve is injected only for
        // the command's path, not for mntns's own start.
        let when = if *syscall == "prctl" { 2 } else { 1 };
        let mut filter: Vec<String> = Vec::new();
        if *syscall == "execve" {
            filter.extend(["-P".to_owned(), "/usr/bin/true".to_owned()]);
        }
        let start = Instant::now();
        let o = Command::new("strace")
            .args(["-f", "-o", "/dev/null"])
            .args(&filter)
            .args(["-e", &format!("inject={syscall}:error={errno}:when={when}")])
            .arg(mntns_path())
            .arg("run")
            .args(*args)
            .output()
            .unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
        let err = stderr(&o);
        let code = o.status.code();
        assert!(
            matches!(code, Some(125) | Some(126)),
            "{syscall}: {code:?} {err}"
        );
        assert_eq!(err.lines().count(), 1, "{syscall}: {err}");
        assert!(
            err.starts_with("mntns: ") && err.contains(errno),
            "{syscall}: {err}"
        );
    }
    assert_eq!(before, host_mount_table());
}

/// The identity, environment and filesystem options, seen from inside.
fn identity_env_and_entries(_ctx: &Ctx) {
    let o = run(&[
        "--uid",
        "1000",
        "--gid",
        "1000",
        "--chdir",
        "/work",
        "--dir",
        "/work",
        "--symlink",
        "/work",
        "/w",
        "--clearenv",
        "--setenv",
        "PATH",
        "/usr/bin:/bin",
        "--setenv",
        "GREETING",
        "hi",
        "--unshare",
        "pid",
        "--proc",
        "/proc2",
        "--dev",
        "/dev2",
        "--",
        "sh",
        "-c",
        "id -u; id -g; pwd; readlink /w; echo $GREETING; env | grep -c . ; ls /proc2/1/ns >/dev/null && echo proc2; test -c /dev2/null && echo dev2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        &lines[..5],
        &["1000", "1000", "/work", "/work", "hi"],
        "{out}"
    );
    assert!(lines.contains(&"proc2") && lines.contains(&"dev2"), "{out}");
    // --unsetenv removes one variable and keeps the rest.
    let o = mntns()
        .args([
            "run",
            "--unsetenv",
            "DROPME",
            "--",
            "sh",
            "-c",
            "echo ${DROPME:-unset}-$KEEPME",
        ])
        .env("DROPME", "x")
        .env("KEEPME", "y")
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "unset-y\n", "{}", stderr(&o));
}

fn main() {
    mntns_testkit::main(&[
        case!(identity_env_and_entries, BOTH),
        case!(default_root_walkthrough, BOTH),
        case!(exit_statuses, BOTH),
        case!(explain_prints_steps_and_does_nothing, BOTH),
        case!(mounts_follow_command_line_order, BOTH),
        case!(standard_fds_and_signals_without_the_runtime, BOTH),
        case!(json_status_fd, BOTH),
        case!(signals_reach_the_command, BOTH),
        case!(roots_from_dir_tar_and_nothing, BOTH),
        case!(unshare_all, BOTH),
        case!(die_with_parent_by_default, BOTH),
        case!(injected_failures_at_every_step, BOTH),
    ]);
}
