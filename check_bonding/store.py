"""Store baselines: one JSON file per (root, bond), locked and crash-safe.

StateFile owns its file: it is opened without following symlinks and only if
it is a regular file of this user, locked exclusively (flock) for the whole
run, and re-locked when a concurrent run renamed a new file in meanwhile.
commit writes every byte to a temporary file, fsyncs it and renames it over
the old one, so a run killed at any point (timeout, SIGKILL, disk full)
leaves the old baseline or the new one, never a torn one. What it cannot
read is never truncated, so the caller can set it aside. A run that changed
nothing (flaps.Report.changed) does not commit at all.
(nagiosplugin's Cookie truncates and writes in place; its locking and
loading are private API: this module does not use it.)
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import signal
import stat

from . import baseline, flaps
from .accounts import user_name
from .findings import Finding, found
from .state_dir import directory_owner, ownership

MAX_STATE = 4 * 1024 * 1024  # bytes; events are pruned by age, a real file is a few KiB


class StateError(Exception):
    """A state file this program must not or cannot use."""


def state_path(directory: str, bond: str, tag: str = '') -> str:
    """One file per (root, bond): two services never contend for one file."""
    return os.path.join(directory, f'{bond}{tag}.json')


def root_tag(root: str) -> str:
    """'' for the live system, '@<hash of the path>' for a --root tree."""
    path = os.path.realpath(root)
    if path == '/':
        return ''
    import zlib  # hashlib would cost every --root run 2 ms of OpenSSL loading
    data = path.encode('utf-8', 'surrogateescape')
    return f'@{zlib.crc32(data):08x}{zlib.adler32(data):08x}'


class StateFile:
    """One bond's baseline file (see the module docstring).

    `owner` (uid, gid): root running in a directory of the agent's user (an
    admin running the check by hand) uses and writes the files as that
    user's, so the agent's next run can still use them."""

    def __init__(self, path: str, owner: tuple | None = None):
        self.path = path
        self.owner = owner
        self.fd = None   # open and locked between open() and close()
        self.data = {}   # the loaded state; {} for a new or empty file

    def open(self) -> StateFile:
        """Lock and load. Raises StateError for a file it must not use (fd
        None) or cannot read (fd kept: the caller may set it aside)."""
        while True:
            self.fd = self._open_own_file()
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            try:
                if os.stat(self.path).st_ino == os.fstat(self.fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            self.close()  # a concurrent run renamed a new file in: lock that one
        text = self._read_all()
        if text:
            try:
                data = json.loads(text)
            except ValueError as err:
                raise StateError(f'unreadable ({str(err)[:60]})') from None
            if not isinstance(data, dict):
                raise StateError('unreadable (not a JSON object)')
            self.data = data
        return self

    def _open_own_file(self) -> int:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError:
            if os.path.islink(self.path):
                raise StateError(f'{self.path} is a symlink; refusing to use it') from None
            raise
        info = os.fstat(fd)
        owners = {os.geteuid(), self.owner[0]} if self.owner else {os.geteuid()}
        if info.st_uid not in owners or not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise StateError(f'{self.path} is not a regular file of {user_name(os.geteuid())};'
                             f' refusing to use it (remove it, or chown {user_name(os.geteuid())} '
                             f'{self.path})')
        self._own(fd)
        return fd

    def _own(self, fd: int) -> None:
        if self.owner:
            os.fchown(fd, *self.owner)

    def _read_all(self) -> str:
        chunks = []
        while True:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            if sum(map(len, chunks)) > MAX_STATE:
                raise StateError(f'unreadable (larger than {MAX_STATE} bytes)')
        try:
            return b''.join(chunks).decode('utf-8')  # ascii would load a codec module
        except UnicodeDecodeError as err:
            raise StateError(f'unreadable ({str(err)[:60]})') from None

    def commit(self) -> None:
        """Write a temporary file, fsync, rename: the old or the new, never torn.

        SIGALRM (the -t timeout) waits until the rename is done. The directory
        is not fsynced: after a power loss the old baseline may come back,
        which is one of the two allowed outcomes, and it saves a sync per bond.
        """
        data = json.dumps(self.data, separators=(',', ':')).encode() + b'\n'
        tmp = f'{self.path}.tmp'  # only the lock holder writes it; O_TRUNC clears a killed run's
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            try:
                self._own(fd)
                _write_all(fd, data, tmp)
                os.fdatasync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, self.path)
        except OSError:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None


def _write_all(fd: int, data: bytes, path: str) -> None:
    """Every byte or OSError: a short write (a nearly full disk) is no baseline."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        view = view[written:]


class BaselineStore:
    """Loads, updates and saves the history of each bond checked."""

    def __init__(self, directory: str, root: str, window: int, reset: bool, clock):
        self.directory = directory
        self.tag = root_tag(root)
        self.window = window
        self.reset = reset
        self.clock = clock
        self.directory_ready = False  # made (or found) once per run, not per bond
        self.owner = None  # see StateFile

    def path(self, bond: str) -> str:
        """The state file of `bond` (for -v)."""
        return state_path(self.directory, bond, self.tag)

    def update(self, bond, boot_id: str | None, instances: dict | None = None,
               nics: dict | None = None) -> flaps.Report:
        """This run against the stored history (`instances`: system.enslavements,
        `nics`: system.counters);
        storage trouble is a WARNING."""
        try:
            if not self.directory_ready:
                os.makedirs(self.directory, mode=0o700, exist_ok=True)
                self.owner = directory_owner(self.directory)
                self.directory_ready = True
            state_file = StateFile(self.path(bond.name), self.owner)
            try:
                return self._update(state_file, bond, boot_id, instances, nics)
            finally:
                state_file.close()
        except (OSError, StateError) as err:
            return flaps.Report(self.clock(), self.window, [self._cannot_store(err)],
                                failures_known=False)

    def _cannot_store(self, err: Exception) -> Finding:
        """What failed, where, whose it is, and the fix that keeps flap detection on."""
        if isinstance(err, StateError):
            return found('state-unwritable', f'cannot store baseline: {err}')
        where = getattr(err, 'filename', None) or self.directory
        me = user_name(os.geteuid())
        if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            fix = (f'this check runs as {me}: install -d -o {me} -m 700 {self.directory}, '
                   f'or --state-dir a directory of {me}')
        else:
            fix = 'give --state-dir a writable directory'
        return found('state-unwritable', f'cannot store baseline in {where}: {err.strerror}'
                                         f'{ownership(where)}; {fix}')

    def _update(self, state_file: StateFile, bond, boot_id, instances, nics) -> flaps.Report:
        damage = None
        try:
            state_file.open()
        except StateError as err:
            if state_file.fd is None:
                raise
            damage = str(err)
        # Read the time with the lock held: a run that waited for it must not
        # take the events of the run before it for events "from the future".
        now = self.clock()
        state = state_file.data
        if damage is None and state and not baseline.valid_state(state):
            damage = 'foreign format'
        problem = self._set_aside(state_file.path, damage, now) if damage else None
        if problem or not state:
            state = baseline.new_state(bond.name)
        report = flaps.update(state, bond, boot_id, now, self.window, self.reset, instances,
                              nics)
        if problem:
            report.findings.append(problem)
        if report.changed:  # a quiet bond costs no write and no fsync
            state_file.data = state
            try:
                state_file.commit()
            except OSError as err:
                report.findings.append(self._cannot_store(err))
        return report

    @staticmethod
    def _set_aside(path: str, why: str, now: float) -> Finding:
        """Keep a copy of the damaged file; the locked file stays in place until
        commit renames the new one over it, so no concurrent run can slip in.
        Once: while a new baseline cannot be written (disk full), the file
        already has its copy (a second link)."""
        if os.stat(path).st_nlink > 1:
            return found('state-damaged', f'state file {path} {why}: set aside before, '
                                          'new baseline')
        aside = f'{path}.bad-{int(now)}'
        try:
            os.link(path, aside)
        except FileExistsError:
            pass  # set aside in this second already
        except OSError:
            os.rename(path, aside)  # a filesystem without hard links
        return found('state-damaged', f'state file {path} {why}: set aside as {aside}, '
                                      'new baseline')
