"""What a configuration predicts for a bond, in the kernel's terms (design §3).

A source module turns its files into Definitions: per bond the options the
tool will set at boot (normalised to the kernel's names and integer ms),
where each comes from, the ports it will enslave, and whether it comes up
at boot at all. Pure records and conversions, no I/O.
"""
from __future__ import annotations

import ipaddress
import re
from collections import namedtuple

from ..expect import CHOICES
from ..parse import ACTIVE_SLAVE_MODES, MODES

NAMED = {  # option -> names by kernel number (the kernel's tables: parse.py, expect.py)
    'mode': MODES,
    **{option: CHOICES[option] for option in ('lacp_rate', 'xmit_hash_policy', 'ad_select',
                                              'fail_over_mac', 'primary_reselect',
                                              'arp_validate')},
}
NUMBERS = ('miimon', 'updelay', 'downdelay', 'arp_interval', 'min_links')
# Compared, in the order findings list them (design §1).
COMPARED = ('mode', 'primary', 'primary_reselect', 'miimon', 'updelay', 'downdelay',
            'arp_interval', 'arp_ip_target', 'ns_ip6_target', 'lacp_rate', 'xmit_hash_policy',
            'ad_select', 'min_links', 'fail_over_mac')
ACTIVE_SLAVE = ACTIVE_SLAVE_MODES
APPLIES = {  # option -> the modes it is compared in (design §6); others: every mode
    'primary': ACTIVE_SLAVE,
    'lacp_rate': ('802.3ad',), 'ad_select': ('802.3ad',), 'min_links': ('802.3ad',),
    'xmit_hash_policy': ('balance-xor', '802.3ad', 'balance-tlb', 'balance-alb'),
    'fail_over_mac': ('active-backup',),
}
# What Linux 6.1 starts a bond with (miimon: see kernel_miimon_default).
KERNEL_DEFAULTS = {'mode': 'balance-rr', 'miimon': 0, 'updelay': 0, 'downdelay': 0,
                   'arp_interval': 0, 'arp_ip_target': (), 'primary': '',
                   'primary_reselect': 'always', 'lacp_rate': 'slow', 'xmit_hash_policy': 'layer2',
                   'ad_select': 'stable', 'min_links': 0, 'fail_over_mac': 'none'}
# Every option name the kernel's bonding driver knows (module parameters and sysfs).
KERNEL_OPTIONS = frozenset(NAMED) | frozenset(NUMBERS) | {
    'primary', 'arp_ip_target', 'ns_ip6_target', 'arp_all_targets', 'use_carrier',
    'num_grat_arp', 'num_unsol_na', 'resend_igmp', 'all_slaves_active', 'packets_per_slave',
    'tlb_dynamic_lb', 'lp_interval', 'max_bonds', 'active_slave', 'ad_actor_sys_prio',
    'ad_actor_system', 'ad_user_port_key', 'peer_notif_delay', 'arp_missed_max',
    'lacp_active', 'coupled_control', 'missed_max'}

Setting = namedtuple('Setting', 'value file line')
# A configured slave: its name, or only the MAC a rule matches (name None); `pin`
# names the key that pins the MAC ('HWADDR') where the NIC is pinned as well as named.
Port = namedtuple('Port', 'name mac file line pin', defaults=(None, None, None, None))


class Definition(namedtuple('Definition', 'bond tool manager file options ports boot notes '
                                          'explain problems choice line resolve',
                            defaults=(None, None, (), {}, (), None, None, None))):
    """One tool's prediction for one bond.

    options: {option: Setting}, only what the tool will set (absent = not
    configured); ports: tuple of Port, or None where the tool does not say
    (module-created bonds); boot: None, or why the bond will not come up at
    boot; explain: {option: why the tool sets another value than the file
    says}; problems: ((finding name, text), ...) seen in the configuration
    alone; choice: why this definition won over others of the same tool;
    resolve: None, or a function (definition, running bond) -> definition for
    tools that pick members by matching the interfaces present (networkd).
    """
    __slots__ = ()


def canonical(option: str, value, numbers: bool = True):
    """The kernel's name of an enumerated value (names, or numbers where the
    tool accepts them), the int of a numeric one; None where invalid."""
    text = str(value).strip()
    if option in NAMED:
        names = NAMED[option]
        if numbers and text.isdigit() and int(text) < len(names):
            return names[int(text)]
        return text if text in names else None
    if option in NUMBERS:
        return int(text) if text.isdigit() and len(text) < 10 else None
    if option == 'arp_ip_target':
        return targets(text)
    if option == 'ns_ip6_target':
        return targets6(text)
    return text or None


def targets(text: str) -> tuple:
    """'10.0.0.1,10.0.0.2' or space separated, '+' prefixes dropped; order kept."""
    return tuple(dict.fromkeys(t.lstrip('+') for t in re.split(r'[\s,]+', text)
                               if t.lstrip('+')))


def ipv6(text: str) -> str | None:
    """An IPv6 address as the kernel prints it (compressed, lower case), or None."""
    try:
        return str(ipaddress.IPv6Address(text.strip())) if '%' not in text else None
    except ValueError:
        return None


def targets6(text: str) -> tuple:
    """IPv6 targets ('fd00::1,fd00::2' or space separated), compressed; order kept.
    Words that are no IPv6 address stay as written (they compare unequal)."""
    return tuple(dict.fromkeys(ipv6(t) or t for t in re.split(r'[\s,]+', text) if t))


def applies(option: str, mode: str | None) -> bool:
    return mode is None or option not in APPLIES or mode in APPLIES[option]


def kernel_miimon_default(mode: str | None) -> int:
    """Linux 6.1 starts 802.3ad, balance-tlb and balance-alb bonds with miimon 100."""
    return 100 if mode in ('802.3ad', 'balance-tlb', 'balance-alb') else 0


# systemd time spans: a bare number is seconds; units combine ("1min 40s").
SPAN_UNITS = {'us': 0.001, 'usec': 0.001, '\u00b5s': 0.001, '\u03bcs': 0.001, 'ms': 1,
              'msec': 1, 's': 1000, 'sec': 1000, 'second': 1000, 'seconds': 1000, 'm': 60000,
              'min': 60000, 'minute': 60000, 'minutes': 60000, 'h': 3600000, 'hr': 3600000,
              'hour': 3600000, 'hours': 3600000, 'd': 86400000, 'day': 86400000,
              'days': 86400000, 'w': 604800000, 'week': 604800000, 'weeks': 604800000,
              'M': 2629800000, 'month': 2629800000, 'months': 2629800000, 'y': 31557600000,
              'year': 31557600000, 'years': 31557600000}
INFINITY_MS = (2 ** 64 - 1) // 1000  # USEC_INFINITY, as systemd-analyze prints it
_SPAN = re.compile(r'\s*(\d+(?:\.\d+)?)\s*([a-zA-Z\u00b5\u03bc]*)')


def timespan_ms(text: str, bare_unit: float = 1000) -> int | None:
    """Milliseconds of a systemd time span ('100ms', '1min 40s', '2'); None if invalid."""
    text = text.strip()
    if text == 'infinity':
        return INFINITY_MS
    if not text or len(text) > 64:
        return None
    total, pos = 0.0, 0
    while pos < len(text):
        match = _SPAN.match(text, pos)
        if not match or match.end() == pos:
            return None
        number, unit = match.groups()
        if unit and unit not in SPAN_UNITS:
            return None
        total += float(number) * (SPAN_UNITS[unit] if unit else bare_unit)
        pos = match.end()
    return int(total)


def ipv4(text: str) -> bool:
    """A dotted-quad IPv4 address (the kernel's and NM's reading of a target)."""
    parts = text.strip().split('.')
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def mac(text) -> str | None:
    """A MAC address, lower case, or None."""
    text = str(text or '').strip().lower()
    return text if re.fullmatch(r'[0-9a-f]{2}(:[0-9a-f]{2}){5}', text) else None


def kernel_options(text: str, where, line: int | None, options: dict,
                   accumulate_targets: bool = True) -> list[str]:
    """Parse 'mode=1 miimon=100 arp_ip_target=+a' (BONDING_OPTS, module options)
    into `options` {name: Setting}; returns notes on what was not understood."""
    notes = []
    for item in text.split():
        key, eq, value = item.partition('=')
        if not eq or key not in KERNEL_OPTIONS:
            notes.append(f'{where}: "{item}" is not a bonding option, ignored')
            continue
        if key == 'arp_ip_target':
            old = options.get(key)
            new = targets(value)
            if accumulate_targets and old is not None and value.startswith('+'):
                new = tuple(dict.fromkeys(old.value + new))
            options[key] = Setting(new, where, line)
            continue
        converted = canonical(key, value)
        if converted is None:
            if key in NAMED or key in NUMBERS:
                notes.append(f'{where}: invalid {key} "{value}", ignored')
                continue
        options[key] = Setting(converted, where, line)
    return notes
