"""netplan 1.1 YAML (design §4.3): the bonds its generator renders.

Files of /lib, /etc and /run/netplan merge in name order (one name: /run
beats /etc beats /lib): mappings merge, later scalars win, so each parameter
is named with the file whose value wins. The generator's output in /run is
derived from these files at every boot, never a source of its own. netplan
refuses a value it does not know (a mode by number, `lacp-rate: 1`, an
undefined interface, two primaries...) and then generates nothing at all:
no netplan bond comes up (netplanrules.py). A bond is predicted by writing
its parameters as netplan's writer does and reading them with the
renderer's own rules: the .netdev through networkd.py, the keyfile through
nmbond.py. The YAML itself is read by yamlsafe.py.
"""
from __future__ import annotations

from collections import namedtuple
from functools import partial

from . import netplanrules, networkd, nmbond
from .model import Definition, Port, Setting, mac
from .yamlsafe import YamlError, Refused, available, compose, merge, to_python  # noqa: F401

DIRS = ('/run/netplan', '/etc/netplan', '/lib/netplan')
GENERATORS = ('/usr/lib/systemd/system-generators/netplan',
              '/lib/systemd/system-generators/netplan')
TOOL = 'netplan'
MISSING_YAML = ('netplan files found but PyYAML is not installed: netplan drift is not '
                'checked (apt install python3-yaml, or pip install check_bonding[netplan])')
NETDEV = {  # parameter -> [Bond] key of the .netdev netplan writes (networkd.c)
    'mode': 'Mode', 'lacp-rate': 'LACPTransmitRate', 'mii-monitor-interval': 'MIIMonitorSec',
    'min-links': 'MinLinks', 'transmit-hash-policy': 'TransmitHashPolicy',
    'ad-select': 'AdSelect', 'arp-interval': 'ARPIntervalSec', 'arp-ip-targets': 'ARPIPTargets',
    'arp-validate': 'ARPValidate', 'up-delay': 'UpDelaySec', 'down-delay': 'DownDelaySec',
    'fail-over-mac-policy': 'FailOverMACPolicy', 'primary-reselect-policy':
    'PrimaryReselectPolicy'}
INTERVALS = ('mii-monitor-interval', 'arp-interval', 'up-delay', 'down-delay')
KEYFILE = {  # parameter -> [bond] key of the keyfile netplan writes (nm.c)
    'mode': 'mode', 'lacp-rate': 'lacp_rate', 'mii-monitor-interval': 'miimon',
    'min-links': 'min_links', 'transmit-hash-policy': 'xmit_hash_policy',
    'ad-select': 'ad_select', 'arp-interval': 'arp_interval', 'arp-ip-targets': 'arp_ip_target',
    'arp-validate': 'arp_validate', 'up-delay': 'updelay', 'down-delay': 'downdelay',
    'fail-over-mac-policy': 'fail_over_mac', 'primary-reselect-policy': 'primary_reselect',
    'primary': 'primary'}

Netplan = namedtuple('Netplan', 'network origin primaries notes rejected')


def files(tree) -> list:
    return tree.layered(DIRS, ('.yaml',))


def read(tree) -> Netplan:
    """The merged network mapping; origin {(id, parameter or None): file whose
    value wins}; {bond: {primary: file}}; notes; why netplan rejects files."""
    network, origin, primaries, notes, rejected = {}, {}, {}, [], []
    for path in files(tree):
        found = tree.read(path)
        if found is None:
            continue
        try:
            document = to_python(compose(found.data), notes, path)
        except Refused as why:
            tree.unread.append((path, f'{why} (netplan reads it)', tree.source))
            continue
        except YamlError as why:
            rejected.append(f'netplan rejects {path}: {why}')
            continue
        part = document.get('network') if isinstance(document, dict) else None
        if isinstance(part, dict):
            _origins(part, path, origin, primaries)
            network = merge(network, part)
    return Netplan(network, origin, primaries, notes, rejected)


def _origins(part: dict, path: str, origin: dict, primaries: dict) -> None:
    for devices in part.values():
        for ident, body in _devices(devices).items():
            origin.setdefault((ident, None), path)
            params = body.get('parameters') if isinstance(body, dict) else None
            for key, value in (params.items() if isinstance(params, dict) else ()):
                origin[(ident, key)] = path
                if key == 'primary':
                    primaries.setdefault(ident, {}).setdefault(str(value), path)


def definitions(plan: Netplan) -> list:
    """The bonds netplan's generator renders, predicted through the renderer's tool."""
    network = plan.network
    devices = _mapping(network.get('ethernets'))
    bonds = _devices(network.get('bonds'))
    rejected = plan.rejected + netplanrules.rejections(network, plan.origin, plan.primaries)
    result = []
    for name, bond in bonds.items():
        path = plan.origin.get((name, None), '/etc/netplan')
        if not isinstance(bond, dict):
            plan.notes.append(f'{path}: bond {name} is not a mapping, ignored')
            continue
        params = _mapping(bond.get('parameters'))
        members = [m for m in bond.get('interfaces') or () if isinstance(m, str)] \
            if isinstance(bond.get('interfaces'), list) else []
        ports = tuple(_port(m, devices[m], plan.origin.get((m, None), path))
                      for m in members if m in devices)
        where = {key: plan.origin.get((name, key), path) for key in params}
        if _renderer(bond, _renderer(network.get('bonds'), _renderer(network, 'networkd'))) == \
                'NetworkManager':
            definition = _through_nm(name, path, params, where, ports)
        else:
            definition = _through_networkd(name, path, params, where, ports, devices)
        result.append(definition._replace(boot=rejected[0]) if rejected else definition)
    return result


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _devices(value) -> dict:
    """The devices of one type (`bonds:`): every key but `renderer`, that type's renderer."""
    return {k: v for k, v in _mapping(value).items() if k != 'renderer'}


def _renderer(mapping, default):
    value = mapping.get('renderer') if isinstance(mapping, dict) else None
    return value if value in ('networkd', 'NetworkManager') else default


def _port(ident, ethernet, path) -> Port:
    """A member as its .network matches it: set-name, else match name (a glob),
    else the id; by MAC alone when there is no name."""
    match = _mapping(_mapping(ethernet).get('match'))
    pinned = mac(match.get('macaddress'))
    name = _mapping(ethernet).get('set-name') or match.get('name')
    if name is None and pinned:
        return Port(None, pinned, path, None)
    return Port(name or ident, pinned, path, None, 'macaddress' if pinned else None)


def _through_networkd(name, path, params, where, ports, devices) -> Definition:
    """The [Bond] section netplan writes (bare intervals get 'ms'), read by networkd.py;
    PrimarySlave= goes on the primary member's .network."""
    entries = []
    for key, value in params.items():
        if key not in NETDEV or value is None:
            continue
        text = ' '.join(map(str, value)) if isinstance(value, list) else str(value)
        if key in INTERVALS and text.strip().isdigit():
            text += 'ms'
        entries.append(('Bond', NETDEV[key], text, None, where[key]))
    options, notes, explain = networkd.bond_settings(entries, path)
    options, dropped = networkd.sent(options, path)
    explain.update(dropped)
    resolve = None
    primary = params.get('primary')
    if primary in devices:
        port = _port(primary, devices[primary], where['primary'])
        options['primary'] = Setting(port.name, where['primary'], None)
        resolve = partial(_primary_by_mac, port.mac) if port.name is None else None
    return Definition(name, 'netplan (systemd-networkd)', 'netplan', path, options, ports,
                      None, tuple(notes), explain, resolve=resolve)


def _primary_by_mac(address, definition: Definition, run) -> Definition:
    """The primary member netplan matches by MAC alone: the running slave with that MAC."""
    slave = next((s for s in run.slaves if run.macs.get(s) == address), None)
    options = dict(definition.options)
    if slave is None:
        options.pop('primary', None)  # the member is missing: reported as such
    else:
        options['primary'] = options['primary']._replace(value=slave)
    return definition._replace(options=options, resolve=None)


def _through_nm(name, path, params, where, ports) -> Definition:
    """The keyfile netplan writes: values copied verbatim (miimon=1s is then dropped
    by NetworkManager, which uses its default), primary=<netplan id>."""
    raw = {KEYFILE[key]: (','.join(map(str, value)) if isinstance(value, list) else str(value),
                          None)
           for key, value in params.items() if key in KEYFILE and value is not None}
    options, explain, notes, invalid = nmbond.bond_options(raw, path)
    files_of = {KEYFILE[key]: where[key] for key in params if key in KEYFILE}
    options = {k: s._replace(file=files_of.get(k, s.file)) for k, s in options.items()}
    boot = f'NetworkManager rejects the profile netplan writes for {path} ({invalid})' \
        if invalid else None
    return Definition(name, 'netplan (NetworkManager)', 'netplan', path, options, ports, boot,
                      tuple(notes), explain)
