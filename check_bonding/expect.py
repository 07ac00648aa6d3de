"""--expect KEY=VALUE: the bond's running options against what the admin expects.

Every option the driver exposes in sysfs (/sys/class/net/<bond>/bonding/<key>)
can be expected. Values are normalised the way the kernel accepts them:
enumerations by name or number (lacp_rate=1 is fast), numbers as integers,
arp_ip_target as a set of addresses, MACs case-insensitively. Pure functions;
system.py reads the running values.
"""
from __future__ import annotations

from .findings import Finding, found

# Enumerated options: names in the kernel's order, so a number is its index.
CHOICES = {
    'lacp_rate': ('slow', 'fast'),
    'lacp_active': ('off', 'on'),
    'xmit_hash_policy': ('layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4',
                         'vlan+srcmac'),
    'ad_select': ('stable', 'bandwidth', 'count'),
    'fail_over_mac': ('none', 'active', 'follow'),
    'primary_reselect': ('always', 'better', 'failure'),
    'arp_validate': ('none', 'active', 'backup', 'all', 'filter', 'filter_active',
                     'filter_backup'),
    'arp_all_targets': ('any', 'all'),
}
NUMBERS = ('miimon', 'updelay', 'downdelay', 'arp_interval', 'arp_missed_max', 'min_links',
           'num_grat_arp', 'num_unsol_na', 'ad_actor_sys_prio', 'ad_user_port_key',
           'all_slaves_active', 'packets_per_slave', 'resend_igmp', 'lp_interval',
           'tlb_dynamic_lb', 'use_carrier', 'peer_notif_delay')
OTHERS = ('arp_ip_target', 'primary', 'ad_actor_system')
KEYS = tuple(sorted((*CHOICES, *NUMBERS, *OTHERS)))


def normalise(key: str, text: str):
    """The comparable value of `text` for option `key`; ValueError if the
    kernel would not accept it. Also reads sysfs values ('fast 1', '100')."""
    words = text.replace(',', ' ').split()
    if key == 'arp_ip_target':
        return frozenset(words)
    if not words:
        return '' if key == 'primary' else _invalid(key, text)
    word = words[0]
    if key in CHOICES:
        names = CHOICES[key]
        if word.isdigit() and int(word) < len(names):
            return names[int(word)]
        return word if word in names else _invalid(key, text)
    if key in NUMBERS:
        return int(word) if word.isdigit() else _invalid(key, text)
    return word.lower() if key == 'ad_actor_system' else word


def _invalid(key: str, text: str):
    hint = ' or '.join(CHOICES[key]) if key in CHOICES else 'a number' if key in NUMBERS else ''
    raise ValueError(f"invalid value '{text}' for {key}" + (f' ({hint})' if hint else ''))


def shown(value) -> str:
    if isinstance(value, frozenset):
        return ','.join(sorted(value)) or 'none'
    return str(value) if value != '' else 'none'


def judge(expected: dict, running: dict) -> list[Finding]:
    """`expected` {key: normalised value}; `running` {key: sysfs text or None}."""
    findings = []
    for key, want in expected.items():
        text = running.get(key)
        if text is None:
            findings.append(found('option-not-shown', f'{key} is not shown by this kernel '
                                                      '(sysfs): not compared'))
            continue
        try:
            have = normalise(key, text)
        except ValueError:
            have = text.strip()
        if have != want:
            findings.append(found('option-mismatch', f'{key} {shown(have)}, expected '
                                                     f'{shown(want)}'))
    return findings
