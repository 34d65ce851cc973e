"""Sandbox, Child, spawn and run against the real kernel: every option and method, their
errors, stdio and passed descriptors, the subprocess-compatible results and exceptions.

Each case runs in a forked child three ways (the `inside` fixture): as root, rootless (uid
65534 in a user namespace of its own, mapped to 0 — the harness's rootless mode), and as
`nobody` (uid 65534 without any namespace, so the sandbox makes its own user namespace:
what an ordinary user gets). What the sandboxed command sees is checked from inside (a
shell or busybox in the sandbox prints it); the harness checks the host afterwards (mount
table, children, descriptors).
"""

import errno
import gc
import io
import os
import signal
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import pytest

import mntns
from conftest import run_in_child
from mntns import Namespace

BUSYBOX = "/bin/busybox"


@pytest.fixture(params=["root", "rootless", "nobody"])
def inside(request):
    """`inside(fn, *args)` runs `fn` in a forked child as root, rootless or nobody."""
    return lambda fn, *args: run_in_child(request.param, fn, *args)


def bare():
    """A sandbox whose root holds only a read-only busybox and its sh link."""
    return mntns.Sandbox(base="bare").add_bind(BUSYBOX, "/bin/busybox", readonly=True).add_symlink("busybox", "/bin/sh")


def sh(sandbox, script, **kwargs):
    """Runs `sh -c script` in the sandbox; returns its stdout as text (it must succeed)."""
    result = sandbox.run(["/bin/sh", "-c", script], capture_output=True, **kwargs)
    assert result.returncode == 0, (script, result)
    return result.stdout.decode()


def children():
    """Pids of this process's children (of every thread), reaped or not yet."""
    found = []
    for task in os.listdir("/proc/self/task"):
        try:
            found += Path(f"/proc/self/task/{task}/children").read_text().split()
        except FileNotFoundError:
            # A thread that was joined may still be leaving the kernel's task list; its
            # children (if any) are re-parented to a live thread, listed there.
            pass
    return found


def fds():
    return sorted(os.listdir("/proc/self/fd"))


def make_tar(path, entries):
    """A tar archive of `entries`: name -> bytes (a file, mode 0755) or ("link", target)."""
    with tarfile.open(path, "w") as tar:
        for name, what in entries.items():
            info = tarfile.TarInfo(name)
            if isinstance(what, tuple):
                info.type = tarfile.SYMTYPE
                info.linkname = what[1]
                tar.addfile(info)
            else:
                info.size = len(what)
                info.mode = 0o755
                tar.addfile(info, io.BytesIO(what))


# --- roots and bases ------------------------------------------------------------------------


def test_default_is_the_mntns_run_root(inside):
    def case():
        sandbox = mntns.Sandbox()
        out = sh(sandbox, "ls /; readlink /proc/self/ns/mnt; touch /tmp/x && echo tmp-ok; touch /usr/x 2>/dev/null || echo usr-ro; echo x > /dev/null && echo dev-ok")
        return out.split(), str(mntns.ns_id())

    out, mine = inside(case)
    for name in ("usr", "etc", "proc", "dev", "tmp", "bin", "tmp-ok", "usr-ro", "dev-ok"):
        assert name in out, (name, out)
    sandbox_ns = [w for w in out if w.startswith("mnt:[")]
    assert sandbox_ns and sandbox_ns[0] != mine


def test_bare_base_has_only_what_was_added(inside):
    def case():
        return sh(bare(), "echo /* /bin/*")

    assert inside(case).split() == ["/bin", "/bin/busybox", "/bin/sh"]


def test_system_base_and_root_directory(inside, scratch):
    root = scratch / "root"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "busybox").write_bytes(Path(BUSYBOX).read_bytes())
    (root / "bin" / "busybox").chmod(0o755)
    (root / "bin" / "sh").symlink_to("busybox")
    (root / "marker").write_text("from the host directory\n")
    os.chown(root, 65534, 65534)

    def case(root_arg):
        # A directory root gets the "system" base by default: /proc, /dev, /tmp.
        out = sh(mntns.Sandbox(root=root_arg), "echo /*; cat /marker; echo /dev/null /dev/zero /tmp")
        bare_out = sh(mntns.Sandbox(root=root_arg, base="bare"), "echo /*")
        return out, bare_out

    for root_arg in (root, str(root), os.fsencode(root)):
        out, bare_out = inside(case, root_arg)
        lines = out.splitlines()
        assert lines[0].split() == ["/bin", "/dev", "/marker", "/proc", "/tmp"], out
        assert lines[1] == "from the host directory"
        assert lines[2] == "/dev/null /dev/zero /tmp"
        assert bare_out.split() == ["/bin", "/dev", "/marker", "/proc", "/tmp"]  # mount points stay


def test_tar_root_and_tmpfs_root_options(inside, scratch):
    archive = scratch / "root.tar"
    make_tar(archive, {"bin/busybox": Path(BUSYBOX).read_bytes(), "bin/sh": ("link", "busybox"), "etc/motd": b"from the archive\n"})

    def case():
        # A regular file as root is a tar archive, unpacked into a tmpfs.
        out = sh(mntns.Sandbox(root=archive), "echo /*; cat /etc/motd; busybox stat -f -c '%b %S' /")
        sized = sh(mntns.Sandbox(root=mntns.TmpfsRoot(size="8m", tar=archive)), "busybox stat -f -c '%b %S' /")
        # A dict of tmpfs options (host base: the host's stat).
        from_dict = sh(mntns.Sandbox(root={"size": "4m", "mode": 0o700}), "stat -f -c '%b %S' /; stat -c %a /")
        return out, sized, from_dict

    out, sized, from_dict = inside(case)
    lines = out.splitlines()
    assert lines[0].split() == ["/bin", "/dev", "/etc", "/proc", "/tmp"]
    assert lines[1] == "from the archive"
    blocks, bsize = map(int, sized.split())
    assert blocks * bsize == 8 << 20
    size_line, mode_line = from_dict.splitlines()
    blocks, bsize = map(int, size_line.split())
    assert (blocks * bsize, mode_line) == (4 << 20, "700")


def test_tmpfs_root_class():
    root = mntns.TmpfsRoot(size="1m", nr_inodes=100, tar=b"/x.tar")
    assert root.options == "size=1m,nr_inodes=100,mode=755"
    assert root.tar == "/x.tar"
    assert repr(root) == "TmpfsRoot('size=1m,nr_inodes=100,mode=755', tar='/x.tar')"
    assert mntns.TmpfsRoot(mode=0o1777).options == "mode=1777" and mntns.TmpfsRoot().tar is None
    with pytest.raises(ValueError, match="is not a valid size"):
        mntns.TmpfsRoot(size=0)
    with pytest.raises(TypeError):
        mntns.TmpfsRoot(size=True)
    with pytest.raises(TypeError):
        mntns.Sandbox(root={"sise": "1m"})


# --- namespaces, identity, environment, process options --------------------------------------


def test_namespaces_and_hostname(inside):
    def case():
        sandbox = mntns.Sandbox(namespaces=Namespace.PID | Namespace.IPC, hostname="box")
        out = sh(sandbox, "hostname; echo $$; readlink /proc/self/ns/uts /proc/self/ns/ipc /proc/self/ns/pid; echo /proc/[0-9]*")
        with sandbox.spawn(["sleep", "10"]) as child:
            ids = [str(child.ns_id(k)) for k in ("uts", Namespace.IPC, "pid", "mnt")]
        mine = [str(mntns.ns_id(kind=k)) for k in ("uts", "ipc", "pid", "mnt")]
        return out.splitlines(), ids, mine

    out, ids, mine = inside(case)
    hostname, pid, uts, ipc, pidns, procs = out
    assert hostname == "box" and pid == "2"  # pid 1 is the sandbox's init
    assert uts != mine[0] and ipc != mine[1] and pidns != mine[2]
    assert procs == "/proc/1 /proc/2"  # init and sh: nothing else in the PID namespace
    assert all(a != b for a, b in zip(ids, mine)), (ids, mine)


def test_uid_and_gid_map_the_caller(inside):
    def case():
        out = sh(mntns.Sandbox(uid=1000, gid=1001), "id -u; id -g; cat /proc/self/uid_map")
        maps = sh(mntns.Sandbox(uid_map=[(0, os.geteuid(), 1)], gid_map=f"0 {os.getegid()} 1"), "id -u; id -g")
        return out.split(), maps.split(), os.geteuid()

    out, maps, euid = inside(case)
    assert out == ["1000", "1001", "1000", str(euid), "1"]
    assert maps == ["0", "0"]


def test_wide_maps_need_privilege():
    # Only real root may write a map of more than its own id (CAP_SETUID in the parent
    # user namespace): this case is about that privilege, so it runs as root only.
    def case():
        sandbox = mntns.Sandbox(uid_map="0 100000 65536", gid_map=["0:100000:65536"], uid=5, gid=6, setgroups=True)
        return sh(sandbox, "id -u; id -g; cat /proc/self/uid_map /proc/self/setgroups").split()

    assert run_in_child("root", case) == ["5", "6", "0", "100000", "65536", "allow"]

    def refused():
        sandbox = mntns.Sandbox(uid_map="0 100000 65536", gid_map="0 100000 65536")
        with pytest.raises(PermissionError) as e:
            sandbox.run(["true"])
        return e.value.step, e.value.hint

    step, hint = run_in_child("nobody", refused)
    assert step.startswith("write") and "map" in step, step


def test_identity_errors():
    with pytest.raises(ValueError, match="uid_map and gid_map together"):
        mntns.Sandbox(uid_map="0 0 1")
    with pytest.raises(ValueError, match="three numbers"):
        mntns.Sandbox(uid_map="0 1", gid_map="0 0 1")
    with pytest.raises(ValueError, match="three numbers"):
        mntns.Sandbox(uid_map=[(0, 1)], gid_map="0 0 1")
    with pytest.raises(ValueError, match="explicit uid_map"):
        mntns.Sandbox(setgroups=True)
    with pytest.raises(ValueError, match="out of range"):
        mntns.Sandbox(uid=-1)
    with pytest.raises(TypeError):
        mntns.Sandbox(uid_map=5, gid_map=5)
    # Overlapping lines: refused when planned, before any process.
    sandbox = mntns.Sandbox(uid_map="0 1000 10\n5 2000 10", gid_map="0 1000 1")
    with pytest.raises(ValueError, match="overlap"):
        sandbox.explain()


def test_environment(inside):
    os.environ["MNTNS_TEST_HOST"] = "host value"

    def case():
        only = mntns.Sandbox(env={"A": "1", b"B": b"\xff"}).run(["env"], capture_output=True).stdout
        changed = sh(mntns.Sandbox(setenv={"X": "y"}, unsetenv=["HOME"]), "echo $X/$MNTNS_TEST_HOST/${HOME-unset}")
        cleared = mntns.Sandbox(clearenv=True, setenv={"ONLY": "this"}).run(["env"], capture_output=True).stdout
        return only, changed, cleared

    try:
        only, changed, cleared = inside(case)
    finally:
        del os.environ["MNTNS_TEST_HOST"]
    assert sorted(only.splitlines()) == [b"A=1", b"B=\xff"]
    assert changed == "y/host value/unset\n"
    assert cleared == b"ONLY=this\n"


def test_environment_errors():
    with pytest.raises(TypeError, match="env must be a mapping"):
        mntns.Sandbox(env=["A=1"])
    with pytest.raises(TypeError, match="unsetenv must be an iterable"):
        mntns.Sandbox(unsetenv="HOME")
    with pytest.raises(ValueError, match="embedded null"):
        mntns.Sandbox(setenv={"A": "x\0y"})
    with pytest.raises(ValueError, match="not a variable name"):
        mntns.Sandbox(setenv={"A=B": "c"}).explain()


def test_cwd_session_no_new_privs(inside):
    def case():
        sandbox = mntns.Sandbox(cwd="/tmp", new_session=True, no_new_privs=True)
        out = sh(sandbox, "pwd; cut -d' ' -f6 /proc/$$/stat; echo $$; grep NoNewPrivs /proc/self/status")
        plain = sh(mntns.Sandbox(), "pwd; grep NoNewPrivs /proc/self/status")
        return out.split(), plain.split()

    out, plain = inside(case)
    cwd, session, pid, _, nnp = out
    assert cwd == "/tmp" and session == pid and nnp == "1"
    assert plain == ["/", "NoNewPrivs:", "0"]


def test_restore_signals(inside):
    # Python ignores SIGPIPE and SIGXFSZ for itself; as with subprocess, the command starts
    # with them at their default (a pipeline ends quietly), unless restore_signals=False.
    pipe_xfsz = (1 << (signal.SIGPIPE - 1)) | (1 << (signal.SIGXFSZ - 1))
    script = "grep SigIgn /proc/self/status; yes | head -1"

    def case():
        assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN
        restored = mntns.Sandbox().run(["sh", "-c", script], capture_output=True)
        kept = mntns.Sandbox(restore_signals=False).run(["sh", "-c", script], capture_output=True)
        return [(r.stdout.decode(), r.stderr.decode()) for r in (restored, kept)]

    (out, err), (kept_out, kept_err) = inside(case)
    ignored = int(out.split()[1], 16)
    assert ignored & pipe_xfsz == 0 and out.split()[2] == "y" and err == ""
    assert int(kept_out.split()[1], 16) & pipe_xfsz == pipe_xfsz
    assert "Broken pipe" in kept_err


def test_relative_cwd_is_refused_when_planned():
    sandbox = mntns.Sandbox(cwd="tmp")
    with pytest.raises(ValueError, match="absolute") as e:
        sandbox.run(["true"])
    assert e.value.step == "working directory"


def test_die_with_parent(inside):
    def case():
        assert "PR_SET_PDEATHSIG" in mntns.Sandbox().explain()
        assert "PR_SET_PDEATHSIG" not in mntns.Sandbox(die_with_parent=False).explain()
        # A process spawns a sandbox and exits: the sandbox is killed with it.
        r, w = os.pipe()
        middle = os.fork()
        if middle == 0:
            child = mntns.Sandbox().spawn(["sleep", "30"])
            os.write(w, str(child.pid).encode())
            os._exit(0)
        os.close(w)
        pid = int(os.read(r, 32))
        os.close(r)
        os.waitpid(middle, 0)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().split()[2]
            except FileNotFoundError:
                return "gone"
            if state == "Z":
                return "gone"
            time.sleep(0.01)
        return "still running"

    assert inside(case) == "gone"


def test_keep_old_root(inside, scratch):
    (scratch / "marker").write_text("host\n")

    def case():
        out = sh(mntns.Sandbox(keep_old_root="/old"), f"cat /old{scratch}/marker; ls /old/usr >/dev/null && echo usr")
        return out.split()

    assert inside(case) == ["host", "usr"]


def test_start_paused_and_resume(inside):
    def case():
        sandbox = mntns.Sandbox(start_paused=True)
        assert "pause: spawn returns here" in sandbox.explain()
        child = sandbox.spawn(["sh", "-c", "exit 6"])
        assert child.paused
        assert child.poll() is None  # waits before its command, however short
        assert child.ns_id("mnt") != mntns.ns_id(kind="mnt")
        child.resume()
        assert not child.paused
        assert child.wait() == 6
        missing = sandbox.spawn(["no-such-command"])
        with pytest.raises(FileNotFoundError) as e:
            missing.resume()
        return e.value.step

    assert inside(case) == "exec"


def test_clone_modes(inside):
    def case():
        vfork = mntns.Sandbox(clone_mode="vfork")
        fork = mntns.Sandbox(clone_mode="fork")
        assert "CLONE_VM|CLONE_VFORK" in vfork.explain() and "copy-on-write" in fork.explain()
        assert "CLONE_VM|CLONE_VFORK" in mntns.Sandbox().explain()
        assert "copy-on-write" in mntns.Sandbox(namespaces=Namespace.PID).explain()
        outs = [sh(s, "echo ok") for s in (vfork, fork)]
        with pytest.raises(ValueError, match="CloneMode::Vfork cannot run this plan"):
            mntns.Sandbox(clone_mode="vfork", namespaces=Namespace.PID).explain()
        return outs

    assert inside(case) == ["ok\n", "ok\n"]


# --- mounts inside ----------------------------------------------------------------------------


def test_add_tmpfs(inside):
    def case():
        sandbox = mntns.Sandbox().add_tmpfs("/scratch", size="1m", nr_inodes=50, mode=0o700, flags="nosuid,noexec")
        out = sh(sandbox, "stat -f -c '%b %S %c' /scratch; stat -c %a /scratch; grep ' /scratch ' /proc/self/mountinfo")
        return out.splitlines()

    sizes, mode, mountinfo = inside(case)
    blocks, bsize, inodes = map(int, sizes.split())
    assert (blocks * bsize, inodes, mode) == (1 << 20, 50, "700")
    options = mountinfo.split()[5].split(",")
    assert "nosuid" in options and "noexec" in options


def test_add_bind(child, scratch):
    # Root and rootless only: the case mounts a submount under the source first, which
    # needs a mount namespace of its own (binds as nobody are covered by the other cases).
    (scratch / "data").mkdir()
    (scratch / "data" / "file").write_text("shared\n")
    os.chown(scratch / "data", 65534, 65534)
    (scratch / "sub").mkdir()
    os.chown(scratch / "sub", 65534, 65534)

    def case():
        # A submount under the source: carried by a recursive bind only.
        (scratch / "data" / "mnt").mkdir(exist_ok=True)
        mntns.mount_tmpfs(scratch / "data" / "mnt", size="64k")
        (scratch / "data" / "mnt" / "in-submount").write_text("x")
        sandbox = (
            mntns.Sandbox()
            .add_bind(scratch / "data", "/ro", readonly=True)
            .add_bind(os.fsencode(scratch / "data"), "/rw")
            .add_bind(str(scratch / "data"), "/flat", recursive=False)
            .add_bind(scratch / "sub", "/sub", flags=mntns.MountFlags.NOEXEC)
        )
        out = sh(sandbox, "cat /ro/file; touch /ro/new 2>/dev/null || echo ro-refused; echo rw > /rw/new; ls /ro/mnt; ls /flat/mnt | wc -l; touch /ro/mnt/x 2>/dev/null || echo submount-ro; grep ' /sub ' /proc/self/mountinfo")
        return out.splitlines(), (scratch / "data" / "new").read_text()

    lines, written = child(case)
    assert lines[:5] == ["shared", "ro-refused", "in-submount", "0", "submount-ro"]
    assert "noexec" in lines[5].split()[5].split(",")
    assert written == "rw\n"


def test_add_proc_dev_dir_symlink_file(inside):
    def case():
        sandbox = (
            mntns.Sandbox(base="bare", namespaces=Namespace.PID)
            .add_bind(BUSYBOX, "/bin/busybox", readonly=True)
            .add_symlink("busybox", "/bin/sh")
            .add_proc("/proc")
            .add_dev("/dev")
            .add_dir("/a/b/c", mode=0o711)
            .add_dir("/d")
            .add_symlink("../a/b", "/links/ab")
            .add_file("/etc/greeting", "héllo\n")
            .add_file("/etc/secret", b"\x00\xff", mode=0o600)
        )
        script = (
            "busybox ls /proc/1 >/dev/null && echo proc; busybox ls /dev | busybox tr '\\n' ' '; echo; "
            "busybox stat -c %a /a/b/c /d /etc/greeting /etc/secret; busybox readlink /links/ab; "
            "busybox ls /links/ab; busybox cat /etc/greeting; busybox od -An -tx1 /etc/secret"
        )
        return sh(sandbox, script).splitlines()

    lines = inside(case)
    assert lines[0] == "proc"
    assert set(lines[1].split()) >= {"null", "zero", "full", "random", "urandom", "tty", "pts", "ptmx", "shm", "fd", "stdin", "stdout", "stderr"}
    assert lines[2:6] == ["711", "755", "644", "600"]
    assert lines[6:8] == ["../a/b", "c"]
    assert lines[8] == "héllo"
    assert lines[9].split() == ["00", "ff"]


def test_add_methods_chain_and_take_path_types(scratch):
    sandbox = mntns.Sandbox()
    assert sandbox.add_tmpfs("/a") is sandbox
    assert sandbox.add_bind(scratch, Path("/b")) is sandbox
    assert sandbox.add_proc(b"/c") is sandbox
    assert sandbox.add_dev("/d") is sandbox
    assert sandbox.add_dir("/e") is sandbox
    assert sandbox.add_symlink("x", "/f") is sandbox
    assert sandbox.add_file(b"/caf\xe9", b"") is sandbox
    assert "<Sandbox root=default tmpfs, 7 mount entries>" == repr(sandbox)
    text = sandbox.explain()
    assert "mount -t tmpfs tmpfs ./a" in text and f"mount --rbind {scratch} ./b" in text
    assert "/caf\ufffd" in text  # shown as text; the bytes stay exact (test_non_utf8_names)


def test_non_utf8_names(inside):
    def case():
        sandbox = mntns.Sandbox().add_file(b"/tmp/caf\xe9", b"x").add_dir(b"/n\xffdir")
        out = sandbox.run(["sh", "-c", "ls /tmp /"], capture_output=True).stdout
        again = sandbox.run([b"/bin/sh", b"-c", b"cat /tmp/caf\xe9"], capture_output=True).stdout
        return out, again

    out, again = inside(case)
    assert b"caf\xe9" in out.split() and b"n\xffdir" in out.split()
    assert again == b"x"


# --- bad input: refused before any process --------------------------------------------------------


@pytest.mark.parametrize(
    "build,exc,match",
    [
        (lambda: mntns.Sandbox(root=5), TypeError, "root must be a path"),
        (lambda: mntns.Sandbox(base="all"), ValueError, 'base must be "bare"'),
        (lambda: mntns.Sandbox(base=1), TypeError, "base should be a str"),
        (lambda: mntns.Sandbox(namespaces="pid"), TypeError, "namespaces must be an int"),
        (lambda: mntns.Sandbox(namespaces=1), ValueError, "unknown flag bits"),
        (lambda: mntns.Sandbox(hostname="a\0b"), ValueError, "embedded null"),
        (lambda: mntns.Sandbox(clone_mode="spawn"), ValueError, "clone_mode must be"),
        (lambda: mntns.Sandbox(cwd=3), TypeError, "cwd should be str, bytes or os.PathLike"),
        (lambda: mntns.Sandbox().add_tmpfs("/x", size=0), ValueError, "is not a valid size"),
        (lambda: mntns.Sandbox().add_tmpfs("/x", size="1m", flags="bogus"), ValueError, "unknown"),
        (lambda: mntns.Sandbox().add_tmpfs(None), TypeError, "target should be"),
        (lambda: mntns.Sandbox().add_bind("/a\0", "/b"), ValueError, "embedded null"),
        (lambda: mntns.Sandbox().add_dir("/x", mode=True), TypeError, "mode must be an int"),
        (lambda: mntns.Sandbox().add_file("/x", 5), TypeError, "contents must be bytes-like"),
        (lambda: mntns.Sandbox().spawn("ls -l"), TypeError, "argv must be a sequence"),
        (lambda: mntns.Sandbox().spawn(5), TypeError, "argv must be a sequence"),
        (lambda: mntns.Sandbox().spawn(["ls", 5]), TypeError, r"argv\[1\] should be"),
        (lambda: mntns.Sandbox().spawn(["l\0s"]), ValueError, "embedded null"),
        (lambda: mntns.Sandbox().spawn([]), ValueError, "no command given"),
        (lambda: mntns.Sandbox().spawn(["true"], stdout=subprocess.STDOUT), ValueError, "only valid for stderr"),
        (lambda: mntns.Sandbox().spawn(["true"], stdin=-7), ValueError, "neither a descriptor"),
        (lambda: mntns.Sandbox().spawn(["true"], stdout="out.txt"), TypeError, "int or an object with fileno"),
        (lambda: mntns.Sandbox().spawn(["true"], pass_fds="3"), TypeError, "pass_fds must be"),
        (lambda: mntns.Sandbox().spawn(["true"], pass_fds=[True]), TypeError, "pass_fds item"),
        (lambda: mntns.Sandbox().spawn(["true"], pass_fds={1: 0}), ValueError, "targets must be distinct descriptors from 3 up"),
        (lambda: mntns.Sandbox().run(["true"], timeout="1"), TypeError, "timeout must be a number"),
        (lambda: mntns.Sandbox().run(["true"], timeout=float("nan")), ValueError, "NaN"),
        (lambda: mntns.Sandbox().run(["true"], input="text"), TypeError, "input must be bytes-like"),
        (lambda: mntns.Sandbox().run(["true"], input=b"", stdin=0), ValueError, "may not both be used"),
        (lambda: mntns.Sandbox().run(["true"], capture_output=True, stdout=1), ValueError, "may not be used with capture_output"),
    ],
)
def test_bad_input_is_refused_before_anything_runs(build, exc, match):
    before = fds()
    with pytest.raises(exc, match=match):
        build()
    assert children() == [] and fds() == before


def test_spec_errors_are_raised_when_planned(inside, scratch):
    def case():
        found = []
        for sandbox, exc in [
            (mntns.Sandbox().add_tmpfs("relative"), ValueError),
            (mntns.Sandbox().add_tmpfs("/x").add_dir("/x/"), ValueError),
            (mntns.Sandbox().add_dir("/a/../b"), ValueError),
            (mntns.Sandbox(hostname="h" * 65), ValueError),
            (mntns.Sandbox().add_dir("/x", mode=0o17777), ValueError),
            (mntns.Sandbox().add_bind("/no/such/source", "/x"), FileNotFoundError),
            (mntns.Sandbox(root="/no/such/root"), FileNotFoundError),
        ]:
            with pytest.raises(exc) as e:
                sandbox.explain()
            with pytest.raises(exc):
                sandbox.spawn(["true"])
            assert children() == []
            found.append((e.value.step, getattr(e.value, "filename", None)))
        return found

    found = inside(case)
    assert found[0] == ("tmpfs target", "relative")
    assert found[1][0] == "sandbox mounts"
    assert found[5] == ("open bind source", "/no/such/source")
    assert found[6] == ("open root", "/no/such/root")


def test_new_proc_needs_its_own_pid_namespace(inside):
    def case():
        real_root = os.geteuid() == 0 and Path("/proc/self/uid_map").read_text().split() == ["0", "0", "4294967295"]
        sandbox = bare().add_proc("/proc")
        if real_root:
            # Real root owns the caller's PID namespace: a new proc of it is allowed.
            return real_root, sh(sandbox, "echo /proc/self/ns")
        with pytest.raises(ValueError) as e:
            sandbox.explain()
        with_pid = sh(mntns.Sandbox(base="bare", namespaces=Namespace.PID).add_bind(BUSYBOX, "/bin/sh").add_proc("/proc"), "echo /proc/[0-9]*")
        return real_root, (e.value.step, "add Namespaces::PID" in e.value.hint, with_pid)

    real_root, result = inside(case)
    if real_root:
        assert result == "/proc/self/ns\n"
    else:
        assert result == ("proc", True, "/proc/1 /proc/2\n")


# --- failures while spawning ----------------------------------------------------------------------


def test_missing_command_is_file_not_found_at_exec(inside):
    def case():
        sandbox = mntns.Sandbox()
        t = time.monotonic()
        with pytest.raises(FileNotFoundError) as e:
            sandbox.spawn(["no-such-command-x"])
        elapsed = time.monotonic() - t
        assert children() == []
        with pytest.raises(FileNotFoundError):
            sandbox.run(["/no/such/path"])
        not_exec = mntns.Sandbox().add_file("/script", "echo hi\n")
        with pytest.raises(PermissionError) as p:
            not_exec.run(["/script"])
        err = e.value
        return elapsed, err.errno, err.step, err.filename, err.hint, p.value.step

    elapsed, num, step, filename, hint, pstep = inside(case)
    assert elapsed < 1 and num == errno.ENOENT and step == "exec" and filename == "no-such-command-x"
    assert "command not found" in hint
    assert pstep == "exec"


def test_setup_failure_names_the_step(inside):
    def case():
        sandbox = mntns.Sandbox().add_tmpfs("/usr/no-such-dir/x")
        t = time.monotonic()
        with pytest.raises(OSError) as e:
            sandbox.spawn(["true"])
        assert children() == []
        return time.monotonic() - t, e.value.errno, e.value.step, e.value.filename, e.value.strerror

    elapsed, num, step, filename, strerror = inside(case)
    assert elapsed < 1 and num == errno.EROFS
    assert (step, filename) == ("mount tmpfs on", "/usr/no-such-dir/x")
    assert strerror.startswith("mount tmpfs on /usr/no-such-dir/x: EROFS (")


# --- stdio and passed descriptors ---------------------------------------------------------------


def test_pipes_and_communicate(inside):
    def case():
        sandbox = mntns.Sandbox()
        child = sandbox.spawn(["sh", "-c", "cat; echo to-stderr >&2"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert isinstance(child.stdout, io.BufferedReader) and isinstance(child.stdin, io.BufferedWriter)
        big = os.urandom(1 << 20)  # more than a pipe holds: written and read interleaved
        out, err = child.communicate(big)
        assert (out, err, child.returncode) == (big, b"to-stderr\n", 0)
        assert child.stdin.closed and child.stdout.closed and child.stderr.closed
        assert child.communicate() == (big, b"to-stderr\n")  # again: the same result
        # Popen-style direct use of the file objects.
        child = sandbox.spawn(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        child.stdin.write(b"line\n")
        child.stdin.close()
        assert child.stdout.read() == b"line\n" and child.wait() == 0
        child.stdout.close()
        # stderr into stdout.
        child = sandbox.spawn(["sh", "-c", "echo a; echo b >&2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert child.communicate() == (b"a\nb\n", None)
        with pytest.raises(ValueError, match="not a pipe"):
            sandbox.spawn(["true"]).communicate(b"x")
        return True

    assert inside(case)


def test_devnull_fds_and_file_objects(inside, scratch):
    def case():
        sandbox = mntns.Sandbox()
        assert sandbox.run(["cat"], stdin=subprocess.DEVNULL, capture_output=True).stdout == b""
        assert sandbox.run(["sh", "-c", "echo out; echo err >&2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).stdout is None
        r, w = os.pipe()
        sandbox.run(["echo", "via fd"], stdout=w)
        os.close(w)
        via_fd = os.read(r, 100)
        os.close(r)
        with open(scratch / "out.txt", "wb") as f, open("/etc/hostname", "rb") as src:
            sandbox.run(["sh", "-c", "cat; echo err >&2"], stdin=src, stdout=f, stderr=f.fileno())
        merged = sandbox.run(["sh", "-c", "echo a; echo b >&2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout
        return via_fd, (scratch / "out.txt").read_bytes(), merged

    via_fd, written, merged = inside(case)
    assert via_fd == b"via fd\n"
    assert written == Path("/etc/hostname").read_bytes() + b"err\n"
    assert merged == b"a\nb\n"


def test_pass_fds(inside):
    def case():
        sandbox = mntns.Sandbox()
        r, w = os.pipe()
        other = os.open("/etc/hostname", os.O_RDONLY)  # open in the caller, not passed
        os.set_inheritable(other, True)
        # Iterable: the same number inside. ls opens one descriptor of its own (3).
        listed = sh(sandbox, "ls /proc/self/fd", pass_fds=[w]).split()
        ino = sh(sandbox, f"stat -L -c %i /proc/self/fd/{w}", pass_fds=(w,)).strip()
        # Mapping {inside: outside}, with a file object.
        with os.fdopen(os.dup(w), "wb") as f:
            sandbox.run(["sh", "-c", "echo through-5 >&5"], pass_fds={5: f})
        sandbox.run(["sh", "-c", "echo through-7 >&7"], pass_fds={7: w})
        os.close(w)
        data = os.read(r, 100)
        os.close(r)
        os.close(other)
        return listed, w, other, int(ino), data

    listed, w, other, ino, data = inside(case)
    assert sorted(map(int, listed)) == [0, 1, 2, 3, w] and str(other) not in listed
    assert ino != 0
    assert data == b"through-5\nthrough-7\n"


def test_pass_fds_errors(inside):
    def case():
        sandbox = mntns.Sandbox()
        with pytest.raises(OSError) as e:
            sandbox.spawn(["true"], pass_fds=[987])  # not open
        assert e.value.errno == errno.EBADF
        with pytest.raises(OSError) as e:
            sandbox.spawn(["true"], stdout=986)
        assert e.value.errno == errno.EBADF
        with pytest.raises(ValueError, match="from 3 up"):
            sandbox.spawn(["true"], pass_fds={4: 0, 5: 1, 6: 2, 2: 0})
        assert children() == []
        return True

    assert inside(case)


# --- run() ------------------------------------------------------------------------------------------


def test_run_results_like_subprocess(inside):
    def case():
        sandbox = mntns.Sandbox()
        done = sandbox.run(["sh", "-c", "cat; echo err >&2; exit 3"], input=b"in\n", capture_output=True)
        assert isinstance(done, subprocess.CompletedProcess)
        assert (done.args, done.returncode, done.stdout, done.stderr) == (["sh", "-c", "cat; echo err >&2; exit 3"], 3, b"in\n", b"err\n")
        with pytest.raises(subprocess.CalledProcessError) as e:
            sandbox.run(("sh", "-c", "echo partial; exit 4"), stdout=subprocess.PIPE, check=True)
        assert (e.value.returncode, e.value.cmd, e.value.stdout, e.value.stderr) == (4, ("sh", "-c", "echo partial; exit 4"), b"partial\n", None)
        assert sandbox.run(["true"], check=True).returncode == 0
        assert sandbox.run(["sh", "-c", "kill -TERM $$"]).returncode == -signal.SIGTERM
        plain = sandbox.run(["true"])
        assert (plain.stdout, plain.stderr) == (None, None)
        return True

    assert inside(case)


def test_run_timeout_kills_and_reaps(inside):
    def case():
        sandbox = mntns.Sandbox()
        t = time.monotonic()
        with pytest.raises(subprocess.TimeoutExpired) as e:
            sandbox.run(["sh", "-c", "echo partial; echo e >&2; exec sleep 30"], capture_output=True, timeout=0.5)
        elapsed = time.monotonic() - t
        assert children() == []
        t = time.monotonic()
        with pytest.raises(subprocess.TimeoutExpired):
            sandbox.run(["sleep", "30"], timeout=0)
        zero = time.monotonic() - t
        assert children() == []
        return elapsed, zero, e.value.stdout, e.value.stderr, e.value.timeout, e.value.cmd

    elapsed, zero, out, err, timeout, cmd = inside(case)
    assert 0.5 <= elapsed < 1.5 and zero < 1
    assert (out, err, timeout) == (b"partial\n", b"e\n", 0.5)
    assert cmd[0] == "sh"


# --- Child --------------------------------------------------------------------------------------------


def test_child_handle(inside):
    def case():
        sandbox = mntns.Sandbox()
        child = sandbox.spawn(["sh", "-c", "echo $$; readlink /proc/self/ns/mnt; exec sleep 30"], stdout=subprocess.PIPE)
        pid_inside = int(child.stdout.readline())
        ns_inside = child.stdout.readline().decode().strip()
        assert child.pid == pid_inside and child.args[0] == "sh"
        assert os.readlink(f"/proc/self/fd/{child.pidfd}") == "anon_inode:[pidfd]"
        assert str(child.ns_id()) == ns_inside == str(child.ns_id("mnt")) == str(mntns.ns_id(child.pid))
        assert child.poll() is None and child.returncode is None
        assert repr(child) == f"<Child pid={child.pid} running>"
        t = time.monotonic()
        with pytest.raises(subprocess.TimeoutExpired) as e:
            child.wait(timeout=0.2)
        assert 0.2 <= time.monotonic() - t < 0.7 and e.value.timeout == 0.2
        child.kill()
        assert child.wait() == -signal.SIGKILL and child.returncode == -signal.SIGKILL
        assert child.poll() == -signal.SIGKILL and repr(child) == f"<Child pid={child.pid} returncode=-9>"
        child.kill()  # after it ended: nothing, as for Popen
        child.terminate()
        with pytest.raises(ProcessLookupError):
            child.ns_id()
        child.stdout.close()

        codes = []
        for send in (lambda c: c.terminate(), lambda c: c.send_signal(signal.SIGUSR1), lambda c: c.kill(signal.SIGINT)):
            c = sandbox.spawn(["sleep", "30"])
            send(c)
            codes.append(c.wait())
        assert codes == [-signal.SIGTERM, -signal.SIGUSR1, -signal.SIGINT]
        c = sandbox.spawn(["sh", "-c", "exit 7"])
        assert c.wait(timeout=10) == 7 and c.wait() == 7
        with pytest.raises(ValueError, match="is not a signal number"):
            c.send_signal(99)
        with pytest.raises(ValueError):
            c.ns_id("nope")
        return True

    assert inside(case)


def test_context_manager_kills_and_reaps(inside):
    def case():
        sandbox = mntns.Sandbox()
        with sandbox.spawn(["sleep", "30"], stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
            assert child.poll() is None
        assert child.returncode == -signal.SIGKILL and child.stdout.closed and child.stderr.closed
        assert not Path(f"/proc/{child.pid}").exists() and children() == []
        with pytest.raises(RuntimeError, match="boom"):
            with sandbox.spawn(["sleep", "30"]) as child:
                raise RuntimeError("boom")
        assert child.returncode == -signal.SIGKILL and children() == []
        with sandbox.spawn(["true"]) as child:
            child.wait()
        assert child.returncode == 0
        # Garbage collection of a running Child kills and reaps it too.
        pid = sandbox.spawn(["sleep", "30"]).pid
        gc.collect()
        assert not Path(f"/proc/{pid}").exists() and children() == []
        return True

    assert inside(case)


def test_no_descriptor_leaks(inside):
    def case():
        sandbox = mntns.Sandbox()

        def round_trip():
            sandbox.run(["sh", "-c", "cat; echo e >&2"], input=b"x", capture_output=True)
            with sandbox.spawn(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE) as c:
                c.communicate(b"y")
            for argv in (["no-such-command"], ["sleep", "30"]):
                try:
                    sandbox.run(argv, capture_output=True, timeout=0.05)
                except (FileNotFoundError, subprocess.TimeoutExpired):
                    pass
            try:
                mntns.Sandbox().add_tmpfs("/usr/x/y").run(["true"], capture_output=True)
            except OSError:
                pass
            r, w = os.pipe()
            sandbox.run(["true"], pass_fds=[w], stdout=w)
            os.close(r)
            os.close(w)
            sandbox.spawn(["true"]).wait()
            gc.collect()

        round_trip()  # warm-up: the first call may open what stays open (modules)
        before = fds()
        for _ in range(3):
            round_trip()
        return before, fds()

    before, after = inside(case)
    assert before == after


def test_explain():
    sandbox = mntns.Sandbox(base="bare", hostname="box").add_tmpfs("/tmp", size="1m", mode=0o1777)
    text = sandbox.explain(["echo", "a b"])
    lines = text.splitlines()
    assert lines[0].startswith("  1. clone(CLONE_NEWUTS|CLONE_NEWNS)")  # a hostname needs UTS
    assert "hostname box" in text
    assert "mount -t tmpfs -o size=1048576,mode=1777 tmpfs ./tmp" in text
    assert "pivot_root . .; umount -l .; cd /   # the old root is gone" in text
    assert lines[-1].endswith("exec echo 'a b'")
    assert sandbox.explain().splitlines()[-1].endswith("exec COMMAND")
    assert children() == []


# --- threads, signals, fork ---------------------------------------------------------------------------


def test_another_thread_runs_while_waiting(inside):
    def case():
        sandbox = mntns.Sandbox()
        ticks = []
        stop = threading.Event()

        def tick():
            while not stop.is_set():
                ticks.append(time.monotonic())
                time.sleep(0.005)

        with sandbox.spawn(["sleep", "0.6"], stdout=subprocess.PIPE) as child:
            ticker = threading.Thread(target=tick)
            ticker.start()
            t0 = time.monotonic()
            child.wait()
            t1 = time.monotonic()
            child.communicate()
        stop.set()
        ticker.join()
        return sum(t0 + 0.05 < t < t1 - 0.05 for t in ticks), t1 - t0

    inside_ticks, elapsed = inside(case)
    assert elapsed >= 0.5
    # A tick every 5 ms for ~0.5 s: ~100 when the GIL is free; far fewer if it were held.
    assert inside_ticks >= 40, inside_ticks


@pytest.mark.parametrize("how", ["process", "main-thread", "other-thread", "run", "communicate"])
def test_ctrl_c_while_waiting(inside, how):
    def case():
        sandbox = mntns.Sandbox()
        main = threading.get_ident()

        def interrupt():
            time.sleep(0.3)
            if how == "main-thread":
                signal.pthread_kill(main, signal.SIGINT)
            else:
                os.kill(os.getpid(), signal.SIGINT)

        timer = threading.Thread(target=interrupt)
        timer.start()
        if how == "other-thread":
            # The signal can then only land on the timer thread: the wait must notice it
            # between two slices, not through EINTR.
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
        t = time.monotonic()
        child = None
        try:
            if how == "run":
                sandbox.run(["sleep", "30"], capture_output=True)
            else:
                with sandbox.spawn(["sleep", "30"], stdout=subprocess.PIPE) as child:
                    if how == "communicate":
                        child.communicate()
                    else:
                        child.wait()
            raise AssertionError("no KeyboardInterrupt")
        except KeyboardInterrupt:
            elapsed = time.monotonic() - t
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
            timer.join()
        assert children() == [], "a zombie or a running sandbox was left"
        return elapsed, child.returncode if child else None

    elapsed, returncode = inside(case)
    assert 0.25 < elapsed < 1.3, elapsed
    if how != "run":
        assert returncode == -signal.SIGKILL


def test_spawn_from_many_threads(inside):
    def case():
        sandbox = mntns.Sandbox()
        bare_box = bare()
        errors = []
        stop = threading.Event()

        def churn():  # a busy thread that allocates and takes locks meanwhile
            while not stop.is_set():
                _ = [bytearray(4096) for _ in range(100)]

        def worker(n):
            try:
                for i in range(5):
                    box = sandbox if (n + i) % 2 else bare_box
                    out = box.run(["/bin/sh", "-c", f"echo {n}-{i}"], capture_output=True, check=True).stdout
                    assert out == f"{n}-{i}\n".encode()
            except BaseException as e:
                errors.append(repr(e))

        busy = threading.Thread(target=churn)
        busy.start()
        workers = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        stop.set()
        busy.join()
        assert children() == []
        return errors

    assert inside(case) == []


def test_add_while_another_thread_spawns(inside):
    # The sandbox is not held while a thread spawns and waits without the GIL: another
    # thread may add mounts meanwhile (they apply to later spawns).
    def case():
        sandbox = mntns.Sandbox()
        results = []
        runner = threading.Thread(target=lambda: results.append(sh(sandbox, "sleep 0.4; test -d /late || echo absent")))
        runner.start()
        time.sleep(0.2)
        sandbox.add_dir("/late")
        runner.join()
        return results, sh(sandbox, "test -d /late && echo present")

    assert inside(case) == (["absent\n"], "present\n")


def test_fork_with_live_children(inside):
    def case():
        sandbox = mntns.Sandbox()
        child = sandbox.spawn(["sh", "-c", "read x; exit 5"], stdin=subprocess.PIPE)
        done = sandbox.spawn(["true"])
        done.wait()
        r, w = os.pipe()
        forked = os.fork()
        if forked == 0:
            # The copy: it may not wait for or signal the sandbox, and dropping it (or
            # leaving a with block) must not kill or reap it.
            report = []
            for call in (child.wait, child.poll, child.kill, child.terminate, lambda: child.communicate(b"x"), child.ns_id):
                try:
                    call()
                    report.append("no error")
                except ChildProcessError as e:
                    report.append(e.errno == errno.ECHILD and "spawned by process" in e.hint)
            report.append(done.returncode)
            with child:
                pass
            del child
            gc.collect()
            os.write(w, repr(report).encode())
            os._exit(0)
        os.close(w)
        report = os.read(r, 1000).decode()
        os.close(r)
        _, status = os.waitpid(forked, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        # Still running, still ours: the fork reaped nothing and killed nothing.
        assert child.poll() is None and os.readlink(f"/proc/self/fd/{child.pidfd}") == "anon_inode:[pidfd]"
        child.stdin.write(b"go\n")
        child.stdin.close()
        return report, child.wait()

    report, code = inside(case)
    assert report == repr([True] * 6 + [0])
    assert code == 5


# --- the package --------------------------------------------------------------------------------------


def test_names_and_stdlib_constants():
    assert mntns.PIPE == subprocess.PIPE and mntns.DEVNULL == subprocess.DEVNULL and mntns.STDOUT == subprocess.STDOUT
    for name in ("Sandbox", "Child", "TmpfsRoot"):
        assert name in mntns.__all__
