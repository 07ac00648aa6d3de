"""The elements a slave stands on, as keys: interface, port, split port,
device, PCI function, card, switch, USB device. Two slaves with an equal
known key share that element. Keys and the names of slaves in the words are
shared by the single-point rules (shared_hardware.py) and the -v notes
(hardware_notes.py); each is a function of a hardware.Stand, reading nothing.
"""
from __future__ import annotations

import re

from .hardware import USB_DEVICE
from .sysfs import DEVICES

SPLIT_PORT = r'p(\d+)s\d+'  # devlink phys_port_name of a split port's sub-port


def bottom(s):
    return s.bottom


def port_id(s):
    return s.phys_port_id  # read for judged slaves only, like every port fact


def split_port(s):
    match = re.fullmatch(SPLIT_PORT, s.phys_port_name or '')
    switch = match and s.phys_switch_id
    return (f'p{match[1]}', switch) if switch else None


def device(s):
    return s.device[len(DEVICES):] if s.kind == 'device' else None


def function(s):
    return s.function if s.kind == 'pci' else None


def card(s):
    return s.card


def switch(s):
    return s.phys_switch_id


def usb_chain(s) -> list[str]:
    """USB devices above a USB slave's interface, nearest first: adapter, hubs."""
    if s.kind != 'usb':
        return []
    return [part for part in reversed(s.device.split('/')[:-1]) if re.fullmatch(USB_DEVICE, part)]


def usb_adapter(s):
    chain = usb_chain(s)
    return chain[0] if chain else None


def names(stands, total: int | None = None) -> str:
    """'A and B', 'A, B and C'; more than four of all `total`: 'all 6 slaves'."""
    listed = [s.name for s in stands]
    if len(listed) > 4 and len(listed) == (total or len(listed)):
        return f'all {len(listed)} slaves'
    return listed[0] if len(listed) == 1 else f'{", ".join(listed[:-1])} and {listed[-1]}'
