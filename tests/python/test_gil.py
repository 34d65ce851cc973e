"""The GIL is released while a call runs: another Python thread keeps running.

Each case runs gil_probe.py in its own process and mount namespace (root and rootless), and
strace delays the case's key system call by 300 ms in the probe's main thread only
(`strace -p` without -f; `when=1`: its first use after attaching, unless WHEN says
otherwise). A second thread ticks every 2 ms; ticks that fall strictly inside the call prove the GIL was released. The two
controls show that the method tells the difference: `os.getpid()` holds the GIL (no tick
inside), `os.stat()` releases it.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("gil_probe.py")
DELAY_US = 300_000

# case -> the system call to delay (one strace 6.1 knows by name; listmount and statmount
# it does not, hence mounts(pid, source="statmount"), whose first ioctl asks for the
# namespace's 64-bit id).
CASES = {
    "unshare": "unshare",
    "enter": "setns",
    "ns_id": "newfstatat",
    "namespaces": "getdents64",
    "mounts": "ioctl",
    "mounts_of_namespace": "ioctl",
    "mount_tmpfs": "mount",
    "parse_size": "sysinfo",
    "bind": "open_tree",
    "set_mount_flags": "mount_setattr",
    "set_propagation": "mount",
    "unmount": "umount2",
    "pivot_root": "pivot_root",
    # Sandbox.spawn: the vfork-style clone3 (the second clone3 of the thread: the first
    # starts the ticking thread).
    "sandbox_spawn": "clone3",
    "control-getpid": "getpid",
    "control-stat": "newfstatat",
}
# Which use of the system call to delay, when not the first.
WHEN = {"sandbox_spawn": 2}


def run_probe(mode, case, scratch):
    strace = shutil.which("strace")
    assert strace, "strace is needed (Debian package strace; scripts/test installs it)"
    syscall = CASES[case]
    probe = subprocess.Popen(
        [sys.executable, str(PROBE), mode, case, str(scratch)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    tracer = None
    try:
        assert probe.stdout.readline() == "ready\n"
        tracer = subprocess.Popen(
            [strace, "-p", str(probe.pid), "-o", "/dev/null", "-e", f"trace={syscall}",
             "-e", f"inject={syscall}:delay_enter={DELAY_US}:when={WHEN.get(case, 1)}"],
            stderr=subprocess.PIPE,
            text=True,
        )
        attached = tracer.stderr.readline()
        assert "attached" in attached, attached
        probe.stdin.write("go\n")
        probe.stdin.flush()
        result = probe.stdout.readline()
        assert probe.wait(timeout=60) == 0
        assert tracer.wait(timeout=60) == 0
        return json.loads(result)
    finally:
        for p in (probe, tracer):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        for stream in (probe.stdin, probe.stdout, tracer.stderr if tracer else None):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize("mode", ["root", "rootless"])
@pytest.mark.parametrize("case", [c for c in CASES if not c.startswith("control")])
def test_another_thread_runs_during_the_call(mode, case, scratch):
    result = run_probe(mode, case, scratch)
    # The delay hit the call (else the measurement says nothing)...
    assert result["elapsed"] >= DELAY_US / 1e6 * 0.9, result
    # ...and the ticking thread ran while it was delayed.
    assert result["inside"] >= 10, result


def test_controls_tell_held_from_released(scratch):
    held = run_probe("root", "control-getpid", scratch)
    assert held["elapsed"] >= DELAY_US / 1e6 * 0.9 and held["inside"] == 0, held
    (scratch / "a").rmdir()
    (scratch / "b").rmdir()
    released = run_probe("root", "control-stat", scratch)
    assert released["elapsed"] >= DELAY_US / 1e6 * 0.9 and released["inside"] >= 10, released
