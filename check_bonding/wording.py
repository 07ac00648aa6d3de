"""The words: the first line, the long output and the perfdata labels.

Everything a user reads is made here, from the Findings that the contexts
(plugin.py) attach to their results; no other module formats output.
"""
from __future__ import annotations

import nagiosplugin
from nagiosplugin.state import Ok, worst

from .judge import acceptable_primaries
from .parse import ACTIVE_SLAVE_MODES, Bond, port_state_flags

# Contexts whose findings come from one range judgement: told on one -v line.
ONE_LINE_CONTEXTS = ('slaves_up', 'failures')
LABEL_UNSAFE = str.maketrans("'=|", '___')


def label(interface: str, what: str) -> str:
    """Perfdata label. Linux allows ' = and | in names; the plugin API does not."""
    return f'{interface}_{what}'.translate(LABEL_UNSAFE)


class BondSummary(nagiosplugin.Summary):
    """First line per bond group; long output per bond (-v) and slave (-vv)."""

    def __init__(self, verbose: int = 0):
        self.verbosity = verbose

    def ok(self, results):
        bonds = [r for r in results if r.metric and r.metric.context == 'bond']
        if len(bonds) > 3:
            up = sum(len(r.metric.value.slaves_up) for r in bonds)
            total = sum(len(r.metric.value.slaves) for r in bonds)
            return f'{len(bonds)} bonds, {up}/{total} slaves up'
        return '; '.join(describe_result(r) for r in bonds)

    def problem(self, results):
        groups: dict = {}
        for result in results:
            words = [f.words for f in result.findings if f.state != Ok]
            if result.state != Ok and words:
                groups.setdefault(result.resource.bond_name, []).append(', '.join(words))
        return '; '.join(f'{bond}: {", ".join(texts)}' if bond else ', '.join(texts)
                         for bond, texts in groups.items())

    def verbose(self, results):
        lines = []
        for result in results.results:
            if result.metric and result.metric.context in ('bond', 'no-such-bond'):
                own = [r for r in results.results if r.resource is result.resource]
                lines += self.bond_lines(result, own)
        return lines

    def bond_lines(self, bond_result, own) -> list[str]:
        """'bond0: warning - ...', then what each check of this bond found."""
        state = worst(r.state for r in own)
        bond = bond_result.metric.value
        if bond is None:
            return [f'{bond_result.metric.name}: {state} - no such bond']
        lines = [f'{bond.name}: {state} - {describe_result(bond_result)}']
        for result in own:
            if not result.findings:
                continue
            if result.metric.context in ONE_LINE_CONTEXTS:
                if result.state != Ok or result.metric.value:
                    lines.append(f'  {result.state}: '
                                 + ', '.join(f.words for f in result.findings))
            else:
                lines += [f'  {f.state}: {f.words}' for f in result.findings]
        if self.verbosity >= 2:
            lines.append('  ' + ', '.join(bond_facts(bond)))
            lines += [f'  slave {s.name}: ' + ', '.join(slave_facts(s)) for s in bond.slaves]
        return lines


def describe_result(result) -> str:
    bond = result.metric.value
    return describe(bond, acceptable_primaries(bond, result.resource.expectation))


def describe(bond: Bond, primaries) -> str:
    """'bond0 active-backup, active eth0 (primary), 2/2 slaves up'"""
    parts = [f'{bond.name} {bond.mode}']
    if bond.mode in ACTIVE_SLAVE_MODES and bond.active_slave:
        parts.append(f'active {bond.active_slave}'
                     + (' (primary)' if bond.active_slave in primaries else ''))
    parts.append(f'{len(bond.slaves_up)}/{len(bond.slaves)} slaves up')
    return ', '.join(parts)


def bond_facts(bond: Bond) -> list[str]:
    """The driver's settings as /proc shows them, for -vv."""
    facts = [f'driver {bond.driver}', f'miimon {bond.miimon} ms',
             f'updelay {bond.updelay} ms', f'downdelay {bond.downdelay} ms']
    optional = (('arp_interval', bond.arp_interval), ('arp_ip_target', ','.join(
        bond.arp_targets + bond.ns_targets)), ('fail_over_mac', bond.fail_over_mac),
        ('xmit_hash_policy', bond.xmit_hash_policy), ('lacp_rate', bond.lacp_rate),
        ('ad_select', bond.ad_select), ('min_links', bond.min_links))
    return facts + [f'{name} {value}' for name, value in optional if value]


def slave_facts(slave) -> list[str]:
    facts = [f'MII {slave.mii_status}']
    if slave.speed is not None:
        facts.append(f'{slave.speed or "unknown"} Mbps {slave.duplex or ""}'.rstrip())
    facts.append(f'link failures {slave.link_failures}')
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
