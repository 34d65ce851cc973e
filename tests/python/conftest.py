"""pytest configuration and helpers for the libmntns Python tests.

- A skipped test fails the run unless its reason starts with "host limit:" and names a limit
  of the machine (a skipped test proves nothing).
- Privileged cases run in a forked child (``child`` fixture), never in the pytest process:
  unsharing and mounting change the namespace of the process that does them. The child
  enters its mode first — ``root`` (real root, own mount namespace, ``/`` rprivate),
  ``rootless`` (uid/gid 65534 without capabilities, then ``unshare_rootless``: its own user
  and mount namespace, 65534 mapped to 0) or ``nobody`` (uid/gid 65534, no namespace) — runs
  the case, and sends its result or its traceback back through a pipe.
- After every test the host's mount table is unchanged, no child process is left and the
  pytest process has the same open file descriptors as before.
"""

import ctypes
import os
import pickle
import shutil
import signal
import tempfile
import traceback
from pathlib import Path

import pytest

import mntns

NOBODY = 65534
TOP = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT = 60


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if "host limit:" not in reason:
            report.outcome = "failed"
            report.longrepr = f"unexplained skip (fails CI): {reason}"


def drop_to_nobody():
    """uid/gid 65534, no supplementary groups, no capabilities; still dumpable, so that
    /proc/self/{uid_map,gid_map,setgroups} stay writable by the process itself (a uid change
    makes a process non-dumpable, and its /proc files root's)."""
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)
    pr_set_dumpable = 4
    if ctypes.CDLL(None, use_errno=True).prctl(pr_set_dumpable, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE)")


def enter_mode(mode):
    """Puts the calling (forked, single-threaded) process into `mode`."""
    if mode == "root":
        mntns.unshare(mntns.Namespace.MOUNT)
    elif mode == "rootless":
        drop_to_nobody()
        mntns.unshare_rootless(mntns.Namespace.MOUNT)
    elif mode == "nobody":
        drop_to_nobody()
        return
    else:
        raise ValueError(f"unknown mode {mode!r}")
    mntns.set_propagation("/", "private", recursive=True)


def run_in_child(mode, fn, *args):
    """Runs `fn(*args)` in a forked child that entered `mode`; returns its (pickled) result
    or fails the test with the child's traceback."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            os.close(r)
            signal.alarm(CHILD_TIMEOUT)
            enter_mode(mode)
            payload = ("ok", fn(*args))
        except BaseException:
            payload = ("error", traceback.format_exc())
        try:
            data = pickle.dumps(payload)
        except Exception:
            data = pickle.dumps(("error", "result not picklable:\n" + traceback.format_exc()))
        try:
            with os.fdopen(w, "wb") as out:
                out.write(data)
        except BaseException:
            status = 1
        os._exit(status)
    os.close(w)
    with os.fdopen(r, "rb") as inp:
        data = inp.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        pytest.fail(f"{mode} child killed by signal {os.WTERMSIG(status)} (timeout {CHILD_TIMEOUT}s?)")
    if not data:
        pytest.fail(f"{mode} child exited with status {os.waitstatus_to_exitcode(status)} and no result")
    kind, value = pickle.loads(data)
    if kind == "error":
        pytest.fail(f"in the {mode} child:\n{value}", pytrace=False)
    return value


@pytest.fixture(params=["root", "rootless"])
def mode(request):
    """Each privileged case runs twice: as root, and rootless (uid 65534 in a user namespace)."""
    return request.param


@pytest.fixture
def child(mode):
    """`child(fn, *args)` runs `fn` in a forked child in this test's mode (root, rootless)."""
    return lambda fn, *args: run_in_child(mode, fn, *args)


@pytest.fixture
def nobody():
    """`nobody(fn, *args)` runs `fn` in a forked child as uid 65534 with no namespace."""
    return lambda fn, *args: run_in_child("nobody", fn, *args)


@pytest.fixture
def scratch():
    """A host directory that is not a mount point, owned by 65534 (writable in every mode)."""
    path = Path(tempfile.mkdtemp(prefix="mntns-py-", dir="/tmp"))
    os.chmod(path, 0o755)
    os.chown(path, NOBODY, NOBODY)
    yield path
    shutil.rmtree(path)


def host_mount_table():
    """The mount table without mount ids, sorted: what must not change."""
    with open("/proc/self/mountinfo", "rb") as f:
        lines = f.read().splitlines()
    return sorted(b" ".join(line.split(b" ")[2:]) for line in lines)


def open_fds():
    return sorted(os.listdir("/proc/self/fd"))


@pytest.fixture(autouse=True)
def host_unchanged():
    """The host's mount table, our children and our open fds are the same after each test."""
    table = host_mount_table()
    fds = open_fds()
    yield
    assert host_mount_table() == table, "a test changed the host's mount table"
    try:
        pid, status = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        pid = None
    assert pid is None, f"a test left a child process behind (pid {pid or 'running'})"
    assert open_fds() == fds, "a test leaked (or closed) a file descriptor of the pytest process"
