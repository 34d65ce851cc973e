"""The native module of ``mntns`` (hand-written stubs, checked by ``mypy.stubtest``)."""

import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import IO, Any, Final, Optional, Protocol, Union, final

from typing_extensions import Self

_Path = Union[str, bytes, os.PathLike[str], os.PathLike[bytes]]

class _HasFileno(Protocol):
    def fileno(self) -> int: ...

_Fd = Union[int, _HasFileno]
_Kind = Union[str, int]
_MountFlags = Union[int, str]
_Size = Union[int, str]
_Text = Union[str, bytes, os.PathLike[str], os.PathLike[bytes]]
_Stdio = Union[None, int, _HasFileno]
_PassFds = Union[Iterable[_Fd], Mapping[int, _Fd]]
_IdMap = Union[str, Sequence[Union[str, tuple[int, int, int]]]]
_Root = Union[None, _Path, TmpfsRoot, Mapping[str, Any]]

__all__ = [
    "CLONE_NEWCGROUP",
    "CLONE_NEWIPC",
    "CLONE_NEWNET",
    "CLONE_NEWNS",
    "CLONE_NEWPID",
    "CLONE_NEWTIME",
    "CLONE_NEWUSER",
    "CLONE_NEWUTS",
    "MS_NOATIME",
    "MS_NODEV",
    "MS_NODIRATIME",
    "MS_NOEXEC",
    "MS_NOSUID",
    "MS_NOSYMFOLLOW",
    "MS_RDONLY",
    "MS_RELATIME",
    "MS_STRICTATIME",
    "Child",
    "Mount",
    "NamespaceInfo",
    "NsId",
    "Pin",
    "Sandbox",
    "TmpfsRoot",
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

__version__: Final[str]

CLONE_NEWNS: Final[int]
CLONE_NEWUTS: Final[int]
CLONE_NEWIPC: Final[int]
CLONE_NEWPID: Final[int]
CLONE_NEWNET: Final[int]
CLONE_NEWUSER: Final[int]
CLONE_NEWCGROUP: Final[int]
CLONE_NEWTIME: Final[int]

MS_RDONLY: Final[int]
MS_NOSUID: Final[int]
MS_NODEV: Final[int]
MS_NOEXEC: Final[int]
MS_NOATIME: Final[int]
MS_NODIRATIME: Final[int]
MS_RELATIME: Final[int]
MS_STRICTATIME: Final[int]
MS_NOSYMFOLLOW: Final[int]

@final
class NsId:
    """A namespace: kind, nsfs device and inode; ``str()`` is ``readlink /proc/PID/ns/KIND``."""

    def __new__(cls, kind: _Kind, dev: int, inode: int) -> NsId: ...
    @staticmethod
    def parse(text: str) -> NsId:
        """Parses ``"mnt:[4026532211]"``; the id gets this kernel's nsfs device."""
    @property
    def kind(self) -> str: ...
    @property
    def dev(self) -> int: ...
    @property
    def inode(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Pin:
    """What keeps a namespace alive: ``"process"``, ``"fd"`` or ``"bind_mount"``."""

    @property
    def kind(self) -> str: ...
    @property
    def pid(self) -> Optional[int]: ...
    @property
    def fd(self) -> Optional[int]: ...
    @property
    def path(self) -> Optional[str]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class NamespaceInfo:
    """One namespace as ``namespaces()`` found it (the lsns columns and more)."""

    @property
    def id(self) -> NsId: ...
    @property
    def kind(self) -> str: ...
    @property
    def nprocs(self) -> int: ...
    @property
    def pid(self) -> Optional[int]: ...
    @property
    def pids(self) -> list[int]: ...
    @property
    def uid(self) -> Optional[int]: ...
    @property
    def user(self) -> Optional[str]: ...
    @property
    def command(self) -> Optional[str]: ...
    @property
    def pins(self) -> list[Pin]: ...
    @property
    def pin(self) -> Optional[Pin]: ...
    @property
    def owner(self) -> Optional[NsId]: ...
    @property
    def parent(self) -> Optional[NsId]: ...
    @property
    def kernel_id(self) -> Optional[int]: ...

@final
class Mount:
    """One mounted filesystem (findmnt's view of one mountinfo line)."""

    @property
    def id(self) -> int: ...
    @property
    def parent_id(self) -> int: ...
    @property
    def unique_id(self) -> Optional[int]: ...
    @property
    def parent_unique_id(self) -> Optional[int]: ...
    @property
    def major(self) -> int: ...
    @property
    def minor(self) -> int: ...
    @property
    def root(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def fstype(self) -> str: ...
    @property
    def source(self) -> Optional[str]: ...
    @property
    def options(self) -> str: ...
    @property
    def super_options(self) -> str: ...
    @property
    def propagation(self) -> str: ...
    @property
    def shared(self) -> Optional[int]: ...
    @property
    def master(self) -> Optional[int]: ...
    @property
    def propagate_from(self) -> Optional[int]: ...
    @property
    def unbindable(self) -> bool: ...
    @property
    def read_only(self) -> bool: ...
    def has_option(self, name: str) -> bool: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def unshare(flags: int) -> None:
    """``unshare(2)``: new namespaces of the ``Namespace`` kinds in ``flags``."""

def unshare_rootless(flags: int) -> None:
    """``unshare -Ur``: a user namespace too, the caller mapped to root inside."""

def enter(
    pid: Optional[int] = None,
    flags: Optional[int] = None,
    *,
    pidfd: Optional[_Fd] = None,
    fd: Optional[_Fd] = None,
    path: Optional[_Path] = None,
) -> None:
    """``setns(2)``/``nsenter(1)``: join the namespaces of a pid or pidfd (``flags`` names
    the kinds), or the one namespace of a namespace file (``fd=``/``path=``)."""

def ns_id(
    pid: Optional[int] = None,
    kind: Optional[_Kind] = None,
    *,
    pidfd: Optional[_Fd] = None,
    fd: Optional[_Fd] = None,
    path: Optional[_Path] = None,
) -> NsId:
    """``readlink /proc/PID/ns/KIND``: the id of a namespace (the calling thread's mount
    namespace by default)."""

def namespaces(kind: Optional[_Kind] = None) -> list[NamespaceInfo]:
    """``lsns``: every namespace the caller can see, sorted by inode."""

def mounts(pid: Optional[int] = None, *, source: str = "auto") -> list[Mount]:
    """``findmnt``: the mount table of a process, or of the calling thread, from
    ``source`` (``"auto"``, ``"statmount"`` or ``"mountinfo"``)."""

def mounts_of_namespace(ns: Union[_Fd, _Path]) -> list[Mount]:
    """The mount table of a mount namespace held by an fd or named by a path."""

def mount_tmpfs(
    target: _Path,
    *,
    size: Union[int, str, None] = None,
    nr_inodes: Union[int, str, None] = None,
    mode: Optional[int] = None,
    uid: Optional[int] = None,
    gid: Optional[int] = None,
    noswap: bool = False,
    flags: Optional[_MountFlags] = None,
) -> None:
    """``mount -t tmpfs -o OPTIONS tmpfs TARGET``."""

def parse_size(text: str) -> int:
    """A tmpfs size in bytes: ``"1m"`` is 1048576, ``"10%"`` a tenth of RAM."""

def bind(
    source: _Path,
    target: _Path,
    *,
    recursive: bool = True,
    readonly: bool = False,
    flags: Optional[_MountFlags] = None,
) -> None:
    """``mount --rbind SOURCE TARGET`` (``--bind`` when not recursive)."""

def set_mount_flags(
    path: _Path,
    set: Optional[_MountFlags] = None,
    clear: Optional[_MountFlags] = None,
    *,
    recursive: bool = True,
) -> None:
    """``mount -o remount,bind,FLAGS PATH``: set and clear per-mount flags."""

def set_propagation(path: _Path, kind: str, *, recursive: bool = True) -> None:
    """``mount --make-[r]private|slave|shared|unbindable PATH``."""

def unmount(
    path: _Path,
    *,
    detach: bool = False,
    force: bool = False,
    expire: bool = False,
    nofollow: bool = False,
) -> None:
    """``umount PATH`` (``umount -l`` with ``detach=True``)."""

def pivot_root(
    new_root: _Path,
    old_root: Optional[_Path] = None,
    *,
    propagation: Optional[str] = None,
) -> None:
    """The whole ``pivot_root`` sequence; ``old_root`` keeps the old root at that path
    inside the new root, else it is detached."""

@final
class TmpfsRoot:
    """A tmpfs root for ``Sandbox(root=...)``: its options, and optionally a tar archive
    unpacked into it."""

    def __new__(
        cls,
        *,
        size: Optional[_Size] = None,
        nr_inodes: Optional[_Size] = None,
        mode: Optional[int] = 0o755,
        uid: Optional[int] = None,
        gid: Optional[int] = None,
        noswap: bool = False,
        flags: Optional[_MountFlags] = None,
        tar: Optional[_Path] = None,
    ) -> TmpfsRoot: ...
    @property
    def options(self) -> str:
        """The options in ``mount -o`` syntax."""
    @property
    def tar(self) -> Optional[str]:
        """The archive unpacked into it, or ``None``."""

@final
class Child:
    """A spawned sandbox, with the ``subprocess.Popen`` interface; a context manager that
    kills and reaps it on exit."""

    @property
    def pid(self) -> int: ...
    @property
    def pidfd(self) -> Optional[int]: ...
    @property
    def returncode(self) -> Optional[int]: ...
    @property
    def args(self) -> Any: ...
    @property
    def stdin(self) -> Optional[IO[bytes]]: ...
    @property
    def stdout(self) -> Optional[IO[bytes]]: ...
    @property
    def stderr(self) -> Optional[IO[bytes]]: ...
    def poll(self) -> Optional[int]:
        """The returncode if the sandbox has ended, else ``None``."""
    def wait(self, timeout: Optional[float] = None) -> int:
        """Waits and returns the returncode (``-N`` for signal N); raises
        ``subprocess.TimeoutExpired``."""
    def communicate(
        self, input: Optional[bytes] = None, timeout: Optional[float] = None
    ) -> tuple[Optional[bytes], Optional[bytes]]:
        """Sends ``input``, reads stdout and stderr to the end, waits."""
    def kill(self, sig: int = 9) -> None:
        """Sends ``sig`` (default ``SIGKILL``)."""
    def resume(self) -> None:
        """Runs the command of a sandbox made with ``start_paused=True``."""
    @property
    def paused(self) -> bool:
        """Whether the sandbox waits for ``resume()``."""
    def terminate(self) -> None:
        """Sends ``SIGTERM``."""
    def send_signal(self, sig: int) -> None:
        """Sends ``sig``."""
    def ns_id(self, kind: _Kind = "mnt") -> NsId:
        """The id of the sandbox's namespace of ``kind``."""
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

@final
class Sandbox:
    """A sandbox description (core's ``Spec``); by default the ready-to-use root of
    ``mntns run``. ``add_*`` methods return the sandbox, for chaining."""

    def __new__(
        cls,
        *,
        root: _Root = None,
        base: Optional[str] = None,
        namespaces: int = 0,
        hostname: Union[str, bytes, None] = None,
        uid: Optional[int] = None,
        gid: Optional[int] = None,
        uid_map: Optional[_IdMap] = None,
        gid_map: Optional[_IdMap] = None,
        setgroups: bool = False,
        env: Optional[Mapping[_Text, _Text]] = None,
        clearenv: bool = False,
        setenv: Optional[Mapping[_Text, _Text]] = None,
        unsetenv: Optional[Iterable[_Text]] = None,
        cwd: Optional[_Path] = None,
        new_session: bool = False,
        no_new_privs: bool = False,
        restore_signals: bool = True,
        die_with_parent: bool = True,
        keep_old_root: Optional[_Path] = None,
        clone_mode: Optional[str] = None,
        start_paused: bool = False,
    ) -> Sandbox: ...
    def add_tmpfs(
        self,
        target: _Path,
        *,
        size: Optional[_Size] = None,
        nr_inodes: Optional[_Size] = None,
        mode: Optional[int] = None,
        uid: Optional[int] = None,
        gid: Optional[int] = None,
        noswap: bool = False,
        flags: Optional[_MountFlags] = None,
    ) -> Self:
        """A tmpfs at ``target`` inside the sandbox."""
    def add_bind(
        self,
        source: _Path,
        target: _Path,
        *,
        readonly: bool = False,
        recursive: bool = True,
        flags: Optional[_MountFlags] = None,
    ) -> Self:
        """The host's ``source`` bound at ``target``."""
    def add_proc(self, target: _Path) -> Self:
        """A new proc at ``target``."""
    def add_dev(self, target: _Path) -> Self:
        """A minimal /dev at ``target``."""
    def add_dir(self, target: _Path, mode: int = 0o755) -> Self:
        """A directory (with its parents) at ``target``."""
    def add_symlink(self, link: _Path, target: _Path) -> Self:
        """A symlink at ``target`` whose text is ``link`` (``ln -s LINK TARGET``)."""
    def add_file(
        self, target: _Path, contents: Union[str, bytes, bytearray, memoryview], mode: int = 0o644
    ) -> Self:
        """A file at ``target`` holding ``contents``."""
    def explain(self, argv: Optional[Sequence[_Text]] = None) -> str:
        """The plan as numbered steps (``mntns run --explain``)."""
    def spawn(
        self,
        argv: Sequence[_Text],
        *,
        stdin: _Stdio = None,
        stdout: _Stdio = None,
        stderr: _Stdio = None,
        pass_fds: _PassFds = (),
    ) -> Child:
        """Runs ``argv`` in a new sandbox; returns its ``Child`` at once."""
    def run(
        self,
        argv: Sequence[_Text],
        *,
        stdin: _Stdio = None,
        input: Optional[bytes] = None,
        capture_output: bool = False,
        stdout: _Stdio = None,
        stderr: _Stdio = None,
        check: bool = False,
        timeout: Optional[float] = None,
        pass_fds: _PassFds = (),
    ) -> subprocess.CompletedProcess[bytes]:
        """Runs ``argv`` in a new sandbox and waits, like ``subprocess.run``."""
