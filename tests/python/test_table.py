"""Mount tables: mounts() against findmnt, another process's table, mounts_of_namespace for a
namespace held only by a descriptor, and the Mount value type."""

import errno
import json
import os
import re
import subprocess
import time

import pytest

import mntns
from mntns import Namespace

FINDMNT_COLUMNS = "ID,PARENT,MAJ:MIN,FSROOT,TARGET,FSTYPE,SOURCE,VFS-OPTIONS,FS-OPTIONS,PROPAGATION"


def findmnt():
    out = subprocess.run(
        ["findmnt", "-J", "-l", "-o", FINDMNT_COLUMNS], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)["filesystems"]


def as_findmnt_row(m):
    return {
        "id": m.id,
        "parent": m.parent_id,
        "maj:min": f"{m.major}:{m.minor}",
        "fsroot": m.root,
        "target": m.target,
        "fstype": m.fstype,
        "source": m.source,
        "vfs-options": m.options,
        "fs-options": m.super_options,
        "propagation": m.propagation,
    }


def normalize(row):
    row = dict(row)
    # findmnt writes a bind mount's source as SOURCE[FSROOT].
    if row["source"] and row["fsroot"] != "/":
        row["source"] = re.sub(r"\[.*\]$", "", row["source"])
    return row


def test_mounts_agree_with_findmnt(child, scratch):
    def case():
        spaced = scratch / "a b"
        spaced.mkdir()
        mntns.mount_tmpfs(spaced, size="1m", mode=0o755)
        mntns.set_propagation(spaced, "shared")
        (spaced / "sub").mkdir()
        mntns.bind(spaced / "sub", scratch, recursive=False)
        return [as_findmnt_row(m) for m in mntns.mounts()], findmnt()

    ours, theirs = child(case)
    assert [normalize(r) for r in ours] == [normalize(r) for r in theirs]
    assert any(r["target"].endswith("/a b") and r["propagation"] == "shared" for r in ours)


def test_unique_ids_link_parents(child):
    def case():
        table = mntns.mounts(source="statmount")
        return [(m.unique_id, m.parent_unique_id, m.id, m.parent_id) for m in table]

    rows = child(case)
    # This kernel has statmount (6.8+): every record carries its never-reused 64-bit id.
    assert all(isinstance(u, int) for u, _, _, _ in rows)
    by_id = {i: u for u, _, i, _ in rows}
    assert len(set(by_id.values())) == len(rows)
    for _, parent_unique, _, parent in rows:
        if parent in by_id:
            assert parent_unique == by_id[parent]


def start_mounter(target):
    """Forks a process in its own mount namespace with a tmpfs on `target`."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            mntns.unshare(Namespace.MOUNT)
            mntns.mount_tmpfs(target, size="1m")
            os.write(w, b"x")
            time.sleep(60)
        finally:
            os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"x"
    os.close(r)
    return pid


def test_mounts_of_another_process_and_of_a_held_namespace(child, scratch):
    def case():
        pid = start_mounter(scratch)
        # statmount: the same records as mounts_of_namespace (unique ids included).
        theirs = [m for m in mntns.mounts(pid, source="statmount") if m.target == str(scratch)]
        ours = [m for m in mntns.mounts() if m.target == str(scratch)]
        ns_fd = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY)
        by_path = [m for m in mntns.mounts_of_namespace(f"/proc/{pid}/ns/mnt") if m.target == str(scratch)]
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        # Only the descriptor holds the namespace now.
        held = [m for m in mntns.mounts_of_namespace(ns_fd) if m.target == str(scratch)]
        with open(ns_fd, "rb", closefd=True) as f:
            held_file = [m for m in mntns.mounts_of_namespace(f) if m.target == str(scratch)]
        with pytest.raises(ProcessLookupError, match=f"process {pid} has exited"):
            mntns.mounts(pid)
        return [len(x) for x in (theirs, ours, by_path, held, held_file)], theirs[0] == held[0], held[0].fstype

    counts, same, fstype = child(case)
    assert counts == [1, 0, 1, 1, 1] and same and fstype == "tmpfs"


def test_mounts_of_own_namespace_equals_mounts(child):
    def case():
        a = {(m.id, m.target) for m in mntns.mounts()}
        b = {(m.id, m.target) for m in mntns.mounts_of_namespace("/proc/self/ns/mnt")}
        c = {(m.id, m.target) for m in mntns.mounts(os.getpid())}
        return a == b == c

    assert child(case)


def test_table_sources(child):
    def case():
        result = {}
        for source in ("auto", "statmount", "mountinfo"):
            table = mntns.mounts(source=source)
            other = mntns.mounts(os.getpid(), source=source)
            result[source] = ([(m.id, m.target, m.fstype, m.options) for m in table], [m.unique_id for m in table], [m.id for m in other])
        return result

    result = child(case)
    rows = {source: r[0] for source, r in result.items()}
    assert rows["auto"] == rows["statmount"] == rows["mountinfo"]
    assert all(isinstance(u, int) for u in result["statmount"][1])
    assert all(u is None for u in result["mountinfo"][1])
    assert all(r[2] == [row[0] for row in r[0]] for r in result.values())


def test_table_errors():
    with pytest.raises(ValueError, match="unknown source"):
        mntns.mounts(source="proc")
    with pytest.raises(TypeError, match="source should be a str"):
        mntns.mounts(source=1)
    with pytest.raises(ValueError, match="not a process id"):
        mntns.mounts(0)
    with pytest.raises(TypeError, match="pid must be an int"):
        mntns.mounts("1")
    with pytest.raises(TypeError, match="bool"):
        mntns.mounts(False)
    with pytest.raises(ValueError, match="is not a mount namespace"):
        mntns.mounts_of_namespace("/proc/self/ns/uts")
    fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        with pytest.raises(ValueError, match="is not a mount namespace"):
            mntns.mounts_of_namespace(fd)
    finally:
        os.close(fd)
    with pytest.raises(OSError, match="not a namespace file") as info:
        mntns.mounts_of_namespace("/proc/self/status")
    assert info.value.errno == errno.EINVAL
    with pytest.raises(FileNotFoundError):
        mntns.mounts_of_namespace(b"/nonexistent/ns")
    with pytest.raises(TypeError, match="should be str, bytes or os.PathLike"):
        mntns.mounts_of_namespace(1.5)


def test_mount_value_semantics():
    a, b = mntns.mounts(), mntns.mounts()
    assert a == b and [hash(m) for m in a] == [hash(m) for m in b]
    assert len(set(a)) == len(a)
    m = a[0]
    assert repr(m) == f"<Mount {m.id} {m.target!r} type {m.fstype} ({m.options})>"
    assert m.has_option("rw") != m.read_only
    assert not m.has_option("r")  # whole option names only
    assert isinstance(m.propagation, str) and isinstance(m.unbindable, bool)
    with pytest.raises(AttributeError):
        m.target = "/elsewhere"
    with pytest.raises(TypeError):
        mntns.Mount()
