"""What netplan 1.1 refuses in a bond (parse.c; design §4.3), so that it generates
nothing.

A mode other than its names (`mode: 1` included), a lacp-rate other than
slow/fast, an ARP target that is not an IPv4 address, a count that is not an
unsigned integer, a flag that is not a boolean, a parameter it does not
know, a member or primary that is not defined, two different primaries: each
is an error of the whole run, checked against `netplan generate`
(tests/oracle/netplan.py). Each text names the file whose value is refused.
"""
from __future__ import annotations

import re

MODES = ('balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb',
         'balance-alb', 'balance-tcp', 'balance-slb')  # the last two: Open vSwitch only
STRINGS = ('mii-monitor-interval', 'transmit-hash-policy', 'ad-select', 'arp-interval',
           'arp-validate', 'arp-all-targets', 'up-delay', 'down-delay', 'fail-over-mac-policy',
           'primary-reselect-policy', 'learn-packet-interval', 'primary')
COUNTS = ('min-links', 'gratuitous-arp', 'gratuitious-arp', 'packets-per-slave',
          'packets-per-member', 'resend-igmp')
FLAGS = ('all-slaves-active', 'all-members-active')
BOOLEANS = ('true', 'false', 'yes', 'no', 'on', 'off', 'y', 'n')
_IPV4 = re.compile(r'(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}')


def rejections(network: dict, origin: dict, primaries: dict) -> list:
    """Why netplan generates nothing: ['netplan rejects mode 1 in /etc/netplan/x.yaml']."""
    defined = {ident for devices in network.values() if isinstance(devices, dict)
               for ident in devices}
    bonds = network.get('bonds') if isinstance(network.get('bonds'), dict) else {}
    found = []
    for name, bond in bonds.items():
        if not isinstance(bond, dict):
            continue
        params = bond.get('parameters') if isinstance(bond.get('parameters'), dict) else {}
        for key, value in params.items():
            why = refused(key, value)
            if why:
                found.append(f'netplan rejects {why} in {origin.get((name, key))}')
        members = bond.get('interfaces') if isinstance(bond.get('interfaces'), list) else []
        for member in members + ([params['primary']] if 'primary' in params else []):
            if member not in defined:
                found.append(f"netplan rejects undefined interface '{member}' of {name} in "
                             f'{origin.get((name, None))}')
        if len(primaries.get(name, {})) > 1:
            (first, _), (second, where) = list(primaries[name].items())[:2]
            found.append(f'netplan rejects a second primary {second} for {name} in {where} '
                         f'({first} already)')
    return found


def refused(key: str, value) -> str | None:
    """The refused `key value`, or None."""
    if key == 'arp-ip-targets':
        if not isinstance(value, list):
            return f'arp-ip-targets {value} (not a list)'
        bad = [str(v) for v in value if not isinstance(v, str) or not _IPV4.fullmatch(v)]
        return f'arp-ip-targets {bad[0]}' if bad else None
    if not isinstance(value, str):
        return f'{key} (not a scalar)'
    if key == 'mode':
        return None if value in MODES else f'mode {value}'
    if key == 'lacp-rate':
        return None if value in ('slow', 'fast') else f'lacp-rate {value}'
    if key in COUNTS:
        return None if value.isdigit() and int(value) < 2 ** 32 else f'{key} {value}'
    if key in FLAGS:
        return None if value.lower() in BOOLEANS else f'{key} {value}'
    return None if key in STRINGS else f'unknown key {key}'
