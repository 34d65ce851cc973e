"""Mount operations: mount_tmpfs and parse_size, bind, set_mount_flags, set_propagation,
unmount, pivot_root — what the kernel then shows (statvfs, stat, mountinfo, errno)."""

import errno
import os
from pathlib import Path

import pytest

import mntns
from conftest import run_in_child
from mntns import MountFlags, Propagation

PAGE = os.sysconf("SC_PAGE_SIZE")
# A target that does not exist anywhere: if a refusal ever slipped through, mount(2) would
# fail with ENOENT instead of touching the host.
NOWHERE = "/nonexistent-mntns-test/x"


def round_up(n):
    return (n + PAGE - 1) // PAGE * PAGE


def mount_at(path):
    """The last (topmost) mount whose target is `path`."""
    found = [m for m in mntns.mounts() if m.target == os.fsdecode(path)]
    assert found, f"nothing mounted on {path}"
    return found[-1]


def statvfs_bytes(path):
    st = os.statvfs(path)
    return st.f_blocks * st.f_frsize


# --- mount_tmpfs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size,expected",
    [("1m", 1 << 20), (1 << 20, 1 << 20), ("4097", 8192), (4097, 8192), ("64k", 65536), ("2G", 2 << 30), ("1t", 1 << 40)],
)
def test_tmpfs_size(child, scratch, size, expected):
    def case():
        mntns.mount_tmpfs(scratch, size=size)
        assert f"size={expected // 1024}k" in mount_at(scratch).super_options.split(",")
        return statvfs_bytes(scratch)

    assert child(case) == expected


def test_tmpfs_percent_size_matches_parse_size(child, scratch):
    def case():
        mntns.mount_tmpfs(scratch, size="10%")
        return statvfs_bytes(scratch), mntns.parse_size("10%")

    mounted, parsed = child(case)
    assert mounted == round_up(parsed)


def test_tmpfs_unlimited_only_when_asked(child, scratch):
    def case():
        mntns.mount_tmpfs(scratch, size="unlimited", nr_inodes="unlimited")
        st = os.statvfs(scratch)
        return st.f_blocks, st.f_files, mount_at(scratch).super_options

    blocks, files, options = child(case)
    assert (blocks, files) == (0, 0)
    assert "size=0k" in options.split(",") and "nr_inodes=0" in options.split(",")


def test_tmpfs_inodes_mode_and_owner(child, scratch, mode):
    owner = 0 if mode == "rootless" else 1234  # only 0 is mapped in the rootless namespace

    def case():
        mntns.mount_tmpfs(scratch, nr_inodes=100, mode=0o710, uid=owner, gid=owner)
        st = os.stat(scratch)
        files = os.statvfs(scratch).f_files
        (scratch / "b").mkdir()
        mntns.mount_tmpfs(scratch / "b", nr_inodes="1k")
        return files, st.st_mode & 0o7777, st.st_uid, st.st_gid, os.statvfs(scratch / "b").f_files

    assert child(case) == (100, 0o710, owner, owner, 1024)


def test_tmpfs_unmapped_owner_is_explained(scratch):
    def case():
        with pytest.raises(OSError) as info:
            mntns.mount_tmpfs(scratch, uid=1234)
        assert info.value.errno == errno.EINVAL and "may not be mapped" in info.value.hint
        assert info.value.filename == str(scratch)

    # Only rootless: root maps every uid.
    run_in_child("rootless", case)


def test_tmpfs_flags(child, scratch):
    def case():
        a, b = scratch / "a", scratch / "b"
        a.mkdir()
        b.mkdir()
        mntns.mount_tmpfs(a, flags="ro,nosuid")
        mntns.mount_tmpfs(b, flags=MountFlags.NOEXEC | MountFlags.NOATIME)
        with pytest.raises(OSError) as info:
            (a / "f").write_text("x")
        assert info.value.errno == errno.EROFS
        return mount_at(a).options.split(","), mount_at(b).options.split(","), mount_at(a).read_only

    opts_a, opts_b, read_only = child(case)
    assert {"ro", "nosuid"} <= set(opts_a) and read_only
    assert {"rw", "noexec", "noatime"} <= set(opts_b)


def test_tmpfs_noswap(child, scratch, mode):
    def case():
        if mode == "root":
            mntns.mount_tmpfs(scratch, size="1m", noswap=True)
            return mount_at(scratch).super_options.split(",")
        # The kernel allows noswap only in the initial user namespace.
        with pytest.raises(OSError) as info:
            mntns.mount_tmpfs(scratch, noswap=True)
        assert info.value.errno == errno.EINVAL and "initial user namespace" in info.value.hint
        return None

    options = child(case)
    if mode == "root":
        assert "noswap" in options


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"size": 0}, "0 would make the kernel's tmpfs unlimited"),
        ({"size": "0"}, "0 would make the kernel's tmpfs unlimited"),
        ({"size": -1}, "negative"),
        ({"size": "-1"}, "negative"),
        ({"size": ""}, "empty"),
        ({"size": "1.5m"}, "fractions"),
        ({"size": "1x"}, "unknown suffix"),
        ({"size": "0x10"}, "hexadecimal"),
        ({"size": "010"}, "leading zeros"),
        ({"size": "0%"}, "0% is no size"),
        ({"size": "101%"}, "more than all of RAM"),
        ({"size": (1 << 62) + 1}, "more than 4 EiB"),
        ({"size": 1 << 80}, "does not fit in 64 bits"),
        ({"nr_inodes": 0}, "inode count unlimited"),
        ({"nr_inodes": "12q"}, "unknown suffix"),
        ({"mode": 0o10000}, "bits outside 0o7777"),
        ({"mode": -1}, "mode -1 is out of range"),
        ({"uid": 2**32 - 1}, "names no one"),
        ({"gid": 2**32}, "out of range"),
        ({"flags": "bogus"}, "unknown flag \"bogus\""),
        ({"flags": "noatime,strictatime"}, "conflict"),
        ({"flags": 1 << 40}, "unknown flag bits"),
        ({"flags": -1}, "is not a set of MS_"),
    ],
)
def test_tmpfs_bad_options_are_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mntns.mount_tmpfs(NOWHERE, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [{"size": True}, {"size": 1.5}, {"size": b"1m"}, {"nr_inodes": False}, {"mode": "755"}, {"mode": True},
     {"uid": 1.0}, {"noswap": 1}, {"flags": 1.0}, {"flags": [MountFlags.RDONLY]}],
)
def test_tmpfs_wrong_types_are_type_errors(kwargs):
    with pytest.raises(TypeError):
        mntns.mount_tmpfs(NOWHERE, **kwargs)


def test_tmpfs_bad_targets():
    with pytest.raises(ValueError, match="relative path") as info:
        mntns.mount_tmpfs("relative/dir", size="1m")
    assert info.value.filename == "relative/dir" and info.value.step == "mount tmpfs on"
    with pytest.raises(ValueError, match="empty path"):
        mntns.mount_tmpfs("")
    with pytest.raises(OSError) as info:
        mntns.mount_tmpfs("/" + "x" * 5000)
    assert info.value.errno == errno.ENAMETOOLONG and "PATH_MAX" in info.value.hint


def test_tmpfs_missing_target_is_file_not_found(child):
    def case():
        with pytest.raises(FileNotFoundError) as info:
            mntns.mount_tmpfs(NOWHERE, size="1m")
        e = info.value
        assert (e.errno, e.filename, e.step) == (errno.ENOENT, NOWHERE, "mount tmpfs on")
        assert e.strerror == f"mount tmpfs on {NOWHERE}: ENOENT (no such file or directory; {e.hint})"
        assert "does not exist" in e.hint

    child(case)


def test_tmpfs_without_privilege_is_permission_error(nobody, scratch):
    def case():
        with pytest.raises(PermissionError) as info:
            mntns.mount_tmpfs(scratch, size="1m")
        assert info.value.errno == errno.EPERM and "CAP_SYS_ADMIN" in info.value.hint
        assert str(info.value).startswith(f"[Errno 1] mount tmpfs on {scratch}: EPERM (operation not permitted; ")

    nobody(case)


# --- parse_size -----------------------------------------------------------------------------


def test_parse_size():
    assert mntns.parse_size("1m") == 1 << 20
    assert mntns.parse_size("4096") == 4096
    assert mntns.parse_size("64K") == 64 << 10
    assert mntns.parse_size("2g") == 2 << 30
    assert mntns.parse_size("1t") == 1 << 40
    # The kernel's formula for size=N%: (N << PAGE_SHIFT) * totalram_pages / 100.
    ram_pages = os.sysconf("SC_PHYS_PAGES")
    assert mntns.parse_size("10%") == 10 * PAGE * ram_pages // 100
    assert mntns.parse_size("100%") == PAGE * ram_pages


@pytest.mark.parametrize("bad", ["unlimited", "", " 1m", "1m ", "-1", "+1", "1.5m", "0", "0%", "101%", "4194305t", "99999999999999999999"])
def test_parse_size_refusals(bad):
    with pytest.raises(ValueError, match="is not a valid size") as info:
        mntns.parse_size(bad)
    assert info.value.step == "tmpfs size" and repr(bad).strip("'") in str(info.value)


def test_parse_size_wants_str():
    for bad in (1024, b"1m", None):
        with pytest.raises(TypeError, match="text should be a str"):
            mntns.parse_size(bad)


# --- bind -----------------------------------------------------------------------------------


def make_tree(base):
    """base/src with a file and a tmpfs submount holding a file; base/dst empty."""
    src, dst = base / "src", base / "dst"
    src.mkdir()
    dst.mkdir()
    (src / "hello").write_text("hi")
    (src / "sub").mkdir()
    mntns.mount_tmpfs(src / "sub", size="1m")
    (src / "sub" / "inner").write_text("in")
    return src, dst


def test_bind_recursive_and_not(child, scratch):
    def case():
        src, dst = make_tree(scratch)
        other = scratch / "other"
        other.mkdir()
        mntns.bind(src, dst)
        mntns.bind(str(src), str(other), recursive=False)
        return (
            (dst / "hello").read_text(),
            (dst / "sub" / "inner").exists(),
            (other / "hello").read_text(),
            os.listdir(other / "sub"),
        )

    assert child(case) == ("hi", True, "hi", [])


def test_bind_readonly_reaches_submounts(child, scratch):
    def case():
        src, dst = make_tree(scratch)
        mntns.bind(src, dst, readonly=True, flags="nosuid")
        for path in (dst / "new", dst / "sub" / "new"):
            with pytest.raises(OSError) as info:
                path.write_text("x")
            assert info.value.errno == errno.EROFS
        (src / "still-writable").write_text("x")
        return [(m.target, m.read_only, m.has_option("nosuid")) for m in mntns.mounts() if m.target.startswith(str(dst))]

    assert child(case) == [(str(scratch / "dst"), True, True), (str(scratch / "dst" / "sub"), True, True)]


def test_bind_errors(child, scratch):
    def case():
        missing = scratch / "missing"
        with pytest.raises(FileNotFoundError) as info:
            mntns.bind(missing, scratch)
        assert info.value.filename == str(missing) and info.value.step == "open bind source"
        with pytest.raises(FileNotFoundError) as info:
            mntns.bind(scratch, missing)
        assert info.value.filename == str(missing) and info.value.step == f"bind {scratch} onto"
        with pytest.raises(ValueError, match="conflict"):
            mntns.bind(scratch, scratch, flags=MountFlags.NOATIME | MountFlags.STRICTATIME)
        with pytest.raises(TypeError):
            mntns.bind(scratch, scratch, readonly="yes")

    child(case)


# --- set_mount_flags ------------------------------------------------------------------------


def test_set_mount_flags(child, scratch):
    def case():
        mntns.mount_tmpfs(scratch, size="1m")
        (scratch / "sub").mkdir()
        mntns.mount_tmpfs(scratch / "sub", size="1m")
        mntns.set_mount_flags(scratch, "ro,nosuid")
        ro = [mount_at(p).read_only for p in (scratch, scratch / "sub")]
        mntns.set_mount_flags(scratch, clear=MountFlags.RDONLY, recursive=False)
        after = [mount_at(p).read_only for p in (scratch, scratch / "sub")]
        with pytest.raises(ValueError, match="both set and cleared"):
            mntns.set_mount_flags(scratch, "ro", "ro")
        (scratch / "plain").mkdir()
        with pytest.raises(OSError, match="not a mount point") as info:
            mntns.set_mount_flags(scratch / "plain", "nodev")
        assert info.value.errno == errno.EINVAL
        return ro, after, mount_at(scratch).has_option("nosuid")

    assert child(case) == ([True, True], [False, True], True)


# --- set_propagation ------------------------------------------------------------------------


def test_set_propagation(child, scratch):
    def case():
        a, b = scratch / "a", scratch / "b"
        a.mkdir()
        b.mkdir()
        mntns.mount_tmpfs(a, size="1m")
        mntns.set_propagation(a, "shared")
        shared = mount_at(a)
        mntns.bind(a, b)  # b joins a's peer group
        mntns.set_propagation(b, Propagation.SLAVE)
        slave = mount_at(b)
        mntns.set_propagation(a, Propagation.PRIVATE, recursive=False)
        private = mount_at(a)
        mntns.set_propagation(os.fsencode(a), "unbindable")
        unbindable = mount_at(a)
        return [(m.propagation, m.shared, m.master, m.unbindable) for m in (shared, slave, private, unbindable)]

    (shared, slave, private, unbindable) = child(case)
    assert shared[0] == "shared" and isinstance(shared[1], int) and shared[2] is None
    assert slave[:3] == ("private,slave", None, shared[1])
    assert private == ("private", None, None, False)
    assert unbindable == ("private,unbindable", None, None, True)


def test_set_propagation_errors(child, scratch):
    def case():
        with pytest.raises(OSError, match="not a mount point") as info:
            mntns.set_propagation(scratch, "private")
        assert info.value.errno == errno.EINVAL and info.value.step == "make rprivate"
        with pytest.raises(ValueError, match="unknown propagation \"bogus\""):
            mntns.set_propagation(scratch, "bogus")
        with pytest.raises(TypeError, match="kind should be a str"):
            mntns.set_propagation(scratch, 1)

    child(case)


# --- unmount --------------------------------------------------------------------------------


def test_unmount(child, scratch):
    def case():
        mntns.mount_tmpfs(scratch, size="1m")
        (scratch / "marker").write_text("x")
        mntns.unmount(scratch)
        gone = not any(m.target == str(scratch) for m in mntns.mounts())
        with pytest.raises(OSError, match="not a mount point") as info:
            mntns.unmount(scratch)
        assert info.value.errno == errno.EINVAL and info.value.filename == str(scratch)
        return gone, os.listdir(scratch)

    assert child(case) == (True, [])


def test_unmount_busy_then_detach(child, scratch):
    def case():
        mntns.mount_tmpfs(scratch, size="1m")
        os.chdir(scratch)
        with pytest.raises(OSError) as info:
            mntns.unmount(scratch)
        assert info.value.errno == errno.EBUSY and "detach" in info.value.hint.lower()
        mntns.unmount(scratch, detach=True)
        os.chdir("/")
        return any(m.target == str(scratch) for m in mntns.mounts())

    assert child(case) is False


def test_unmount_expire_and_nofollow(child, scratch):
    def case():
        d = scratch / "d"
        d.mkdir()
        mntns.mount_tmpfs(d, size="1m")
        link = scratch / "link"
        link.symlink_to(d)
        with pytest.raises(OSError) as info:
            mntns.unmount(link, nofollow=True)
        assert info.value.errno == errno.EINVAL
        with pytest.raises(BlockingIOError, match="marked as expired"):
            mntns.unmount(d, expire=True)
        mntns.unmount(d, expire=True)
        with pytest.raises(ValueError, match="EXPIRE cannot be combined"):
            mntns.unmount(d, expire=True, detach=True)
        return any(m.target == str(d) for m in mntns.mounts())

    assert child(case) is False


# --- pivot_root -----------------------------------------------------------------------------


def test_pivot_root_keeping_the_old_root(child, scratch):
    def case():
        new = scratch / "new-root"
        new.mkdir()
        mntns.mount_tmpfs(new, size="1m", mode=0o755)
        (new / "marker").write_text("x")
        mntns.pivot_root(new, "old-root")
        listing = sorted(os.listdir("/"))
        root = mount_at("/")
        old_has_proc = os.path.isdir("/old-root/proc/self")
        mntns.unmount("/old-root", detach=True)
        return listing, os.getcwd(), root.fstype, old_has_proc, os.listdir("/old-root")

    assert child(case) == (["marker", "old-root"], "/", "tmpfs", True, [])


def test_pivot_root_detaching_the_old_root(child, scratch):
    def case():
        # A plain directory, not a mount point: it is bound onto itself first.
        new = scratch / "plain"
        new.mkdir()
        (new / "marker").write_text("x")
        mntns.pivot_root(os.fsencode(new), propagation=Propagation.PRIVATE)
        table = mntns.mounts()
        return os.listdir("/"), [m.target for m in table], table[0].propagation

    listing, targets, propagation = child(case)
    assert listing == ["marker"] and targets == ["/"] and propagation == "private"


def test_pivot_root_errors(child, scratch):
    def case():
        with pytest.raises(FileNotFoundError) as info:
            mntns.pivot_root(scratch / "missing")
        assert info.value.filename == str(scratch / "missing")
        with pytest.raises(ValueError, match=r"\.\."):
            mntns.pivot_root(scratch, "../escape")
        with pytest.raises(ValueError, match="must be \"slave\" or \"private\""):
            mntns.pivot_root(scratch, propagation="shared")
        with pytest.raises(ValueError, match="unknown propagation"):
            mntns.pivot_root(scratch, propagation="rslave")

    child(case)


def test_pivot_root_without_privilege_is_permission_error(nobody, scratch):
    def case():
        # Refused either as "the initial mount namespace" (when pid 1's namespace can be
        # read) or for lack of CAP_SYS_ADMIN at the first mount step.
        with pytest.raises(PermissionError) as info:
            mntns.pivot_root(scratch)
        assert info.value.errno == errno.EPERM and info.value.hint

    nobody(case)
