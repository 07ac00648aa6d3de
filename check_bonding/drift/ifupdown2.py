"""ifupdown2 (Cumulus, Proxmox VE): the interfaces syntax, its own bond attributes (design §4.6).

bond-slaves (or bond-ports) may be `glob enp65s0f[0-1]` or `glob swp1-2`;
there are no arp_*, ad_select or fail_over_mac attributes; bond-lacp-rate
is dropped outside 802.3ad; bond-min-links is set in every mode. Absent
attributes take the policy defaults of policy.d/*.json. Mako templates are
on by default: a file with template syntax cannot be predicted.
"""
from __future__ import annotations

import json
import re

from . import ifupdown
from .model import Definition, Port, Setting, canonical

TOOL = 'ifupdown2'
POLICY_DIRS = ('/var/lib/ifupdown2/policy.d', '/etc/network/ifupdown2/policy.d')
ATTRIBUTES = {'mode': 'mode', 'miimon': 'miimon', 'updelay': 'updelay',
              'downdelay': 'downdelay', 'primary': 'primary',
              'primary_reselect': 'primary_reselect', 'lacp_rate': 'lacp_rate',
              'min_links': 'min_links', 'xmit_hash_policy': 'xmit_hash_policy'}
KNOWN = set(ATTRIBUTES) | {'slaves', 'ports', 'use_carrier', 'num_grat_arp',
                           'ad_actor_sys_prio', 'ad_actor_system', 'lacp_bypass_allow',
                           'master'}
_RANGE = re.compile(r'(.*?)\[(\d+)-(\d+)\](.*)|(.*?)(\d+)-(\d+)$')


def detected(tree) -> bool:
    return tree.is_dir('/usr/share/ifupdown2') or tree.exists(
        '/etc/network/ifupdown2/ifupdown2.conf')


def policy(tree) -> tuple:
    """({attribute: (value, file)} defaults, {bond: {attribute: (value, file)}})."""
    defaults, per_iface = {}, {}
    for directory in POLICY_DIRS:
        for name in tree.listdir(directory):
            if not name.endswith('.json'):
                continue
            path = f'{directory}/{name}'
            try:
                bond = json.loads(tree.text(path) or '{}').get('bond', {})
            except (ValueError, AttributeError, RecursionError):
                tree.notes.append(f'{path}: not valid JSON, ignored')
                continue
            if not isinstance(bond, dict):
                continue
            for key, value in (bond.get('defaults') or {}).items():
                defaults[_key(key)] = (str(value), path)
            for iface, values in (bond.get('iface_defaults') or {}).items():
                if isinstance(values, dict):
                    per_iface.setdefault(iface, {}).update(
                        {_key(k): (str(v), path) for k, v in values.items()})
    return defaults, per_iface


def _key(name: str) -> str:
    name = name.lower().replace('-', '_')
    return name[5:] if name.startswith('bond_') else name


def expand_slaves(words: list) -> list:
    """`glob swp1-2`, `glob enp65s0f[0-1]`; `regex` cannot be expanded from files."""
    names, mode = [], None
    for word in words:
        if word in ('glob', 'regex'):
            mode = word
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


def lacp_rate(value: str) -> str:
    return 'fast' if value.strip().lower() in ('1', 'fast', 'on', 'yes') else 'slow'


def definitions(tree, interfaces, modprobe_defaults: dict) -> list:
    defaults, per_iface = policy(tree)
    templates = [s.path for s in interfaces.stanzas.values()
                 if any('${' in v or '%' in v for vs in s.options.values() for v, *_ in vs)]
    for path in dict.fromkeys(templates):
        tree.notes.append(f'{path}: template syntax (mako), not evaluated')
    result = []
    for name in ifupdown.bond_names(interfaces):
        stanza = interfaces.stanzas[name]
        given = {k[5:]: v[0] for k, v in stanza.options.items() if k.startswith('bond_')}
        notes, explain = [], {}
        for key in given:
            if key not in KNOWN:
                notes.append(f'{stanza.path}: bond-{key.replace("_", "-")} is not an ifupdown2 '
                             'attribute, ignored')
        listed = given.get('slaves') or given.get('ports')
        slaves = expand_slaves(listed[0].split()) if listed else []
        options = dict(modprobe_defaults)
        policy_values = {**defaults, **per_iface.get(name, {})}
        for key, option in ATTRIBUTES.items():
            if key in given:
                value, line, path = given[key]
            elif key in policy_values:
                value, path = policy_values[key]
                line = None
                explain[option] = f'ifupdown2 policy default in {path}'
            else:
                continue
            value = value.split('\n')[0].split()[0] if key == 'primary' and value.split() \
                else value
            converted = lacp_rate(value) if key == 'lacp_rate' else canonical(option, value)
            if converted is None:
                notes.append(f'{path}: invalid bond-{key.replace("_", "-")} "{value}", ignored')
                continue
            options[option] = Setting(converted, path, line)
        mode = options.get('mode')
        if 'lacp_rate' in options and (mode is None or mode.value != '802.3ad'):
            del options['lacp_rate']
        members = ifupdown.members(interfaces, name, slaves)
        boot = None if ifupdown.at_boot(interfaces, name, members) else \
            f'neither {name} nor a member is marked auto or allow-hotplug in {stanza.path}'
        ports = tuple(Port(s, None, stanza.path, listed[1] if listed else None)
                      for s in members)
        result.append(Definition(name, TOOL, 'ifupdown', stanza.path, options, ports, boot,
                                 tuple(notes), explain, (), None, stanza.line))
    return result
