"""RHEL/CentOS initscripts: /etc/sysconfig/network-scripts/ifcfg-* (design §4.1).

CentOS 5 to RHEL 8 without NetworkManager (or with NM_CONTROLLED=no). A bond
is DEVICE=bondN with BONDING_OPTS (or, without, `modprobe bondN` through an
alias and `options bondN`); its slaves are the files with MASTER=bondN *and*
SLAVE=yes. initscripts writes mode and miimon first, then the other options
in file order, so ARP monitoring wins over miimon.
"""
from __future__ import annotations

from collections import namedtuple

from . import modprobe, shellvars
from .model import Definition, Port, Setting, kernel_options, mac

DIR = '/etc/sysconfig/network-scripts'
IGNORED = ('~', '.bak', '.old', '.orig', '.rpmnew', '.rpmorig', '.rpmsave')
TOOL = 'initscripts'

Ifcfg = namedtuple('Ifcfg', 'path device vars')


def read_files(tree, directory: str = DIR, ignored=IGNORED) -> tuple:
    """([Ifcfg], {ignored path: reason}) of ifcfg-* in `directory`; notes go to the tree."""
    found, skipped = [], {}
    for name in tree.listdir(directory):
        if not name.startswith('ifcfg-') or name == 'ifcfg-lo':
            continue
        path = f'{directory}/{name}'
        suffix = next((s for s in ignored if name.endswith(s)), None)
        if suffix or ';' in name:
            skipped[path] = f'{name} is ignored'
            continue
        text = tree.text(path)
        if text is None:
            continue
        variables, notes = shellvars.parse(text)
        tree.notes.extend(f'{path}: {note}' for note in notes)
        device = variables.get('DEVICE', shellvars.Var(name[len('ifcfg-'):], 0)).value
        found.append(Ifcfg(path, device, variables))
    return found, skipped


def value(ifcfg: Ifcfg, name: str, default=''):
    var = ifcfg.vars.get(name)
    return default if var is None else var.value


def lookalikes(tree, skipped: dict, bond: str) -> dict:
    """{slave name: 'ifcfg-eth1.bak is ignored'} for ignored files that name `bond`."""
    hints = {}
    for path, reason in skipped.items():
        text = tree.text(path) or ''
        variables, _ = shellvars.parse(text)
        if variables.get('MASTER', shellvars.Var('', 0)).value == bond:
            device = variables.get('DEVICE', shellvars.Var('', 0)).value
            if device:
                hints[device] = reason
    return hints


def definitions(tree, files: list, skipped: dict, config) -> list:
    """The bonds initscripts brings up from `files` (modprobe `config` gives defaults)."""
    slaves = {}
    for f in files:
        master = value(f, 'MASTER')
        if master and shellvars.is_true(value(f, 'SLAVE')):
            slaves.setdefault(master, []).append(f)
    result = []
    for f in files:
        device = f.device
        if not device or not is_bond(f, config, slaves):
            continue
        result.append(_definition(tree, f, files, skipped, config, slaves.get(device, [])))
    return result


def is_bond(f: Ifcfg, config, slaves: dict) -> bool:
    return ('BONDING_OPTS' in f.vars or value(f, 'TYPE').lower() == 'bond'
            or shellvars.is_true(value(f, 'BONDING_MASTER'))
            or config.aliases.get(f.device) == 'bonding' or f.device in slaves)


def _definition(tree, f: Ifcfg, files, skipped, config, members) -> Definition:
    notes, explain = [], {}
    opts = f.vars.get('BONDING_OPTS')
    if opts is None:
        options = modprobe.defaults_for(config, f.device, via_alias=True)
    elif opts.value is shellvars.UNEVALUATED:
        options = {}
        notes.append(f'BONDING_OPTS in {f.path} cannot be evaluated: options not compared')
    else:
        options = modprobe.defaults_for(config, f.device)
        notes += kernel_options(opts.value, f.path, opts.line, options)
        if options.get('arp_interval') and options['arp_interval'].value and \
                options.get('miimon') and options['miimon'].value:
            options['miimon'] = Setting(0, f.path, opts.line)
            explain['miimon'] = (f'initscripts writes arp_interval after miimon ({f.path}), '
                                 'which turns miimon off')
    ports = []
    for member in members:
        if value(member, 'MASTER') is shellvars.UNEVALUATED:
            continue
        hwaddr = member.vars.get('HWADDR')
        ports.append(Port(member.device, mac(hwaddr.value) if hwaddr else None, member.path,
                          member.vars['MASTER'].line, 'HWADDR' if hwaddr else None))
    for other in files:
        if value(other, 'MASTER') == f.device and not shellvars.is_true(value(other, 'SLAVE')):
            notes.append(f'{other.path} has MASTER={f.device} without SLAVE=yes: '
                         'initscripts does not enslave it')
            explain[f'slave:{other.device}'] = f'{_base(other.path)} lacks SLAVE=yes'
    for device, reason in lookalikes(tree, skipped, f.device).items():
        explain.setdefault(f'slave:{device}', reason)
    onboot = value(f, 'ONBOOT', 'yes')
    boot = f'ONBOOT={onboot} in {f.path}' if str(onboot).lower() in ('no', 'false', '0') else None
    return Definition(f.device, TOOL, 'initscripts', f.path, options, tuple(ports), boot,
                      tuple(notes), explain)


def _base(path: str) -> str:
    return path.rsplit('/', 1)[-1]
