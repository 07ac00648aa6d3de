"""The words: the first line, the long output and the perfdata labels.

Everything a user reads is made here, from the Findings that the contexts
(plugin.py) attach to their results; no other module formats output.
"""
from __future__ import annotations

import nagiosplugin
from nagiosplugin.state import Ok, worst

from .ifname import shown
from .parse import ACTIVE_SLAVE_MODES, Bond, port_state_flags

# Nagios keeps 8 KiB of output and NRPE 2 1 KiB: past MANY_BONDS bonds with
# problems the first line summarises, and lists what fits in FIRST_LINE characters.
MANY_BONDS = 3
FIRST_LINE = 300
# Linux allows ' = | and % in names; the plugin API forbids the first three in
# labels. Percent-encoding them (and % itself) keeps every label unique.
LABEL_ESCAPES = str.maketrans({c: f'%{ord(c):02X}' for c in "%'=|"})


def member_word(bond) -> str:
    """'slave' for a kernel bond, 'member' for an Open vSwitch bond (OvsBond.MEMBER)."""
    return bond.MEMBER


def is_ovs_bond(bond) -> bool:
    return bond.KIND == 'ovs'


def label(interface: str, what: str) -> str:
    """Perfdata label: unique for every set of names the kernel allows
    (nagiosplugin quotes it where it holds more than word characters)."""
    return f'{shown(interface).translate(LABEL_ESCAPES)}_{what}'


class BondSummary(nagiosplugin.Summary):
    """First line: each bond's problems, each slave named once; summarised
    when they span many bonds. Long output: a line per bond and each of its
    findings (-v), per slave (-vv)."""

    def __init__(self, verbose: int = 0):
        self.verbosity = verbose

    def ok(self, results):
        bonds = [r for r in results if r.metric and r.metric.context == 'bond']
        if not bonds:  # e.g. --state no-bonds=ok on a host without bonds
            return shown(', '.join(f.words for r in results if r.resource.bond_name is None
                                   for f in r.findings))
        if len(bonds) > MANY_BONDS:
            up = sum(len(r.metric.value.slaves_up) for r in bonds)
            total = sum(len(r.metric.value.slaves) for r in bonds)
            return f'{len(bonds)} bonds, {up}/{total} slaves up'
        return shown('; '.join(describe_result(r) for r in bonds))

    def problem(self, results):
        groups = problems_by_bond(results)
        texts = [f'{bond}: {fit(entries, FIRST_LINE)}' if bond else fit(entries, FIRST_LINE)
                 for bond, entries in groups.items()]
        bonds = [bond for bond in groups if bond]
        if len(bonds) <= MANY_BONDS:
            return shown('; '.join(texts))
        checked = {r.resource.bond_name for r in results if r.resource}
        return shown(f'{len(bonds)} of {len(checked - {None})} bonds not OK: '
                     + fit(texts, FIRST_LINE, '; '))

    def verbose(self, results):
        lines = []
        for result in results.results:
            if result.metric and result.metric.context in ('bond', 'no-such-bond'):
                own = [r for r in results.results if r.resource is result.resource]
                lines += self.bond_lines(result, own)
        lines += [f'{f.state}: {f.words}' for result in results.results
                  if result.resource.bond_name is None for f in result.findings]
        return [shown(line) for line in lines]

    def bond_lines(self, bond_result, own) -> list[str]:
        """'bond0: warning - ...', then what each check of this bond found."""
        state = worst(r.state for r in own)
        bond = bond_result.metric.value
        if bond is None:
            return [f'{bond_result.metric.name}: {state} - no such bond']
        lines = [f'{bond.name}: {state} - {describe_result(bond_result)}']
        lines += [f'  {f.state}: {f.words}' for result in own for f in result.findings]
        if bond_result.resource.state_file:
            lines.append(f'  baseline: {bond_result.resource.state_file}')
        if self.verbosity >= 2 and is_ovs_bond(bond):
            lines.append('  ' + ', '.join(ovs_bond_facts(bond)))
            lines += [f'  member {m.name}: ' + ', '.join(ovs_member_facts(m))
                      for m in bond.members]
        elif self.verbosity >= 2:
            lines.append('  ' + ', '.join(bond_facts(bond)))
            lines += [f'  slave {s.name}: ' + ', '.join(slave_facts(s)) for s in bond.slaves]
        return lines


def problems_by_bond(results) -> dict:
    """{bond (None: the run): [entry, ...]}, worst first; a slave's findings
    make one entry: 'eth0 down (link failed 1 time in the last 1h, ...)'."""
    groups: dict = {}
    for result in results:
        for finding in result.findings:
            if finding.state != Ok:
                subjects = groups.setdefault(result.resource.bond_name, {})
                key = finding.slave if finding.slave else (None, len(subjects))
                subjects.setdefault(key, []).append(finding)
    return {bond: [entry(findings) for findings in subjects.values()]
            for bond, subjects in groups.items()}


def entry(findings) -> str:
    first, *more = findings
    if not more:
        return first.words
    return f'{first.words} ({"; ".join(f.text for f in more)})'


def fit(parts: list, budget: int, separator: str = ', ') -> str:
    """As many parts as fit in `budget` characters (at least one), then '(+N more)'."""
    kept = parts[:1]
    for part in parts[1:]:
        if len(separator.join(kept + [part])) > budget:
            break
        kept.append(part)
    more = f' (+{len(parts) - len(kept)} more)' if len(parts) > len(kept) else ''
    return separator.join(kept) + more


def describe_result(result) -> str:
    bond = result.metric.value
    return describe(bond, result.primaries)  # as contexts.BondContext judged them


def describe(bond: Bond, primaries) -> str:
    """'bond0 active-backup, active eth0 (primary), 2/2 slaves up';
    'ovs:bond1 balance-tcp, LACP negotiated, 2/2 members up'"""
    parts = [f'{bond.name} {bond.mode}']
    if is_ovs_bond(bond) and bond.lacp_status in ('negotiated', 'configured'):
        parts.append(f'LACP {bond.lacp_status}')
    if bond.mode in ACTIVE_SLAVE_MODES and bond.active_slave:
        parts.append(f'active {bond.active_slave}'
                     + (' (primary)' if bond.active_slave in primaries else ''))
    parts.append(f'{len(bond.slaves_up)}/{len(bond.slaves)} {member_word(bond)}s up')
    return ', '.join(parts)


def bond_facts(bond: Bond) -> list[str]:
    """The driver's settings as /proc shows them, for -vv."""
    facts = [f'driver {bond.driver}', f'miimon {bond.miimon} ms',
             f'updelay {bond.updelay} ms', f'downdelay {bond.downdelay} ms']
    optional = (('arp_interval', bond.arp_interval), ('arp_missed_max', bond.arp_missed_max),
        ('arp_ip_target', ','.join(bond.arp_targets)),
        ('ns_ip6_target', ','.join(bond.ns_targets or ())), ('fail_over_mac', bond.fail_over_mac),
        ('xmit_hash_policy', bond.xmit_hash_policy), ('lacp_rate', bond.lacp_rate),
        ('ad_select', bond.ad_select), ('min_links', bond.min_links), ('MTU', bond.mtu),
        ('use_carrier', bond.use_carrier == 0 and '0 (the driver asks the NIC)'))
    return facts + [f'{name} {value}' for name, value in optional if value]


def slave_facts(slave) -> list[str]:
    facts = [f'MII {slave.mii_status}']
    if slave.carrier is not None or slave.operstate is not None:
        carrier = {1: 'carrier', 0: 'no carrier'}.get(slave.carrier, 'carrier unknown')
        facts.append(carrier + (f' (operstate {slave.operstate})' if slave.operstate else ''))
    if slave.mtu is not None:
        facts.append(f'MTU {slave.mtu}')
    if slave.speed is not None:
        facts.append(f'{slave.speed or "unknown"} Mbps {slave.duplex or ""}'.rstrip())
    facts.append(f'link failures {slave.link_failures}')
    if slave.carrier_losses is not None:
        facts.append(f'carrier losses {slave.carrier_losses}')
    if slave.aggregator_id is not None:
        facts.append(f'aggregator {slave.aggregator_id}')
    if slave.actor_churn is not None:
        facts.append(f'churn {slave.actor_churn}/{slave.partner_churn}')
    for side in ('actor', 'partner'):
        state = getattr(slave, side + '_port_state')
        if state is not None:
            facts.append(f'{side} LACP {"/".join(port_state_flags(state)) or "none"}')
    facts.append(f'permanent HW addr {slave.perm_hwaddr}')
    return facts


def ovs_bond_facts(bond) -> list[str]:
    """An OVS bond's settings as ovs-vswitchd shows them, for -vv."""
    facts = [f'Open vSwitch port {bond.port}', f'lacp_status {bond.lacp_status}',
             f'updelay {bond.updelay} ms', f'downdelay {bond.downdelay} ms']
    optional = (('LACP', bond.lacp_mode and f'{bond.lacp_mode} {bond.lacp_time}'),
                ('lacp_fallback_ab', bond.lacp_fallback_ab and 'true'),
                ('bond-primary', bond.primary), ('system id', bond.sys_id))
    return facts + [f'{name} {value}' for name, value in optional if value]


def ovs_member_facts(member) -> list[str]:
    facts = ['enabled' if member.enabled else 'disabled',
             f'may_enable {str(member.may_enable).lower()}']
    if member.delay:
        facts.append(member.delay)
    if member.lacp:
        facts.append(f'LACP {member.lacp} {"attached" if member.attached else "detached"}')
        for side in ('actor', 'partner'):
            state = getattr(member, side + '_state')
            facts.append(f'{side} {"/".join(port_state_flags(state)) or "none"}')
        facts.append(f'partner {member.partner_sys_id} key {member.partner_key}')
    counters = (('link expired', member.link_expired), ('link defaulted', member.link_defaulted),
                ('carrier changed', member.carrier_changed),
                ('carrier down', member.carrier_down_count))
    return facts + [f'{name} {value}' for name, value in counters if value is not None]
