"""The running side (design §2): /sys/class/net/<bond>/bonding/*, which shows every
option in every mode, else what /proc/net/bonding/<bond> prints.

/proc hides lacp_rate, min_links and ad_select outside 802.3ad and the hash
policy outside the modes that hash; an option without a sysfs file (old
kernels) is "not available here" and is not compared. Where sysfs describes
another interface of the bond's name (System.read_bond: another network
namespace's), the running side is /proc alone: `elsewhere` says why, and
what /proc does not print is not compared. The NS targets are /proc's in
any case (sysfs has no such file).
"""
from __future__ import annotations

from collections import namedtuple

from ..parse import mode_name
from .model import NAMED, NUMBERS, canonical, mac, targets, targets6

# macs: {slave: permanent MAC}; elsewhere: why sysfs was not read (another interface)
Running = namedtuple('Running', 'options slaves macs missing elsewhere', defaults=(None,))


def read(system, bond: str) -> Running | None:
    """The bond's running options, slaves (in order) and permanent MACs; None if gone."""
    proc = _proc(system, bond)
    if proc is not None and proc.sysfs_elsewhere:
        return _proc_only(proc)
    options, missing = {}, []
    for option in (*NAMED, *NUMBERS, 'primary', 'arp_ip_target', 'slaves'):
        text = system.read_optional(f'sys/class/net/{bond}/bonding/{option}')
        if text is None:
            missing.append(option)
        else:
            options[option] = _sysfs_value(option, text)
    if proc is None and 'mode' in missing:
        return None
    shown = _from_proc(proc) if proc is not None else {}
    merged = 'mode' in missing or 'slaves' in missing  # sysfs values win over /proc's
    options = {**shown, **options} if merged else {
        **options, **{k: v for k, v in shown.items() if k == 'ns_ip6_target'}}
    missing = [m for m in missing if m not in options]
    slaves = options.pop('slaves', ())
    macs = {s: mac(system.read_optional(f'sys/class/net/{s}/bonding_slave/perm_hwaddr'))
            for s in slaves}
    for s in proc.slaves if merged and proc is not None else ():
        macs[s.name] = macs.get(s.name) or mac(s.perm_hwaddr)
    return Running(options, tuple(slaves), macs, tuple(missing))


def _proc_only(bond) -> Running:
    """What /proc prints, nothing of sysfs (it describes another interface)."""
    options = _from_proc(bond)
    slaves = options.pop('slaves')
    return Running(options, slaves, {s.name: mac(s.perm_hwaddr) for s in bond.slaves}, (),
                   bond.sysfs_elsewhere)


def _sysfs_value(option: str, text: str):
    words = text.split()
    if option in NAMED or option in NUMBERS:
        return canonical(option, words[0]) if words else None
    if option == 'arp_ip_target':
        return targets(text)
    if option == 'primary':
        return words[0] if words else ''
    return tuple(words)


def _proc(system, bond: str):
    try:
        return system.read_bond(bond)
    except (OSError, ValueError):
        return None


def _from_proc(bond) -> dict:
    """The options /proc prints: fail_over_mac only where not none in active-backup,
    the ARP lines only with arp_interval above 0 (so their absence is 0, none)."""
    found = {'mode': mode_name(bond.mode) or bond.mode, 'primary': bond.primary or '',
             'slaves': tuple(s.name for s in bond.slaves)}
    for option, value in (('miimon', bond.miimon), ('updelay', bond.updelay),
                          ('downdelay', bond.downdelay), ('arp_interval', bond.arp_interval or 0),
                          ('min_links', bond.min_links)):
        if value is not None:
            found[option] = value
    for option in ('primary_reselect', 'lacp_rate', 'ad_select', 'xmit_hash_policy',
                   'fail_over_mac'):
        value = getattr(bond, option, None)
        if value:
            found[option] = canonical(option, str(value).split()[0])
    if found['mode'] == 'active-backup':
        found.setdefault('fail_over_mac', 'none')
    found['arp_ip_target'] = tuple(bond.arp_targets) if bond.arp_interval else ()
    if bond.ns_targets is not None:
        found['ns_ip6_target'] = targets6(' '.join(bond.ns_targets))
    return found
