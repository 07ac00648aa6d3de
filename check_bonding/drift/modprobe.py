"""Module options: /etc/modprobe.conf and modprobe.d (design §4.8), as kmod 34 reads
them (`modprobe -c`, tests/oracle/modprobe.py): *.conf files sorted by name
across the directories, one name read from the first directory only.

`options bonding ...` sets the defaults of every bond created later, by any
tool that sets only what it is configured with (initscripts, ifenslave,
networkd, ifupdown2, wicked): it is an input of every other source. The
module itself creates bond0..bond<max_bonds-1> when it loads; the last
duplicate option wins (systemd ships max_bonds=0). `options bond0 ...` on an
alias applies only to `modprobe bond0`, before the module's own options.
"""
from __future__ import annotations

import re
from collections import namedtuple

from .model import Definition, Setting, kernel_options

DIRS = ('/etc/modprobe.d', '/run/modprobe.d', '/usr/local/lib/modprobe.d',
        '/usr/lib/modprobe.d', '/lib/modprobe.d')
LOAD_DIRS = ('/etc/modules-load.d', '/run/modules-load.d', '/usr/local/lib/modules-load.d',
             '/usr/lib/modules-load.d', '/lib/modules-load.d')
MAX_INCLUDES = 8
TOOL = 'bonding module options'

Command = namedtuple('Command', 'verb args line')
Modprobe = namedtuple('Modprobe', 'defaults aliases alias_options max_bonds loaded notes')


def parse(text: str) -> list:
    """Commands of a modprobe.d file: [Command(verb, [args], line)], `\\` joined."""
    commands, pending, start = [], '', 0
    for number, raw in enumerate(text.split('\n'), 1):
        line = raw.split('#', 1)[0] if not pending else raw
        if not pending:
            start = number
        if line.rstrip().endswith('\\'):
            pending += line.rstrip()[:-1] + ' '
            continue
        words = (pending + line).split()
        pending = ''
        if words:
            commands.append(Command(words[0], words[1:], start))
    return commands


def read(tree) -> Modprobe:
    """The bonding module's configuration as modprobe and the module see it."""
    reader = _Reader(tree)
    for path in ['/etc/modprobe.conf'] + tree.layered(DIRS, ('.conf',)):
        reader.load(path, 0)
    return reader.result(_loaded_at_boot(tree))


class _Reader:
    """The files in modprobe's order; `options X` for X other than bonding
    counts only where X is an alias of bonding, known once every file is read."""

    def __init__(self, tree):
        self.tree = tree
        self.defaults, self.alias_options, self.aliases, self.notes = {}, {}, {}, []
        self.max_bonds = []  # (value, file, line), in the order insmod gets them
        self.other_modules = []
        self.seen = set()

    def load(self, path: str, depth: int) -> None:
        if path in self.seen or depth > MAX_INCLUDES:
            return
        self.seen.add(path)
        for command in parse(self.tree.text(path) or ''):
            self.command(command, path, depth)

    def command(self, command, path: str, depth: int) -> None:
        if command.verb == 'alias' and len(command.args) >= 2:
            self.aliases[command.args[0]] = command.args[1]
        elif command.verb == 'include' and command.args:
            for name in _included(self.tree, command.args[0]):
                self.load(name, depth + 1)
        elif command.verb == 'options' and command.args[:1] == ['bonding']:
            self.options(command, path)
        elif command.verb == 'options' and command.args:
            self.other_modules.append((command, path))

    def options(self, command, path: str) -> None:
        _options(command, path, self.defaults, self.alias_options, self.max_bonds, self.notes)

    def result(self, loaded) -> Modprobe:
        for command, path in self.other_modules:
            if self.aliases.get(command.args[0]) == 'bonding':
                self.options(command, path)
        return Modprobe(self.defaults, self.aliases, self.alias_options, self.max_bonds,
                        loaded, self.notes)


def _options(command, path, defaults, alias_options, max_bonds, notes) -> None:
    """One `options MODULE k=v ...` line: into the module's defaults, or an alias's."""
    module, words = command.args[0].replace('-', '_'), command.args[1:]
    if '-o' in words:
        notes.append(f'{path}: multi-instance "options {module} -o" is not supported, ignored')
        return
    target = defaults if module == 'bonding' else alias_options.setdefault(module, {})
    plain = ' '.join(w for w in words if not w.startswith('max_bonds='))
    notes.extend(kernel_options(plain, path, command.line, target))
    max_bonds += [(w.partition('=')[2], path, command.line) for w in words
                  if w.startswith('max_bonds=') and module == 'bonding']


def _included(tree, path: str) -> list[str]:
    if tree.is_dir(path):
        return [f'{path}/{n}' for n in tree.listdir(path) if n.endswith('.conf')]
    return [path]


def _loaded_at_boot(tree) -> str | None:
    """The file that loads bonding at boot (modules-load.d, /etc/modules), or None."""
    for path in tree.layered(LOAD_DIRS, ('.conf',)) + ['/etc/modules']:
        text = tree.text(path) or ''
        if any(line.split('#')[0].split()[:1] == ['bonding'] for line in text.split('\n')):
            return path
    return None


def definitions(config: Modprobe) -> list:
    """Bonds the module itself creates at boot: bond0..bond<max_bonds-1> when a
    modules-load file loads it. Their slaves are in no file (rc.local...)."""
    if not config.loaded:
        return []
    count, where = 1, None
    values = [(v, f, n) for v, f, n in config.max_bonds if re.fullmatch(r'\d{1,4}', v)]
    if values:
        value, path, line = values[-1]
        count, where = int(value), (path, line)
    if count == 0:
        earlier = [(v, f) for v, f, _ in values[:-1] if v != '0']
        if not earlier:
            return []
        value, path = earlier[-1]
        return [Definition('bond0', TOOL, 'modprobe', path, dict(config.defaults), None,
                           boot=f'max_bonds=0 in {where[0]} overrides max_bonds={value} in '
                                f'{path}')]
    return [Definition(f'bond{i}', TOOL, 'modprobe', where[0] if where else config.loaded,
                       dict(config.defaults), None) for i in range(min(count, 64))]


def defaults_for(config: Modprobe, bond: str, via_alias: bool = False) -> dict:
    """Options a bond starts with: the module's, after `options <alias>` when the
    bond is loaded as `modprobe <bond>` (initscripts without BONDING_OPTS)."""
    if via_alias and config.aliases.get(bond) == 'bonding' and bond in config.alias_options:
        return {**config.alias_options[bond], **config.defaults}
    return dict(config.defaults)


__all__ = ['read', 'parse', 'definitions', 'defaults_for', 'Setting']
