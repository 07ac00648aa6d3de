"""NetworkManager: keyfiles and the ifcfg-rh plugin (design §4.2).

Profiles from both plugins become one kind of record; per bond interface NM
activates one: autoconnect profiles first, then the higher
autoconnect-priority, then the one used last (/var/lib/NetworkManager/
timestamps). NM ignores keyfiles not owned by root or with any group/other
permission bit; what it makes of a profile's [bond] keys is nmbond.py.
"""
from __future__ import annotations

import fnmatch
import re
from collections import namedtuple

from . import ifcfg, keyfile, shellvars
from .model import Definition, Port, mac, targets
from .nmbond import bond_options

KEYFILE_DIRS = ('/usr/lib/NetworkManager/system-connections',
                '/etc/NetworkManager/system-connections',
                '/run/NetworkManager/system-connections')  # later shadows earlier (same UUID)
CONF_DIRS = ('/usr/lib/NetworkManager/conf.d', '/run/NetworkManager/conf.d',
             '/etc/NetworkManager/conf.d')
TIMESTAMPS = '/var/lib/NetworkManager/timestamps'
IFCFG_IGNORED = ('~', '.bak', '.orig', '.rej', '.rpmnew', '.augnew', '.augtmp')

Profile = namedtuple('Profile', 'path plugin id uuid type iface autoconnect priority master '
                                'port_type mac match bond lines ignored runtime',
                     defaults=(None, False))


def plugins(tree) -> tuple:
    """(plugins, {section.key: value}) from NetworkManager.conf and conf.d;
    keyfile is always on. Unset: the distribution's build default."""
    settings, listed = {}, None
    paths = tree.layered(CONF_DIRS[:1], ('.conf',)) + ['/etc/NetworkManager/NetworkManager.conf']
    paths += tree.layered(CONF_DIRS[1:], ('.conf',))
    for path in paths:
        text = tree.text(path)
        try:
            groups = keyfile.parse(text or '')
        except keyfile.Rejected as why:
            tree.notes.append(f'{path}: {why}, ignored')
            continue
        for group, keys in groups.items():
            for key, (value, _) in keys.items():
                settings[f'{group}.{key}'] = value
                if (group, key) == ('main', 'plugins'):
                    listed = _words(value)
                elif (group, key) == ('main', 'plugins+'):
                    listed = (listed or _default_plugins(tree)) + _words(value)
                elif (group, key) == ('main', 'plugins-'):
                    listed = [p for p in (listed or _default_plugins(tree))
                              if p not in _words(value)]
    chosen = listed if listed is not None else _default_plugins(tree)
    return tuple(dict.fromkeys([*chosen, 'keyfile'])), settings


def _words(value: str) -> list:
    return [w.strip() for w in value.replace(';', ',').split(',') if w.strip()]


def _default_plugins(tree) -> list:
    """RHEL/CentOS 7-9 build NetworkManager with ifcfg-rh; the others keyfile only."""
    release = tree.text('/etc/redhat-release') or ''
    return ['ifcfg-rh'] if release and 'Fedora' not in release else []


def parse_keyfile(text: str, path: str) -> Profile:
    """A keyfile's profile; raises keyfile.Rejected where GLib refuses it."""
    groups = keyfile.parse(text)

    def get(group, key, default=None):
        return keyfile.get(groups, group, key, default)
    bond = {k: v for k, v in groups.get('bond', {}).items() if k != 'interface-name'}
    match = tuple(n for n in (get('match', 'interface-name') or '').split(';') if n)
    lines = {k: v[1] for k, v in groups.get('connection', {}).items()}
    return Profile(path, 'keyfile', get('connection', 'id') or path.rsplit('/', 1)[-1],
                   get('connection', 'uuid'), get('connection', 'type'),
                   get('connection', 'interface-name'),
                   keyfile.boolean(get('connection', 'autoconnect'), True),
                   _int(get('connection', 'autoconnect-priority')),
                   get('connection', 'controller') or get('connection', 'master'),
                   get('connection', 'port-type') or get('connection', 'slave-type'),
                   mac(get('ethernet', 'mac-address')), match, bond, lines)


def parse_ifcfg(f) -> Profile | None:
    """An ifcfg-rh file as NetworkManager reads it; None when NM_CONTROLLED=no."""
    def get(name, default=''):
        return ifcfg.value(f, name, default)
    if str(get('NM_CONTROLLED')).lower() in ('no', 'false', '0'):
        return None
    kind = str(get('TYPE')).lower()
    is_bond = kind == 'bond' or shellvars.is_true(get('BONDING_MASTER')) or (
        kind == 'ethernet' and 'BONDING_OPTS' in f.vars)
    bond = {}
    if is_bond and f.vars.get('BONDING_OPTS') and f.vars['BONDING_OPTS'].value:
        line = f.vars['BONDING_OPTS'].line
        for item in f.vars['BONDING_OPTS'].value.split():
            key, _, value = item.partition('=')
            if key == 'arp_ip_target':
                value = ','.join(targets(value.replace('-', '').replace('"', '')))
            bond[key] = (value, line)  # a repeated key keeps the last
    master = get('MASTER_UUID') or get('MASTER')
    line = (f.vars.get('MASTER_UUID') or f.vars.get('MASTER') or shellvars.Var('', None)).line
    return Profile(f.path, 'ifcfg-rh', get('NAME') or f'System {f.device}', get('UUID') or None,
                   'bond' if is_bond else 'ethernet', f.device,
                   str(get('ONBOOT', 'yes')).lower() not in ('no', 'false', '0'),
                   _int(get('AUTOCONNECT_PRIORITY')), master or None,
                   'bond' if master else None, mac(get('HWADDR')), (), bond,
                   {'master': line, 'interface-name': f.vars.get('DEVICE', shellvars.Var(
                       '', None)).line})


def _int(text) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return 0


def read_profiles(tree, enabled, skip_netplan: bool) -> tuple:
    """([Profile], {ignored lookalike path: reason}) of every plugin enabled."""
    profiles, skipped = [], {}
    if 'ifcfg-rh' in enabled:
        files, skipped = ifcfg.read_files(tree, ignored=IFCFG_IGNORED)
        profiles += [p for p in map(parse_ifcfg, files) if p is not None]
    by_uuid = {}
    for directory in KEYFILE_DIRS:
        for name in tree.listdir(directory):
            path = f'{directory}/{name}'
            if _ignored_name(name, directory):
                if name.endswith('.nmmeta') and tree.masked(path):
                    by_uuid.pop(name[:-len('.nmmeta')], None)  # a tombstone: deleted
                elif not name.startswith('.'):
                    skipped[path] = f'{name} is ignored'
                continue
            if skip_netplan and directory.startswith('/run') and name.startswith('netplan-'):
                continue  # the netplan generator's output: read the YAML instead
            profile = _keyfile(tree, path, directory)
            if profile is not None:
                by_uuid[profile.uuid or path] = profile
    return profiles + list(by_uuid.values()), skipped


def _ignored_name(name: str, directory: str) -> bool:
    """nm_keyfile_utils_ignore_filename: hidden, backups, mkstemp names, certificates."""
    if name.startswith('.') or name.endswith(('~', '.pem', '.der', '.nmmeta')):
        return True
    base, dot, tail = name.rpartition('.')
    if dot and len(tail) == 6 and tail.isalnum() and tail != 'nmconn':
        return not name.endswith('.nmconnection')
    return not directory.startswith('/etc') and not name.endswith('.nmconnection')


def _keyfile(tree, path: str, directory: str) -> Profile | None:
    found = tree.read(path)
    if found is None:
        return None
    text = tree.decode(found)
    if text is None:
        return None
    try:
        profile = parse_keyfile(text, path)
    except keyfile.Rejected as why:
        named = re.search(r'^\s*interface-name\s*=\s*(\S+)', text, re.M)
        tree.rejected.append(('nm', f'NetworkManager rejects {path} (GLib: {why})',
                              named.group(1) if named else None))
        return None
    if found.mode & 0o077 or found.uid != tree.owner:
        why = f'mode {found.mode:04o}' if found.mode & 0o077 else f'owner uid {found.uid}'
        profile = profile._replace(ignored=why)
    return profile._replace(runtime=directory.startswith('/run'))


def timestamps(tree) -> dict:
    try:
        groups = keyfile.parse(tree.text(TIMESTAMPS) or '')
    except keyfile.Rejected:
        return {}
    return {k: _int(v) for k, (v, _) in groups.get('timestamps', {}).items()}


def definitions(tree, profiles: list, skipped: dict, stamps: dict, tool: str) -> list:
    """One Definition per bond interface NetworkManager will bring up."""
    bonds = {}
    for p in profiles:
        if p.type == 'bond' and p.iface:
            bonds.setdefault(p.iface, []).append(p)
    lookalikes = {k: v for k, v in skipped.items() if '/ifcfg-' in k}
    known = {p.uuid: p.iface for p in profiles if p.type == 'bond' and p.uuid}
    return [_bond(name, candidates, profiles, ifcfg.lookalikes(tree, lookalikes, name), stamps,
                  tool, known) for name, candidates in bonds.items()]


def _bond(name, candidates, profiles, hints, stamps, tool, known) -> Definition:
    notes, problems = [], []
    usable = []
    for p in candidates:
        if p.ignored:
            notes.append(f'NetworkManager ignores {p.path} ({p.ignored})')
        elif p.runtime:
            notes.append(f'{p.path} is a runtime profile: it will not exist after reboot')
        else:
            usable.append(p)
    if not usable:
        ignored = [p for p in candidates if p.ignored]
        p = (ignored or candidates)[0]
        why = f'NetworkManager ignores {p.path} ({p.ignored})' if p.ignored else \
            f'{p.path} exists only at runtime (/run)'
        return Definition(name, tool, 'NetworkManager', p.path, {}, (), why, tuple(notes))
    chosen, choice, tie = _choose(usable, stamps)
    options, explain, more, invalid = bond_options(chosen.bond, chosen.path)
    notes += more
    boot = f'NetworkManager rejects {chosen.path} ({invalid})' if invalid else None
    if tie:
        return Definition(name, tool, 'NetworkManager', chosen.path, {}, None, None,
                          tuple(notes), {}, (('drift-ambiguous', tie),))
    ports, port_hints = _ports(name, chosen, profiles, known)
    explain.update(port_hints)
    explain.update({f'slave:{device}': reason for device, reason in hints.items()})
    if not chosen.autoconnect and not any(p.autoconnect for p in ports):
        boot = boot or (f'autoconnect=false in {chosen.path} and no port profile '
                        'autoconnects')
    if tie:
        problems.append(('drift-ambiguous', tie))
    tool = 'NetworkManager ifcfg-rh' if chosen.plugin == 'ifcfg-rh' else tool
    return Definition(name, tool, 'NetworkManager', chosen.path, options,
                      tuple(Port(p.iface, p.mac, p.path, p.lines.get('master')) if p.iface
                            else Port(None, p.mac, p.path, None) for p in ports
                            if p.autoconnect),
                      boot, tuple(notes), explain, tuple(problems), choice,
                      chosen.lines.get('interface-name'))


def _choose(usable: list, stamps: dict) -> tuple:
    """(profile, choice text or None, tie text or None) as NetworkManager ranks them."""
    def rank(p):
        return (p.autoconnect, p.priority, stamps.get(p.uuid, 0))
    ordered = sorted(usable, key=rank, reverse=True)
    chosen = ordered[0]
    rivals = [p for p in ordered if p.autoconnect] if chosen.autoconnect else []
    if len(rivals) < 2:
        return chosen, None, None
    names = ', '.join(p.id for p in sorted(rivals, key=lambda p: p.id.lower()))
    head = f'{len(rivals)} autoconnect profiles ({names})'
    if rank(ordered[0]) == rank(ordered[1]):
        files = ' and '.join(p.path for p in rivals[:2])
        return chosen, None, (f'{head} in {files}, and nothing tells which NetworkManager '
                              'used last: the bond after reboot cannot be predicted')
    why = 'autoconnect-priority' if chosen.priority != ordered[1].priority else 'last used'
    return chosen, f'{head}, NetworkManager picks {chosen.id} ({why})', None


def _ports(bond: str, chosen: Profile, profiles: list, known: dict) -> tuple:
    """The port profiles that join `chosen`, and hints for slaves that will not
    (bound to this bond's other profile, or to a controller no profile has)."""
    ports, hints = [], {}
    for p in profiles:
        if p.port_type != 'bond' or p.master not in (bond, chosen.uuid) or p.ignored:
            if p.port_type == 'bond' and p.iface and p.master and known.get(
                    p.master, bond) == bond and p.master != bond:
                hints[f'slave:{p.iface}'] = (f'{p.path} names the controller {p.master}, '
                                             'not the profile NetworkManager picks')
            continue
        if p.runtime:
            hints[f'slave:{p.iface}'] = f'{p.path} exists only at runtime (/run)'
            continue
        if not p.autoconnect:
            hints[f'slave:{p.iface}'] = f'autoconnect=false in {p.path}'
        if p.match and not p.iface:
            for pattern in p.match:
                ports.append(p._replace(iface=pattern))
            continue
        ports.append(p)
    return ports, hints


def glob_match(name: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(name, pattern)
