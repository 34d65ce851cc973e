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
