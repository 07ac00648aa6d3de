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
