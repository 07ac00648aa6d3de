"""NetworkManager's keyfiles (design §4.2): the directories, which names are read,
which profile shadows which, GLib's refusals and NetworkManager's permission rule.

/usr/lib, /etc and /run are read in that order and a later profile with the
same UUID replaces an earlier one; a `<uuid>.nmmeta` link to /dev/null deletes
it. Nothing in /run outlives a reboot (`nmcli connection modify --temporary`
writes there): a runtime profile is kept apart and the persistent one it
shadows stays the prediction. NetworkManager ignores a keyfile with any group
or other permission bit or not owned by root.
"""
from __future__ import annotations

import re
from collections import namedtuple

from . import keyfile
from .model import mac

KEYFILE_DIRS = ('/usr/lib/NetworkManager/system-connections',
                '/etc/NetworkManager/system-connections',
                '/run/NetworkManager/system-connections')  # later shadows earlier (same UUID)
RUNTIME = '/run/'  # gone after a reboot
Profile = namedtuple('Profile', 'path plugin id uuid type iface autoconnect priority master '
                                'port_type mac match bond lines ignored runtime shadows '
                                'rejected',
                     defaults=(None, False, None, None))
# ignored: why NetworkManager does not load it (mode, owner); runtime: in /run;
# shadows: the persistent profile a runtime one hides until a reboot; rejected: why
# GLib refuses the file (a port's stub, so its slave's finding can say so).


def to_int(text) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return 0


def parse_keyfile(text: str, path: str) -> Profile:
    """A keyfile's profile; raises keyfile.Rejected where GLib refuses it."""
    groups = keyfile.parse(text)

    def get(group, key, default=None):
        return keyfile.get(groups, group, key, default)
    bond = {k: v for k, v in groups.get('bond', {}).items() if k != 'interface-name'}
    match = tuple(n for n in (get('match', 'interface-name') or '').split(';') if n)
    lines = {k: v[1] for k, v in groups.get('connection', {}).items()}
    return Profile(path, 'keyfile', get('connection', 'id') or path.rsplit('/', 1)[-1],
                   get('connection', 'uuid'), get('connection', 'type'),
                   get('connection', 'interface-name'),
                   keyfile.boolean(get('connection', 'autoconnect'), True),
                   to_int(get('connection', 'autoconnect-priority')),
                   get('connection', 'controller') or get('connection', 'master'),
                   get('connection', 'port-type') or get('connection', 'slave-type'),
                   mac(get('ethernet', 'mac-address')), match, bond, lines)


def read(tree, skip_netplan: bool) -> tuple:
    """([Profile], {ignored path: reason}) of the keyfile directories. A /run
    profile with the UUID of a persistent one shadows it only until a reboot: both
    are kept, the runtime one marked `shadows`; a /run tombstone deletes nothing
    that a reboot keeps."""
    by_uuid, runtime, skipped = {}, [], {}
    for directory in KEYFILE_DIRS:
        for name in tree.listdir(directory):
            path = f'{directory}/{name}'
            if _ignored_name(name, directory):
                if name.endswith('.nmmeta') and tree.masked(path):
                    if not directory.startswith(RUNTIME):
                        by_uuid.pop(name[:-len('.nmmeta')], None)  # a tombstone: deleted
                elif not name.startswith('.'):
                    skipped[path] = f'{name} is ignored'
                continue
            if skip_netplan and directory.startswith(RUNTIME) and name.startswith('netplan-'):
                continue  # the netplan generator's output: read the YAML instead
            profile = _keyfile(tree, path, directory)
            if profile is not None and profile.runtime:
                shadowed = by_uuid.get(profile.uuid) if profile.uuid else None
                usable = shadowed is not None and not shadowed.ignored  # what a reboot applies
                runtime.append(profile._replace(shadows=shadowed.path if usable else None))
            elif profile is not None:
                by_uuid[profile.uuid or path] = profile
    return list(by_uuid.values()) + runtime, skipped


def _ignored_name(name: str, directory: str) -> bool:
    """nm_keyfile_utils_ignore_filename: hidden, backups, mkstemp names, certificates."""
    if name.startswith('.') or name.endswith(('~', '.pem', '.der', '.nmmeta')):
        return True
    base, dot, tail = name.rpartition('.')
    if dot and len(tail) == 6 and tail.isalnum() and tail != 'nmconn':
        return not name.endswith('.nmconnection')
    return not directory.startswith('/etc') and not name.endswith('.nmconnection')


def _keyfile(tree, path: str, directory: str) -> Profile | None:
    found = tree.read(path)
    if found is None:
        return None
    text = tree.decode(found)
    if text is None:
        return None
    try:
        profile = parse_keyfile(text, path)
    except keyfile.Rejected as why:
        refused = f'NetworkManager rejects {path} (GLib: {why})'
        named = _search(text, 'interface-name')
        tree.rejected.append(('nm', refused, named))
        return _rejected_port(text, path, named, refused)
    if found.mode & 0o077 or found.uid != tree.owner:
        why = f'mode {found.mode:04o}' if found.mode & 0o077 else f'owner uid {found.uid}'
        profile = profile._replace(ignored=why)
    return profile._replace(runtime=directory.startswith(RUNTIME))


def _search(text: str, *keys: str) -> str | None:
    """The first value of one of `keys` in a file GLib refuses (a plain search; blanks
    within the line only: `^\\s*` would be quadratic over a run of empty lines)."""
    found = re.search(rf'^[ \t]*(?:{"|".join(keys)})[ \t]*=[ \t]*(\S+)', text, re.M)
    return found.group(1) if found else None


def _rejected_port(text: str, path: str, iface, refused: str) -> Profile | None:
    """What a refused keyfile says of a bond port, so the slave's finding can name it."""
    controller = _search(text, 'controller', 'master')
    if controller is None or iface is None:
        return None
    return Profile(path, 'keyfile', path, None, None, iface, False, 0, controller, 'bond',
                   None, (), {}, {}, rejected=refused)
