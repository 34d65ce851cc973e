"""libmntns for Python: Linux mount-namespace isolation.

This release exposes the package version; the namespace, mount and sandbox API follows
(see docs/python.md for what is available).
"""

from ._mntns import __version__

__all__ = ["__version__"]
