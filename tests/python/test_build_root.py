"""examples/python/build_root.py works as root, rootless and as an ordinary user, with the
root made from a static busybox and (--shell) from the host's shell and its libraries."""

import contextlib
import io
import pkgutil  # noqa: F401  (runpy imports it; imported here while the stdlib is readable)
import re
import runpy
import shutil  # noqa: F401  (the script's imports, for the same reason)
import subprocess
import sys
import tarfile  # noqa: F401
import tempfile  # noqa: F401

import pytest

import mntns
from conftest import TOP, run_in_child

SCRIPT = TOP / "examples" / "python" / "build_root.py"


def check(out, *, shell, own_mnt):
    assert re.search(r"^\$ tar -cf root\.tar bin/(busybox bin/sh   # a static busybox|sh \S+.*ldd lists)$", out, re.M), out
    if shell:
        assert "# a static busybox" not in out
        assert re.search(r"^  inside: ls /: /bin /dev /lib\S* .*/proc /tmp$", out, re.M), out
    else:
        assert "  inside: ls /: /bin /dev /proc /tmp" in out.splitlines(), out
    assert "  inside: ls /tmp/tmp1: /tmp/tmp1/hello" in out.splitlines()
    # The engine's steps: the archive unpacked by the parent, the tmpfs, the pivot.
    assert re.search(r"^ +\d+\. parent: tar -C /\S+ -xf /\S+/root\.tar   # confined to the new root$", out, re.M)
    assert re.search(r"^ +\d+\. mkdir -p \./tmp/tmp1; mount -t tmpfs -o size=1048576 tmpfs \./tmp/tmp1$", out, re.M)
    assert re.search(r"^ +\d+\. pivot_root \. \.; umount -l \.", out, re.M)
    theirs, ours = re.search(r"^  (mnt:\[\d+\])   \(this script: (mnt:\[\d+\])\)$", out, re.M).groups()
    assert ours == own_mnt and theirs != ours
    # Rootless, the kernel adds the mounting user's uid= and gid= to the tmpfs options.
    assert re.search(r"^  /tmp/tmp1 +tmpfs +rw,(\S+,)?size=1024k\b", out, re.M), out
    assert re.search(r"^  mount \d+ \(the sandbox's 1 MiB tmpfs\) in the host's table: no$", out, re.M)
    assert out.endswith("exit status 0\n")


@pytest.mark.parametrize("shell", [False, True], ids=["busybox", "shell"])
def test_build_root_as_root(shell):
    argv = [sys.executable, str(SCRIPT)] + (["--shell"] if shell else [])
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    check(result.stdout, shell=shell, own_mnt=str(mntns.ns_id()))


@pytest.mark.parametrize("mode", ["rootless", "nobody"])
@pytest.mark.parametrize("shell", [False, True], ids=["busybox", "shell"])
def test_build_root_rootless(mode, shell):
    # In a forked child: "rootless" (uid 65534 in a user namespace of its own) and "nobody"
    # (uid 65534, no namespace: the sandbox makes the user namespace). The script runs in
    # the child itself (the interpreter may live where 65534 cannot read it).
    def case():
        out = io.StringIO()
        old_argv = sys.argv
        sys.argv = [str(SCRIPT)] + (["--shell"] if shell else [])
        try:
            with contextlib.redirect_stdout(out):
                runpy.run_path(str(SCRIPT), run_name="__main__")
        except SystemExit as e:
            assert e.code == 0, (e.code, out.getvalue())
        finally:
            sys.argv = old_argv
        return out.getvalue(), str(mntns.ns_id())

    out, own_mnt = run_in_child(mode, case)
    check(out, shell=shell, own_mnt=own_mnt)
