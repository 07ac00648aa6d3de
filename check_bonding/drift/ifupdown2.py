"""ifupdown2 3.0 (Cumulus, Proxmox VE): the interfaces syntax, its own bond rules (design §4.6).

From ifupdown2's addons/bond.py and ifupdown/policymanager.py, checked
against `ifup -a --no-act` (tests/oracle/ifupdown2.py). Attribute names fold
`_` to `-` only (Bond-Mode is not bond-mode); the first value counts. Members
come only from the bond's bond-slaves (bond-ports): no bond-master on the
members, and `none` is a port of that name. A value is lower-cased, then
looked up: modes by name or number, hash policies by name or number 0-4,
primary_reselect by name only (a number is refused and skipped), lacp-rate as
a boolean (fast/on/yes/1, anything else slow); numbers go through Python's
int(), and a value it refuses (or a policy value that is not a string) stops
the bond from being made at all, as does a bond-primary that is no interface
(here: not a member, not in /sys/class/net). An attribute the stanza does
not set comes from policy.d (/etc before /var/lib, per interface before the
defaults). lacp-rate is sent
only when the mode it is given is 802.3ad; updelay/downdelay not with
miimon 0. Mako templates are on by default: template syntax is not evaluated.
"""
from __future__ import annotations

import json
import re

from . import ifupdown
from .model import NAMED, Definition, Port, Setting

TOOL = 'ifupdown2'
POLICY_DIRS = ('/etc/network/ifupdown2/policy.d', '/var/lib/ifupdown2/policy.d')  # user first
BINARIES = ('/usr/sbin/ifreload', '/sbin/ifreload')  # only ifupdown2 has it
MODES = NAMED['mode']  # the kernel's
HASHES = ('layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4')
TABLES = {'mode': MODES, 'xmit_hash_policy': HASHES}
ATTRIBUTES = {'bond-mode': 'mode', 'bond-xmit-hash-policy': 'xmit_hash_policy',
              'bond-miimon': 'miimon', 'bond-min-links': 'min_links', 'bond-updelay': 'updelay',
              'bond-downdelay': 'downdelay', 'bond-lacp-rate': 'lacp_rate',
              'bond-primary-reselect': 'primary_reselect', 'bond-primary': 'primary'}
FAST = ('on', 'yes', '1', 'fast')
_RANGE = re.compile(r'(.*?)\[(\d+)-(\d+)\](.*)|(.*?)(\d+)-(\d+)$')


class NotMade(ValueError):
    """ifupdown2 stops before it makes the bond; the text says why."""


def detected(tree) -> bool:
    """ifupdown2 rather than ifupdown: its ifreload, or its code, is installed."""
    return any(tree.exists(path) for path in BINARIES) or tree.is_dir('/usr/share/ifupdown2')


def fold(key: str) -> str:
    return key.replace('_', '-')


def policy(tree) -> list:
    """[(the 'bond' module's policy, file)] in lookup order: /etc's, then /var/lib's.
    Within a directory a later file's 'defaults' or 'iface_defaults' replaces an
    earlier one's, as ifupdown2 merges them."""
    found = []
    for directory in POLICY_DIRS:
        merged, where = {}, {}
        for name in (n for n in tree.listdir(directory) if n.endswith('.json')):
            path = f'{directory}/{name}'
            try:
                module = json.loads(tree.text(path) or '{}').get('bond')
            except (ValueError, AttributeError, RecursionError):
                tree.notes.append(f'{path}: not valid JSON, ignored by ifupdown2')
                continue
            if isinstance(module, dict):
                merged.update(module)
                where.update({key: path for key in module})
        found.append((merged, where))
    return found


def policy_value(policies: list, bond: str, attribute: str):
    """(value, file) of the first policy that sets the attribute for this bond, or None."""
    for module, where in policies:
        for key, scope in (('iface_defaults', (module.get('iface_defaults') or {}).get(bond)),
                           ('defaults', module.get('defaults'))):
            if isinstance(scope, dict) and attribute in scope:
                return scope[attribute], where[key]
    return None


def convert(attribute: str, value: str):
    """The kernel value ifupdown2 sends for a user value, None where it skips the
    value as invalid; raises NotMade where the bond is not made at all."""
    if not isinstance(value, str):
        raise NotMade(f'{attribute} {value!r} in the policy is not a string')
    value, option = value.lower(), ATTRIBUTES[attribute]
    if option in TABLES:
        names = TABLES[option]
        return names[int(value)] if value in map(str, range(len(names))) else \
            value if value in names else None
    if option == 'lacp_rate':
        return 'fast' if value in FAST else 'slow'
    if option == 'primary_reselect':
        return value if value in ('always', 'better', 'failure') else None
    if option == 'primary':
        if not value or any(c.isspace() for c in value):
            raise NotMade(f'bond-primary "{value}" is no interface')
        return value
    try:
        return int(value)
    except ValueError:
        raise NotMade(f'{attribute} {value}: not a number') from None


def expand_slaves(words: list) -> list:
    """`glob swp1-2`, `glob enp65s0f[0-1]`; `regex` cannot be expanded from files."""
    names, mode = [], None
    for word in words:
        if word in ('glob', 'regex', 'noglob', 'noregex'):
            mode = word if word in ('glob', 'regex') else None
            continue
        match = _RANGE.fullmatch(word) if mode == 'glob' else None
        if match and match.group(2) is not None:
            head, low, high, tail = match.group(1), match.group(2), match.group(3), match.group(4)
        elif match:
            head, low, high, tail = match.group(5), match.group(6), match.group(7), ''
        else:
            if mode != 'regex':
                names.append(word)
            mode = None
            continue
        names += [f'{head}{i}{tail}' for i in range(int(low), min(int(high), int(low) + 255) + 1)]
        mode = None
    return names


def bond_names(interfaces) -> list:
    return [name for name, stanza in interfaces.stanzas.items()
            if {'bond-slaves', 'bond-ports'} & set(ifupdown.folded(stanza, fold))]


def definitions(tree, interfaces, modprobe_defaults: dict) -> list:
    policies = policy(tree)
    for path in dict.fromkeys(s.path for s in interfaces.stanzas.values() if any(
            '${' in v or '<%' in v for vs in s.options.values() for v, *_ in vs)):
        tree.notes.append(f'{path}: template syntax (mako), not evaluated')
    return [_definition(tree, interfaces, name, modprobe_defaults, policies)
            for name in bond_names(interfaces)]


def _definition(tree, interfaces, name, modprobe_defaults, policies) -> Definition:
    stanza = interfaces.stanzas[name]
    given = {key: values[0] for key, values in ifupdown.folded(stanza, fold).items()}
    listed = given.get('bond-slaves') or given.get('bond-ports')
    slaves = expand_slaves(listed[0].replace('$IFACE', name).split())
    ports = tuple(Port(s, None, listed[2], listed[1]) for s in slaves)
    boot = None if ifupdown.at_boot(interfaces, name, slaves) else \
        f'neither {name} nor a member is marked auto or allow-hotplug in {stanza.path}'
    options, explain, notes = dict(modprobe_defaults), {}, []
    try:
        sent = _attributes(name, given, policies, explain, notes)
        primary = sent.get('primary')
        if primary and primary.value not in slaves and \
                not tree.lexists(f'/sys/class/net/{primary.value}'):
            raise NotMade(f'bond-primary {primary.value} is no interface here')
    except NotMade as why:
        sent, boot = {}, boot or f'ifupdown2 does not make {name}: {why}'
    options.update(sent)
    explain.update({f'slave:{s}': f'bond-master in {o.path}: ifupdown2 takes members only '
                                  'from bond-slaves' for s, o in interfaces.stanzas.items()
                    if s not in slaves and ifupdown.option(o, 'bond_master')})
    return Definition(name, TOOL, 'ifupdown', stanza.path, options, ports, boot, tuple(notes),
                      explain, (), None, stanza.line)


def _attributes(name, given, policies, explain, notes) -> dict:
    """{option: Setting} ifupdown2 sends when it makes the bond."""
    sent = {}
    for attribute, option in ATTRIBUTES.items():
        if attribute in given and given[attribute][0]:
            value, line, path = given[attribute]
            value = value.replace('$IFACE', name)
        elif (policy := policy_value(policies, name, attribute)) is not None:
            (value, path), line = policy, None
            explain[option] = f'ifupdown2 policy default in {path}'
        else:
            continue
        converted = convert(attribute, value)
        if converted is None:
            notes.append(f'{path}: invalid {attribute} "{value}", ignored by ifupdown2')
            continue
        sent[option] = Setting(converted, path, line)
    if 'lacp_rate' in sent and (sent.get('mode') or Setting(None, '', None)).value != '802.3ad':
        del sent['lacp_rate']
    if 'miimon' in sent and sent['miimon'].value == 0:
        sent.pop('updelay', None)
        sent.pop('downdelay', None)
    return sent
