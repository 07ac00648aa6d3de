"""The one reader of configuration files: bounded, non-blocking, confined to --root.

Paths are resolved component by component, by hand: an absolute symlink
target is re-rooted under --root, `..` never climbs above it, at most 40
links are followed, and a link to /dev/null means "masked". Only regular
files are opened (O_NONBLOCK|O_NOCTTY|O_NOFOLLOW, then fstat), each read is
capped, and so is the whole run. Nothing here raises for a file's sake:
what cannot be read is recorded (`unreadable`: the reader lacks permission;
`unread`: a file a tool reads but the plugin will not read fully, over a
cap; both make the bonds they may define UNKNOWN; `notes`: files no tool
would read either: links out of the root, FIFOs...) and the caller gets
None. The same code reads the live system (root '/').
"""
from __future__ import annotations

import errno
import os
import stat
from collections import namedtuple

FILE_LIMIT = 256 * 1024
DIR_LIMIT = 256
TOTAL_FILES = 2048
TOTAL_BYTES = 8 * 1024 * 1024
MAX_LINKS = 40
LINE_LIMIT = 4096
DENIED = (errno.EACCES, errno.EPERM)

File = namedtuple('File', 'path data mode uid')  # path as seen inside the root


class Refused(Exception):
    """A path the reader will not follow; the text says why."""


class Masked(Exception):
    """The path is a link to /dev/null."""


class Tree:
    """The files of one system under `root`; remembers what it read (for --capture)."""

    def __init__(self, root: str = '/'):
        self.root = os.path.abspath(root)
        self.owner = _owner(self.root)  # "root-owned" under --root: owned like the root
        self.notes: list[str] = []
        self.unreadable: list[tuple] = []  # (path, strerror, source)
        self.unread: list[tuple] = []  # (path, why, source): valid for the tool, not read
        self.rejected: list[tuple] = []  # (source, why, bond or None): refused by its tool
        self.source = ''  # the reader at work, set by the caller, kept with each failure
        self.read_files: dict[str, bytes] = {}
        self.links: dict[str, str] = {}  # link path -> target, for links the readers used
        self.seen: set[str] = set()  # paths whose existence mattered
        self.files_left = TOTAL_FILES
        self.bytes_left = TOTAL_BYTES

    def real(self, path: str) -> str:
        """The host path of `path` with every link resolved inside the root;
        raises Refused, Masked, or OSError (ENOENT, ELOOP...)."""
        parts = _split(path)
        done: list[str] = []
        links = 0
        while parts:
            part = parts.pop(0)
            if part == '..':
                if not done:
                    raise Refused('symlink or path leaves --root')
                done.pop()
                continue
            host = os.path.join(self.root, *done, part)
            info = os.lstat(host)
            if not stat.S_ISLNK(info.st_mode):
                done.append(part)
                continue
            links += 1
            if links > MAX_LINKS:
                raise OSError(errno.ELOOP, os.strerror(errno.ELOOP))
            target = os.readlink(host)
            self.links['/' + '/'.join(done + [part])] = target
            if target.startswith('/'):
                if os.path.normpath(target) == '/dev/null':
                    raise Masked()
                done = []
            parts = _split(target) + parts
        return os.path.join(self.root, *done)

    def readlink(self, path: str) -> str | None:
        """The target of the link at `path` (never followed), or None."""
        try:
            host = self.real(os.path.dirname(path))
            target = os.readlink(os.path.join(host, os.path.basename(path)))
        except (OSError, Refused, Masked):
            return None
        self.links[path] = target
        return target

    def lexists(self, path: str) -> bool:
        """Whether `path` itself exists, a link not followed (an enabled unit's link)."""
        try:
            host = os.path.join(self.real(os.path.dirname(path)), os.path.basename(path))
            if stat.S_ISLNK(os.lstat(host).st_mode):
                self.links[path] = os.readlink(host)
        except (OSError, Refused, Masked):
            return False
        self.seen.add(path)
        return True

    def masked(self, path: str) -> bool:
        """A link to /dev/null (systemd, netplan, modprobe and NM's way to mask)."""
        try:
            self.real(path)
        except Masked:
            return True
        except (OSError, Refused):
            pass
        return False

    def exists(self, path: str) -> bool:
        """Whether `path` exists (a link to /dev/null counts); remembered for --capture."""
        try:
            os.stat(self.real(path))
        except Masked:
            self.seen.add(path)
            return True
        except (OSError, Refused):
            return False
        self.seen.add(path)
        return True

    def is_dir(self, path: str) -> bool:
        try:
            return stat.S_ISDIR(os.stat(self.real(path)).st_mode)
        except (OSError, Refused, Masked):
            return False

    def listdir(self, path: str) -> list[str]:
        """Sorted names in a directory (at most DIR_LIMIT); [] where there is none."""
        try:
            names = sorted(os.listdir(self.real(path)))
        except (OSError, Refused, Masked) as err:
            if isinstance(err, OSError) and err.errno in DENIED:
                self.unreadable.append((path, err.strerror, self.source))
            elif isinstance(err, Refused):
                self.notes.append(f'{path}: {err}, refused')
            return []
        if len(names) > DIR_LIMIT:
            self.unread.append((path, f'{len(names)} entries, only the first {DIR_LIMIT} read',
                                self.source))
        return names[:DIR_LIMIT]

    def layered(self, dirs, suffixes=('',)) -> list[str]:
        """Files of several directories, the first directory winning for one
        name, ordered by name across all of them (kmod, systemd, netplan)."""
        chosen = {}
        for directory in dirs:
            for name in self.listdir(directory):
                if name.endswith(tuple(suffixes)) and name not in chosen:
                    chosen[name] = f'{directory}/{name}'
        return [chosen[name] for name in sorted(chosen)]

    def read(self, path: str) -> File | None:
        """The bytes of a regular file, or None (absent, refused, unreadable: recorded)."""
        try:
            data, info = self._open_regular(path)
        except Masked:
            return None
        except Refused as why:
            self.notes.append(f'{path}: {why}')
            return None
        except OSError as err:
            self._failed(path, err)
            return None
        if data is None or len(data) > FILE_LIMIT:
            self.unread.append((path, f'larger than {FILE_LIMIT // 1024} KiB' if data else
                                'the read budget of this run is spent', self.source))
            return None
        self.files_left -= 1
        self.bytes_left -= len(data)
        self.read_files[path] = data
        return File(path, data, stat.S_IMODE(info.st_mode), info.st_uid)

    def _open_regular(self, path: str) -> tuple:
        """(at most FILE_LIMIT + 1 bytes, fstat) of a regular file; never opens anything else."""
        host = self.real(path)
        if not stat.S_ISREG(os.lstat(host).st_mode):
            raise Refused(f'not a regular file ({_kind(os.lstat(host).st_mode)}), skipped')
        if self.files_left <= 0 or self.bytes_left <= 0:
            return None, None
        fd = os.open(host, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise Refused(f'not a regular file ({_kind(info.st_mode)}), skipped')
            return os.read(fd, FILE_LIMIT + 1), info
        finally:
            os.close(fd)

    def _failed(self, path: str, err: OSError) -> None:
        """Record why `path` could not be read: absent is silent, unless a link led there."""
        if err.errno in (errno.ENOENT, errno.ENOTDIR):
            if any(link == path or path.startswith(link + '/') for link in self.links):
                self.notes.append(f'{path}: link target absent under --root')
        elif err.errno in DENIED:
            self.unreadable.append((path, err.strerror, self.source))
        else:
            self.notes.append(f'{path}: {err.strerror}, skipped')

    def text(self, path: str, comments: tuple = ('#',)) -> str | None:
        """A file's text (see `decode`), or None."""
        found = self.read(path)
        return None if found is None else self.decode(found, comments)

    def decode(self, found: File, comments: tuple = ('#',)) -> str | None:
        text, why = decode(found.data, comments)
        if why:
            self.unread.append((found.path, why, self.source))
        return text


def decode(data: bytes, comments: tuple = ('#',)) -> tuple:
    """(text, '') as UTF-8 with replacement, CRLF as LF; (None, why it is not
    read) for a NUL byte or lines over LINE_LIMIT, comment lines (`comments`
    after blanks: the tools skip them whatever their length) aside."""
    if b'\0' in data:
        return None, 'a NUL byte (binary)'
    lines = data.decode('utf-8', 'replace').replace('\r\n', '\n').split('\n')
    too_long = sum(len(line) > LINE_LIMIT and not line.lstrip(' \t').startswith(comments)
                   for line in lines)
    if too_long:
        return None, f'{too_long} line{"s" if too_long > 1 else ""} over {LINE_LIMIT} characters'
    return '\n'.join(lines), ''


def _split(path: str) -> list[str]:
    return [p for p in path.split('/') if p and p != '.']


def _owner(root: str):
    try:
        return os.stat(root).st_uid
    except OSError:
        return 0


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, 'directory'), (stat.S_ISFIFO, 'FIFO'),
                       (stat.S_ISSOCK, 'socket'), (stat.S_ISCHR, 'device'),
                       (stat.S_ISBLK, 'device')):
        if test(mode):
            return name
    return 'special file'
