"""Both links into one switch: one switch reboot takes the bond (shared-switch).

Two cards (shared-nic already checks that) still fail together when every
slave reaches the same switch. LLDP tells which switch (chassis ID) and port
each slave reaches, where lldpd runs (lldp.py). The two switches of an MLAG
pair send two chassis IDs, though 802.3ad shows one partner system for both:
two switches, as they are. A stack sends one chassis ID for all its members:
one switch, as a firmware upgrade of the stack treats it.

Judged only when every slave has exactly one neighbour chassis; otherwise a
-v note says what could not be known and why (no lldpd, not allowed to ask,
no neighbour on a slave, two neighbours behind one port): never a guess.
"""
from __future__ import annotations

from .findings import Finding, found
from .system import LLDP_SOCKET

NO_LLDPD = f'lldpd is not running (no /{LLDP_SOCKET}): install and start lldpd to know it'


def judge(bond, neighbours) -> list[Finding]:
    """shared-switch, switch-separate or switch-unknown for a bond of two or more
    slaves; `neighbours`: lldp.Neighbours, None where lldpd does not run."""
    slaves, each = [s.name for s in bond.slaves], bond.MEMBER
    if len(slaves) < 2:
        return []  # single-slave warns already
    if getattr(bond, 'sysfs_elsewhere', None):  # lldpd's are likely the other namespace's
        return [found('switch-unknown', f'which switch each {each} reaches is not known: this '
                      'bond is not in the network namespace of sysfs, and lldpd names the '
                      'interfaces of its own')]
    if neighbours is None or neighbours.unknown:
        return [found('switch-unknown', f'which switch each {each} reaches is not known: '
                      + (neighbours.unknown if neighbours else NO_LLDPD))]
    seen = {name: neighbours.of(name) for name in slaves}
    silent = [name for name in slaves if not seen[name]]
    crowded = [name for name in slaves if len({n.chassis for n in seen[name]}) > 1]
    if silent or crowded:
        return [_unknown(silent, crowded, each)]
    reached = {name: seen[name][0] for name in slaves}
    if len({n.chassis for n in reached.values()}) == 1:
        first = reached[slaves[0]]
        return [found('shared-switch', f'{_names(slaves)} reach one switch {first.switch}, '
                      f'ports {_names([n.port_name for n in reached.values()])} (LLDP)')]
    return [found('switch-separate', f'{each}s reach separate switches (LLDP): ' + ', '.join(
        f'{name} {n.switch} port {n.port_name}' for name, n in reached.items()))]


def _unknown(silent: list, crowded: list, each: str) -> Finding:
    parts = []
    if silent:
        parts.append(f'no LLDP neighbour on {_names(silent)} (a switch that sends no LLDP, '
                     'a port down, or lldpd not listening there)')
    if crowded:
        parts.append(f'more than one neighbour chassis on {_names(crowded)} (something '
                     'between that forwards LLDP?)')
    return found('switch-unknown', f'which switch each {each} reaches is not known: '
                                   + '; '.join(parts))


def _names(names: list) -> str:
    """'A and B', 'A, B and C'."""
    return names[0] if len(names) == 1 else f'{", ".join(names[:-1])} and {names[-1]}'
