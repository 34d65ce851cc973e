"""The installed package is the one built from this tree."""

import pathlib
import re

import mntns

TOP = pathlib.Path(__file__).resolve().parents[2]


def test_version_is_the_workspace_version():
    cargo = (TOP / "Cargo.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', cargo, re.M).group(1)
    assert mntns.__version__ == version


def test_native_module_is_inside_the_package():
    from mntns import _mntns

    assert pathlib.Path(_mntns.__file__).parent == pathlib.Path(mntns.__file__).parent


def test_typing_files_are_installed():
    package = pathlib.Path(mntns.__file__).parent
    assert (package / "py.typed").exists()
    stubs = (package / "_mntns.pyi").read_text()
    for name in mntns._mntns.__all__:
        assert name in stubs, f"{name} has no stub"


def test_public_names():
    for name in mntns.__all__:
        assert hasattr(mntns, name), name
    native = {n for n in mntns._mntns.__all__ if not n.startswith(("CLONE_", "MS_"))}
    assert native <= set(mntns.__all__), native - set(mntns.__all__)
    assert [m.name for m in mntns.Propagation] == ["PRIVATE", "SLAVE", "SHARED", "UNBINDABLE"]
    assert all(isinstance(p, str) and p == p.name.lower() for p in mntns.Propagation)


def test_mount_flags_are_the_kernels_ms_values():
    # From the kernel's UAPI header (linux/mount.h), not from libmntns.
    text = (pathlib.Path("/usr/include/linux/mount.h")).read_text()
    header = {}
    for name, number, shift in re.findall(r"#define\s+(MS_\w+)\s+(?:(\d+|0x[0-9a-fA-F]+)|\(1\s*<<\s*(\d+)\))", text):
        header[name] = int(number, 0) if number else 1 << int(shift)
    for flag in mntns.MountFlags:
        assert int(flag) == header[f"MS_{flag.name}"], flag
