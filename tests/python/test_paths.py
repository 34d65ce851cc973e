"""Paths: every function taking a path accepts str, bytes (non-UTF-8 too) and os.PathLike,
refuses other types with TypeError and a NUL byte with ValueError (like os.mkdir); paths
coming back are str decoded like os.fsdecode, so they round-trip."""

import errno
import os
from pathlib import Path

import pytest

import mntns

NOWHERE = "/nonexistent-mntns-test"

# Each function that takes a path, called with `p` in every path position at once (the
# conversion refuses a bad value before anything runs).
CALLS = {
    "mount_tmpfs": lambda p: mntns.mount_tmpfs(p, size="1m"),
    "bind source": lambda p: mntns.bind(p, NOWHERE),
    "bind target": lambda p: mntns.bind(NOWHERE, p),
    "set_mount_flags": lambda p: mntns.set_mount_flags(p, "ro"),
    "set_propagation": lambda p: mntns.set_propagation(p, "private"),
    "unmount": lambda p: mntns.unmount(p),
    "pivot_root new_root": lambda p: mntns.pivot_root(p),
    "pivot_root old_root": lambda p: mntns.pivot_root(NOWHERE, p),
    "ns_id": lambda p: mntns.ns_id(path=p),
    "enter": lambda p: mntns.enter(path=p),
    "mounts_of_namespace": lambda p: mntns.mounts_of_namespace(p),
}


class PathLike:
    def __init__(self, value):
        self.value = value

    def __fspath__(self):
        return self.value


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("bad", [3.5, ["/x"], object(), PathLike(3)], ids=["float", "list", "object", "pathlike-int"])
def test_wrong_path_types_are_type_errors(call, bad):
    with pytest.raises(TypeError, match="should be str, bytes or os.PathLike"):
        call(bad)


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize(
    "bad", ["/tmp/a\0b", b"/tmp/a\0b", Path("/tmp/a\0b"), PathLike(b"/tmp/\0")], ids=["str", "bytes", "path", "pathlike-bytes"]
)
def test_nul_in_a_path_is_a_value_error(call, bad):
    with pytest.raises(ValueError, match="embedded null character"):
        call(bad)


def test_an_exception_from_fspath_passes_through():
    class Broken:
        def __fspath__(self):
            raise KeyError("no path today")

    with pytest.raises(KeyError, match="no path today"):
        mntns.mount_tmpfs(Broken())


def test_int_is_not_a_path_for_path_only_arguments():
    # An int is a descriptor only where descriptors are taken (fd=, mounts_of_namespace).
    with pytest.raises(TypeError):
        mntns.mount_tmpfs(3)
    with pytest.raises(TypeError):
        mntns.ns_id(path=3)


@pytest.mark.parametrize("form", ["str", "bytes", "pathlib", "pathlike-str", "pathlike-bytes"])
def test_every_form_mounts_and_unmounts(child, scratch, form):
    raw = os.fsencode(scratch / "dir")

    def as_form(b):
        return {
            "str": os.fsdecode(b),
            "bytes": b,
            "pathlib": Path(os.fsdecode(b)),
            "pathlike-str": PathLike(os.fsdecode(b)),
            "pathlike-bytes": PathLike(b),
        }[form]

    def case():
        os.mkdir(raw)
        other = raw + b"-bound"
        os.mkdir(other)
        mntns.mount_tmpfs(as_form(raw), size="1m")
        mntns.set_propagation(as_form(raw), "private")
        mntns.set_mount_flags(as_form(raw), "nosuid")
        mntns.bind(as_form(raw), as_form(other))
        targets = [os.fsencode(m.target) for m in mntns.mounts() if os.fsencode(m.target).startswith(raw)]
        mntns.unmount(as_form(other))
        mntns.unmount(as_form(raw))
        return targets, [m.target for m in mntns.mounts() if os.fsencode(m.target).startswith(raw)]

    assert child(case) == ([raw, raw + b"-bound"], [])


def test_non_utf8_paths_round_trip(child, scratch):
    raw = os.fsencode(scratch) + b"/\xff\xfe-latin1-\xe9"

    def case():
        os.mkdir(raw)
        mntns.mount_tmpfs(raw, size="1m")
        (m,) = [m for m in mntns.mounts() if os.fsencode(m.target) == raw]
        # The str form carries the undecodable bytes as surrogates, like os.fsdecode...
        assert m.target == os.fsdecode(raw) and "\udcff" in m.target
        assert "\\udcff" in repr(m)  # escaped, never an encoding error
        # ...and is accepted back: the same mount point.
        mntns.set_propagation(m.target, "shared")
        new_root = raw + b"/root"
        os.mkdir(new_root)
        mntns.mount_tmpfs(new_root)
        with pytest.raises(FileNotFoundError) as info:
            mntns.bind(raw + b"/missing\x80", new_root)
        assert os.fsencode(info.value.filename) == raw + b"/missing\x80"
        mntns.unmount(m.target, detach=True)
        return [os.fsencode(x.target) for x in mntns.mounts() if os.fsencode(x.target).startswith(raw)]

    assert child(case) == []


def test_error_filename_is_the_path_as_str():
    with pytest.raises(FileNotFoundError) as info:
        mntns.ns_id(path=b"/nonexistent/\xff")
    e = info.value
    assert e.errno == errno.ENOENT and isinstance(e.filename, str)
    assert os.fsencode(e.filename) == b"/nonexistent/\xff"
