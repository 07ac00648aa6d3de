"""Where baselines live: the default state directory, and whose it is.

$STATE_DIRECTORY (systemd), else /var/lib/check_bonding where this user may
use it, else the XDG state directory; passing over an existing system
directory is said (the history would split in two). The owner helpers word
messages and let root, run by hand in the agent's directory, write files the
agent can still use.
"""
from __future__ import annotations

import os
import stat

from .accounts import user_name

SYSTEM_STATE_DIR = '/var/lib/check_bonding'  # the packages make it, for the agent's user


def default_state_dir(env=os.environ) -> str:
    """$STATE_DIRECTORY (systemd), /var/lib/check_bonding if usable, else XDG."""
    return choose_state_dir(env)[0]


def choose_state_dir(env=os.environ) -> tuple:
    """(the default state directory, None or why the system's was passed over).

    Passing over an existing /var/lib/check_bonding (a root run made it root's,
    the agent's user cannot write it) splits the history in two: the caller
    says so. Where it does not exist (a user without the package) there is
    nothing to say."""
    if env.get('STATE_DIRECTORY'):
        return env['STATE_DIRECTORY'].split(':')[0], None
    if os.access(SYSTEM_STATE_DIR, os.W_OK | os.X_OK) or (
            not os.path.lexists(SYSTEM_STATE_DIR)
            and os.access(os.path.dirname(SYSTEM_STATE_DIR), os.W_OK)):
        return SYSTEM_STATE_DIR, None
    xdg = env.get('XDG_STATE_HOME') or os.path.join(os.path.expanduser('~'), '.local', 'state')
    directory = os.path.join(xdg, 'check_bonding')
    if not os.path.lexists(SYSTEM_STATE_DIR):
        return directory, None
    me = user_name(os.geteuid())
    info = os.lstat(SYSTEM_STATE_DIR)
    kind = ('directory' if stat.S_ISDIR(info.st_mode) else
            'symlink' if stat.S_ISLNK(info.st_mode) else 'file')
    return directory, (f'baselines kept in {directory}: {me} cannot use {SYSTEM_STATE_DIR} '
                       f'({kind} of {user_name(info.st_uid)}, mode '
                       f'{info.st_mode & 0o7777:04o}); chown -R {me}: {SYSTEM_STATE_DIR}, '
                       'or --state-dir')


def directory_owner(directory: str) -> tuple | None:
    """(uid, gid) of `directory` where root runs in another user's directory."""
    if os.geteuid() != 0:
        return None
    info = os.stat(directory)
    return (info.st_uid, info.st_gid) if info.st_uid != 0 else None


def ownership(path: str) -> str:
    """' (directory of root, mode 0755)' for `path`, or its nearest existing parent."""
    while path:
        try:
            info = os.stat(path)
        except OSError:
            path = '' if path == os.path.dirname(path) else os.path.dirname(path)
            continue
        kind = 'directory' if stat.S_ISDIR(info.st_mode) else 'file'
        return f' ({kind} {path} of {user_name(info.st_uid)}, mode {info.st_mode & 0o7777:04o})'
    return ''
