"""--expect KEY=VALUE: the bond's running options against what the admin expects.

Every option the driver exposes in sysfs (/sys/class/net/<bond>/bonding/<key>)
can be expected, and ns_ip6_target, which only /proc shows. Values are read
the way the kernel reads them (bond_opt_parse() in bond_options.c): a word is
one of the option's table names ('fast', 'off', 'maxval', 'default'), digits
are a number that must be in the table or, where the table has a maxval, in
its range; nothing else is taken. The tables are Linux 6.1's (kernels before
differ only in the options they lack). arp_ip_target and ns_ip6_target are
sets of addresses, ad_actor_system a unicast MAC, primary a name. Pure
functions; system.py reads the running values.
"""
from __future__ import annotations

from collections import namedtuple

from .findings import Finding, found

MAX_TARGETS = 16  # BOND_MAX_ARP_TARGETS, BOND_MAX_NS_TARGETS

# An option's table: names -> numbers, in the kernel's order; `default`, the number the
# name 'default' stands for (None: the table flags none); `low`..`high`, the range a number
# may take where the table has a maxval (None: only the numbers of the table).
Table = namedtuple('Table', 'names default low high')
INT_MAX = 2 ** 31 - 1


def enum(*names, default=0):
    """A table of names numbered 0, 1, ...: no range, so other numbers are refused."""
    return Table({name: number for number, name in enumerate(names)}, default, None, None)


def numbers(low, high, default=None, **names):
    """A table with a range; the name "default" is not among `names` but given apart."""
    return Table(names, default, low, high)


INTMAX = numbers(0, INT_MAX, 0, off=0, maxval=INT_MAX)  # bond_intmax_tbl
OFF_ON = enum('off', 'on', default=1)
TABLES = {
    'ad_actor_sys_prio': numbers(1, 65535, 65535, minval=1, maxval=65535),
    'ad_select': enum('stable', 'bandwidth', 'count'),
    'ad_user_port_key': numbers(0, 1023, 0, minval=0, maxval=1023),
    'all_slaves_active': enum('off', 'on'),
    'arp_all_targets': enum('any', 'all'),
    'arp_interval': INTMAX,
    'arp_missed_max': numbers(1, 255, 2, minval=1, maxval=255),
    'arp_validate': enum('none', 'active', 'backup', 'all', 'filter', 'filter_active',
                         'filter_backup'),
    'downdelay': INTMAX,
    'fail_over_mac': enum('none', 'active', 'follow'),
    'lacp_active': OFF_ON,
    'lacp_rate': enum('slow', 'fast', default=None),
    'lp_interval': numbers(1, INT_MAX, 1, minval=1, maxval=INT_MAX),
    'miimon': INTMAX,
    'min_links': INTMAX,
    'num_grat_arp': numbers(0, 255, 1, off=0, maxval=255),
    'num_unsol_na': numbers(0, 255, 1, off=0, maxval=255),
    'packets_per_slave': numbers(0, 65535, 1, maxval=65535),
    'peer_notif_delay': numbers(0, 300000, None, off=0, maxval=300000),
    'primary_reselect': enum('always', 'better', 'failure'),
    'resend_igmp': numbers(0, 255, 1, off=0, maxval=255),
    'tlb_dynamic_lb': OFF_ON,
    'updelay': INTMAX,
    'use_carrier': OFF_ON,
    'xmit_hash_policy': enum('layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4',
                             'vlan+srcmac'),
}
# The enumerations: names by kernel number (drift/model.py reads them too).
CHOICES = {key: tuple(table.names) for key, table in TABLES.items() if table.high is None}
OTHERS = ('ad_actor_system', 'arp_ip_target', 'ns_ip6_target', 'primary')
KEYS = tuple(sorted((*TABLES, *OTHERS)))
# Shown by the kernel to CAP_NET_ADMIN only: others read an empty file.
ROOT_ONLY = ('ad_actor_sys_prio', 'ad_actor_system', 'ad_user_port_key')


def normalise(key: str, text: str):
    """The comparable value of `text` for option `key`: a table option's name
    where it is an enumeration, else its number; ValueError if the kernel would
    refuse it. Also reads sysfs values ('fast 1', '100')."""
    words = text.replace(',', ' ').split()
    if key in TABLES:
        return _table_value(key, TABLES[key], words[0] if words else '', text)
    if key in ('arp_ip_target', 'ns_ip6_target'):
        if len(words) > MAX_TARGETS:
            raise ValueError(f"invalid value '{text}' for {key} (at most {MAX_TARGETS} "
                             'addresses)')
        address = _ipv4 if key == 'arp_ip_target' else _ipv6
        return frozenset(address(word, text) for word in words)
    if key == 'ad_actor_system':
        return _unicast_mac(words[0] if words else '', text)
    return words[0] if words else ''  # primary: '' where there is none


def _table_value(key: str, table: Table, word: str, text: str):
    if word.isascii() and word.isdigit():
        number = int(word)
        if number not in table.names.values() and (
                table.high is None or not table.low <= number <= table.high):
            _invalid(key, text)
    elif word == 'default' and table.default is not None:
        number = table.default
    elif word in table.names:
        number = table.names[word]
    else:
        _invalid(key, text)
    if table.high is None:  # an enumeration: its name, as sysfs shows most of them
        return next(name for name, value in table.names.items() if value == number)
    return number


def _ipv4(word: str, text: str) -> str:
    """A target as in4_pton() reads it (decimal, leading zeros taken), refused
    as the driver refuses it: 0.0.0.0 and 255.255.255.255 (0.1.2.3 is taken)."""
    parts = word.split('.')
    if len(parts) == 4 and all(p.isascii() and p.isdigit() and int(p) <= 255 for p in parts):
        octets = [int(p) for p in parts]
        if octets not in ([0] * 4, [255] * 4):
            return '.'.join(map(str, octets))
    raise ValueError(f"invalid value '{text}' for arp_ip_target (IPv4 addresses, not 0.0.0.0 "
                     'nor 255.255.255.255)')


def _ipv6(word: str, text: str) -> str:
    """A target as in6_pton() reads it, refused as the driver refuses it: the
    unspecified, loopback and multicast addresses (and a zone: no %eth0)."""
    import ipaddress  # only where ns_ip6_target is expected
    try:
        address = ipaddress.IPv6Address(word if '%' not in word else '')
    except ValueError:
        address = None
    if address is None or address.is_unspecified or address.is_loopback or address.is_multicast:
        raise ValueError(f"invalid value '{text}' for ns_ip6_target (IPv6 addresses, not ::, ::1 "
                         'nor multicast)')
    return address.compressed


def _unicast_mac(word: str, text: str) -> str:
    parts = word.lower().split(':')
    if len(parts) != 6 or not all(len(p) == 2 and all(c in '0123456789abcdef' for c in p)
                                  for p in parts) or int(parts[0], 16) & 1:
        raise ValueError(f"invalid value '{text}' for ad_actor_system (a unicast MAC, "
                         'xx:xx:xx:xx:xx:xx)')
    return ':'.join(parts)


def allowed(key: str) -> str:
    """What the kernel takes for `key`, for a usage error."""
    table = TABLES[key]
    names = [*table.names, *(['default'] if table.default is not None else [])]
    if table.high is None:
        return f'one of {", ".join(names)}, or its number 0-{len(table.names) - 1}'
    return f'{table.low}..{table.high}, or one of {", ".join(names)}'


def _invalid(key: str, text: str):
    raise ValueError(f"invalid value '{text}' for {key} ({allowed(key)})")


def shown(value) -> str:
    if isinstance(value, frozenset):
        return ','.join(sorted(value)) or 'none'
    return str(value) if value != '' else 'none'


def judge(expected: dict, running: dict, elsewhere: str | None = None) -> list[Finding]:
    """`expected` {key: normalised value}; `running` {key: text or None};
    `elsewhere`: sysfs shows another interface (system.py), so no sysfs value is compared."""
    findings = []
    for key, want in expected.items():
        text = running.get(key)
        why = _not_shown(key, text, elsewhere)
        if why:
            findings.append(found('option-not-shown', why))
            continue
        try:
            have = normalise(key, text)
        except ValueError:
            have = text.strip()
        if have != want:
            findings.append(found('option-mismatch', f'{key} {shown(have)}, expected '
                                                     f'{shown(want)}'))
    return findings


def _not_shown(key: str, text: str | None, elsewhere: str | None) -> str | None:
    """Why the running value of `key` cannot be compared, or None."""
    if elsewhere and text is None and key != 'ns_ip6_target':
        return (f'{key} not compared: sysfs shows another interface of this name, and '
                '/proc does not show it')
    if text is None:
        where = ('/proc, only with ARP monitoring on Linux 6.0+' if key == 'ns_ip6_target'
                 else 'sysfs')
        return f'{key} is not shown by this kernel ({where}): not compared'
    if not text.strip() and key in ROOT_ONLY:  # what the kernel gives others: nothing
        return f'{key} is shown only to CAP_NET_ADMIN (root): not compared'
    return None
