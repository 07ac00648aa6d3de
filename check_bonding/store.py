"""Store baselines: one JSON file per (root, bond), locked and crash-safe.

nagiosplugin's Cookie does the JSON and the exclusive lock, but its commit
truncates the file and writes it in place: a run killed in between (timeout,
SIGKILL, disk full) leaves a torn baseline, and a damaged file is truncated
on open. StateFile wraps it: commit writes a temporary file, fsyncs it and
renames it over the old one; open re-locks when a concurrent run renamed a
new file in meanwhile, refuses symlinks and files of other users, and never
truncates what it cannot read, so the caller can set it aside. A run that
changed nothing (flaps.Report.changed) does not commit at all.
"""
from __future__ import annotations

import json
import os
import signal
import stat

import nagiosplugin
from nagiosplugin.platform import flock_exclusive
from nagiosplugin.state import Warn

from . import flaps
from .judge import Finding
from .parse import Bond


class StateError(Exception):
    """A state file this program must not or cannot use."""


def default_state_dir(env=os.environ) -> str:
    """$STATE_DIRECTORY (systemd), /var/lib/check_bonding if usable, else XDG."""
    if env.get('STATE_DIRECTORY'):
        return env['STATE_DIRECTORY'].split(':')[0]
    system_dir = '/var/lib/check_bonding'
    if os.access(system_dir, os.W_OK | os.X_OK) or (
            not os.path.exists(system_dir) and os.access('/var/lib', os.W_OK)):
        return system_dir
    xdg = env.get('XDG_STATE_HOME') or os.path.join(os.path.expanduser('~'), '.local', 'state')
    return os.path.join(xdg, 'check_bonding')


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


class StateFile(nagiosplugin.Cookie):
    """A Cookie whose file is replaced atomically (see the module docstring)."""

    def open(self):
        while True:
            self.fobj = self._create_fobj()
            flock_exclusive(self.fobj)
            try:
                if os.stat(self.path).st_ino == os.fstat(self.fobj.fileno()).st_ino:
                    break
            except FileNotFoundError:
                pass
            self.close()  # a concurrent run renamed a new file in: lock that one
        if os.fstat(self.fobj.fileno()).st_size:
            self.data = self._load()
        return self

    def _create_fobj(self):
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError:
            if os.path.islink(self.path):
                raise StateError(f'{self.path} is a symlink; refusing to use it') from None
            raise
        info = os.fstat(fd)
        if info.st_uid != os.geteuid() or not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise StateError(f'{self.path} is not a regular file of uid {os.geteuid()}; '
                             f'refusing to use it')
        return os.fdopen(fd, 'r+', encoding='utf-8')  # ascii would load a codec module

    def _load(self):
        try:
            return super()._load()
        except ValueError as err:  # Cookie would truncate on ValueError
            raise StateError(f'unreadable ({str(err.args[0])[:60]})') from None

    def commit(self):
        """Write a temporary file, fsync, rename: the old or the new, never torn.

        SIGALRM (the -t timeout) waits until the rename is done. The directory
        is not fsynced: after a power loss the old baseline may come back,
        which is one of the two allowed outcomes, and it saves a sync per bond.
        """
        tmp = f'{self.path}.tmp'  # only the lock holder writes it; O_TRUNC clears a killed run's
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            try:
                os.write(fd, json.dumps(self.data, separators=(',', ':')).encode() + b'\n')
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


class BaselineStore:
    """Loads, updates and saves the history of each bond checked."""

    def __init__(self, directory: str, root: str, window: int, reset: bool, clock):
        self.directory = directory
        self.tag = root_tag(root)
        self.window = window
        self.reset = reset
        self.clock = clock
        self.directory_ready = False  # made (or found) once per run, not per bond

    def update(self, bond: Bond, boot_id: str | None) -> flaps.Report:
        """This run against the stored history; storage trouble is a WARNING."""
        try:
            if not self.directory_ready:
                os.makedirs(self.directory, mode=0o700, exist_ok=True)
                self.directory_ready = True
            state_file = StateFile(state_path(self.directory, bond.name, self.tag))
            try:
                return self._update(state_file, bond, boot_id)
            finally:
                state_file.close()
        except (OSError, StateError) as err:
            return flaps.Report(self.clock(), self.window, [self._cannot_store(err)],
                                counted=False)

    def _cannot_store(self, err: Exception) -> Finding:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        where = getattr(err, 'filename', None) or self.directory
        return Finding(Warn, f'cannot store baseline in {where}: {reason} '
                             f'(use --state-dir DIR or --no-state)')

    def _update(self, state_file: StateFile, bond: Bond, boot_id) -> flaps.Report:
        damage = None
        try:
            state_file.open()
        except StateError as err:
            if state_file.fobj is None:
                raise
            damage = str(err)
        # Read the time with the lock held: a run that waited for it must not
        # take the events of the run before it for events "from the future".
        now = self.clock()
        state = state_file.data
        if damage is None and state and not flaps.valid_state(state):
            damage = 'foreign format'
        problem = damage and self._set_aside(state_file.path, damage, now)
        if problem or not state:
            state = flaps.new_state(bond)
        report = flaps.update(state, bond, boot_id, now, self.window, self.reset)
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
        commit renames the new one over it, so no concurrent run can slip in."""
        aside = f'{path}.bad-{int(now)}'
        try:
            os.link(path, aside)
        except FileExistsError:
            pass  # set aside in this second already
        except OSError:
            os.rename(path, aside)  # a filesystem without hard links
        return Finding(Warn, f'state file {path} {why}: set aside as {aside}, new baseline')
