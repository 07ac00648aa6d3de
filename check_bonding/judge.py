"""Judge one bond: is it redundant, and configured as the admin expects?

Pure functions of a parsed Bond and the admin's expectations, returning
Findings (findings.py). Counting slaves up against the -w/-c ranges is not
here: that is a nagiosplugin ScalarContext (see plugin.py). A new rule is
one small function rule(bond, expect) -> [Finding] here, listed in RULES or
SLAVE_RULES, with its identifiers in findings.FINDINGS.
"""
from __future__ import annotations

from collections import namedtuple

from nagiosplugin.state import Ok

from . import lacp, links
from .findings import Finding, found
from .links import min_links_hold
from .parse import ACTIVE_SLAVE_MODES, IFF_UP, SPREADING_MODES, Bond

# Modes whose logic needs each slave's speed (bonding.rst: 802.3ad, tlb, alb).
SPEED_MODES = ('802.3ad', 'balance-tlb', 'balance-alb')
# The kernel's SPEED_UNKNOWN and DUPLEX_UNKNOWN, compared as unsigned numbers
# by primary_reselect better: unknown ranks above every known value.
SPEED_UNKNOWN, DUPLEX_UNKNOWN = 0xFFFFFFFF, 0xFF
DUPLEX = {'half': 0, 'full': 1}


class Expectation(namedtuple('Expectation', 'primaries mode slaves min_speed options',
                             defaults=((), None, None, None, {}))):
    """What -p (names), -m (mode), --slaves (a frozenset), --min-speed (Mb/s)
    and --expect ({key: value}, judged by expect.py) say one bond should be."""
    __slots__ = ()


def judge(bond: Bond, expect: Expectation) -> list[Finding]:
    """Every rule's findings, in a fixed order (the order of the output)."""
    rules = RULES + SLAVE_RULES if bond.slaves else RULES
    return [finding for rule in rules for finding in rule(bond, expect)]


def _bond_state(bond: Bond, expect: Expectation) -> list[Finding]:
    """Down, and why: set down by the admin (IFF_UP clear in sysfs flags; /proc
    still says MII up), held down by min_links, or without carrier (/proc's
    MII status is the bond's carrier) because no slave is usable. With IFF_UP
    set and carrier on, an operstate of down only lags (linkwatch, < 1 s)."""
    if bond.flags is not None and not bond.flags & IFF_UP:
        return [found('bond-admin-down', 'interface set down (administratively)')]
    if bond.mii_status != 'up':
        return min_links_hold(bond) or [found('bond-down', f'bond MII status {bond.mii_status}')]
    if bond.operstate == 'down' and bond.slaves and bond.flags is None:
        # sysfs flags not shown (old kernels, old captures): a guess
        return [found('bond-admin-down', 'interface down (operstate down, '
                                         'administratively down?)')]
    return []


def _sysfs_elsewhere(bond: Bond, expect: Expectation) -> list[Finding]:
    """sysfs shows another interface of this name (system.py says why): the bond
    is judged from /proc alone, and -v says what that leaves out."""
    if not bond.sysfs_elsewhere:
        return []
    return [found('sysfs-elsewhere', f'sysfs shows another {bond.name} ({bond.sysfs_elsewhere}):'
                  ' the sysfs of another network namespace (nsenter --net, or the host\'s /sys in'
                  ' a container; ip netns exec mounts its own): judged from /proc alone; not '
                  'checked: whether the bond is set down, its MTU and use_carrier, the slaves\' '
                  'carrier, MTU and hardware')]


def _mode(bond: Bond, expect: Expectation) -> list[Finding]:
    if expect.mode and bond.mode != expect.mode:
        return [found('mode-mismatch', f'mode {bond.mode}, expected {expect.mode}')]
    return []


def _members(bond: Bond, expect: Expectation) -> list[Finding]:
    if expect.slaves is None:
        return []
    have = {s.name for s in bond.slaves}
    missing, unexpected = sorted(expect.slaves - have), sorted(have - expect.slaves)
    findings = []
    if missing:
        findings.append(found('slave-missing', 'missing slave ' + ', '.join(missing)))
    if unexpected:
        findings.append(found('slave-unexpected', 'unexpected slave ' + ', '.join(unexpected)))
    return findings


def _single_slave(bond: Bond, expect: Expectation) -> list[Finding]:
    if len(bond.slaves) == 1:
        return [found('single-slave', f'single slave {bond.slaves[0].name}, no redundancy')]
    return []


def acceptable_primaries(bond: Bond, expect: Expectation) -> tuple:
    """-p if given, else the kernel's own primary, else nothing."""
    return expect.primaries or ((bond.primary,) if bond.primary else ())


def _active_slave(bond: Bond, expect: Expectation) -> list[Finding]:
    """Is the active slave one it should be? Honours primary_reselect."""
    if bond.mode not in ACTIVE_SLAVE_MODES:
        if expect.primaries:
            return [found('primary-ignored', f'-p ignored: {bond.mode} has no active slave')]
        return []
    active = bond.active_slave
    if active is None:
        # With no slave up the slave count is already CRITICAL.
        return [found('no-active-slave', 'no active slave')] if bond.slaves_up else []
    wanted = acceptable_primaries(bond, expect)
    if not wanted or active in wanted:
        return []
    text = f'active {active} is not primary {"/".join(wanted)}'
    if expect.primaries:
        if not any(bond.slave(name) for name in wanted):
            return [found('primary-not-enslaved', f'primary {"/".join(wanted)} is not '
                                                  'enslaved')]
        return [found('not-primary', text)]
    primary = bond.slave(bond.primary)
    if primary is None or not primary.up:
        return [found('not-primary-by-design',
                      f'active {active} while primary {bond.primary} is not up')]
    reselect = bond.primary_reselect or 'always'
    if reselect == 'failure':
        return [found('not-primary-by-design', f'{text}: primary_reselect failure keeps '
                                               f'{active} active until it fails, by design')]
    current = bond.slave(active)
    if reselect == 'better' and current is not None and not _better(primary, current):
        why = ('the kernel ranks its unknown speed above any' if not current.speed
               else 'at least as fast as the primary')
        return [found('not-primary-by-design', f'{text}: primary_reselect better keeps '
                                               f'{active} ({why})')]
    return [found('not-primary', text)]


def _better(primary, active) -> bool:
    """Would the kernel's primary_reselect=better switch back to the primary?
    As bond_choose_primary_or_current(): only if it is faster, or as fast with
    a higher duplex, unknown values being the largest numbers."""
    def rank(slave):
        return (slave.speed or SPEED_UNKNOWN, DUPLEX.get(slave.duplex, DUPLEX_UNKNOWN))
    return rank(primary) > rank(active)


def _link_monitoring(bond: Bond, expect: Expectation) -> list[Finding]:
    if bond.miimon == 0 and not bond.arp_interval:
        return [found('no-link-monitoring', 'no link monitoring (miimon 0, arp_interval 0)')]
    if bond.arp_interval and not (bond.arp_targets or bond.ns_targets):
        return [found('arp-no-targets',
                      f'ARP monitoring every {bond.arp_interval} ms has no arp_ip_target')]
    return []


def _speeds(bond: Bond, expect: Expectation) -> list[Finding]:
    """Unknown speeds matter where the mode needs speeds, different ones where
    it spreads traffic; elsewhere (active-backup, broadcast) they are notes."""
    up = bond.slaves_up
    findings = []
    unknown = [s.name for s in up if s.speed == 0]
    if unknown:
        findings.append(found('speed-unknown', 'speed unknown on ' + ', '.join(unknown),
                              state=None if bond.mode in SPEED_MODES else Ok))
    known = [s for s in up if s.speed]
    if len({(s.speed, s.duplex) for s in known}) > 1:
        findings.append(found('speed-mismatch', 'speed/duplex differ: ' + ', '.join(
            f'{s.name} {s.speed}/{s.duplex or "?"}' for s in known),
            state=None if bond.mode in SPREADING_MODES else Ok))
    return findings


RULES = (_sysfs_elsewhere, _bond_state, _mode, _members)  # every bond
SLAVE_RULES = (_single_slave, _active_slave, _link_monitoring, _speeds, links.carrier,
               links.mtu, links.min_speed, links.min_links_margin, lacp.judge)  # with slaves
