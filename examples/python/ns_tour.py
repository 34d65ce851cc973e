#!/usr/bin/env python3
"""A tour of libmntns from Python: the walkthrough's namespace steps, one call each.

    unshare -Urm                                   mntns.unshare_rootless(Namespace.MOUNT)
    mount -o size=1m -t tmpfs tmpfs /tmp           mntns.mount_tmpfs("/tmp", size="1m")
    mount | grep /tmp                              mntns.mounts()
    readlink /proc/$$/ns/mnt                       mntns.ns_id()
    pivot_root . old-root                          mntns.pivot_root(new_root, "old-root")

Run it as root or as an ordinary user: a user namespace maps the caller to root inside
(rootless, like `unshare -Urm`). Everything it mounts lives in its own mount namespace,
which disappears when it exits; a process that stayed outside shows that its table does not
have the new mount.

    python3 examples/python/ns_tour.py
"""

import os
import sys
from typing import Callable

import mntns
from mntns import Namespace


def step(command: str) -> None:
    print(f"$ {command}")


def mount_line(m: mntns.Mount) -> str:
    """A mount as mount(8) prints it: the mount's options, then the filesystem's."""
    fs_options = [o for o in m.super_options.split(",") if o not in ("rw", "ro")]
    return f"{m.source or 'none'} on {m.target} type {m.fstype} ({','.join([m.options, *fs_options])})"


def start_host_witness() -> Callable[[int], str]:
    """Forks a process that stays in the host's mount namespace; `ask(mount_id)` tells
    whether that mount is in its table (mount ids are unique across the system)."""
    ask_r, ask_w = os.pipe()
    answer_r, answer_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ask_w)
        os.close(answer_r)
        mount_id = int(os.read(ask_r, 32) or b"0")
        seen = any(m.id == mount_id for m in mntns.mounts())
        os.write(answer_w, b"yes" if seen else b"no")
        os._exit(0)
    os.close(ask_r)
    os.close(answer_w)

    def ask(mount_id: int) -> str:
        os.write(ask_w, str(mount_id).encode())
        answer = os.read(answer_r, 8).decode()
        os.waitpid(pid, 0)
        os.close(ask_w)
        os.close(answer_r)
        return answer

    return ask


def main() -> int:
    ask_host = start_host_witness()
    host_id = mntns.ns_id()

    step("unshare -Urm")
    mntns.unshare_rootless(Namespace.MOUNT)
    mntns.set_propagation("/", "private")  # nothing mounted here reaches the host

    step("mount -o size=1m -t tmpfs tmpfs /tmp")
    mntns.mount_tmpfs("/tmp", size="1m")

    step("mount | grep /tmp")
    mine = [m for m in mntns.mounts() if m.target == "/tmp"][-1]
    print(f"  {mount_line(mine)}")

    step("readlink /proc/$$/ns/mnt")
    print(f"  here: {mntns.ns_id()}")
    print(f"  host: {host_id}")
    print(f"  mount {mine.id} in the host's table: {ask_host(mine.id)}")

    step("pivot_root into a new 1 MiB tmpfs root")
    new_root = "/tmp/new-root"
    os.mkdir(new_root)
    mntns.mount_tmpfs(new_root, size="1m", mode=0o755)
    with open(f"{new_root}/hello.txt", "w") as f:
        f.write("hello from the new root\n")
    mntns.pivot_root(new_root, "old-root")
    print(f"  ls /: {' '.join(sorted(os.listdir('/')))}")
    mntns.unmount("/old-root", detach=True)
    os.rmdir("/old-root")
    print(f"  ls / without the old root: {' '.join(sorted(os.listdir('/')))}")
    for m in mntns.mounts():
        print(f"  {mount_line(m)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as e:
        # strerror is libmntns's one-line message: step, path, errno, hint.
        print(f"ns_tour: {e.strerror}", file=sys.stderr)
        sys.exit(1)
