"""Reading sysfs inside a root (live `/` or a captured tree under --root) safely:
attributes, links and directory listings, each a fact or None, never an exception.

A link is refused when its target is absolute or leaves sys/devices/, and
nothing under a resolved directory is read before its realpath is found
inside the root: a captured tree may be hostile. Files are read
non-blocking, bounded and never through a symlink. Every refusal or error
makes that fact absent (logged at -vvv). Attributes, resolved links and
directory checks are memoised: each is read once per run.
"""
from __future__ import annotations

import errno
import logging
import os
from itertools import islice

from .ifname import valid_ifname

_log = logging.getLogger('nagiosplugin.check_bonding')  # -vvv: what was read

SYSFS_LIMIT = 4096   # one attribute is at most a page
MAX_ENTRIES = 4096   # directory entries looked at
DEVICES = 'sys/devices/'


class SysfsReader:
    """The sysfs of one root, read by paths relative to it, memoised."""

    def __init__(self, root: str):
        self.prefix = os.path.join(root, '')  # + a path relative to the root
        self._real_root = os.path.realpath(root)
        self._nets: dict = {}
        self._links: dict = {}
        self._files: dict = {}
        self._checked: dict = {}
        self.unreadable: dict = {}  # relpath -> why, for --capture (EOPNOTSUPP: not supported)

    def _path(self, relpath: str) -> str:
        return self.prefix + relpath

    def read(self, relpath: str) -> str | None:
        """A sysfs attribute, stripped; None when absent, unreadable, empty or a symlink
        (EOPNOTSUPP is how a driver says "not supported")."""
        if relpath not in self._files:
            self._files[relpath] = self._read(relpath) if self._parent_inside(relpath) else None
        return self._files[relpath]

    def _read(self, relpath: str) -> str | None:
        path = self._path(relpath)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW)
            try:
                data = os.read(fd, SYSFS_LIMIT)
            finally:
                os.close(fd)
        except OSError as err:
            if err.errno != errno.ENOENT:
                _log.debug('cannot read %s: %s', path, err.strerror)
                self.unreadable[relpath] = ('not supported' if err.errno == errno.EOPNOTSUPP
                                            else err.strerror)
            return None
        _log.debug('read %s (%d bytes)', path, len(data))
        return data.decode('utf-8', 'replace').strip() or None

    def link(self, relpath: str) -> str | None:
        """Where the link at `relpath` leads: a directory under sys/devices/ inside
        the root, as a normalised relative path; None if it is no such link."""
        if relpath not in self._links:
            self._links[relpath] = self._resolve(relpath, self.readlink(relpath))
        return self._links[relpath]

    def link_name(self, relpath: str) -> str | None:
        """The last name of a link's target (subsystem, driver), never followed."""
        target = self.readlink(relpath)
        if not target:
            return None
        return os.path.basename(target.rstrip('/')) or None

    def link_text(self, relpath: str) -> str | None:
        """A link's text where it is relative and stays inside the root (--capture
        copies it verbatim); None otherwise."""
        target = self.readlink(relpath)
        if target is None or os.path.isabs(target) or os.path.normpath(
                os.path.join(os.path.dirname(relpath), target)).split('/')[0] == '..':
            return None
        return target

    def readlink(self, relpath: str) -> str | None:
        """A link's text as it is (None: no link, or its directory is outside the root)."""
        if not self._parent_inside(relpath):
            return None
        try:
            return os.readlink(self._path(relpath))
        except OSError as err:
            if err.errno != errno.ENOENT:
                _log.debug('no link %s: %s', self._path(relpath), err.strerror)
            return None

    def _resolve(self, relpath: str, target: str | None) -> str | None:
        if target is None:
            return None
        resolved = os.path.normpath(os.path.join(os.path.dirname(relpath), target))
        if os.path.isabs(target) or not resolved.startswith(DEVICES):
            _log.debug('refused link %s -> %s', self._path(relpath), target)
            return None
        return resolved if self._inside(resolved) else None

    def _parent_inside(self, relpath: str) -> bool:
        return self._real_root == '/' or self._inside(os.path.dirname(relpath))

    def _inside(self, reldir: str) -> bool:
        """Is the real path of `reldir` inside the root? A hostile tree may hide a
        symlink in a middle component. Always true on the live system."""
        if self._real_root == '/':
            return True
        if reldir not in self._checked:
            self._checked[reldir] = self._inside_real(reldir)
        return self._checked[reldir]

    def _inside_real(self, reldir: str) -> bool:
        real = os.path.realpath(self._path(reldir))
        if (real == self._real_root or real.startswith(self._real_root.rstrip('/') + '/')) \
                and os.path.isdir(real):  # not a symlink loop
            return True
        _log.debug('refused %s: its real path %s is no directory inside the root',
                   self._path(reldir), real)
        return False

    def listing(self, reldir: str, prefix: str = '') -> list[str]:
        """Names in a directory starting with `prefix` (at most MAX_ENTRIES looked at)."""
        if not self._inside(reldir):
            return []
        try:
            with os.scandir(self._path(reldir)) as entries:
                return [e.name for e in islice(entries, MAX_ENTRIES) if e.name.startswith(prefix)]
        except OSError as err:
            _log.debug('cannot list %s: %s', self._path(reldir), err.strerror)
            return []

    def net_dir(self, name: str) -> str | None:
        """The sysfs directory of interface `name`: where class/net/<name> leads, or
        class/net/<name> itself where it is a plain directory (older captures)."""
        if name not in self._nets:
            relpath = 'sys/class/net/' + name
            target = self.readlink(relpath) if valid_ifname(name) else None
            if target is not None:
                self._nets[name] = self._resolve(relpath, target)
            else:
                self._nets[name] = relpath if valid_ifname(name) and os.path.isdir(
                    self._path(relpath)) and self._inside(relpath) else None
        return self._nets[name]
