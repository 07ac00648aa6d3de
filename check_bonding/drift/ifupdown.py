"""Debian ifupdown with ifenslave 2.13 (design §4.5); the file syntax ifupdown2 shares.

/etc/network/interfaces with `source` (globs, relative to the file) and
`source-directory` (only names of [a-zA-Z0-9_-]). Option names are kept as
written; ifupdown folds `-` to `_` and case (bond-miimon = BOND_MIIMON, the
variable ifenslave reads); a repeated option in a stanza is joined with a
newline, of which the kernel takes the first line. ifenslave
never applies bond-min-links or bond-all-slaves-active, and sets miimon after
arp_interval, so MII monitoring wins. Bonds are created with `ip link add`:
module options are their defaults.
"""
from __future__ import annotations

import fnmatch
import posixpath
import re
from collections import namedtuple

from .model import Definition, Port, Setting, canonical, targets

MAIN = '/etc/network/interfaces'
MAX_DEPTH = 8
TOOL = 'ifupdown (ifenslave)'
_DIRECTORY_NAME = re.compile(r'[a-zA-Z0-9_-]+')
# bond-<x> options ifenslave 2.13 writes to sysfs, as kernel option names
APPLIED = ('fail_over_mac', 'use_carrier', 'num_grat_arp', 'num_unsol_na', 'arp_ip_target',
           'arp_interval', 'miimon', 'downdelay', 'updelay', 'ad_select', 'mode',
           'xmit_hash_policy', 'tlb_dynamic_lb', 'packets_per_slave', 'arp_validate',
           'lacp_rate', 'active_slave', 'primary', 'primary_reselect')
NOT_APPLIED = ('min_links', 'all_slaves_active')

Directive = namedtuple('Directive', 'verb args line')
Stanza = namedtuple('Stanza', 'name path line options')  # options: {key: [(value, line, path)]}


def fold(key: str) -> str:
    """ifupdown's option name: the environment variable IF_<NAME>, in lower case."""
    return key.lower().replace('-', '_')


def folded(stanza: Stanza, how=fold) -> dict:
    """{folded key: [(value, line, path)]}: the options as one tool names them."""
    found: dict = {}
    for key, values in stanza.options.items():
        found.setdefault(how(key), []).extend(values)
    return found
Interfaces = namedtuple('Interfaces', 'stanzas auto hotplug notes')


def parse(text: str) -> list:
    """Directives of one interfaces file, options as ('option', [key, value])."""
    result, pending, start = [], '', 0
    for number, raw in enumerate(text.split('\n'), 1):
        line = raw.strip()
        if not pending:
            start = number
            if not line or line.startswith('#'):
                continue
        if line.endswith('\\'):
            pending += line[:-1] + ' '
            continue
        line, pending = pending + line, ''
        words = line.split()
        if not words:
            continue
        verb = words[0]
        if verb in ('iface', 'mapping', 'auto', 'source', 'source-directory', 'rename') or \
                verb.startswith('allow-') or verb in ('no-auto-down', 'no-scripts'):
            result.append(Directive(verb, words[1:], start))
        else:
            result.append(Directive('option', [verb, ' '.join(words[1:])], start))
    return result


def read(tree) -> Interfaces:
    """Every stanza reachable from /etc/network/interfaces, sources expanded in the root."""
    reader = _Reader(tree)
    reader.load(MAIN, 0)
    for stanza in reader.stanzas.values():
        for key, values in folded(stanza).items():
            if len(values) > 1 and key.startswith('bond'):
                reader.notes.append(f'{stanza.path}: {key} given {len(values)} times in '
                                    f'{stanza.name} ({", ".join(v for v, *_ in values)}): '
                                    'ifupdown joins them, the kernel takes the first')
    return Interfaces(reader.stanzas, reader.auto, reader.hotplug, reader.notes)


class _Reader:
    def __init__(self, tree):
        self.tree = tree
        self.stanzas, self.auto, self.hotplug, self.notes, self.done = {}, set(), set(), [], set()

    def load(self, path: str, depth: int) -> None:
        if path in self.done or depth > MAX_DEPTH:
            self.notes.append(f'{path}: sourced again (a source loop), skipped' if path in
                              self.done else f'{path}: sourced over {MAX_DEPTH} levels deep')
            return
        self.done.add(path)
        current = None
        for d in parse(self.tree.text(path) or ''):
            if d.verb == 'iface' and d.args:
                current = self.stanzas.setdefault(d.args[0], Stanza(d.args[0], path, d.line, {}))
            elif d.verb == 'option':
                if current is not None:
                    current.options.setdefault(d.args[0], []).append((d.args[1], d.line, path))
            else:
                current = None if d.verb == 'mapping' else current
                self.directive(d, path, depth)

    def directive(self, d: Directive, path: str, depth: int) -> None:
        here = posixpath.dirname(path)
        if d.verb in ('auto', 'allow-auto'):
            self.auto.update(d.args)
        elif d.verb.startswith('allow-'):
            self.hotplug.update(d.args)
        elif d.verb == 'source' and d.args:
            for name in expand(self.tree, posixpath.join(here, d.args[0])):
                self.load(name, depth + 1)
        elif d.verb == 'source-directory' and d.args:
            directory = posixpath.join(here, d.args[0]).rstrip('/')
            for name in self.tree.listdir(directory):
                if _DIRECTORY_NAME.fullmatch(name):
                    self.load(f'{directory}/{name}', depth + 1)


def expand(tree, pattern: str) -> list:
    """Files matching a glob, inside the root; the glob only in the last component."""
    directory, base = posixpath.split(pattern)
    if not any(c in base for c in '*?['):
        return [pattern]
    return [f'{directory.rstrip("/")}/{n}' for n in tree.listdir(directory)
            if fnmatch.fnmatchcase(n, base) and not n.startswith('.')]


def option(stanza: Stanza, key: str):
    """(first value, line, path) of a bond option (folded name), or None."""
    values = folded(stanza).get(key)
    return values[0] if values else None


def members(interfaces: Interfaces, bond: str, listed: list) -> list:
    """Slave names: the bond's list plus stanzas with bond-master <bond>."""
    names = [n for n in listed if n != 'none']
    for stanza in interfaces.stanzas.values():
        master = option(stanza, 'bond_master')
        if master and master[0].split()[:1] == [bond] and stanza.name not in names:
            names.append(stanza.name)
    return names


def at_boot(interfaces: Interfaces, bond: str, slaves: list) -> bool:
    started = interfaces.auto | interfaces.hotplug
    return bond in started or any(s in started for s in slaves)


def bond_names(interfaces: Interfaces) -> list:
    return [name for name, stanza in interfaces.stanzas.items()
            if any(k.startswith('bond_') and k != 'bond_master' for k in folded(stanza))
            or option(stanza, 'slaves')]


def definitions(tree, interfaces: Interfaces, modprobe_defaults: dict,
                has_ifenslave: bool) -> list:
    result = []
    for name in bond_names(interfaces):
        stanza = interfaces.stanzas[name]
        listed = option(stanza, 'bond_slaves') or option(stanza, 'slaves')
        slaves = listed[0].split() if listed else []
        joined = members(interfaces, name, slaves)
        options, explain, notes = _options(stanza, modprobe_defaults, joined)
        ports = None if 'all' in slaves else tuple(
            Port(s, None, stanza.path if s in slaves else interfaces.stanzas[s].path,
                 listed[1] if listed and s in slaves else None) for s in joined)
        boot = None
        if not at_boot(interfaces, name, joined):
            boot = f'neither {name} nor a member is marked auto or allow-hotplug in {stanza.path}'
        elif not has_ifenslave:
            boot = 'ifenslave is not installed (no /etc/network/if-pre-up.d/ifenslave)'
        result.append(Definition(name, TOOL, 'ifupdown', stanza.path, options, ports, boot,
                                 tuple(notes), explain, (), None, stanza.line))
    return result


def _options(stanza: Stanza, modprobe_defaults: dict, joined: list) -> tuple:
    """(options, explain, notes): what ifenslave writes for a stanza's bond-* lines."""
    options, explain, notes = dict(modprobe_defaults), {}, []
    for key, (value, line, path) in ((k[5:], v[0]) for k, v in folded(stanza).items()
                                     if k.startswith('bond_')):
        first = value.split('\n')[0].split()
        if key in NOT_APPLIED:
            default = modprobe_defaults.get(key, Setting(0, path, line))
            options[key] = Setting(default.value, path, line)
            explain[key] = f'bond-{key.replace("_", "-")} in {path} is not applied by ifenslave'
        elif key == 'primary':  # the first of the list that is enslaved
            chosen = next((c for c in value.split() if c in joined), first[0] if first else '')
            options[key] = Setting(chosen, path, line)
        elif key == 'arp_ip_target':
            options[key] = Setting(targets(value), path, line)
        elif key in APPLIED:
            converted = canonical(key, first[0] if first else '')
            if converted is None:
                notes.append(f'{path}: invalid bond-{key} "{value}", ignored')
            else:
                options[key] = Setting(converted, path, line)
    if _set(options, 'miimon') and _set(options, 'arp_interval'):
        options['arp_interval'] = Setting(0, *options['arp_interval'][1:])
        explain['arp_interval'] = ('ifenslave sets miimon after arp_interval, which turns '
                                   'ARP monitoring off ("bond-arp-interval will be ignored")')
    return options, explain, notes


def _set(options: dict, key: str) -> bool:
    return bool(options.get(key) and options[key].value)

