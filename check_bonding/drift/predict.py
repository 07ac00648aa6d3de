"""Which configuration the next boot applies (design §5): the managers enabled,
every source's definitions, and per bond the effective one.

Only files: service links are read with readlink (a unit linked to
/dev/null is masked), never a command, never D-Bus. Module options are read
first, as they are every other source's defaults.
"""
from __future__ import annotations

import re
from collections import namedtuple

from . import ifcfg, ifupdown, ifupdown2, modprobe, netplan, networkd, nm, nmkeyfiles, wicked

SOURCES = ('ifcfg', 'nm', 'netplan', 'networkd', 'ifupdown', 'ifupdown2', 'wicked', 'modprobe')
UNITS = '/etc/systemd/system'
WANTS = f'{UNITS}/multi-user.target.wants'
MANAGER_NAMES = {'initscripts': 'initscripts', 'NetworkManager': 'NetworkManager',
                 'networkd': 'systemd-networkd', 'netplan': 'netplan', 'ifupdown': 'ifupdown',
                 'wicked': 'wicked', 'modprobe': 'the bonding module'}

Prediction = namedtuple('Prediction', 'definitions sources notes yaml_missing')


def enabled(tree, unit: str) -> bool:
    """A unit enabled for multi-user.target and not masked."""
    return tree.lexists(f'{WANTS}/{unit}') and not tree.masked(f'{UNITS}/{unit}')


def detect(tree) -> tuple:
    """(sources whose files the next boot applies, notes)."""
    network = tree.readlink(f'{UNITS}/network.service') or ''
    rc = [n for d in ('/etc/rc.d/rc3.d', '/etc/rc3.d', '/etc/rc.d/rc5.d')
          for n in tree.listdir(d) if re.fullmatch(r'S\d\dnetwork(ing)?', n)
          and tree.lexists(f'{d}/{n}')]
    found = set()
    if enabled(tree, 'NetworkManager.service') or network.endswith('/NetworkManager.service'):
        found.add('nm')
    if enabled(tree, 'systemd-networkd.service'):
        found.add('networkd')
    if any(re.fullmatch(r'S\d\dnetwork', n) for n in rc) or network.endswith(
            '/network.service') or enabled(tree, 'network.service'):
        found.add('ifcfg')
    if network.endswith('/wicked.service') or enabled(tree, 'wicked.service'):
        found.add('wicked')
    if tree.exists(ifupdown.MAIN) and (enabled(tree, 'networking.service') or any(
            re.fullmatch(r'S\d\dnetworking', n) for n in rc)):
        found.add('ifupdown2' if ifupdown2.detected(tree) else 'ifupdown')
    if netplan.files(tree) and any(tree.lexists(g) for g in netplan.GENERATORS):
        found.add('netplan')
    notes = []
    if not found:
        present = [s for s, test in (
            ('ifcfg', lambda: tree.listdir(ifcfg.DIR)),
            ('wicked', lambda: tree.listdir(wicked.DIR)),
            ('nm', lambda: tree.listdir(nmkeyfiles.KEYFILE_DIRS[1])),
            ('ifupdown2' if ifupdown2.detected(tree) else 'ifupdown',
             lambda: tree.exists(ifupdown.MAIN)),
            ('networkd', lambda: any(tree.listdir(d) for d in networkd.DIRS)),
            ('netplan', lambda: netplan.files(tree))) if test()]
        if present:
            notes.append(f'no enabled network service found; reading {", ".join(present)}')
            found.update(present)
    return found, notes


def predict(tree, source: str = 'auto') -> Prediction:
    """Every definition of every bond the chosen sources (auto: detected) give."""
    tree.source = 'modprobe'
    config = modprobe.read(tree)
    if source == 'auto':
        sources, notes = detect(tree)
    else:
        sources, notes = {source}, []
    notes += config.notes
    definitions, yaml_missing, generated = [], None, set()
    if 'netplan' in sources:
        tree.source = 'netplan'
        yaml_missing, generated = _netplan(tree, definitions, notes)
    if 'networkd' in sources:
        tree.source = 'networkd'
        definitions += networkd.definitions(tree, config.defaults, skip=generated)
    nm_reads_ifcfg = 'nm' in sources and _nm(tree, definitions, 'netplan' in sources)
    if 'ifcfg' in sources:
        tree.source = 'ifcfg'
        files, skipped = ifcfg.read_files(tree)
        if nm_reads_ifcfg:  # NetworkManager's, unless NM_CONTROLLED=no
            files = [f for f in files if str(ifcfg.value(f, 'NM_CONTROLLED')).lower()
                     in ('no', 'false', '0')]
        definitions += ifcfg.definitions(tree, files, skipped, config)
    for name in ('ifupdown', 'ifupdown2'):
        if name in sources:
            tree.source = name
            definitions += _ifupdown(tree, name, config, notes)
    if 'wicked' in sources:
        tree.source = 'wicked'
        definitions += wicked.definitions(tree, config.defaults)
    tree.source = 'modprobe'
    definitions += modprobe.definitions(config)
    by_bond: dict = {}
    for d in definitions:
        by_bond.setdefault(d.bond, []).append(d)
    return Prediction(by_bond, sources, notes, yaml_missing)


def _netplan(tree, definitions: list, notes: list) -> tuple:
    """(first netplan file when PyYAML is missing, names of the generator's output)."""
    if not netplan.files(tree):
        return None, set()
    if not netplan.available():
        return netplan.files(tree)[0], set()
    plan = netplan.read(tree)
    definitions += netplan.definitions(plan)
    notes += plan.notes
    tree.rejected.extend(('netplan', why, None) for why in plan.rejected)
    return None, {n for n in tree.listdir('/run/systemd/network') if n.startswith('10-netplan-')}


def _nm(tree, definitions: list, netplan_active: bool) -> bool:
    """NetworkManager's bonds; whether its ifcfg-rh plugin reads network-scripts."""
    tree.source = 'nm'
    plugins, _ = nm.plugins(tree)
    profiles, skipped = nm.read_profiles(tree, plugins, skip_netplan=netplan_active)
    definitions += nm.definitions(tree, profiles, skipped, nm.timestamps(tree),
                                  'NetworkManager keyfile')
    return 'ifcfg-rh' in plugins


def _ifupdown(tree, name: str, config, notes: list) -> list:
    interfaces = ifupdown.read(tree)
    notes += interfaces.notes
    if name == 'ifupdown2':
        return ifupdown2.definitions(tree, interfaces, config.defaults)
    return ifupdown.definitions(tree, interfaces, config.defaults,
                                tree.exists('/etc/network/if-pre-up.d/ifenslave'))


def effective(definitions: list) -> tuple:
    """(the definition the next boot applies, or None; text of a conflict, or None).
    The module only creates a bond that another tool then configures."""
    tools = [d for d in definitions if d.manager != 'modprobe'] or definitions
    managers = list(dict.fromkeys(d.manager for d in tools))
    if len(managers) < 2:
        return (tools[0] if tools else None), None
    first, second = (next(d for d in tools if d.manager == m) for m in managers[:2])
    differ = [o for o in first.options if o in second.options
              and first.options[o].value != second.options[o].value]
    values = (f': {differ[0]} {_show(first.options[differ[0]].value)} and '
              f'{_show(second.options[differ[0]].value)}' if differ else '')
    return None, (f'defined by {MANAGER_NAMES[first.manager]} ({first.file}) and '
                  f'{MANAGER_NAMES[second.manager]} ({second.file}){values}')


def _show(value) -> str:
    if isinstance(value, tuple):
        return ','.join(value) or 'none'
    return str(value) if value != '' else 'none'
