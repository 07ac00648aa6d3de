"""systemd's [Match] of a .network file (net_match_config in systemd 257, design
§4.4), for an interface the plugin knows by name and MAC address.

Name= takes fnmatch patterns; `!` before the first word turns the whole
assignment into exclusions; with only exclusions, anything else matches.
MACAddress= and PermanentMACAddress= take lists of addresses. Every key
accumulates over assignments, an empty one resets it; all the keys given
must match. A file with no key at all in [Match] matches nothing (networkd
ignores it and says so). The MAC an interface had when networkd matched it
at boot is the one the bonding driver keeps for a slave (perm_hwaddr), so
both MAC keys are compared with that. Keys that need udev or the host
(Driver=, Path=, Type=, Host=...) are not evaluated: such a file is taken as
not matching, and `undecided` says so.
"""
from __future__ import annotations

import fnmatch
from collections import namedtuple

from .model import mac

Match = namedtuple('Match', 'names macs permanent other')  # other: keys not evaluated


def parse(entries) -> Match:
    """The [Match] of a .network's entries [(section, key, value, line, file)]."""
    lists = {'Name': [], 'MACAddress': [], 'PermanentMACAddress': []}
    other = set()
    for section, key, value, *_ in entries:
        if section != 'Match':
            continue
        if key not in lists:
            other.add(key)
        elif not value.strip():
            lists[key] = []
        elif key == 'Name':
            invert = value.lstrip().startswith('!')
            words = value.strip().lstrip('!').split()
            lists[key] += ['!' + w if invert else w for w in words]
        else:
            lists[key] += [mac(m) or m.lower() for m in value.split()]
    return Match(tuple(lists['Name']), frozenset(lists['MACAddress']) or None,
                 frozenset(lists['PermanentMACAddress']) or None, frozenset(other))


def empty(match: Match) -> bool:
    return not (match.names or match.macs or match.permanent or match.other)


def matches(match: Match, name: str | None, address: str | None) -> bool:
    """Whether networkd gives the interface this file (unknown name or MAC: no)."""
    if empty(match) or match.other:
        return False
    for addresses in (match.macs, match.permanent):
        if addresses is not None and (address is None or address.lower() not in addresses):
            return False
    return _names(match.names, name)


def _names(patterns: tuple, name: str | None) -> bool:
    if not patterns:
        return True
    if name is None:
        return False
    positive = [p for p in patterns if not p.startswith('!')]
    if any(fnmatch.fnmatchcase(name, p[1:]) for p in patterns if p.startswith('!')):
        return False
    return not positive or any(fnmatch.fnmatchcase(name, p) for p in positive)


def first(networks: list, name: str | None, address: str | None):
    """(path, entries) of the first .network that takes the interface, or None."""
    for path, entries in networks:
        if matches(parse(entries), name, address):
            return path, entries
    return None


def undecided(networks: list) -> list:
    """Notes for .network files whose [Match] uses keys the plugin does not evaluate."""
    return [f'{path}: [Match] {", ".join(sorted(m.other))}= not evaluated (taken as not '
            'matching)' for path, m in ((p, parse(e)) for p, e in networks) if m.other]


def plain_names(match: Match) -> list:
    """The names a [Match] lists literally (no pattern, no exclusion)."""
    return [n for n in match.names if not n.startswith('!') and not any(c in n for c in '*?[')]
