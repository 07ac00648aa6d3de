"""The -v notes of the hardware check, where no single element carries every
slave (shared_hardware.py): what is shared in part, what is separate, the
bridge all slaves sit behind, and what cannot be seen from here (VM NICs,
virtual slaves, trees without device links, the switch behind an 802.3ad
partner). Never a warning, never a guess; pure functions of the Stands.
"""
from __future__ import annotations

import os
import re

from . import hardware_elements as element
from .findings import Finding, found
from .hardware import PCI_FUNCTION
from .parse import port_state_flags
from .sysfs import DEVICES


def _card_label(key, members):
    return 'NIC ' + min(os.path.basename(s.function) for s in members)


# (key, label) from the most specific element to the widest
SHARED_PARTS = (
    (element.bottom, lambda key, members: f'interface {key}'),
    (element.port_id, lambda key, members: f'port {key}'),
    (element.device, lambda key, members: f'device {key}'),
    (element.function, lambda key, members: f'PCI function {os.path.basename(key)}'),
    (element.card, _card_label),
    (element.switch, lambda key, members: f'switch id {key}'),
    (element.usb_adapter, lambda key, members: f'USB device {key}'),
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
            f'{element.names(members, len(stands))} share {label}'
            for label, members in groups) + tail))
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
            result.append(found(name, text.format(
                names=element.names(members, len(stands)), why=why,
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
        where = 'USB ' + element.usb_adapter(s)
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
    return [found('hardware-same-mac', f'{element.names(members, len(bond.slaves))} had one MAC '
                                       'when enslaved: stacked on one device?')
            for members in by_mac.values() if len(members) > 1]


def lacp_partner(bond) -> list[Finding]:
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
