"""[BOND=]VALUE option values: -p, --slaves, --min-speed (one value each) and
--expect, --state ([BOND=]KEY=VALUE), for every bond or, with BOND=, for one.

Each reader returns {'' or bond: value}; BOND= must name a bond that is
checked (not excluded, and among -b where -b is given). Usage errors raise
UsageError (options.py exits UNKNOWN with its text).
"""
from __future__ import annotations

from .ifname import is_ovs, valid_bond_name, valid_ifname

# Options about facts only the bonding driver shows, and why an OVS bond cannot have them
KERNEL_ONLY = {'--expect': 'no bonding options in sysfs',
               '--min-speed': 'no member speed shown by ovs-vswitchd'}


class UsageError(Exception):
    pass


def interfaces(text: str) -> tuple:
    """'eth0,eth1' as names (-p, --slaves)."""
    names = tuple(text.split(','))
    if not all(valid_ifname(n) and '=' not in n for n in names):
        raise ValueError
    return names


def mbps(text: str) -> int:
    """--min-speed: Mb/s."""
    if not text.isdigit() or int(text) == 0:
        raise ValueError
    return int(text)


def split_bond(value: str, option: str, parts: int, bonds, excluded) -> tuple:
    """(bond or '', rest) of '[BOND=]rest' where rest has `parts` '='-separated parts."""
    fields = value.split('=')
    if len(fields) not in (parts, parts + 1):
        raise ValueError
    bond, rest = ('', value) if len(fields) == parts else (fields[0], '='.join(fields[1:]))
    if len(fields) > parts and not valid_bond_name(bond):
        raise ValueError
    if bond and (bonds and bond not in bonds or bond in excluded):
        raise UsageError(f"{option} '{value}' names {bond}, which is not checked")
    return bond, rest


def per_bond(values, option, bonds, excluded, convert=interfaces,
             form='IFACE[,IFACE...]') -> dict:
    """{'': default, 'bond0': value, ...} from [BOND=]VALUE values."""
    result = {}
    for value in values:
        try:
            bond, text = split_bond(value, option, 1, bonds, excluded)
            converted = convert(text)
        except ValueError:
            raise UsageError(f"invalid {option} '{value}' (expected [BOND=]{form})") from None
        if bond in result:
            raise UsageError(f'{option} given twice for {bond or "all bonds"}')
        result[bond] = converted
    return result


def min_speeds(values, bonds, excluded, kind=None) -> dict:
    """--min-speed: {'' or bond: Mb/s}."""
    kernel_only(values, '--min-speed', 1, bonds, kind)
    return per_bond(values, '--min-speed', bonds, excluded, mbps, 'MBPS')


def kernel_only(values, option: str, parts: int, bonds, kind) -> None:
    """--expect, --min-speed naming only Open vSwitch bonds (BOND=ovs:NAME, or the
    plain form where only those are checked: --kind ovs, -b ovs:NAME) would pass
    without a comparison: a usage error. The plain form beside kernel bonds is an
    OK note on the OVS ones (ovs/rules.py)."""
    only_ovs = kind == 'ovs' or bool(bonds) and all(is_ovs(bond) for bond in bonds)
    for value in values:
        fields = value.split('=')
        bond = fields[0] if len(fields) > parts else ''
        if is_ovs(bond) or (not bond and only_ovs):
            what = f'{bond} is an Open vSwitch bond' if bond else \
                'only Open vSwitch bonds are checked'
            raise UsageError(f'{option} {value}: {what} ({KERNEL_ONLY[option]}); {option} is '
                             'for kernel bonds')


def bond_pairs(values, option, bonds, excluded, form) -> list:
    """[(bond or '', key, value)] of [BOND=]KEY=VALUE values, each key once a bond."""
    pairs, seen = [], set()
    for value in values:
        try:
            bond, pair = split_bond(value, option, 2, bonds, excluded)
        except ValueError:
            raise UsageError(f"invalid {option} '{value}' (expected [BOND=]{form})") from None
        key, _, text = pair.partition('=')
        if (bond, key) in seen:
            raise UsageError(f'{option} {key} given twice for {bond or "all bonds"}')
        seen.add((bond, key))
        pairs.append((bond, key, text))
    return pairs


def expected_options(values, bonds, excluded, kind=None) -> dict:
    """--expect: {'' or bond: {key: normalised value}}."""
    if not values:
        return {}
    kernel_only(values, '--expect', 2, bonds, kind)
    from .expect import KEYS, normalise
    result: dict = {}
    for bond, key, text in bond_pairs(values, '--expect', bonds, excluded, 'KEY=VALUE'):
        if key not in KEYS:
            raise UsageError(f"unknown --expect key '{key}' (one of {', '.join(KEYS)})")
        try:
            result.setdefault(bond, {})[key] = normalise(key, text)
        except ValueError as err:
            raise UsageError(f'--expect: {err}') from None
    return result


def finding_states(values, bonds, excluded) -> dict:
    """--state: {('' or bond, finding name): nagiosplugin state}."""
    if not values:
        return {}
    from .findings import FINDINGS, RUN_FINDINGS, STATES
    result = {}
    for bond, name, state in bond_pairs(values, '--state', bonds, excluded, 'NAME=STATE'):
        if name not in FINDINGS:
            raise UsageError(f"unknown finding '{name}' for --state (one of "
                             f"{', '.join(FINDINGS)}; see --list-findings)")
        if bond and name in RUN_FINDINGS:
            raise UsageError(f"--state {bond}={name}={state}: {name} is about the run, not one "
                             f"bond (--state {name}={state})")
        if state.lower() not in STATES:
            raise UsageError(f"invalid state '{state}' for --state {name} "
                             f"({', '.join(STATES)})")
        result[bond, name] = STATES[state.lower()]
    return result
