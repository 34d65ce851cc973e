"""Namespaces: Namespace flags, unshare, unshare_rootless, ns_id and NsId, namespaces
(lsns), enter (nsenter)."""

import errno
import json
import os
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

import mntns
from mntns import Namespace

KINDS = ["mnt", "uts", "ipc", "pid", "net", "user", "cgroup", "time"]
FLAG_OF = {
    "mnt": Namespace.MOUNT,
    "uts": Namespace.UTS,
    "ipc": Namespace.IPC,
    "pid": Namespace.PID,
    "net": Namespace.NET,
    "user": Namespace.USER,
    "cgroup": Namespace.CGROUP,
    "time": Namespace.TIME,
}
C_NAME = {
    "MOUNT": "CLONE_NEWNS",
    "UTS": "CLONE_NEWUTS",
    "IPC": "CLONE_NEWIPC",
    "PID": "CLONE_NEWPID",
    "NET": "CLONE_NEWNET",
    "USER": "CLONE_NEWUSER",
    "CGROUP": "CLONE_NEWCGROUP",
    "TIME": "CLONE_NEWTIME",
}


def kernel_clone_flags():
    """CLONE_NEW* from os (Python 3.12+) or else from the kernel's UAPI header."""
    if hasattr(os, "CLONE_NEWNS"):
        return {c: getattr(os, c) for c in C_NAME.values()}
    text = Path("/usr/include/linux/sched.h").read_text()
    found = dict(re.findall(r"#define\s+(CLONE_NEW\w+)\s+(0x[0-9a-fA-F]+)", text))
    return {c: int(found[c], 16) for c in C_NAME.values()}


def readlink_ns(kind, pid="thread-self"):
    return os.readlink(f"/proc/{pid}/ns/{kind}")


# --- Namespace flags --------------------------------------------------------------------


def test_namespace_values_are_the_kernels_clone_flags():
    kernel = kernel_clone_flags()
    assert {m.name for m in Namespace} == set(C_NAME)
    for member in Namespace:
        assert int(member) == kernel[C_NAME[member.name]], member
    combined = Namespace.MOUNT | Namespace.USER
    assert isinstance(combined, int) and combined == kernel["CLONE_NEWNS"] | kernel["CLONE_NEWUSER"]


# --- unshare ----------------------------------------------------------------------------


def test_unshare_gives_new_namespaces(child, mode):
    def case():
        before = {k: readlink_ns(k) for k in ("mnt", "uts", "ipc", "net", "cgroup")}
        mntns.unshare(Namespace.UTS | Namespace.IPC | Namespace.NET | Namespace.CGROUP | Namespace.MOUNT)
        after = {k: readlink_ns(k) for k in before}
        assert all(before[k] != after[k] for k in before), (before, after)
        # The new UTS namespace is ours: setting the hostname does not reach the host.
        socket.sethostname("mntns-py-unshare")
        return socket.gethostname()

    assert child(case) == "mntns-py-unshare"
    assert socket.gethostname() != "mntns-py-unshare"


def test_unshare_rootless_maps_the_caller_to_root(nobody):
    def case():
        user_before = readlink_ns("user")
        mntns.unshare_rootless(Namespace.MOUNT | Namespace.UTS)
        maps = (Path("/proc/self/uid_map").read_text().split(), Path("/proc/self/gid_map").read_text().split())
        return user_before, readlink_ns("user"), os.getuid(), os.getgid(), maps, Path("/proc/self/setgroups").read_text()

    before, after, uid, gid, (uid_map, gid_map), setgroups = nobody(case)
    assert before != after
    assert (uid, gid) == (0, 0)
    assert uid_map == ["0", "65534", "1"] and gid_map == ["0", "65534", "1"]
    assert setgroups.strip() == "deny"


def test_unshare_refuses_bad_flags():
    with pytest.raises(ValueError, match="no namespace kinds") as info:
        mntns.unshare(0)
    assert info.value.step == "unshare"
    with pytest.raises(ValueError, match="unknown flag bits 0x1 "):
        mntns.unshare(Namespace.MOUNT | 1)
    with pytest.raises(ValueError, match="not a set of CLONE_NEW"):
        mntns.unshare(1 << 40)
    with pytest.raises(TypeError, match="bool"):
        mntns.unshare(True)
    with pytest.raises(TypeError, match="must be an int, not str"):
        mntns.unshare("mnt")
    with pytest.raises(ValueError, match="unknown flag bits"):
        mntns.unshare_rootless(1 << 31)


def test_unshare_without_privilege_is_permission_error(nobody):
    def case():
        with pytest.raises(PermissionError) as info:
            mntns.unshare(Namespace.MOUNT)
        e = info.value
        assert e.errno == errno.EPERM and e.step == "unshare mnt"
        assert "CAP_SYS_ADMIN" in e.hint and e.hint in e.strerror
        assert e.filename is None

    nobody(case)


def test_unshare_refuses_in_a_threaded_process(child):
    def case():
        stop = threading.Event()
        t = threading.Thread(target=stop.wait)
        t.start()
        try:
            mnt = readlink_ns("mnt")
            with pytest.raises(OSError) as info:
                mntns.unshare(Namespace.MOUNT)
            assert info.value.errno == errno.EINVAL
            assert type(info.value) is OSError  # a state refusal, not a bad argument
            assert "2 threads" in info.value.hint and "single-threaded" in info.value.hint
            assert readlink_ns("mnt") == mnt
            with pytest.raises(OSError, match="single-threaded"):
                mntns.unshare_rootless(Namespace.MOUNT)
            # Kinds the kernel allows per thread are fine.
            mntns.unshare(Namespace.UTS)
        finally:
            stop.set()
            t.join()

    child(case)


# --- ns_id and NsId -----------------------------------------------------------------------


def test_ns_id_equals_readlink_for_every_kind():
    pid = os.getpid()
    for kind in KINDS:
        link = readlink_ns(kind)
        assert str(mntns.ns_id(kind=kind)) == link
        assert str(mntns.ns_id(pid, kind)) == readlink_ns(kind, pid)
        assert str(mntns.ns_id(kind=FLAG_OF[kind])) == link
        st = os.stat(f"/proc/thread-self/ns/{kind}")
        nid = mntns.ns_id(kind=kind)
        assert (nid.kind, nid.dev, nid.inode) == (kind, st.st_dev, st.st_ino)
    assert str(mntns.ns_id()) == readlink_ns("mnt")
    assert mntns.ns_id(kind="mount") == mntns.ns_id(kind="mnt")


def test_ns_id_of_fd_pidfd_and_path():
    expected = mntns.ns_id(kind="net")
    fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        assert mntns.ns_id(fd=fd) == expected
        with open("/proc/self/ns/net", "rb") as f:
            assert mntns.ns_id(fd=f) == expected  # an object with fileno()
    finally:
        os.close(fd)
    assert mntns.ns_id(path="/proc/self/ns/net") == expected
    assert mntns.ns_id(path=b"/proc/self/ns/net") == expected
    assert mntns.ns_id(path=Path("/proc/self/ns/net")) == expected
    pidfd = os.pidfd_open(os.getpid())
    try:
        assert mntns.ns_id(pidfd=pidfd, kind="net") == expected
        assert mntns.ns_id(pidfd=pidfd) == mntns.ns_id(kind="mnt")
    finally:
        os.close(pidfd)


def test_ns_id_errors():
    with pytest.raises(TypeError, match="at most one of"):
        mntns.ns_id(os.getpid(), path="/proc/self/ns/mnt")
    with pytest.raises(TypeError, match="own kind"):
        mntns.ns_id(kind="net", path="/proc/self/ns/mnt")
    with pytest.raises(ValueError, match="unknown kind \"bogus\""):
        mntns.ns_id(kind="bogus")
    with pytest.raises(ValueError, match="not exactly one Namespace flag"):
        mntns.ns_id(kind=Namespace.MOUNT | Namespace.NET)
    with pytest.raises(TypeError, match="kind should be a str"):
        mntns.ns_id(kind=1.5)
    with pytest.raises(ValueError, match="not a process id"):
        mntns.ns_id(0)
    with pytest.raises(TypeError, match="bool"):
        mntns.ns_id(True)
    with pytest.raises(TypeError, match="pid must be an int, not str"):
        mntns.ns_id("1")
    with pytest.raises(FileNotFoundError) as info:
        mntns.ns_id(path="/nonexistent/ns")
    assert info.value.filename == "/nonexistent/ns"
    # A file that is not a namespace file: the kernel's ioctl says so.
    with pytest.raises(OSError, match="not a namespace file") as info:
        mntns.ns_id(path="/proc/self/status")
    assert info.value.errno == errno.EINVAL and info.value.filename == "/proc/self/status"
    with pytest.raises(ValueError, match="not a file descriptor"):
        mntns.ns_id(fd=-1)
    fd = os.open("/dev/null", os.O_RDONLY)
    os.close(fd)
    with pytest.raises(OSError) as info:
        mntns.ns_id(fd=fd)
    assert info.value.errno == errno.EBADF


def test_ns_id_of_an_exited_process_says_so():
    p = subprocess.Popen(["true"])
    p.wait()
    for kind in ("mnt", "user", "pid"):
        with pytest.raises(ProcessLookupError, match=f"process {p.pid} has exited") as info:
            mntns.ns_id(p.pid, kind)
        assert info.value.errno == errno.ESRCH


def test_ns_id_of_a_zombie_says_it_has_exited():
    p = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while Path(f"/proc/{p.pid}/stat").read_text().split(") ")[1][0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    try:
        for kind in ("mnt", "user", "pid"):
            with pytest.raises(ProcessLookupError, match="has exited"):
                mntns.ns_id(p.pid, kind)
    finally:
        p.wait()


def test_nsid_value_semantics():
    a = mntns.ns_id(kind="uts")
    text = readlink_ns("uts")
    b = mntns.NsId.parse(text)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert str(b) == text
    assert repr(a) == f"NsId(kind='uts', dev={a.dev}, inode={a.inode})"
    c = mntns.NsId("uts", a.dev, a.inode)
    assert c == a and eval(repr(a), {"NsId": mntns.NsId}) == a
    assert mntns.NsId(Namespace.UTS, a.dev, a.inode) == a
    assert mntns.NsId("net", a.dev, a.inode) != a
    assert a != text and a != a.inode
    assert {mntns.ns_id(kind=k) for k in KINDS} == {mntns.NsId.parse(readlink_ns(k)) for k in KINDS}
    with pytest.raises(AttributeError):
        a.inode = 1


@pytest.mark.parametrize(
    "bad", ["", "mnt", "mnt:[]", "mnt:[12", "mnt:12]", "mnt:[-1]", "foo:[1]", "mnt:[99999999999999999999999]"]
)
def test_nsid_parse_refuses_garbage(bad):
    with pytest.raises(ValueError, match="is not of the form KIND:\\[INODE\\]") as info:
        mntns.NsId.parse(bad)
    assert info.value.step == "parse namespace id"


def test_nsid_parse_wants_str():
    with pytest.raises(TypeError):
        mntns.NsId.parse(b"mnt:[1]")


# --- namespaces (lsns) --------------------------------------------------------------------


def lsns(*args):
    out = subprocess.run(["lsns", "-J", *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["namespaces"]


def test_namespaces_agree_with_lsns_on_our_own():
    mine = {k: mntns.ns_id(kind=k) for k in KINDS}
    listed = {(n.kind, n.id.inode): n for n in mntns.namespaces()}
    for kind, nid in mine.items():
        info = listed[(kind, nid.inode)]
        assert info.id == nid and info.kind == kind
        assert os.getpid() in info.pids and info.nprocs == len(info.pids) >= 1
        assert info.pid == min(info.pids)
        assert info.pins[0].kind == "process" and info.pin == info.pins[0]
    rows = lsns("-p", str(os.getpid()), "-o", "NS,TYPE")
    assert {(r["type"], int(r["ns"])) for r in rows} == {(k, n.inode) for k, n in mine.items()}
    # Sorted like lsns: by inode.
    all_ns = mntns.namespaces()
    assert [n.id.inode for n in all_ns] == sorted(n.id.inode for n in all_ns)


def test_namespaces_of_one_kind_show_a_new_one_with_its_process(child):
    def case():
        mntns.unshare(Namespace.UTS)
        me = mntns.ns_id(kind="uts")
        found = [n for n in mntns.namespaces("uts") if n.id == me]
        assert len(found) == 1
        info = found[0]
        assert all(n.kind == "uts" for n in mntns.namespaces(Namespace.UTS))
        assert info.pids == [os.getpid()] and info.nprocs == 1 and info.pid == os.getpid()
        assert info.uid == os.geteuid()
        assert info.user is not None
        cmdline = Path(f"/proc/{os.getpid()}/cmdline").read_bytes().rstrip(b"\0").replace(b"\0", b" ")
        assert info.command == cmdline.decode(errors="replace")
        assert info.owner == mntns.ns_id(kind="user")
        assert info.parent is None and info.kernel_id is None
        mnt = [n for n in mntns.namespaces("mnt") if n.id == mntns.ns_id()][0]
        assert isinstance(mnt.kernel_id, int) and mnt.kernel_id > 0
        assert repr(info) == f"<NamespaceInfo {me} nprocs=1 pid={os.getpid()}>"

    child(case)


def test_namespaces_finds_one_held_only_by_an_fd(child):
    def case():
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            mntns.unshare(Namespace.UTS)
            os.write(w, b"x")
            time.sleep(60)
            os._exit(0)
        os.read(r, 1)
        fd = os.open(f"/proc/{pid}/ns/uts", os.O_RDONLY)
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        held = mntns.ns_id(fd=fd)
        info = [n for n in mntns.namespaces("uts") if n.id == held][0]
        assert info.nprocs == 0 and info.pid is None and info.pids == []
        fd_pins = [p for p in info.pins if p.kind == "fd"]
        assert (os.getpid(), fd) in [(p.pid, p.fd) for p in fd_pins]
        pin = fd_pins[0]
        assert pin.path is None and str(pin) == f"fd {pin.fd} of process {pin.pid}"
        assert repr(pin) == f"Pin(kind='fd', pid={pin.pid}, fd={pin.fd})"
        os.close(fd)

    child(case)


def test_namespaces_finds_one_held_only_by_a_bind_mount(child, scratch):
    pin_file = os.fsencode(scratch) + b"/pin-\xff"

    def case():
        pid, done = start_holder("mntns-pinned")
        held = mntns.ns_id(pid, "uts")
        with open(pin_file, "wb"):
            pass
        mntns.bind(f"/proc/{pid}/ns/uts", pin_file)  # like `ip netns add`
        done()
        (info,) = [n for n in mntns.namespaces("uts") if n.id == held]
        (pin,) = [p for p in info.pins if p.kind == "bind_mount"]
        assert info.nprocs == 0 and pin.pid is None and pin.fd is None
        assert os.fsencode(pin.path) == pin_file
        assert str(pin) == f"bind mount {pin.path}" and repr(pin) == f"Pin(kind='bind_mount', path={pin.path!r})"
        # The namespace is still usable through the pin.
        assert mntns.ns_id(path=pin.path) == held
        mntns.enter(path=pin_file)
        hostname = socket.gethostname()
        mntns.unmount(pin_file)
        return hostname

    assert child(case) == "mntns-pinned"


def test_namespaces_kind_errors():
    with pytest.raises(ValueError, match="unknown kind"):
        mntns.namespaces("mountns")
    with pytest.raises(TypeError):
        mntns.namespaces(b"mnt")


# --- enter (nsenter) ----------------------------------------------------------------------


def start_holder(hostname):
    """Forks a process in a new UTS namespace with `hostname`; returns (pid, done-callable)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            mntns.unshare(Namespace.UTS)
            socket.sethostname(hostname)
            os.write(w, b"x")
            time.sleep(60)
        finally:
            os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"x"
    os.close(r)

    def done():
        os.kill(pid, 9)
        os.waitpid(pid, 0)

    return pid, done


@pytest.mark.parametrize("how", ["pid", "pidfd", "fd", "fd-object", "path", "path-bytes", "path-like"])
def test_enter_joins_the_namespace(child, how):
    def case():
        pid, done = start_holder("mntns-enter")
        try:
            target = mntns.ns_id(pid, "uts")
            ns_path = f"/proc/{pid}/ns/uts"
            if how == "pid":
                mntns.enter(pid, Namespace.UTS)
            elif how == "pidfd":
                pidfd = os.pidfd_open(pid)
                mntns.enter(pidfd=pidfd, flags=Namespace.UTS)
                os.close(pidfd)
            elif how == "fd":
                fd = os.open(ns_path, os.O_RDONLY)
                mntns.enter(fd=fd)
                os.close(fd)
            elif how == "fd-object":
                with open(ns_path, "rb") as f:
                    mntns.enter(fd=f, flags=Namespace.UTS)
            elif how == "path":
                mntns.enter(path=ns_path)
            elif how == "path-bytes":
                mntns.enter(path=os.fsencode(ns_path))
            else:
                mntns.enter(path=Path(ns_path), flags=Namespace.UTS)
            assert mntns.ns_id(kind="uts") == target
            return socket.gethostname()
        finally:
            done()

    assert child(case) == "mntns-enter"


def test_enter_refusals(child):
    def case():
        pid, done = start_holder("mntns-refusal")
        try:
            with pytest.raises(TypeError, match="name what to enter"):
                mntns.enter()
            with pytest.raises(TypeError, match="at most one of"):
                mntns.enter(pid, Namespace.UTS, path=f"/proc/{pid}/ns/uts")
            with pytest.raises(ValueError, match="no namespace kinds"):
                mntns.enter(pid)
            with pytest.raises(ValueError, match="kinds uts,net were given"):
                mntns.enter(path=f"/proc/{pid}/ns/uts", flags=Namespace.UTS | Namespace.NET)
            with pytest.raises(ValueError, match="is a uts namespace .* not net") as info:
                mntns.enter(path=f"/proc/{pid}/ns/uts", flags=Namespace.NET)
            assert info.value.filename == f"/proc/{pid}/ns/uts"
            with pytest.raises(TypeError, match="bool"):
                mntns.enter(True, Namespace.UTS)
            with pytest.raises(TypeError, match="pid must be an int, not str"):
                mntns.enter(f"/proc/{pid}/ns/uts")
            with pytest.raises(TypeError, match="fd should be an int or an object with fileno"):
                mntns.enter(fd=f"/proc/{pid}/ns/uts")
            # A threaded caller may not join a mount namespace; nothing was joined.
            stop = threading.Event()
            t = threading.Thread(target=stop.wait)
            t.start()
            try:
                with pytest.raises(OSError, match="single-threaded") as info:
                    mntns.enter(pid, Namespace.MOUNT)
                assert info.value.errno == errno.EINVAL
            finally:
                stop.set()
                t.join()
        finally:
            done()
        with pytest.raises(ProcessLookupError, match=f"process {pid} has exited"):
            mntns.enter(pid, Namespace.UTS)

    child(case)


def test_enter_without_privilege_is_permission_error(nobody):
    def case():
        # Our own namespaces belong to the initial user namespace, where 65534 has no
        # CAP_SYS_ADMIN: re-joining our own UTS namespace needs it all the same.
        with pytest.raises(PermissionError) as info:
            mntns.enter(path="/proc/self/ns/uts")
        assert info.value.errno == errno.EPERM and "CAP_SYS_ADMIN" in info.value.hint

    nobody(case)
