#!/usr/bin/env python3
"""Builds an isolated root from the host's binaries and runs a command in it: the second
half of the walkthrough, with libmntns's sandbox engine doing the namespace work.

    tar -cf root.tar bin/…                       made here from host binaries
    unshare -Urm                                 \\
    mount -t tmpfs tmpfs new-root                 |
    tar -C new-root -xf root.tar                  |  mntns.Sandbox(root="root.tar")
    mount -o size=1m -t tmpfs tmpfs …/tmp/tmp1    |      .add_tmpfs("/tmp/tmp1", size="1m")
    pivot_root new-root …; umount -l old-root     |      .spawn(["sh", "-c", …])
    sh -c '…'                                    /
    readlink /proc/PID/ns/mnt                    child.ns_id()
    findmnt -N PID; findmnt /tmp/tmp1            mntns.mounts(pid=child.pid); mntns.mounts()

The root holds a static /bin/busybox when the host has one (Debian: busybox-static), else
the host's shell and the libraries `ldd` lists for it (`--shell` forces that). Run it as
root or as an ordinary user (the sandbox then gets a user namespace mapping you to root,
like `unshare -Urm`); nothing outside the sandbox is mounted on, and the archive lives in a
temporary directory removed at the end.

    python3 examples/python/build_root.py
    python3 examples/python/build_root.py --shell
"""

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import mntns

BUSYBOX = "/bin/busybox"
# Shell built-ins only, so that a root holding nothing but a shell can run it: list the
# root, use the 1 MiB tmpfs, then wait until the host closes stdin.
SCRIPT = 'echo "ls /:" /*; echo hello > /tmp/tmp1/hello; echo "ls /tmp/tmp1:" /tmp/tmp1/*; read line || :'


def is_static(path: str) -> bool:
    """Whether `path` runs without a dynamic loader (ldd says "not a dynamic executable")."""
    ldd = subprocess.run(["ldd", path], capture_output=True, text=True)
    return ldd.returncode != 0 and "not a dynamic executable" in ldd.stdout + ldd.stderr


def host_files(use_busybox: bool) -> tuple[dict[str, str], dict[str, str], str]:
    """What goes into the root: files (name in the archive -> host file), symlinks (name ->
    link text), and a description."""
    if use_busybox:
        return {"bin/busybox": BUSYBOX}, {"bin/sh": "busybox"}, "a static busybox"
    shell = os.path.realpath("/bin/sh")
    files = {"bin/sh": shell}
    ldd = subprocess.run(["ldd", shell], capture_output=True, text=True, check=True).stdout
    for line in ldd.splitlines():
        # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)", "/lib64/ld-linux-x86-64.so.2 (0x…)"
        for word in line.split():
            if word.startswith("/"):
                files[word.lstrip("/")] = os.path.realpath(word)
    return files, {}, f"{shell} and the {len(files) - 1} libraries ldd lists"


def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Entries of a root image belong to root, as in `docker export` output (a caller in a
    user namespace would otherwise record the overflow id 65534 it sees for root's files)."""
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def make_archive(path: Path, files: dict[str, str], links: dict[str, str]) -> None:
    """Writes the tar archive: the directories, then the files, then the links."""
    names = sorted(files) + sorted(links)
    dirs = sorted({str(p) for name in names for p in Path(name).parents if str(p) != "."})
    with tarfile.open(path, "w") as tar:
        for d in dirs:
            info = owned_by_root(tarfile.TarInfo(d))
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        for name in sorted(files):
            tar.add(files[name], arcname=name, recursive=False, filter=owned_by_root)
        for name, text in sorted(links.items()):
            info = owned_by_root(tarfile.TarInfo(name))
            info.type = tarfile.SYMTYPE
            info.linkname = text
            tar.addfile(info)


def main(argv: list[str]) -> int:
    use_busybox = "--shell" not in argv and os.path.exists(BUSYBOX) and is_static(BUSYBOX)
    workdir = Path(tempfile.mkdtemp(prefix="mntns-build-root-"))
    try:
        archive = workdir / "root.tar"
        files, links, what = host_files(use_busybox)
        make_archive(archive, files, links)
        print(f"$ tar -cf root.tar {' '.join(sorted(files) + sorted(links))}   # {what}")

        # The root: the archive unpacked into a fresh tmpfs (a path to a regular file is a
        # tar archive), with /proc, /dev and /tmp; then a 1 MiB tmpfs of our own.
        sandbox = mntns.Sandbox(root=archive).add_tmpfs("/tmp/tmp1", size="1m")
        command = ["/bin/sh", "-c", SCRIPT]
        print("$ mntns run --rootfs-tar root.tar --tmpfs /tmp/tmp1:size=1m -- sh -c '…'")
        print("  what the engine does, step by step:")
        for line in sandbox.explain(command).splitlines():
            print(f"  {line}")

        with sandbox.spawn(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as child:
            assert child.stdout is not None
            for _ in range(2):
                print(f"  inside: {child.stdout.readline().decode().rstrip()}")

            # While it waits for stdin, look at it from here.
            print(f"$ readlink /proc/{child.pid}/ns/mnt")
            print(f"  {child.ns_id()}   (this script: {mntns.ns_id()})")

            print(f"$ findmnt -N {child.pid}   # the sandbox's mount table")
            theirs = mntns.mounts(pid=child.pid)
            for m in theirs:
                print(f"  {m.target:<16} {m.fstype:<8} {m.super_options}")
            (tmp1,) = [m for m in theirs if m.target == "/tmp/tmp1"]
            assert tmp1.fstype == "tmpfs" and "size=1024k" in tmp1.super_options.split(",")

            print("$ findmnt /tmp/tmp1   # the host's table")
            ours = mntns.mounts()
            seen = [m for m in ours if m.id == tmp1.id or m.target == "/tmp/tmp1"]
            print(f"  mount {tmp1.id} (the sandbox's 1 MiB tmpfs) in the host's table: {'yes' if seen else 'no'}")

            out, _ = child.communicate()  # closes stdin: `read` returns, the sandbox exits
        status = child.returncode
        print(f"exit status {status}")
        return 0 if status == 0 and not seen and out == b"" else 1
    finally:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
