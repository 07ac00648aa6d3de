"""The running side (SPEC §2): /sys/class/net/<bond>/bonding/*, which shows every
option in every mode, else what /proc/net/bonding/<bond> prints.

/proc hides lacp_rate, min_links and ad_select outside 802.3ad and the hash
policy outside the modes that hash; an option without a sysfs file (old
kernels) is "not available here" and is not compared.
"""
from __future__ import annotations

from collections import namedtuple

from ..parse import mode_name
from .model import NAMED, NUMBERS, canonical, mac, targets

Running = namedtuple('Running', 'options slaves macs missing')  # macs: {slave: permanent MAC}


def read(system, bond: str) -> Running | None:
    """The bond's running options, slaves (in order) and permanent MACs; None if gone."""
    base = f'sys/class/net/{bond}/bonding'
    options, missing = {}, []
    for option in (*NAMED, *NUMBERS, 'primary', 'arp_ip_target', 'slaves'):
        text = system.read_optional(f'{base}/{option}')
        if text is None:
            missing.append(option)
            continue
        words = text.split()
        if option in NAMED:
            options[option] = canonical(option, words[0]) if words else None
        elif option in NUMBERS:
            options[option] = canonical(option, words[0]) if words else None
        elif option == 'arp_ip_target':
            options[option] = targets(text)
        elif option == 'primary':
            options[option] = words[0] if words else ''
        else:
            options[option] = tuple(words)
    proc = None
    if 'mode' in missing or 'slaves' in missing:
        try:
            proc = system.read_bond(bond)
        except (OSError, ValueError):
            proc = None
        if proc is None and 'mode' in missing:
            return None
    if proc is not None:
        options = {**_from_proc(proc), **options}
        missing = [m for m in missing if m not in options]
    slaves = options.pop('slaves', ())
    macs = {}
    for slave in slaves:
        macs[slave] = mac(system.read_optional(f'sys/class/net/{slave}/bonding_slave/perm_hwaddr'))
    if proc is not None:
        for s in proc.slaves:
            macs[s.name] = macs.get(s.name) or mac(s.perm_hwaddr)
    return Running(options, tuple(slaves), macs, tuple(missing))


def _from_proc(bond) -> dict:
    found = {'mode': mode_name(bond.mode) or bond.mode, 'primary': bond.primary or '',
             'slaves': tuple(s.name for s in bond.slaves)}
    for option, value in (('miimon', bond.miimon), ('updelay', bond.updelay),
                          ('downdelay', bond.downdelay), ('arp_interval', bond.arp_interval),
                          ('min_links', bond.min_links)):
        if value is not None:
            found[option] = value
    for option in ('primary_reselect', 'lacp_rate', 'ad_select', 'xmit_hash_policy',
                   'fail_over_mac'):
        value = getattr(bond, option, None)
        if value:
            found[option] = canonical(option, str(value).split()[0])
    if bond.arp_interval:
        found['arp_ip_target'] = tuple(bond.arp_targets)
    return found
