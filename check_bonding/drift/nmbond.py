"""NetworkManager 1.52's bond setting (design §4.2): the [bond] keys of a profile
as NM keeps them, when it refuses the whole profile, and what the device sets.

From libnm-core's nm-setting-bond.c (the option table, verify, normalize) and
nm-device-bond.c, checked against `nmcli --offline` (tests/oracle/nm.py):
a value outside an option's table or range is dropped when the keyfile is
read (the option keeps NM's default); a mode given as a number becomes its
name; options the mode does not use are dropped; some combinations make the
profile invalid (`verify`), and NM does not load it. At activation NM sets
every option, its own default where the profile says nothing, and keeps
ARP monitoring off when miimon is set explicitly (with ARP alone the kernel
turns miimon off), so module options never reach its bonds.
"""
from __future__ import annotations

from .model import ACTIVE_SLAVE, NAMED, Setting, canonical, ipv4, ipv6, mac

INT = 2 ** 31 - 1
CHOICES = {**NAMED, 'arp_all_targets': ('any', 'all'), 'lacp_active': ('off', 'on')}
RANGES = {'ad_actor_sys_prio': (1, 65535), 'ad_user_port_key': (0, 1023),
          'all_slaves_active': (0, 1), 'arp_interval': (0, INT), 'arp_missed_max': (0, 255),
          'balance_slb': (0, 1),
          'downdelay': (0, INT), 'lp_interval': (1, INT), 'miimon': (0, INT),
          'min_links': (0, INT), 'num_grat_arp': (0, 255), 'num_unsol_na': (0, 255),
          'packets_per_slave': (0, 65535), 'peer_notif_delay': (0, INT),
          'resend_igmp': (0, 255), 'tlb_dynamic_lb': (0, 1), 'updelay': (0, INT),
          'use_carrier': (0, 1)}
OTHER = ('active_slave', 'primary', 'arp_ip_target', 'ns_ip6_target', 'ad_actor_system')
UNSUPPORTED = {  # option -> modes where normalisation drops it
    'active_slave': ('balance-rr', 'balance-xor', 'broadcast', '802.3ad'),
    'primary': ('balance-rr', 'balance-xor', 'broadcast', '802.3ad'),
    'ad_actor_sys_prio': CHOICES['mode'][:4] + CHOICES['mode'][5:],
    'ad_actor_system': CHOICES['mode'][:4] + CHOICES['mode'][5:],
    'ad_user_port_key': CHOICES['mode'][:4] + CHOICES['mode'][5:],
    'lacp_rate': CHOICES['mode'][:4] + CHOICES['mode'][5:],
    'arp_interval': ('802.3ad', 'balance-tlb', 'balance-alb'),
    'arp_ip_target': ('802.3ad', 'balance-tlb', 'balance-alb'),
    'arp_validate': ('802.3ad', 'balance-tlb', 'balance-alb'),
    'packets_per_slave': CHOICES['mode'][1:],
    'tlb_dynamic_lb': CHOICES['mode'][:5]}
DEFAULTS = {'mode': 'balance-rr', 'miimon': 100, 'updelay': 0, 'downdelay': 0,
            'arp_interval': 0, 'arp_ip_target': (), 'primary': '', 'primary_reselect': 'always',
            'lacp_rate': 'slow', 'xmit_hash_policy': 'layer2', 'ad_select': 'stable',
            'min_links': 0, 'fail_over_mac': 'none'}


def valid(key: str, value: str) -> bool:
    """_nm_setting_bond_validate_option: a name of the table or its index, an
    integer in range, IPv4 addresses, an interface name."""
    if key in CHOICES:
        return value in CHOICES[key] or _in_range(value, 0, len(CHOICES[key]) - 1)
    if key in RANGES:
        return _in_range(value, *RANGES[key])
    if key == 'arp_ip_target':
        return all(ipv4(t) for t in value.split(',') if t) and bool(value)
    if key == 'ns_ip6_target':  # nm_utils_bond_option_ip_split: ',' with blanks stripped
        words = [t.strip() for t in value.split(',') if t.strip()]
        return bool(words) and all(ipv6(t) for t in words)
    if key == 'ad_actor_system':
        return mac(value) is not None
    return key in OTHER and 0 < len(value) < 16 and value not in ('.', '..') and \
        '/' not in value and not any(c.isspace() for c in value)


def _in_range(value: str, low: int, high: int) -> bool:
    return value.isdigit() and low <= int(value) <= high


def kept(raw: dict, path: str) -> tuple:
    """({key: (value, line)} NM keeps of a profile's [bond] keys, notes,
    {key: value dropped as invalid})."""
    given, notes, dropped = {}, [], {}
    for key, (value, line) in raw.items():
        if key not in CHOICES and key not in RANGES and key not in OTHER:
            notes.append(f'{path}: unknown bond option "{key}", dropped by NetworkManager')
        elif not valid(key, value):
            notes.append(f'{path}: invalid {key} "{value}", dropped by NetworkManager')
            dropped[key] = value
        else:
            given[key] = (value, line)
    return given, notes, dropped


def normalised(given: dict) -> dict:
    """The keys NetworkManager keeps after verify: those the mode uses."""
    mode = canonical('mode', given.get('mode', ('balance-rr',))[0])
    return {k: v for k, v in given.items() if mode not in UNSUPPORTED.get(k, ())}


def verify(given: dict) -> str | None:
    """Why NetworkManager refuses the whole profile (nm_setting_bond verify), or None."""
    def value(key):
        return given[key][0] if key in given else None

    def number(key, default='0'):
        text = value(key) or default
        return int(text) if text.isdigit() else 0
    mode = canonical('mode', value('mode') or 'balance-rr')
    arp, miimon = number('arp_interval'), number('miimon', '100')
    for key in ('arp_interval', 'arp_missed_max'):
        if mode in ('balance-tlb', 'balance-alb') and number(key):
            return f'{key} with mode {mode}'
    if value('primary') and mode not in ACTIVE_SLAVE:
        return f'primary with mode {mode}'
    if miimon == 0 and (number('updelay') or number('downdelay')):
        return 'updelay/downdelay with miimon 0'
    if number('peer_notif_delay') and (miimon == 0 or number('peer_notif_delay') % miimon):
        return 'peer_notif_delay without a multiple of miimon'
    return _verify_targets(arp, value) or _verify_mode(mode, value, number)


def _verify_targets(arp: int, value) -> str | None:
    if arp and not value('arp_ip_target') and not value('ns_ip6_target'):
        return 'arp_interval without arp_ip_target or ns_ip6_target'
    for targets in ('arp_ip_target', 'ns_ip6_target'):
        if value(targets) and not arp:
            return f'{targets} without arp_interval'
    return None


def _verify_mode(mode: str, value, number) -> str | None:
    if value('lacp_rate') not in (None, '0', 'slow') and mode != '802.3ad':
        return f'lacp_rate with mode {mode}'
    if value('lacp_active') is not None and mode != '802.3ad':
        return f'lacp_active with mode {mode}'
    if value('num_grat_arp') and value('num_unsol_na') and \
            number('num_grat_arp') != number('num_unsol_na'):
        return 'num_grat_arp and num_unsol_na differ'
    if number('balance_slb') and mode != 'balance-xor':
        return f'balance_slb with mode {mode}'
    return None


def bond_options(raw: dict, path: str) -> tuple:
    """({option: Setting}, explain, notes, invalid): what NetworkManager sets for a
    profile's [bond] keys {key: (value, line)}, and why it would refuse it."""
    given, notes, dropped = kept(raw, path)
    invalid = verify(given) or verify(normalised(given))  # NM verifies again after it
    given = normalised(given)
    options = {k: Setting(canonical(k, v), path, line) for k, (v, line) in given.items()
               if canonical(k, v) is not None}
    explain = {k: f'{k} "{dropped[k]}" in {path} is invalid for NetworkManager, which uses '
                  f'{DEFAULTS[k]}' if k in dropped else f"NetworkManager's default, not in {path}"
               for k in DEFAULTS if k not in options}
    for key, default in DEFAULTS.items():
        options.setdefault(key, Setting(default, path, None))
    if 'primary' not in given and 'active_slave' in given:
        options['primary'] = Setting(given['active_slave'][0], path, given['active_slave'][1])
    if options['arp_interval'].value and options['miimon'].value and 'miimon' in given:
        for key in ('arp_interval', 'arp_ip_target'):
            options[key] = Setting(DEFAULTS[key], path, None)
            explain[key] = f'NetworkManager keeps ARP monitoring off when miimon is set ({path})'
    elif options['arp_interval'].value:
        options['miimon'] = Setting(0, path, None)
        explain['miimon'] = f'ARP monitoring turns miimon off ({path} sets arp_interval)'
        for key in ('updelay', 'downdelay'):
            options.pop(key)
    if not options['arp_interval'].value:
        options.pop('ns_ip6_target', None)  # unused without ARP (and /proc shows none)
    return options, explain, notes, invalid
