"""Hardware single points of failure: one port, card or USB adapter whose
failure takes every slave of a bond (findings shared-port, shared-nic).

A bond is only as redundant as the hardware under its slaves: two ports of
one card die with the card, two VFs of one PF or two VLANs of one interface
share one cable. An element is a single point of failure only if every
slave has a known and equal key for it; the first rule that holds is the
finding. Otherwise -v notes (hardware_notes.py) say what is shared in
part, what is separate and what cannot be seen from here: never a guess.

The rules are pure functions of the bond and its hardware.Stands: every
fact they compare was read before (Hardware.facts, in plugin.BondResource.probe);
the keys they compare are in hardware_elements.py.
"""
from __future__ import annotations

import os
from collections import namedtuple

from . import hardware_elements as element
from .findings import Finding, found
from .hardware_notes import lacp_partner, notes


def judge(bond, stands) -> list[Finding]:
    """The hardware findings of one bond, from a Stand per slave with its
    facts (Hardware.facts): a single point of failure, or -v notes."""
    if not stands:
        return []  # Hardware.facts judges neither single slaves nor sysfs elsewhere
    spof = single_point(stands)
    return ([spof] if spof else notes(bond, stands)) + lacp_partner(bond)


def single_point(stands) -> Finding | None:
    """The first rule whose element every slave shares, worded; None if none."""
    for rule in RULES:
        key = (rule.shared or _shared)(stands, rule.key)
        words = None if key is None else rule.words(stands, key) if rule.words else {}
        if words is not None:
            return found(rule.finding, rule.template.format(
                names=element.names(stands), both=_both(stands), key=key, **words))
    return None


def _shared(stands, key):
    """The key every slave has, equal and known; else None."""
    first = key(stands[0])
    if first is None or any(key(s) != first for s in stands[1:]):
        return None
    return first


def _shared_usb(stands, key):
    """The nearest USB adapter or hub above every slave (not the root hub)."""
    chains = [element.usb_chain(s) for s in stands]
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

# In order; the first that holds is the finding (docs/design/hardware.md §5, P1-P4, N0-N4).
RULES = (
    Rule('shared-port', element.bottom,
         '{names} are {what} one interface {key}: one port, one cable', _stacked_words),
    Rule('shared-port', element.function,
         '{names} are {what} of one port (PF {pf}): a cable, port or card failure takes {both}',
         _vf_words),
    Rule('shared-port', element.port_id,
         '{names} share one physical port (phys_port_id {key}): partitions of one port'),
    Rule('shared-port', element.split_port,
         '{names} are sub-ports of split port {key[0]} (switch id {key[1]}): one cage, one '
         'breakout cable'),
    Rule('shared-nic', element.device,
         '{names} are served by one device {key}: its failure takes {both}'),
    Rule('shared-nic', element.function,
         '{names} are {count} ports of one PCI function ({function}{ports}): a card failure '
         'takes {both}', _function_words),
    Rule('shared-nic', element.card,
         '{names} are ports of one NIC (PCI {functions}): a card failure takes {both}',
         _card_words),
    Rule('shared-nic', element.switch,
         '{names} are ports of one NIC (switch id {key}): a card failure takes {both}'),
    Rule('shared-nic', None,
         '{names} are behind one USB device {key}: unplugging it takes {both}',
         shared=_shared_usb),
)


# -- wording ------------------------------------------------------------------

def _both(stands) -> str:
    return 'both' if len(stands) == 2 else f'all {len(stands)}'


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
