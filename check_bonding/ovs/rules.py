"""Judge one Open vSwitch bond, in the findings of the kernel bonds where they
mean the same thing, and ovs-* findings for OVS's own states.

Pure rules on an ovs.parse.OvsBond (see judge.py for the kernel's). Members
up against -w/-c is plugin.py's SlavesUpContext, as for a kernel bond: a
member is up where OVS lets traffic use it (enabled) and no downdelay runs.
balance-slb and active-backup without LACP are healthy by themselves; where
a bond asked for LACP, the LACP rules judge it as the traffic sees it: not
negotiated, no member carries traffic unless lacp_fallback_ab sends it all
through one.
"""
from __future__ import annotations

from collections import Counter

from ..bond_values import KERNEL_ONLY
from ..findings import Finding, found
from ..parse import port_state_flags

PARTNER_READY = ('synchronization', 'collecting', 'distributing')


def judge(bond, expect) -> list[Finding]:
    return [finding for rule in RULES for finding in rule(bond, expect)]


def _mode(bond, expect) -> list[Finding]:
    if expect.mode and bond.mode != expect.mode:
        return [found('mode-mismatch', f'mode {bond.mode}, expected {expect.mode}')]
    return []


def _members(bond, expect) -> list[Finding]:
    """--slaves: the exact set of members."""
    if expect.slaves is None:
        return []
    have = {m.name for m in bond.members}
    missing, unexpected = sorted(expect.slaves - have), sorted(have - expect.slaves)
    return ([found('slave-missing', 'missing member ' + ', '.join(missing))] if missing else []) \
        + ([found('slave-unexpected', 'unexpected member ' + ', '.join(unexpected))]
           if unexpected else [])


def _kernel_only(bond, expect) -> list[Finding]:
    """--expect, --min-speed given for every bond: facts an OVS bond does not show
    (naming only OVS bonds is a usage error: bond_values.kernel_only)."""
    given = [option for option, value in (('--expect', expect.options),
                                          ('--min-speed', expect.min_speed)) if value]
    return [found('option-ignored', f'{" and ".join(given)} not compared on an Open vSwitch '
                  f'bond ({"; ".join(KERNEL_ONLY[option] for option in given)})')] if given else []


def _single_member(bond, expect) -> list[Finding]:
    if len(bond.members) == 1:
        return [found('single-slave', f'single member {bond.members[0].name}, no redundancy')]
    return []


def _active(bond, expect) -> list[Finding]:
    """active-backup: the active member, against -p or the bond's bond-primary
    (OVS goes back to its primary whenever the primary is enabled)."""
    if bond.mode != 'active-backup':
        return [found('primary-ignored', f'-p ignored: {bond.mode} has no active member')
                ] if expect.primaries else []
    active = bond.active_member
    if active is None:
        return [found('no-active-slave', 'no active member')] if bond.slaves_up else []
    if bond.primary_missing and not expect.primaries:
        return [found('primary-not-enslaved', f'bond-primary {bond.primary} is not a member')]
    wanted = expect.primaries or ((bond.primary,) if bond.primary else ())
    if not wanted or active in wanted:
        return []
    names = '/'.join(wanted)
    if not any(bond.slave(name) for name in wanted):
        return [found('primary-not-enslaved', f'primary {names} is not a member')]
    if not any(m.up for m in map(bond.slave, wanted) if m):
        return [found('not-primary-by-design', f'active {active} while primary {names} is '
                                               'not up')]
    return [found('not-primary', f'active {active} is not primary {names}')]


def _lacp(bond, expect) -> list[Finding]:
    if bond.lacp_status == 'configured':
        return _not_negotiated(bond)
    if bond.lacp_status != 'negotiated':
        return []  # no LACP asked: balance-slb, active-backup, balance-tcp without it
    findings = [found('lacp-partner-defaulted', 'LACP defaulted: no LACPDUs received', m.name)
                for m in bond.members if m.lacp == 'defaulted']
    lag = [m for m in bond.members if m.attached and m.lacp == 'current']
    return findings + _partners(bond, lag) + _partner_state(lag) + _rates(lag)


def _not_negotiated(bond) -> list[Finding]:
    """LACP asked (lacp=active/passive) and no partner answered: OVS disables
    every member, or with lacp_fallback_ab sends all through one."""
    why = ', '.join(f'{m.name} {m.lacp}' for m in bond.members if m.lacp) or 'no partner'
    if bond.lacp_fallback_ab and bond.slaves_up:
        return [found('ovs-lacp-fallback-ab', f'LACP not negotiated ({why}): '
                      f'lacp_fallback_ab sends all traffic through {bond.active_member}, '
                      'no aggregation')]
    return [found('ovs-lacp-not-negotiated', f'LACP configured but not negotiated ({why}; '
                                             'switch not doing LACP?)')]


def _partners(bond, lag: list) -> list[Finding]:
    """Members whose partner (system, key) is not the LAG's: OVS leaves them
    detached. By what differs: another system is another switch (two switches
    without MLAG?), another key on one system another LAG of that switch."""
    partners = Counter((m.partner_sys_id, m.partner_key) for m in lag)
    if not partners:
        return []
    (system, key), _ = partners.most_common(1)[0]
    other = [m for m in bond.members if m.lacp == 'current' and m.partner_sys_id
             and (m.partner_sys_id, m.partner_key) != (system, key)]
    if not other:
        return []
    where = ('another switch (two switches without MLAG?)'
             if any(m.partner_sys_id != system for m in other)
             else 'another LAG (port-channel) of the same switch')
    return [found('aggregator-mismatch', ', '.join(
        f'{m.name} {"attached" if m.attached else "detached"}, partner {m.partner_sys_id} '
        f'key {m.partner_key}' for m in other) + f', not the LAG\'s partner {system} key '
        f'{key}: {where}')]


def _partner_state(lag: list) -> list[Finding]:
    unready = [m for m in lag if m.partner_state is not None
               and not set(PARTNER_READY) <= set(port_state_flags(m.partner_state))]
    return [found('lacp-partner-not-ready', ', '.join(
        f'{m.name} partner not {"/".join(PARTNER_READY)} (state {m.partner_state})'
        for m in unready))] if unready else []


def _rates(lag: list) -> list[Finding]:
    """Each side asks the other for its LACP rate (the timeout bit)."""
    odd = [m for m in lag if m.actor_state is not None and m.partner_state is not None
           and _fast(m.actor_state) != _fast(m.partner_state)]
    return [found('lacp-rate-mismatch', f'LACP rate differs on {m.name}: we ask '
                  f'{_word(_fast(m.actor_state))}, the partner '
                  f'{_word(_fast(m.partner_state))}') for m in odd]


def _fast(state: int) -> bool:
    return 'timeout' in port_state_flags(state)


def _word(fast: bool) -> str:
    return 'fast' if fast else 'slow'


RULES = (_mode, _members, _single_member, _active, _lacp, _kernel_only)

# What OVS shows -> (the findings it raises[, their state where not the default]):
# the states table of docs/ovs.md (tools/generate.py writes it).
STATES = (
    ('every member enabled, balance-slb or active-backup without LACP, or LACP '
     'negotiated with every member current and attached', ()),
    ('a member disabled (no carrier, LACP expired or defaulted, updelay running), or '
     'enabled while its downdelay runs; members up outside -w', ('slave-down',)),
    ('members up outside -c', ('slave-down',), 'CRITICAL'),
    ('no member enabled (e.g. LACP not negotiated without lacp_fallback_ab)', ('no-slave-up',)),
    ('a bond of one member', ('single-slave',)),
    ('active-backup: the active member is not bond-primary (or -p) while that is up',
     ('not-primary',)),
    ('active-backup: the active member is not the primary because the primary is down',
     ('not-primary-by-design',)),
    ('bond-primary names no member (OVS: "no such member"), or no member is named by -p',
     ('primary-not-enslaved',)),
    ('active-backup: no active member while one is enabled', ('no-active-slave',)),
    ('-p for balance-slb or balance-tcp', ('primary-ignored',)),
    ('LACP negotiated, a member defaulted (no LACPDUs on it)', ('lacp-partner-defaulted',)),
    ('LACP negotiated, a member whose partner (system id, key) is not the LAG\'s: another '
     'switch, or another LAG of the same switch', ('aggregator-mismatch',)),
    ("a partner port not synchronized, collecting and distributing", ('lacp-partner-not-ready',)),
    ('the two ends ask different LACP rates', ('lacp-rate-mismatch',)),
    ('lacp_status configured: LACP asked, never negotiated', ('ovs-lacp-not-negotiated',)),
    ('lacp_status configured and lacp_fallback_ab true: all traffic through one member',
     ('ovs-lacp-fallback-ab',)),
    ('the mode differs from -m (balance-tcp, balance-slb, active-backup)', ('mode-mismatch',)),
    ('members other than --slaves', ('slave-missing', 'slave-unexpected')),
    ('a member lost its link (Carrier Status Changed, Link Expired; without LACP sysfs '
     'carrier_down_count) since the last run', ('link-failures',)),
    ('the active member changed since the last run (active-backup)', ('failover',)),
    ('every member reaches one switch (LLDP, where lldpd runs; as for kernel bonds)',
     ('shared-switch',)),
    ('ovs-vswitchd runs but its control socket is root\'s', ('ovs-needs-root',)),
    ('a pidfile without a daemon answering on the socket', ('ovs-unreadable',)),
    ('-b ovs:NAME and OVS has no such bond (or ovs-vswitchd is not running: said so)',
     ('no-such-bond',)),
    ('--kind ovs and ovs-vswitchd is not running, or has no bond', ('no-bonds',)),
    ('--expect or --min-speed for every bond, and this one is OVS\'s (no sysfs options; '
     'naming only OVS bonds is a usage error)', ('option-ignored',)),
)
