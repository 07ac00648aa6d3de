"""Hardware single points of failure: one port, card or USB adapter whose
failure takes every slave of a bond (findings shared-port, shared-nic).

A bond is only as redundant as the hardware under its slaves: two ports of
one card die with the card, two VFs of one PF or two VLANs of one interface
share one cable. An element is a single point of failure only if every
slave has a known and equal key for it; the first rule that holds is the
finding. Otherwise -v notes say what is shared in part, what is separate
and what cannot be seen from here (VM NICs, virtual slaves, trees without
device links, the switch behind an 802.3ad partner): never a guess.

The rules are pure functions of a hardware.BondHardware: the Stands, with
every fact they compare, are read before (plugin.BondResource.probe).
"""
from __future__ import annotations

import os
import re
from collections import namedtuple

from .findings import Finding, found
from .hardware import DEVICES, PCI_FUNCTION, USB_DEVICE
from .parse import port_state_flags

SPLIT_PORT = r'p(\d+)s\d+'  # devlink phys_port_name of a split port's sub-port


def judge(facts) -> list[Finding]:
    """The hardware findings of one bond (a hardware.BondHardware): a single
    point of failure, or -v notes."""
    bond, stands = facts.bond, facts.stands
    if len(bond.slaves) < 2:
        return []  # single-slave warns already
    spof = single_point(stands)
    return ([spof] if spof else notes(bond, stands)) + _lacp_partner(bond)


def single_point(stands) -> Finding | None:
    """The first rule whose element every slave shares, worded; None if none."""
    for rule in RULES:
        key = (rule.shared or _shared)(stands, rule.key)
        words = None if key is None else rule.words(stands, key) if rule.words else {}
        if words is not None:
            return found(rule.finding, rule.template.format(
                names=_names(stands), both=_both(stands), key=key, **words))
    return None


# -- per-slave keys: equal keys mean one shared element ------------------------

def _bottom(s):
    return s.bottom


def _port_id(s):
    return s.phys_port_id  # read for judged slaves only, like every port fact


def _split_port(s):
    match = re.fullmatch(SPLIT_PORT, s.phys_port_name or '')
    switch = match and s.phys_switch_id
    return (f'p{match[1]}', switch) if switch else None


def _device(s):
    return s.device[len(DEVICES):] if s.kind == 'device' else None


def _function(s):
    return s.function if s.kind == 'pci' else None


def _card(s):
    return s.card


def _switch(s):
    return s.phys_switch_id


def _usb_chain(s) -> list[str]:
    """USB devices above a USB slave's interface, nearest first: adapter, hubs."""
    if s.kind != 'usb':
        return []
    return [part for part in reversed(s.device.split('/')[:-1]) if re.fullmatch(USB_DEVICE, part)]


def _usb_adapter(s):
    chain = _usb_chain(s)
    return chain[0] if chain else None


def _shared(stands, key):
    """The key every slave has, equal and known; else None."""
    first = key(stands[0])
    if first is None or any(key(s) != first for s in stands[1:]):
        return None
    return first


def _shared_usb(stands, key):
    """The nearest USB adapter or hub above every slave (not the root hub)."""
    chains = [_usb_chain(s) for s in stands]
    return next((d for d in chains[0] if all(d in chain for chain in chains[1:])), None)


# -- what a rule says beyond names and key; None: the rule does not hold --------

def _stacked_words(stands, bottom):
    if not any(s.stacked for s in stands):
        return None  # two netdevs are two netdevs
    return {'what': 'VLANs of' if all(s.top == 'vlan' for s in stands) else 'stacked on'}


def _vf_words(stands, pf):
    """VFs of one PF, unless on different ports of it (mlx4), or spread over both
    ports of the card by VF LAG (the PF's netdev enslaved elsewhere)."""
    bottoms = {s.bottom for s in stands}
    if not any(s.vf for s in stands) or len({s.phys_port_id for s in stands} - {None}) > 1 \
            or any(name not in bottoms for s in stands for name in s.pf_enslaved):
        return None
    return {'what': 'virtual functions' if all(s.vf for s in stands) else 'functions',
            'pf': os.path.basename(pf)}


def _function_words(stands, function):
    if any(s.vf for s in stands):
        return None
    ports = ''
    for attribute in ('dev_port', 'dev_id'):  # dev_id where dev_port is too new (3.15)
        values = [getattr(s, attribute) for s in stands]
        if None not in values:
            ports = f', {attribute} {"/".join(values)}'
            break
    return {'count': len(stands), 'function': os.path.basename(function), 'ports': ports}


def _card_words(stands, card):
    return {'functions': _functions(stands)}


Rule = namedtuple('Rule', 'finding key template words shared', defaults=(None, None))

# In order; the first that holds is the finding (SPEC rules P1-P4, N0-N4).
RULES = (
    Rule('shared-port', _bottom, '{names} are {what} one interface {key}: one port, one cable',
         _stacked_words),
    Rule('shared-port', _function, '{names} are {what} of one port (PF {pf}): a cable, port or '
                                   'card failure takes {both}', _vf_words),
    Rule('shared-port', _port_id, '{names} share one physical port (phys_port_id {key}): '
                                  'partitions of one port'),
    Rule('shared-port', _split_port, '{names} are sub-ports of split port {key[0]} (switch id '
                                     '{key[1]}): one cage, one breakout cable'),
    Rule('shared-nic', _device, '{names} are served by one device {key}: its failure takes '
                                '{both}'),
    Rule('shared-nic', _function, '{names} are {count} ports of one PCI function ({function}'
                                  '{ports}): a card failure takes {both}', _function_words),
    Rule('shared-nic', _card, '{names} are ports of one NIC (PCI {functions}): a card failure '
                              'takes {both}', _card_words),
    Rule('shared-nic', _switch, '{names} are ports of one NIC (switch id {key}): a card failure '
                                'takes {both}'),
    Rule('shared-nic', None, '{names} are behind one USB device {key}: unplugging it takes '
                             '{both}', shared=_shared_usb),
)


# -- -v notes where no single element carries every slave ----------------------

def _card_label(key, members):
    return 'NIC ' + min(os.path.basename(s.function) for s in members)


# (key, label) from the most specific element to the widest
SHARED_PARTS = (
    (_bottom, lambda key, members: f'interface {key}'),
    (_port_id, lambda key, members: f'port {key}'),
    (_device, lambda key, members: f'device {key}'),
    (_function, lambda key, members: f'PCI function {os.path.basename(key)}'),
    (_card, _card_label),
    (_switch, lambda key, members: f'switch id {key}'),
    (_usb_adapter, lambda key, members: f'USB device {key}'),
)


def notes(bond, stands) -> list[Finding]:
    """What is known and what is not, for -v: never a warning."""
    result = _cannot_know(stands)
    if all(s.kind == 'unknown' for s in stands):
        result += _same_mac(bond)
    judged = [s for s in stands if s.judged]
    groups = _shared_in_part(stands)
    everything = len(judged) == len(stands)
    if groups:
        tail = f': no single card carries all {len(stands)}' if everything else ''
        result.append(found('hardware-partly-shared', ', '.join(
            f'{_names(members, len(stands))} share {label}' for label, members in groups) + tail))
    elif len(judged) >= 2:
        result.append(found('hardware-separate', 'slaves on separate hardware: ' + ', '.join(
            f'{s.name} ({_where(s)})' for s in judged)))
    if everything:
        result += _common_bridge(stands)
    return result


# What cannot be judged from here, by Stand.kind: (identifier, one slave, several)
CANNOT_KNOW = (
    ('vm', 'hardware-vm',
     '{names} is a {why} device (a VM): whether the host gives it a separate NIC cannot be '
     'seen here',
     '{names} are {why} devices (a VM): whether the host gives them separate NICs cannot be '
     'seen here'),
    ('orphan-vf', 'hardware-vm',
     '{names} is a virtual function ({why}) whose physical function is not visible here: '
     'not judged',
     '{names} are virtual functions ({why}) whose physical functions are not visible here: '
     'not judged'),
    ('virtual', 'hardware-virtual',
     '{names} is a virtual device{paren}: no hardware to compare',
     '{names} are virtual devices{paren}: no hardware to compare'),
    ('unknown', 'hardware-unknown',
     'hardware of {names} unknown ({why})', 'hardware of {names} unknown ({why})'),
)


def _cannot_know(stands) -> list[Finding]:
    """VM NICs, VFs without their PF, virtual slaves, slaves without sysfs facts."""
    result = []
    for kind, name, one, several in CANNOT_KNOW:
        for why, members in _grouped(stands, kind):
            text = one if len(members) == 1 else several
            result.append(found(name, text.format(names=_names(members, len(stands)), why=why,
                                                  paren=f' ({why})' if why else '')))
    return result


def _grouped(stands, kind) -> list:
    """[(why, [stand, ...])] of the stands of `kind`, in slave order."""
    groups: dict = {}
    for s in stands:
        if s.kind == kind:
            groups.setdefault(s.why, []).append(s)
    return list(groups.items())


def _shared_in_part(stands) -> list:
    """[(label, members)]: elements that two or more slaves (not all) share,
    each set of slaves once, at its most specific element."""
    seen, groups = set(), []
    for key, label in SHARED_PARTS:
        by_key: dict = {}
        for s in stands:
            value = key(s)
            if value is not None:
                by_key.setdefault(value, []).append(s)
        for value, members in by_key.items():
            names = frozenset(s.name for s in members)
            if 1 < len(members) < len(stands) and names not in seen:
                seen.add(names)
                groups.append((label(value, members), members))
    return groups


def _where(s) -> str:
    """'PCI 0000:3b:00.0, i40e' for the separate-hardware note."""
    if s.kind == 'pci':
        where = 'PCI ' + os.path.basename(s.device)
    elif s.kind == 'usb':
        where = 'USB ' + _usb_adapter(s)
    else:
        where = s.device[len(DEVICES):]
    return f'{where}, {s.driver}' if s.driver else where


def _common_bridge(stands) -> list[Finding]:
    """The deepest PCI function above every slave's card: a PCIe switch or
    bridge, or the USB host controller. Normal on a motherboard: a note."""
    paths = [os.path.dirname(s.function if s.kind == 'pci' else s.device).split('/')
             for s in stands if s.kind in ('pci', 'usb')]
    if len(paths) != len(stands):
        return []
    common = os.path.commonprefix(paths)
    bridge = next((p for p in reversed(common) if re.fullmatch(PCI_FUNCTION, p)), None)
    if bridge is None:
        return []
    if all(s.kind == 'usb' for s in stands):
        return [found('hardware-common-bridge', f'all slaves share USB host controller {bridge}')]
    return [found('hardware-common-bridge', f'all slaves sit behind PCI bridge {bridge} '
                                            '(one multi-chip card, or a riser?)')]


def _same_mac(bond) -> list[Finding]:
    """Without sysfs: VLANs of one device were enslaved with the lower's MAC."""
    by_mac: dict = {}
    for slave in bond.slaves:
        mac = (slave.perm_hwaddr or '').lower()
        if mac.strip('0:'):
            by_mac.setdefault(mac, []).append(slave)
    return [found('hardware-same-mac', f'{_names(members, len(bond.slaves))} had one MAC '
                                       'when enslaved: stacked on one device?')
            for members in by_mac.values() if len(members) > 1]


def _lacp_partner(bond) -> list[Finding]:
    """One aggregator faces one LACP system: one switch, a stack or an MLAG
    pair look alike from here (an MLAG pair shows one system MAC)."""
    slaves = bond.slaves
    aggregators = {s.aggregator_id for s in slaves}
    if bond.mode != '802.3ad' or len(slaves) < 2 or len(aggregators) != 1 or None in aggregators \
            or any(not s.up or 'defaulted' in port_state_flags(s.actor_port_state)
                   for s in slaves):
        return []
    mac = bond.aggregator.partner_mac if bond.aggregator else None
    if mac is not None and not mac.strip('0:'):
        return []  # no partner at all: lacp-no-partner says so
    partner = f'partner {mac}' if mac else 'one partner (its MAC is shown only to root)'
    ports = 'both ports' if len(slaves) == 2 else f'all {len(slaves)} ports'
    return [found('lacp-one-partner', f'{ports} in aggregator {aggregators.pop()} reach '
                                      f'{partner}: one LACP system (a single switch, a stack '
                                      'or an MLAG pair; not judged)')]


# -- wording ------------------------------------------------------------------

def _names(stands, total: int | None = None) -> str:
    """'A and B', 'A, B and C'; more than four of all `total`: 'all 6 slaves'."""
    names = [s.name for s in stands]
    if len(names) > 4 and len(names) == (total or len(names)):
        return f'all {len(names)} slaves'
    return names[0] if len(names) == 1 else f'{", ".join(names[:-1])} and {names[-1]}'


def _both(stands) -> str:
    return 'both' if len(stands) == 2 else f'all {len(stands)}'


def _is(stands) -> str:
    return 'is' if len(stands) == 1 else 'are'


def _functions(stands) -> str:
    """The PCI functions of the slaves' cards: '0000:a2:00.0/.1', '0000:a2:00.0/01.0'."""
    names = sorted({os.path.basename(s.function) for s in stands})
    first, short = names[0], []
    for name in names[1:]:
        if name[:-2] == first[:-2]:
            short.append(name[-2:])
        elif name[:-4] == first[:-4]:
            short.append(name[-4:])
        else:
            short.append(name)
    return '/'.join([first, *short])
