"""systemd-networkd: .netdev and .network files (design §4.4).

Files of /usr/lib, /usr/local/lib, /run and /etc systemd/network are sorted
by name across directories (one name: /etc beats /run beats /usr); an empty
file or a link to /dev/null masks; `<file>.d/*.conf` drop-ins follow. The
first .netdev with a Name= wins. Each interface takes the first .network
whose [Match] fits, so an early catch-all steals bond members. *Sec= values
are time spans whose bare numbers are seconds; enumerations take names only.
Only configured options are sent, so module options remain the defaults.
"""
from __future__ import annotations

import fnmatch
from functools import partial

from . import netmatch
from .model import (KERNEL_DEFAULTS, Definition, Port, Setting, canonical, ipv4, targets,
                    timespan_ms)

DIRS = ('/etc/systemd/network', '/run/systemd/network', '/usr/local/lib/systemd/network',
        '/usr/lib/systemd/network', '/lib/systemd/network')
TOOL = 'systemd-networkd'
COMMENTS = ('#', ';')
BOND = {  # [Bond] key -> (option, converter)
    'Mode': ('mode', 'name'), 'TransmitHashPolicy': ('xmit_hash_policy', 'name'),
    'LACPTransmitRate': ('lacp_rate', 'name'), 'MIIMonitorSec': ('miimon', 'span'),
    'UpDelaySec': ('updelay', 'span'), 'DownDelaySec': ('downdelay', 'span'),
    'ARPIntervalSec': ('arp_interval', 'span'), 'ARPValidate': ('arp_validate', 'name'),
    'PrimaryReselectPolicy': ('primary_reselect', 'name'), 'AdSelect': ('ad_select', 'name'),
    'MinLinks': ('min_links', 'int'), 'FailOverMACPolicy': ('fail_over_mac', 'name'),
    'ARPIPTargets': ('arp_ip_target', 'list')}
# systemd 257's own tables where they are shorter than the kernel's (bond-util.c)
NAMES = {'xmit_hash_policy': ('layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4'),
         'arp_validate': ('none', 'active', 'backup', 'all')}
# what networkd sends only in one mode set in the same .netdev (netdev/bond.c)
ONLY_WITH_MODE = {'lacp_rate': '802.3ad', 'ad_select': '802.3ad',
                  'fail_over_mac': 'active-backup'}
OTHER_BOND_KEYS = {'ARPAllTargets', 'ResendIGMP', 'PacketsPerSlave', 'GratuitousARP',
                   'AllSlavesActive', 'DynamicTransmitLoadBalancing', 'LearnPacketIntervalSec',
                   'AdActorSystemPriority', 'AdUserPortKey', 'AdActorSystem', 'ARPMissedMax',
                   'PeerNotifyDelaySec'}


def parse(text: str) -> list:
    """[(section, key, value, line)] in file order: `#`/`;` comments, a trailing
    backslash joins the next line (comment lines inside are skipped)."""
    entries, section, pending, start = [], None, None, 0
    for number, raw in enumerate(text.split('\n'), 1):
        line = raw.strip()
        if pending is not None:
            if line.startswith(COMMENTS):
                continue
            line, pending = pending + line, None
        elif not line or line.startswith(COMMENTS):
            continue
        else:
            start = number
        if line.endswith('\\'):
            pending = line[:-1] + ' '
            continue
        if line.startswith('[') and line.endswith(']'):
            section = line[1:-1]
            continue
        key, eq, value = line.partition('=')
        if eq and section is not None:
            entries.append((section, key.strip(), value.strip(), start))
    if pending is not None:
        section_key = pending.partition('=')
        if section_key[1] and section is not None:
            entries.append((section, section_key[0].strip(), section_key[2].strip(), start))
    return entries


def unit_files(tree, suffix: str, skip=()) -> list:
    """[(path, entries)] of every `suffix` file in name order, drop-ins applied."""
    result = []
    for path in tree.layered(DIRS, (suffix,)):
        name = path.rsplit('/', 1)[-1]
        if name in skip:
            continue
        found = tree.read(path)
        if found is None or not found.data.strip():
            continue  # masked (a link to /dev/null or empty), absent or unreadable
        entries = parse(tree.decode(found, COMMENTS) or '')
        for dropin in tree.layered([f'{d}/{name}.d' for d in DIRS], ('.conf',)):
            entries += [(s, k, v, n, dropin)
                        for s, k, v, n in parse(tree.text(dropin, COMMENTS) or '')]
        result.append((path, [e if len(e) == 5 else (*e, path) for e in entries]))
    return result


def bond_settings(entries: list, path: str) -> tuple:
    """({option: Setting}, notes, {option: why}) of a .netdev's [Bond] entries as
    networkd keeps them: an invalid value leaves the option as it was (the
    kernel's or the module's default). `sent` then drops what it does not send."""
    options, notes, invalid = {}, [], {}
    for section, key, value, line, where in entries:
        if section != 'Bond' or key not in BOND:
            if section == 'Bond' and key not in OTHER_BOND_KEYS:
                notes.append(f'{where}: unknown key {key}= in [Bond], ignored by networkd')
            continue
        option, kind = BOND[key]
        if kind == 'list':
            _targets(options, value, where, line, notes)
            continue
        converted = _convert(option, kind, value)
        if converted is None:
            invalid[option] = (f'{key}={value} in {where} is invalid for networkd, which '
                               'leaves the default')
            continue
        if kind == 'span' and value.strip().isdigit():
            notes.append(f'{where}: {key}={value} is {value} seconds')
        options[option] = Setting(converted, where, line)
    return options, notes, invalid


def sent(options: dict, path: str) -> tuple:
    """(options, explain): what networkd puts in the netlink message that creates
    the bond: no zero interval or min_links, no ARP targets without ARP, and
    lacp_rate, ad_select and fail_over_mac only with their mode in the .netdev."""
    kept, explain = dict(options), {}
    mode = options['mode'].value if 'mode' in options else None
    for option in ('miimon', 'updelay', 'downdelay', 'arp_interval', 'min_links'):
        if option in kept and kept[option].value == 0:
            del kept[option]
    if 'arp_interval' not in kept:
        kept.pop('arp_ip_target', None)
    for option, needed in ONLY_WITH_MODE.items():
        if option in kept and mode != needed:
            del kept[option]
            explain[option] = f'networkd sends it only with Mode={needed} in {path}'
    return kept, explain


def _convert(option: str, kind: str, value: str):
    if kind == 'span':
        return timespan_ms(value)
    if option in NAMES:
        return value.strip() if value.strip() in NAMES[option] else None
    return canonical(option, value, numbers=kind == 'int')


def _targets(options: dict, value: str, where: str, line, notes: list) -> None:
    """ARPIPTargets= adds to the list; an empty assignment resets it."""
    if not value:
        options.pop('arp_ip_target', None)
        return
    valid = tuple(t for t in targets(value) if ipv4(t))
    if len(valid) < len(targets(value)):
        notes.append(f'{where}: invalid address in ARPIPTargets={value}, ignored')
    old = options.get('arp_ip_target')
    options['arp_ip_target'] = Setting(tuple(dict.fromkeys((old.value if old else ()) + valid)),
                                       where, line)


def definitions(tree, modprobe_defaults: dict, skip=()) -> list:
    """Bonds networkd creates, with the members whose first matching .network enslaves them
    (by name; `resolve` decides for the running slaves, by name and MAC)."""
    bonds, result = {}, []
    for path, entries in unit_files(tree, '.netdev', skip):
        name = _value(entries, 'NetDev', 'Name')
        if _value(entries, 'NetDev', 'Kind') != 'bond' or not name:
            continue
        if name in bonds:
            bonds[name][1].append(path)
            continue
        bonds[name] = (path, [], entries)
    networks = unit_files(tree, '.network', skip)
    tree.notes.extend(netmatch.undecided(networks))
    for name, (path, losers, entries) in bonds.items():
        result.append(_definition(name, path, losers, entries, networks, modprobe_defaults))
    return result


def _definition(name, path, losers, entries, networks, modprobe_defaults) -> Definition:
    options, notes, explain = bond_settings(entries, path)
    options, dropped = sent(options, path)
    explain.update(dropped)
    options = {**modprobe_defaults, **options}
    for option in explain:
        if option not in options and option in KERNEL_DEFAULTS:
            options[option] = Setting(KERNEL_DEFAULTS[option], path, None)
    problems = [('drift-ambiguous', f'{loser} is ignored: {path} already defines {name}')
                for loser in losers]
    if options.get('miimon') and options.get('arp_interval') and \
            options['miimon'].value and options['arp_interval'].value:
        problems.append(('drift-ambiguous', f'link monitoring configured twice in {path} '
                                            f'(miimon {options["miimon"].value}, '
                                            f'arp_interval {options["arp_interval"].value})'))
    ports, hints, lost = _members(name, networks)
    explain.update(hints)
    if lost and not ports:
        problems.append(('drift-not-at-boot', f'no member joins {name} at boot: '
                                              + '; '.join(lost)))
    else:
        notes += [f'will not join {name}: {text}' for text in lost]
    primary = [p for p, first in ports if first and p.name]
    if primary:
        options['primary'] = Setting(primary[0].name, primary[0].file, primary[0].line)
    return Definition(name, TOOL, 'networkd', path, options, tuple(p for p, _ in ports), None,
                      tuple(notes), explain, tuple(problems), None,
                      _line(entries, 'NetDev', 'Name'), partial(resolve, name, networks))


def _members(bond: str, networks: list) -> tuple:
    """([(Port, primary?)], {'slave:<name>': hint}, [why a member will not join])
    from the .network files with Bond=<bond>; an earlier match takes the interface."""
    ports, explain, lost = [], {}, []
    for index, (path, entries) in enumerate(networks):
        if _value(entries, 'Network', 'Bond') != bond:
            continue
        match = netmatch.parse(entries)
        names = [n for n in match.names if not n.startswith('!')]
        key, macs = next(((k, sorted(m)) for k, m in (('MACAddress', match.macs),
                                                       ('PermanentMACAddress', match.permanent))
                          if m), (None, []))
        primary = _yes(_value(entries, 'Network', 'PrimarySlave'))
        line = _line(entries, 'Network', 'Bond')
        for name in names or [None]:
            thief = netmatch.first(networks[:index], name, macs[0] if macs else None) \
                if name in netmatch.plain_names(match) else None
            if thief:
                explain[f'slave:{name}'] = f'{thief[0]} matches it first'
                lost.append(f'{thief[0]} matches {name} before {path}')
                continue
            ports.append((Port(name, macs[0] if macs else None, path, line,
                               key if macs and name else None), primary))
    return ports, explain, lost


def resolve(bond: str, networks: list, definition: Definition, run) -> Definition:
    """The definition for the running slaves: each one joins `bond` at boot when
    the first .network that matches it (name, MAC) says Bond=<bond>; PrimarySlave=
    of that file makes it the primary. Configured members no running slave is
    stay as they are (reported missing)."""
    ports, explain, primary = [], dict(definition.explain), None
    for slave in run.slaves:
        found = netmatch.first(networks, slave, run.macs.get(slave))
        if found is None or _value(found[1], 'Network', 'Bond') != bond:
            explain[f'slave:{slave}'] = f'{found[0]} matches it first' if found else \
                'no .network file matches it'
            continue
        path, entries = found
        line = _line(entries, 'Network', 'Bond')
        ports.append(Port(slave, None, path, line))
        if primary is None and _yes(_value(entries, 'Network', 'PrimarySlave')):
            primary = Setting(slave, path, _line(entries, 'Network', 'PrimarySlave'))
    ports += [p for p in definition.ports if not _decided(p, run)]
    options = dict(definition.options)
    configured = options.get('primary')
    if primary is not None:
        options['primary'] = primary
    elif configured is not None and configured.value in run.slaves:
        options['primary'] = Setting('', configured.file, configured.line)
    return definition._replace(ports=tuple(ports), options=options, explain=explain,
                               resolve=None)


def _decided(port: Port, run) -> bool:
    """Whether a configured member describes a running slave (the match decided it)."""
    return any(s == port.name or (port.name is None and run.macs.get(s) == port.mac) or
               (port.name and fnmatch.fnmatchcase(s, port.name)) for s in run.slaves)


def _yes(value) -> bool:
    return (value or '').strip().lower() in ('yes', 'true', '1', 'on')


def _value(entries, section, key):
    found = [v for s, k, v, *_ in entries if s == section and k == key]
    return found[-1] if found else None


def _line(entries, section, key):
    found = [n for s, k, _, n, *_ in entries if s == section and k == key]
    return found[-1] if found else None
