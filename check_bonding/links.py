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
    """Slaves the driver counts up while sysfs says the link is gone. Without
    link monitoring the kernel keeps sending through them; with it, the monitor
    sees it within its interval ('going down' is not reported twice)."""
    findings = []
    for slave in bond.slaves_up:
        if slave.carrier == 1 or (slave.carrier is None and slave.operstate != 'down'):
            continue  # carrier present, or not shown: nothing to compare
        what = 'has no carrier' if slave.carrier == 0 else 'is set down'
        if bond.miimon or bond.arp_interval:
            why = ('use_carrier 0: the driver asks the NIC, and carrier may lag'
                   if bond.miimon and bond.use_carrier == 0
                   else 'its link monitor has not seen it yet')
            findings.append(found('no-carrier', f'{what} but the bond counts it up ({why})',
                                  slave.name, Ok))
        else:
            # traffic goes through it: the active slave in active-backup, any
            # slave where the mode spreads traffic
            dropping = (slave.name == bond.active_slave if bond.mode == 'active-backup'
                        else bond.mode in SPREADING_MODES)
            findings.append(found('no-carrier', f'{what} but the bond counts it up (no link '
                                                'monitoring)', slave.name,
                                  None if dropping else Warn))
    return findings


def mtu(bond: Bond, expect) -> list[Finding]:
    """Slaves whose MTU differs from the bond's (or from each other's)."""
    reference = bond.mtu or next((s.mtu for s in bond.slaves if s.mtu), None)
    odd = [s for s in bond.slaves if s.mtu and s.mtu != reference]
    if not odd:
        return []
    return [found('mtu-mismatch', f'MTU {reference}' + (f' on {bond.name}' if bond.mtu else '')
                  + ' but ' + ', '.join(f'{s.mtu} on {s.name}' for s in odd))]


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
