"""netplan YAML (design §4.3), read through PyYAML's composer only.

yaml.compose with a SafeLoader that refuses every alias (billion laughs,
self-referencing nodes) and caps nodes and depth; scalars stay the strings
netplan (libyaml) sees: safe_load would turn a MAC into an integer and `on`
into True. Files of /lib, /etc and /run/netplan merge in name order (one
name: /run beats /etc beats /lib). The generator's output in /run is derived
from these files at every boot, so it is never a source of its own; the
bonds are predicted by running their parameters through the renderer's
semantics (networkd, or NetworkManager).
"""
from __future__ import annotations

from . import nm
from .model import Definition, Port, Setting, canonical, mac, targets, timespan_ms

DIRS = ('/run/netplan', '/etc/netplan', '/lib/netplan')
GENERATORS = ('/usr/lib/systemd/system-generators/netplan',
              '/lib/systemd/system-generators/netplan')
MAX_NODES = 100_000
MAX_DEPTH = 64
TOOL = 'netplan'
MISSING_YAML = ('netplan files found but PyYAML is not installed: netplan drift is not '
                'checked (apt install python3-yaml, or pip install check_bonding[netplan])')
PARAMETERS = {  # netplan parameter -> (kernel option, kind)
    'mode': ('mode', 'name'), 'lacp-rate': ('lacp_rate', 'name'),
    'mii-monitor-interval': ('miimon', 'ms'), 'up-delay': ('updelay', 'ms'),
    'down-delay': ('downdelay', 'ms'), 'arp-interval': ('arp_interval', 'ms'),
    'arp-ip-targets': ('arp_ip_target', 'list'), 'arp-validate': ('arp_validate', 'name'),
    'primary-reselect-policy': ('primary_reselect', 'name'),
    'transmit-hash-policy': ('xmit_hash_policy', 'name'), 'ad-select': ('ad_select', 'name'),
    'min-links': ('min_links', 'int'), 'fail-over-mac-policy': ('fail_over_mac', 'name'),
    'primary': ('primary', 'id')}


class YamlError(ValueError):
    """A file netplan would not read, or that we refuse to (aliases, size)."""


def available() -> bool:
    try:
        import yaml  # noqa: F401
    except ImportError:
        return False
    return True


def compose(data: bytes):
    """The node tree of one YAML document, or YamlError. Only the composer runs:
    no tag is ever constructed."""
    import yaml

    class Loader(yaml.SafeLoader):
        nodes = depth = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise YamlError(f'line {mark.line + 1}: YAML alias refused')
            self.nodes += 1
            self.depth += 1
            if self.nodes > MAX_NODES or self.depth > MAX_DEPTH:
                raise YamlError('too many nodes or nested too deep, refused')
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1
    loader = None
    try:
        loader = Loader(data)
        return loader.get_single_node()
    except yaml.YAMLError as err:
        raise YamlError(str(err).splitlines()[0] if str(err) else type(err).__name__) from None
    except RecursionError:
        raise YamlError('nested too deep, refused') from None
    finally:
        if loader is not None:
            loader.dispose()


def to_python(node, notes: list, where: str):
    """Nodes as dicts, lists and raw scalar strings; a duplicate key merges (and is noted)."""
    import yaml
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            value = to_python(value_node, notes, where)
            if key in result:
                notes.append(f'{where}: duplicate key "{key}" (line {key_node.start_mark.line + 1}'
                             '): netplan merges them')
                value = merge(result[key], value)
            result[key] = value
        return result
    if isinstance(node, yaml.SequenceNode):
        return [to_python(item, notes, where) for item in node.value]
    return node.value if node is not None else None


def merge(old, new):
    """netplan's merge: mappings merge, sequences append, scalars override."""
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for key, value in new.items():
            merged[key] = merge(old[key], value) if key in old else value
        return merged
    if isinstance(old, list) and isinstance(new, list):
        return old + new
    return new


def files(tree) -> list:
    return tree.layered(DIRS, ('.yaml',))


def read(tree) -> tuple:
    """(merged network mapping, {id: file that defines it}, notes)."""
    network, origin, notes = {}, {}, []
    for path in files(tree):
        found = tree.read(path)
        if found is None:
            continue
        try:
            document = to_python(compose(found.data), notes, path)
        except YamlError as why:
            notes.append(f'netplan cannot read {path}: {why}')
            continue
        part = document.get('network') if isinstance(document, dict) else None
        if not isinstance(part, dict):
            continue
        for kind in ('ethernets', 'bonds'):
            for ident in part.get(kind) or {} if isinstance(part.get(kind), dict) else {}:
                origin.setdefault(ident, path)
        network = merge(network, part)
    return network, origin, notes


def definitions(network: dict, origin: dict, notes: list) -> list:
    """The bonds netplan's generator renders, predicted through the renderer's tool."""
    ethernets = network.get('ethernets') if isinstance(network.get('ethernets'), dict) else {}
    bonds = network.get('bonds') if isinstance(network.get('bonds'), dict) else {}
    default_renderer = _renderer(network, 'networkd')
    result = []
    for name, bond in bonds.items():
        path = origin.get(name, '/etc/netplan')
        if not isinstance(bond, dict):
            notes.append(f'{path}: bond {name} is not a mapping, ignored')
            continue
        renderer = _renderer(bond, _renderer(bonds, default_renderer))
        members = bond.get('interfaces') if isinstance(bond.get('interfaces'), list) else []
        params = bond.get('parameters') if isinstance(bond.get('parameters'), dict) else {}
        undefined = [m for m in members if m not in ethernets]
        primary = params.get('primary')
        if primary is not None and primary not in members:
            undefined.append(primary)
        ports = tuple(port for m in members if m in ethernets
                      for port in _ports(m, ethernets[m], origin.get(m, path)))
        if undefined:
            result.append(Definition(name, TOOL, 'netplan', path, {}, ports,
                                     f'netplan rejects {path}: interface '
                                     f"'{undefined[0]}' is not defined"))
            continue
        if renderer == 'NetworkManager':
            result.append(_through_nm(name, path, params, ports, ethernets))
        else:
            result.append(_through_networkd(name, path, params, ports, ethernets))
    return result


def _renderer(mapping, default):
    value = mapping.get('renderer') if isinstance(mapping, dict) else None
    return value if value in ('networkd', 'NetworkManager') else default


def _ports(ident, ethernet, path) -> list:
    """Slave names of one ethernets: entry: set-name, else match name (glob), else the
    id; only a MAC to match by when that is all there is."""
    ethernet = ethernet if isinstance(ethernet, dict) else {}
    match = ethernet.get('match') if isinstance(ethernet.get('match'), dict) else {}
    pinned = mac(match.get('macaddress'))
    name = ethernet.get('set-name') or match.get('name')
    if name is None and pinned:
        return [Port(None, pinned, path, None)]
    return [Port(name or ident, pinned, path, None, 'macaddress' if pinned else None)]


def _slave_name(ident, ethernets):
    port = _ports(ident, ethernets.get(ident), None)[0]
    return port.name


def _through_networkd(name, path, params, ports, ethernets) -> Definition:
    """What networkd gets: bare intervals with 'ms' appended, PrimarySlave= on the member."""
    options, notes = {}, []
    for key, value in params.items():
        option, kind = PARAMETERS.get(key, (None, None))
        if option is None or value is None:
            continue
        if kind == 'ms':
            text = str(value).strip()
            converted = timespan_ms(text + 'ms' if text.isdigit() else text)
        elif kind == 'list':
            converted = tuple(targets(' '.join(map(str, value)))) if isinstance(
                value, list) else None
        elif kind == 'id':
            converted = _slave_name(value, ethernets)
        elif kind == 'int':
            converted = canonical(option, value)
        else:
            converted = canonical(option, value, numbers=False)
        if converted is None:
            notes.append(f'{path}: invalid {key} "{value}" for bond {name}')
            continue
        options[option] = Setting(converted, path, None)
    if options.get('miimon') and options['miimon'].value == 0:
        del options['miimon']
    return Definition(name, 'netplan (systemd-networkd)', 'netplan', path, options, ports,
                      None, tuple(notes))


def _through_nm(name, path, params, ports, ethernets) -> Definition:
    """What NetworkManager gets: option strings copied verbatim (so miimon=1s is
    dropped by NM, which uses its default), primary=<netplan id>."""
    names = {'mii-monitor-interval': 'miimon', 'up-delay': 'updelay', 'down-delay': 'downdelay',
             'arp-interval': 'arp_interval'}
    raw = {}
    for key, value in params.items():
        option = names.get(key) or PARAMETERS.get(key, (None,))[0]
        if option is None or value is None:
            continue
        text = ','.join(map(str, value)) if isinstance(value, list) else str(value)
        raw[option] = (text, None)
    options, explain, notes, invalid = nm.bond_options(raw, path)
    boot = f'NetworkManager rejects the profile of {path} ({invalid})' if invalid else None
    return Definition(name, 'netplan (NetworkManager)', 'netplan', path, options, ports, boot,
                      tuple(notes), explain)
