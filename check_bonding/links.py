"""What the links say where the driver is blind: carrier against the driver's
MII status, MTUs, a speed floor, min_links.

Pure rules on a parsed Bond whose slaves carry their sysfs carrier,
operstate and MTU (system.py reads one small file each). See judge.py.
"""
from __future__ import annotations

from nagiosplugin.state import Ok, Warn

from .findings import Finding, found
from .parse import SPREADING_MODES, Bond


def carrier(bond: Bond, expect) -> list[Finding]:
    """Slaves the driver counts up while sysfs says the link is gone. Where
    traffic goes through one (the active slave in active-backup, any slave in
    a spreading mode) it is dropped: CRITICAL, else WARNING, unless the link
    monitor will see it at its next poll (an -v note): miimon does, ARP
    monitoring (which never looks at the carrier) only after arp_missed_max
    intervals without a reply, and a loss seen at the last run already was
    not seen in time either (the baseline's no_link_since)."""
    findings = []
    for slave in bond.slaves_up:
        if slave.carrier == 1 or (slave.carrier is None and slave.operstate != 'down'):
            continue  # carrier present, or not shown: nothing to compare
        what = 'has no carrier' if slave.carrier == 0 else 'is set down'
        late = _not_seen_in_time(bond, slave)
        if late is None:
            findings.append(found('no-carrier', f'{what} but the bond counts it up '
                                  f'({_next_poll(bond)})', slave.name, Ok))
            continue
        dropping = (slave.name == bond.active_slave if bond.mode == 'active-backup'
                    else bond.mode in SPREADING_MODES)
        findings.append(found('no-carrier', f'{what} but the bond counts it up ({late})',
                              slave.name, None if dropping else Warn))
    return findings


def _not_seen_in_time(bond: Bond, slave) -> str | None:
    """Why the driver will not notice the lost link at its next poll, or None."""
    if not (bond.miimon or bond.arp_interval):
        return 'no link monitoring'
    if slave.no_link_since is not None:
        return 'none at the last check either: its link monitor misses it'
    missed = bond.arp_missed_max or 2  # fixed at 2 before arp_missed_max (Linux 6.0)
    if bond.arp_interval and missed > 1:
        return (f'ARP monitoring ignores the carrier: up to {missed} x {bond.arp_interval} ms '
                'without a reply before it fails over')
    return None


def _next_poll(bond: Bond) -> str:
    if bond.miimon and bond.use_carrier == 0:
        return 'use_carrier 0: the driver asks the NIC, and carrier may lag'
    return 'its link monitor has not seen it yet'


def mtu(bond: Bond, expect) -> list[Finding]:
    """Slaves whose MTU is below the bond's lose the larger frames it sends
    and receives; above it, nothing is lost (the bond sends at most its own):
    a note. Without the bond's MTU, slaves that differ from each other."""
    if bond.mtu:
        below = [s for s in bond.slaves if s.mtu and s.mtu < bond.mtu]
        above = [s for s in bond.slaves if s.mtu and s.mtu > bond.mtu]
        return [found(name, f'MTU {bond.mtu} on {bond.name} but ' + ', '.join(
                    f'{s.mtu} on {s.name}' for s in odd) + why)
                for name, odd, why in (('mtu-mismatch', below, ''),
                                       ('mtu-larger', above, ': nothing lost, the bond sends '
                                                             'at most its own MTU'))
                if odd]
    reference = next((s.mtu for s in bond.slaves if s.mtu), None)
    odd = [s for s in bond.slaves if s.mtu and s.mtu != reference]
    if not odd:
        return []
    return [found('mtu-mismatch', f'MTU {reference} but ' + ', '.join(
        f'{s.mtu} on {s.name}' for s in odd))]


def min_speed(bond: Bond, expect) -> list[Finding]:
    """--min-speed: an up slave slower than the floor (a 10G pair renegotiated to 1G)."""
    if not expect.min_speed:
        return []
    return [found('speed-below-minimum', f'at {s.speed} Mb/s, below --min-speed '
                                         f'{expect.min_speed}', s.name)
            if s.speed else
            found('speed-below-minimum', 'speed unknown: --min-speed not judged', s.name, Ok)
            for s in bond.slaves_up if not s.speed or s.speed < expect.min_speed]


def ports_up(bond: Bond) -> int:
    agg = bond.aggregator
    return agg.ports if agg is not None and agg.ports is not None else len(bond.slaves_up)


def min_links_hold(bond: Bond) -> list[Finding]:
    """802.3ad with fewer ports up than min_links: the bond is down by design."""
    up = ports_up(bond)
    if bond.mode != '802.3ad' or not bond.min_links or up >= bond.min_links:
        return []
    return [found('bond-min-links', f'held down by min_links {bond.min_links}: '
                                    f'{up} port{"s" if up != 1 else ""} up')]


def min_links_margin(bond: Bond, expect) -> list[Finding]:
    """While up: how many more lost links min_links allows (often a design)."""
    if bond.mode != '802.3ad' or not bond.min_links or bond.mii_status != 'up':
        return []
    margin = ports_up(bond) - bond.min_links
    if margin <= 0:
        return [found('min-links-margin', f'min_links {bond.min_links}: the next lost link '
                                          'takes the bond down')]
    return [found('min-links-margin', f'min_links {bond.min_links}: {margin} more lost '
                                      f'link{"s" if margin != 1 else ""} allowed')]
