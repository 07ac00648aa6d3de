"""NetworkManager: keyfiles and the ifcfg-rh plugin (design §4.2).

Profiles from both plugins become one kind of record; per bond interface NM
activates one: autoconnect profiles first, then the higher
autoconnect-priority, then the one used last (/var/lib/NetworkManager/
timestamps). Reading the keyfile directories (shadowing, tombstones, runtime
profiles, GLib's refusals, the permission rule) is nmkeyfiles.py; what NM makes
of a profile's [bond] keys is nmbond.py.
"""
from __future__ import annotations

from . import ifcfg, keyfile, nmkeyfiles, shellvars
from .model import Definition, Port, mac, targets
from .nmbond import bond_options
from .nmkeyfiles import Profile, to_int

CONF_DIRS = ('/usr/lib/NetworkManager/conf.d', '/run/NetworkManager/conf.d',
             '/etc/NetworkManager/conf.d')
TIMESTAMPS = '/var/lib/NetworkManager/timestamps'
IFCFG_IGNORED = ('~', '.bak', '.orig', '.rej', '.rpmnew', '.augnew', '.augtmp')


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
                   to_int(get('AUTOCONNECT_PRIORITY')), master or None,
                   'bond' if master else None, mac(get('HWADDR')), (), bond,
                   {'master': line, 'interface-name': f.vars.get('DEVICE', shellvars.Var(
                       '', None)).line})


def read_profiles(tree, enabled, skip_netplan: bool) -> tuple:
    """([Profile], {ignored lookalike path: reason}) of every plugin enabled."""
    profiles, skipped = [], {}
    if 'ifcfg-rh' in enabled:
        files, skipped = ifcfg.read_files(tree, ignored=IFCFG_IGNORED)
        profiles += [p for p in map(parse_ifcfg, files) if p is not None]
    keyfiles, ignored = nmkeyfiles.read(tree, skip_netplan)
    return profiles + keyfiles, {**skipped, **ignored}


def timestamps(tree) -> dict:
    try:
        groups = keyfile.parse(tree.text(TIMESTAMPS) or '')
    except keyfile.Rejected:
        return {}
    return {k: to_int(v) for k, (v, _) in groups.get('timestamps', {}).items()}


def definitions(tree, profiles: list, skipped: dict, stamps: dict, tool: str) -> list:
    """One Definition per bond interface NetworkManager will bring up."""
    bonds = {}
    for p in profiles:
        if p.type == 'bond' and p.iface:
            bonds.setdefault(p.iface, []).append(p)
    lookalikes = {k: v for k, v in skipped.items() if '/ifcfg-' in k}
    known = {p.uuid: p.iface for p in profiles if p.type == 'bond' and p.uuid and not p.shadows}
    return [_bond(name, candidates, profiles, ifcfg.lookalikes(tree, lookalikes, name), stamps,
                  tool, known) for name, candidates in bonds.items()]


def _bond(name, candidates, profiles, hints, stamps, tool, known) -> Definition:
    notes = [_left_out(p) for p in candidates if p.ignored or p.runtime]
    usable = [p for p in candidates if not (p.ignored or p.runtime)]
    if not usable:
        p = ([p for p in candidates if p.ignored] or candidates)[0]
        why = f'NetworkManager ignores {p.path} ({p.ignored})' if p.ignored else \
            f'{p.path} exists only at runtime (/run)'
        return Definition(name, tool, 'NetworkManager', p.path, {}, (), why, tuple(notes))
    chosen, choice, tie = _choose(usable, stamps)
    tool = 'NetworkManager ifcfg-rh' if chosen.plugin == 'ifcfg-rh' else tool
    if tie:
        return Definition(name, tool, 'NetworkManager', chosen.path, {}, None, None,
                          tuple(notes), {}, (('drift-ambiguous', tie),))
    options, explain, more, invalid = bond_options(chosen.bond, chosen.path)
    ports, port_hints = _ports(name, chosen, profiles, known)
    explain.update(port_hints)
    explain.update({f'slave:{device}': reason for device, reason in hints.items()})
    boot = f'NetworkManager rejects {chosen.path} ({invalid})' if invalid else None
    if not chosen.autoconnect and not any(p.autoconnect for p in ports):
        boot = boot or (f'autoconnect=false in {chosen.path} and no port profile '
                        'autoconnects')
    return Definition(name, tool, 'NetworkManager', chosen.path, options,
                      tuple(Port(p.iface, p.mac, p.path, p.lines.get('master')) if p.iface
                            else Port(None, p.mac, p.path, None) for p in ports
                            if p.autoconnect),
                      boot, tuple(notes + more), explain, (), choice,
                      chosen.lines.get('interface-name'))


def _left_out(p: Profile) -> str:
    """Why NetworkManager will not use this profile after a reboot."""
    if p.ignored:
        return f'NetworkManager ignores {p.path} ({p.ignored})'
    if p.shadows:
        return f'{p.path} is a runtime profile: {p.shadows} applies again after reboot'
    return f'{p.path} is a runtime profile: it will not exist after reboot'


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
    (bound to this bond's other profile or to a controller no profile has; a profile
    NetworkManager ignores or rejects, or one that exists only at runtime)."""
    ports, hints = [], {}
    for p in profiles:
        if p.port_type != 'bond' or not p.master or (p.runtime and p.shadows):
            continue  # a runtime shadow: the persistent profile applies after a reboot
        if p.master not in (bond, chosen.uuid):
            if p.iface and known.get(p.master, bond) == bond:
                hints[f'slave:{p.iface}'] = (f'{p.path} names the controller {p.master}, '
                                             'not the profile NetworkManager picks')
            continue
        unused = _unused(p)
        if unused or not p.autoconnect:
            hints[f'slave:{p.iface}'] = unused or f'autoconnect=false in {p.path}'
        if unused:
            continue
        ports += [p._replace(iface=pattern) for pattern in p.match] if p.match and \
            not p.iface else [p]
    return ports, hints


def _unused(p: Profile) -> str | None:
    if p.rejected:
        return p.rejected
    if p.ignored:
        return f'NetworkManager ignores {p.path} ({p.ignored})'
    return f'{p.path} exists only at runtime (/run)' if p.runtime else None
