"""libmntns for Python: Linux mount-namespace isolation.

Each step of the classic walkthrough is one call::

    import mntns

    mntns.unshare_rootless(mntns.Namespace.MOUNT)        # unshare -Urm
    mntns.set_propagation("/", "private")                 # mount --make-rprivate /
    mntns.mount_tmpfs("/tmp", size="1m")                  # mount -o size=1m -t tmpfs tmpfs /tmp
    [m for m in mntns.mounts() if m.target == "/tmp"]     # findmnt /tmp
    str(mntns.ns_id())                                    # readlink /proc/self/ns/mnt
    mntns.pivot_root("/tmp", "old-root")                  # pivot_root . old-root
    mntns.namespaces("mnt")                               # lsns -t mnt

Errors: a failed system call raises a plain ``OSError`` (so ``PermissionError``,
``FileNotFoundError`` … by errno) whose ``strerror`` is libmntns's one-line message
(``mount tmpfs on /x: EPERM (operation not permitted; hint)``), with ``.errno``,
``.filename``, ``.step`` and ``.hint``; bad arguments raise ``ValueError`` or ``TypeError``
before anything runs. Paths are ``str``, ``bytes`` or ``os.PathLike``; paths returned are
``str`` decoded like ``os.fsdecode``. Every call releases the GIL while it runs.

See docs/python.md for the whole API.
"""

import enum
import sys

from . import _mntns
from ._mntns import (
    Mount,
    NamespaceInfo,
    NsId,
    Pin,
    __version__,
    bind,
    enter,
    mount_tmpfs,
    mounts,
    mounts_of_namespace,
    namespaces,
    ns_id,
    parse_size,
    pivot_root,
    set_mount_flags,
    set_propagation,
    unmount,
    unshare,
    unshare_rootless,
)


class Namespace(enum.IntFlag):
    """Namespace kinds, with the kernel's ``CLONE_NEW*`` values (equal to ``os.CLONE_NEW*``
    on Python 3.12+), combinable with ``|``."""

    MOUNT = _mntns.CLONE_NEWNS
    UTS = _mntns.CLONE_NEWUTS
    IPC = _mntns.CLONE_NEWIPC
    PID = _mntns.CLONE_NEWPID
    NET = _mntns.CLONE_NEWNET
    USER = _mntns.CLONE_NEWUSER
    CGROUP = _mntns.CLONE_NEWCGROUP
    TIME = _mntns.CLONE_NEWTIME


class MountFlags(enum.IntFlag):
    """Per-mount flags, with the kernel's ``MS_*`` values (``mount(2)``). Wherever flags are
    taken, a ``str`` of ``mount -o`` names (``"ro,nosuid"``) works too."""

    RDONLY = _mntns.MS_RDONLY
    NOSUID = _mntns.MS_NOSUID
    NODEV = _mntns.MS_NODEV
    NOEXEC = _mntns.MS_NOEXEC
    NOATIME = _mntns.MS_NOATIME
    NODIRATIME = _mntns.MS_NODIRATIME
    RELATIME = _mntns.MS_RELATIME
    STRICTATIME = _mntns.MS_STRICTATIME
    NOSYMFOLLOW = _mntns.MS_NOSYMFOLLOW


if sys.version_info >= (3, 11):
    from enum import StrEnum as _StrEnum
else:

    class _StrEnum(str, enum.Enum):
        """``enum.StrEnum`` of Python 3.11: members are ``str``s."""


class Propagation(_StrEnum):
    """Propagation types (``mount --make-*``). Members are ``str``s, so ``"private"`` and
    ``Propagation.PRIVATE`` are accepted alike."""

    PRIVATE = "private"
    SLAVE = "slave"
    SHARED = "shared"
    UNBINDABLE = "unbindable"


__all__ = [
    "Mount",
    "MountFlags",
    "Namespace",
    "NamespaceInfo",
    "NsId",
    "Pin",
    "Propagation",
    "__version__",
    "bind",
    "enter",
    "mount_tmpfs",
    "mounts",
    "mounts_of_namespace",
    "namespaces",
    "ns_id",
    "parse_size",
    "pivot_root",
    "set_mount_flags",
    "set_propagation",
    "unmount",
    "unshare",
    "unshare_rootless",
]
