"""The OVS bonds as nagiosplugin Resources: discovery, metrics, perfdata.

One OvsBondResource per bond, shaped as plugin.BondResource (whose history
and contexts it shares): <bond>_slaves_up against -w/-c, <bond> judged by
ovs.rules, the flap history in the same baseline store, perfdata per member.
ovs.parse and ovs.rules are imported only where ovs-vswitchd answered.
"""
from __future__ import annotations

import nagiosplugin

from ..findings import found
from ..ifname import OVS_PREFIX, is_ovs
from ..convert import to_int
from ..plugin import BondResource
from ..wording import label
from . import source

SUDO = 'sudo (contrib/sudoers)'


class OvsBondResource(BondResource):
    """One Open vSwitch bond, read with all the others (one request per command)."""

    def __init__(self, system, bond_name: str, bond, expectation, store=None, why=None):
        super().__init__(system, bond_name, expectation, store)
        self.ovs_bond = bond  # an ovs.parse.OvsBond, or None where there is no such bond
        self.why = why  # why there is none, where OVS says it (ovs-vswitchd not running)

    def probe(self):
        bond = self.bond = self.ovs_bond
        if bond is None:
            return [nagiosplugin.Metric(self.bond_name, self.why, context='no-such-bond')]
        return [*self._judged(bond), *self._history(bond), *self._counters(bond),
                # which switch each member reaches: lldpd's answer, as for a kernel bond
                nagiosplugin.Metric(f'{bond.name} switch', self.system.lldp, context='switch')]

    def judge(self, bond) -> list:
        from .rules import judge
        return judge(bond, self.expectation)

    def instances(self, bond) -> dict:
        """OVS members are no bonding slaves: no enslavement to tell apart."""
        return {}

    def _judged(self, bond):
        yield nagiosplugin.Metric(label(bond.name, 'slaves_up'), len(bond.slaves_up), min=0,
                                  max=len(bond.members), context='slaves_up')
        yield nagiosplugin.Metric(bond.name, bond, context='bond')
        yield nagiosplugin.Metric(label(bond.name, 'slaves'), len(bond.members), min=0,
                                  context='count')

    def _counters(self, bond):
        """Per member: the failures the history counts, the netdev's error counters
        (where it is a netdev of this network namespace); labels ovs:<member>_*."""
        counters = self.system.counters()
        for member in bond.members:
            name = OVS_PREFIX + member.name
            if member.link_failures is not None:
                yield nagiosplugin.Metric(label(name, 'link_failures'), member.link_failures,
                                          'c', min=0, context='count')
            nic = counters.get(member.name)
            if nic is not None:
                yield nagiosplugin.Metric(label(name, 'rx_errors'), nic.errin, 'c', min=0,
                                          context='count')
                yield nagiosplugin.Metric(label(name, 'tx_errors'), nic.errout, 'c', min=0,
                                          context='count')


def wanted(options, kind: str) -> bool:
    """Are bonds of `kind` ('kernel', 'ovs') to be looked for? --kind, and -b
    naming only bonds of the other kind, say no."""
    if options.kind not in ('all', kind):
        return False
    return not options.bonds or any(is_ovs(name) == (kind == 'ovs') for name in options.bonds)


def read_bonds(system) -> list | None:
    """Every OVS bond; None where OVS does not run. Raises source.OvsError."""
    answers = source.answers(system.root)
    if answers is None:
        return None
    from .parse import bonds
    return bonds(answers, lambda name: to_int(system.read_optional(
        f'sys/class/net/{name}/carrier_down_count')))


def resources(options, system, store, expectation, also=()) -> tuple:
    """(resources, run findings) of the OVS bonds to check: -b ovs:NAME, or
    every bond OVS has plus the ovs: bonds `also` names (BOND= options). Where
    OVS bonds were asked for (-b ovs:NAME, --kind ovs), says why there are none."""
    try:
        bonds = read_bonds(system)
    except source.OvsError as err:
        return [], [unreadable(err)]
    why = None if bonds is not None else \
        f'ovs-vswitchd is not running (no {source.pidfile(system.root)})'
    found_bonds = {bond.name: bond for bond in bonds or ()}
    named = [name for name in options.bonds if is_ovs(name)]
    names = named or [*found_bonds, *(name for name in also if is_ovs(name))]
    checked = [OvsBondResource(system, name, found_bonds.get(name), expectation(options, name),
                               store, why)
               for name in dict.fromkeys(names) if name not in options.excluded]
    if checked or options.kind != 'ovs' or found_bonds:
        return checked, []  # none at all: the kernel's no-bonds (plugin.no_bonds)
    return [], [found('no-bonds', f'no Open vSwitch bonds: {why or "ovs-vswitchd has none"}')]


def unreadable(err: source.OvsError):
    if err.kind == 'needs-root':
        return found('ovs-needs-root', f'Open vSwitch bonds not checked: only root may ask '
                                       f'ovs-vswitchd ({err}): run the check as root with '
                                       f'{SUDO}, or --kind kernel')
    return found('ovs-unreadable', f'Open vSwitch bonds not checked: {err}')
