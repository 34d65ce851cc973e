"""Run by test_gil.py: calls one mntns function while another Python thread ticks, and
reports how many ticks happened *during* the call.

    python gil_probe.py MODE CASE SCRATCH

The probe first does the case's setup single-threaded, in its own mount namespace (MODE
"root": unshare; "rootless": uid 65534, then unshare_rootless), prints "ready" and waits for
a line on stdin: meanwhile the test attaches strace to this thread, delaying the case's
system call by 300 ms. A thread that appends time.monotonic() every 2 ms can only run
while the main thread is inside the call if the call released the GIL. The result is one
JSON line: {"elapsed": seconds, "inside": ticks during the call, leaving out its first and
last 50 ms}.
"""

import ctypes
import json
import os
import sys
import threading
import time
from pathlib import Path

import mntns
from mntns import Namespace

mode, case, scratch = sys.argv[1], sys.argv[2], Path(sys.argv[3])

if mode == "rootless":
    os.setgroups([])
    os.setresgid(65534, 65534, 65534)
    os.setresuid(65534, 65534, 65534)
    ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: keep /proc/self ours
    mntns.unshare_rootless(Namespace.MOUNT)
else:
    mntns.unshare(Namespace.MOUNT)
mntns.set_propagation("/", "private")

a, b = scratch / "a", scratch / "b"
a.mkdir()
b.mkdir()
if case in ("bind", "set_propagation", "set_mount_flags", "unmount", "pivot_root"):
    mntns.mount_tmpfs(a, size="1m")

sandbox = mntns.Sandbox() if case == "sandbox_spawn" else None

holder = None
if case == "enter":
    r, w = os.pipe()
    holder = os.fork()
    if holder == 0:
        mntns.unshare(Namespace.UTS)
        os.write(w, b"x")
        time.sleep(60)
        os._exit(0)
    os.read(r, 1)

calls = {
    "unshare": lambda: mntns.unshare(Namespace.UTS),
    "enter": lambda: mntns.enter(holder, Namespace.UTS),
    "ns_id": lambda: mntns.ns_id(kind="net"),
    "namespaces": lambda: mntns.namespaces(),
    "mounts": lambda: mntns.mounts(os.getpid(), source="statmount"),
    "mounts_of_namespace": lambda: mntns.mounts_of_namespace("/proc/self/ns/mnt"),
    "mount_tmpfs": lambda: mntns.mount_tmpfs(b, size="1m"),
    "parse_size": lambda: mntns.parse_size("10%"),
    "bind": lambda: mntns.bind(a, b),
    "set_mount_flags": lambda: mntns.set_mount_flags(a, "nosuid"),
    "set_propagation": lambda: mntns.set_propagation(a, "shared"),
    "unmount": lambda: mntns.unmount(a),
    "pivot_root": lambda: mntns.pivot_root(a),
    "sandbox_spawn": lambda: sandbox.spawn(["true"]).wait(),
    # Controls of the method: os.getpid() keeps the GIL (no tick can happen inside it),
    # os.stat() releases it.
    "control-getpid": os.getpid,
    "control-stat": lambda: os.stat("/"),
}
call = calls[case]

print("ready", flush=True)
sys.stdin.readline()

ticks = []
stop = threading.Event()


def tick():
    while not stop.is_set():
        ticks.append(time.monotonic())
        time.sleep(0.002)


ticker = threading.Thread(target=tick)
ticker.start()
time.sleep(0.05)
t0 = time.monotonic()
call()
t1 = time.monotonic()
stop.set()
ticker.join()
if holder:
    os.kill(holder, 9)
    os.waitpid(holder, 0)
# Only the middle of the call counts: the interpreter may switch threads between bytecodes
# just before or after it (every 5 ms when a thread waits for the GIL).
margin = 0.05
inside = sum(t0 + margin < t < t1 - margin for t in ticks)
print(json.dumps({"elapsed": t1 - t0, "inside": inside}), flush=True)
