"""--capture DIR: copy the bonding-related proc and sysfs files into DIR,
laid out so that `check_bonding --root DIR` replays them.

Users attach the tree to bug reports; the kernel test bed uses it to
refresh the fixtures of the unit tests from the real driver.
"""
from __future__ import annotations

import os

from .system import PROC_LIMIT, System

NIC_FILES = ('operstate', 'carrier', 'speed', 'duplex', 'mtu', 'address')


def capture(system: System, bonds: list[str], target: str) -> list[str]:
    """Copy what the check reads; return the files that could not be read."""
    _write(target, 'sys/class/net/bonding_masters', ' '.join(bonds) + '\n')  # just these
    files = ['proc/sys/kernel/random/boot_id']
    interfaces = list(bonds)
    for bond in bonds:
        files.append(f'proc/net/bonding/{bond}')
        files += _listing(system, f'sys/class/net/{bond}/bonding')
        try:
            bonded = system.read_bond(bond)
        except (OSError, ValueError):  # listed as unreadable below, or copied as it is
            bonded = None
        for slave in bonded.slaves if bonded else []:
            interfaces.append(slave.name)
            files += _listing(system, f'sys/class/net/{slave.name}/bonding_slave')
    files += [f'sys/class/net/{name}/{f}' for name in interfaces for f in NIC_FILES]
    unreadable = []
    for relpath in files + ['proc/net/dev']:
        try:
            text = (_net_dev(system, interfaces) if relpath == 'proc/net/dev'
                    else system.read(relpath, PROC_LIMIT))
        except OSError as err:  # e.g. EINVAL for carrier of a down link: skip it
            unreadable.append(f'{relpath}: {err.strerror}')
            continue
        _write(target, relpath, text)  # a write error is fatal: the caller says so
    return unreadable


def _listing(system: System, reldir: str) -> list[str]:
    try:
        return [f'{reldir}/{name}' for name in sorted(os.listdir(system.path(reldir)))]
    except OSError:
        return []


def _net_dev(system: System, interfaces: list[str]) -> str:
    """/proc/net/dev reduced to its header and the interfaces captured."""
    lines = system.read('proc/net/dev', PROC_LIMIT).splitlines(keepends=True)
    return ''.join(lines[:2] + [line for line in lines[2:]
                                if line.split(':')[0].strip() in interfaces])


def _write(target: str, relpath: str, text: str) -> None:
    path = os.path.join(target, relpath)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, 'w', encoding='ascii', errors='replace') as out:
        out.write(text)


# NetworkManager keyfiles can hold Wi-Fi and 802.1X secrets: only these groups are copied.
KEYFILE_GROUPS = ('connection', 'bond', 'bond-port', 'ethernet', 'match')


def capture_config(root: str, source: str, target: str) -> list[str]:
    """--capture with --config-drift: copy the configuration files, links and
    paths the drift readers used (keyfiles stripped of secrets; 0600 as NM wants
    them); return what could not be read."""
    from .drift import files_read
    tree = files_read(root, source)
    for path, data in tree.read_files.items():
        text = data.decode('utf-8', 'replace')
        keyfile = path.endswith('.nmconnection') or '/system-connections/' in path
        _write(target, path.lstrip('/'), strip_keyfile(text) if keyfile else text)
        if keyfile:
            os.chmod(os.path.join(target, path.lstrip('/')), 0o600)
    for path in sorted(set(tree.links) | tree.seen):
        host = os.path.join(target, path.lstrip('/'))
        if path in tree.links and not os.path.lexists(host):
            os.makedirs(os.path.dirname(host), exist_ok=True)
            os.symlink(tree.links[path], host)
        elif not os.path.lexists(host) and tree.read(path) is not None:
            _write(target, path.lstrip('/'), tree.read_files[path].decode('utf-8', 'replace'))
    return [f'{path.lstrip("/")}: {why}' for path, why, _ in tree.unreadable]


def strip_keyfile(text: str) -> str:
    """A keyfile with only the KEYFILE_GROUPS groups."""
    kept, keep = [], False
    for line in text.split('\n'):
        stripped = line.strip()
        if stripped.startswith('[') and stripped.endswith(']'):
            keep = stripped[1:-1] in KEYFILE_GROUPS
        if keep:
            kept.append(line)
    return '\n'.join(kept) + '\n'
