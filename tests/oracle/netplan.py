"""netplan.io 1.1's generator on the plugin's own trees: `netplan generate
--root-dir CASE` writes the .netdev/.network files (networkd renderer) or the
keyfiles (NetworkManager renderer) a boot would get, or refuses the whole run
with an error naming the file. The generated .netdev is read with the
plugin's networkd reader (itself checked against networkd in networkd.py),
the generated keyfile with `nmcli --offline` (as in nm.py).
"""
import re
from pathlib import Path

from check_bonding import drift
from check_bonding.drift import files, networkd as networkd_reader

from . import nm

TOOL = 'netplan'
COMMAND = ('netplan generate --root-dir CASE; then nmcli --offline connection modify '
           'connection.zone "" <GENERATED KEYFILE')
SAMPLES = Path(__file__).resolve().parents[1] / 'data/drift'
MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb',
         'balance-alb']


def yaml(bonds: str, ethernets: str = 'eno1: {}\n    eno2: {}', renderer: str = '') -> str:
    head = f'  renderer: {renderer}\n' if renderer else ''
    return f'network:\n  version: 2\n{head}  ethernets:\n    {ethernets}\n  bonds:\n{bonds}'


def bond(*params: str, name: str = 'bond0', members: str = '[eno1, eno2]') -> str:
    lines = ''.join(f'        {p}\n' for p in params)
    return f'    {name}:\n      interfaces: {members}\n      parameters:\n{lines}'


def one(*params: str, renderer: str = '', path: str = 'etc/netplan/50-bond.yaml') -> dict:
    return {path: yaml(bond(*params), renderer=renderer)}


def sample(name: str) -> dict:
    return {str(p.relative_to(SAMPLES / name)): p.read_text()
            for p in sorted((SAMPLES / name).glob('*/netplan/*.yaml'))}


ALL_MODES = yaml(''.join(bond(f'mode: {m}', name=f'bond{i}', members=f'[e{i}a, e{i}b]')
                         for i, m in enumerate(MODES)),
                 ethernets='\n    '.join(f'e{i}{x}: {{}}' for i in range(7) for x in 'ab'))
CASES = {
    'mode-names': {'etc/netplan/50-bond.yaml': ALL_MODES},
    **{f'mode-{i}': one(f'mode: {i}') for i in range(7)},
    'mode-Active-Backup': one('mode: Active-Backup'),
    'lacp-rate-fast': one('mode: 802.3ad', 'lacp-rate: fast'),
    'lacp-rate-1': one('mode: 802.3ad', 'lacp-rate: 1'),
    'lacp-rate-Fast': one('mode: 802.3ad', 'lacp-rate: Fast'),
    'enums-by-name': one('mode: 802.3ad', 'transmit-hash-policy: layer3+4',
                         'ad-select: bandwidth', 'min-links: 2'),
    'enums-active-backup': one('mode: active-backup', 'fail-over-mac-policy: follow',
                               'primary-reselect-policy: better', 'arp-validate: all'),
    'enums-by-number': one('mode: 802.3ad', 'transmit-hash-policy: 1', 'ad-select: 2',
                           'lacp-rate: fast'),
    'enums-networkd-lacks': one('mode: 802.3ad', 'transmit-hash-policy: vlan+srcmac',
                                'arp-validate: filter'),
    'enums-capitals': one('mode: active-backup', 'fail-over-mac-policy: Active',
                          'primary-reselect-policy: Always'),
    'intervals-bare': one('mode: active-backup', 'mii-monitor-interval: 100', 'up-delay: 200',
                          'down-delay: 0'),
    'intervals-units': one('mode: active-backup', 'mii-monitor-interval: 1s',
                           'up-delay: 1min 40s', 'down-delay: 1.5s'),
    'intervals-bad': one('mode: active-backup', 'mii-monitor-interval: 100 ms',
                         'up-delay: fast'),
    'arp': one('mode: active-backup', 'arp-interval: 500', 'arp-ip-targets: [192.0.2.1, '
               '192.0.2.2]', 'arp-validate: active'),
    'arp-bad-target': one('mode: active-backup', 'arp-interval: 500',
                          'arp-ip-targets: [gateway]'),
    'arp-and-miimon': one('mode: active-backup', 'arp-interval: 500', 'mii-monitor-interval: 100',
                          'arp-ip-targets: [192.0.2.1]'),
    'min-links-bad': one('mode: 802.3ad', 'min-links: two'),
    'min-links-zero': one('mode: 802.3ad', 'min-links: 0'),
    'unknown-parameter': one('mode: 802.3ad', 'lacp_rate: fast'),
    'flag-bad': one('mode: 802.3ad', 'all-members-active: maybe'),
    'primary': one('mode: active-backup', 'primary: eno2'),
    'primary-undefined': one('mode: active-backup', 'primary: eth0'),
    'member-undefined': {'etc/netplan/50-bond.yaml': yaml(bond('mode: 802.3ad',
                                                               members='[eno1, eno3]'))},
    'members-by-mac': {'etc/netplan/50-bond.yaml': yaml(
        bond('mode: active-backup', 'primary: port0', members='[port0, port1]'),
        ethernets='port0: {match: {macaddress: "02:00:00:00:00:01"}}\n'
                  '    port1: {match: {macaddress: "02:00:00:00:00:02"}, set-name: eno2}')},
    'members-by-glob': {'etc/netplan/50-bond.yaml': yaml(
        bond('mode: 802.3ad', members='[ports]'), ethernets='ports: {match: {name: "en*"}}')},
    'override-later-file': {
        'etc/netplan/01-base.yaml': yaml(bond('mode: active-backup', 'mii-monitor-interval: 100',
                                              'up-delay: 200')),
        'etc/netplan/99-local.yaml': 'network:\n  bonds:\n    bond0:\n      parameters:\n'
                                     '        mii-monitor-interval: 250\n'},
    'override-run-shadows-etc': {
        'etc/netplan/50-bond.yaml': yaml(bond('mode: active-backup')),
        'run/netplan/50-bond.yaml': yaml(bond('mode: 802.3ad', 'lacp-rate: fast')),
        'lib/netplan/40-base.yaml': yaml(bond('mode: balance-xor', 'min-links: 1'))},
    'override-second-primary': {
        'etc/netplan/01-base.yaml': yaml(bond('mode: active-backup', 'primary: eno1')),
        'etc/netplan/99-local.yaml': 'network:\n  bonds:\n    bond0:\n      parameters:\n'
                                     '        primary: eno2\n'},
    'override-targets-append': {
        'etc/netplan/01-base.yaml': yaml(bond('mode: active-backup', 'arp-interval: 500',
                                              'arp-ip-targets: [192.0.2.1]')),
        'etc/netplan/99-local.yaml': 'network:\n  bonds:\n    bond0:\n      parameters:\n'
                                     '        arp-ip-targets: [192.0.2.9, 192.0.2.8]\n'},
    'duplicate-key': {'etc/netplan/50-bond.yaml': yaml(bond('mode: 802.3ad')) +
                      '  bonds:\n    bond0:\n      parameters:\n        lacp-rate: fast\n'},
    'yaml-alias': {'etc/netplan/50-bond.yaml': yaml(
        bond('mode: active-backup'), ethernets='eno1: &port {}\n    eno2: *port')},
    'yaml-syntax-error': {'etc/netplan/50-bond.yaml': yaml(bond('mode: [active-backup'))},
    'nm-modes': {'etc/netplan/50-bond.yaml': ALL_MODES.replace('  ethernets:',
                                                               '  renderer: NetworkManager\n'
                                                               '  ethernets:')},
    'nm-miimon-unit': one('mode: balance-alb', 'mii-monitor-interval: 1s',
                          renderer='NetworkManager'),
    'nm-lacp-in-active-backup': one('mode: active-backup', 'lacp-rate: fast',
                                    renderer='NetworkManager'),
    'nm-arp-without-targets': one('mode: active-backup', 'arp-interval: 500',
                                  renderer='NetworkManager'),
    'nm-enums': one('mode: 802.3ad', 'lacp-rate: fast', 'transmit-hash-policy: layer2+3',
                    'ad-select: count', 'min-links: 1', 'up-delay: 200',
                    renderer='NetworkManager'),
    'renderer-of-bonds': {'etc/netplan/50-bond.yaml': yaml(
        '    renderer: NetworkManager\n' + bond('mode: 802.3ad', 'lacp-rate: fast'))},
    'renderer-of-the-bond': {'etc/netplan/50-bond.yaml': yaml(
        bond('mode: 802.3ad').replace('      interfaces:', '      renderer: NetworkManager\n'
                                      '      interfaces:'))},
    'renderer-of-bonds-over-network': {'etc/netplan/50-bond.yaml': yaml(
        '    renderer: networkd\n' + bond('mode: balance-xor'), renderer='NetworkManager',
        ethernets='renderer: networkd\n    eno1: {}\n    eno2: {}')},
    'sample-ubuntu2204-netplan-broken': sample('ubuntu2204-netplan-broken'),
    'sample-ubuntu2204-netplan-networkd': sample('ubuntu2204-netplan-networkd'),
    'sample-ubuntu2404-netplan-nm': sample('ubuntu2404-netplan-nm'),
}
SCRIPT = r'''
cd "$1"
for d in */; do
  d=${d%/}
  netplan generate --root-dir "$PWD/$d" >"$d/out/output" 2>&1 \
    && echo 0 >"$d/out/rc" || echo $? >"$d/out/rc"
  grep -v "systemctl\|Failed to connect\|System has not been booted\|reload request" \
    "$d/out/output" | sed "s|$PWD/$d||" >"$d/out/errors" || true
  rm "$d/out/output"
  for f in "$d"/run/systemd/network/*.netdev "$d"/run/systemd/network/*.network; do
    [ -f "$f" ] && grep -q "^Kind=bond\|^Bond=" "$f" && cp "$f" "$d/out/"
  done
  for f in "$d"/run/NetworkManager/system-connections/*bond*.nmconnection; do
    [ -f "$f" ] || continue
    b=$(basename "$f")
    nmcli --offline connection modify connection.zone "" <"$f" >"$d/out/$b.keyfile" \
      2>"$d/out/$b.stderr" && echo 0 >"$d/out/$b.rc" || echo $? >"$d/out/$b.rc"
    sed -n '/^\[bond\]/,/^$/p' "$d/out/$b.keyfile" >"$d/out/$b.bond"; rm "$d/out/$b.keyfile"
  done
done
'''
ERROR = re.compile(r'^(/\S+?\.yaml):\d+:\d+: (?:Error in network definition: )?(.*)$', re.M)


def rejection(output: dict):
    """(file, netplan's reason) where it generates nothing, else None."""
    if output['rc'].strip() == '0':
        return None
    found = ERROR.search(output['errors'])
    assert found, output['errors']
    return found.groups()


def netplan_order(case: dict) -> list:
    """The YAML files in the order netplan reads them (one name: /run, /etc, /lib)."""
    chosen = {}
    for top in ('run', 'etc', 'lib'):
        for path in sorted(p for p in case if p.startswith(f'{top}/netplan/')):
            chosen.setdefault(path.rsplit('/', 1)[1], path)
    return [chosen[name] for name in sorted(chosen)]


def winner(case: dict, bond: str, parameter: str):
    """The file whose value of a bond parameter netplan keeps: the last that sets it."""
    from check_bonding.drift import yamlsafe  # plain YAML; duplicate keys merge
    found = None
    for path in netplan_order(case):
        document = yamlsafe.to_python(yamlsafe.compose(case[path].encode()), [], path) or {}
        params = (((document.get('network') or {}).get('bonds') or {}).get(bond) or {}) \
            .get('parameters') or {}
        if parameter in params:
            found = '/' + path
    return found


def members(output: dict, bond: str) -> tuple:
    """({(Name or None, PermanentMACAddress or None)}, the PrimarySlave member) of the
    .network files netplan writes for a bond."""
    ports, primary = set(), None
    for name, text in output.items():
        if name.endswith('.network') and re.search(rf'^Bond={re.escape(bond)}$', text, re.M):
            match = re.search(r'^Name=(\S+)', text, re.M)
            address = re.search(r'^PermanentMACAddress=(\S+)', text, re.M)
            port = (match and match.group(1), address and address.group(1).lower())
            ports.add(port)
            if re.search(r'^PrimarySlave=(true|yes|1)$', text, re.M):
                primary = port[0]
    return ports, primary


def generated_options(text: str) -> dict:
    """What networkd makes of a generated .netdev (the plugin's networkd reader,
    itself checked against networkd in networkd.py)."""
    entries = [(s, k, v, n, 'generated') for s, k, v, n in networkd_reader.parse(text)]
    options, _, _ = networkd_reader.bond_settings(entries, 'generated')
    return {k: s.value for k, s in networkd_reader.sent(options, 'generated')[0].items()}


def disagreements(case: dict, output: dict, tmp_path) -> list:
    for path, text in case.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    prediction, tree = drift.configuration(str(tmp_path), 'netplan')
    ours = {name: d[0] for name, d in prediction.definitions.items()}
    refused = rejection(output)
    if any(re.search(r'&\w+', text) for text in case.values()):
        unread = [path for path, *_ in tree.unread]
        return [] if unread else [f'netplan reads the aliases, check_bonding claims {ours}']
    if refused:
        return _refused(refused, ours, tree)
    problems = []
    for name, text in sorted(output.items()):
        if name.endswith('.netdev'):
            bond = re.search(r'^Name=(\S+)', text, re.M).group(1)
            problems += _networkd(case, bond, text, output, ours.get(bond))
        elif name.endswith('.nmconnection.bond'):
            bond = name.split('netplan-', 1)[1].split('.')[0]
            problems += _nm(bond, output, name[:-len('.bond')], ours.get(bond))
    return problems


def _refused(refused, ours: dict, tree: files.Tree) -> list:
    path, why = refused
    texts = [d.boot or '' for d in ours.values()] + [t for _, t, _ in tree.rejected]
    if not texts or not all(t.startswith('netplan rejects') and path in t for t in texts):
        return [f'netplan rejects {path} ({why}); check_bonding: {texts or "nothing"}']
    return []


def _networkd(case, bond, text, output, ours) -> list:
    if ours is None or ours.boot or ours.tool != 'netplan (systemd-networkd)':
        return [f'{bond}: netplan renders it for networkd, check_bonding: {ours}']
    want = generated_options(text)
    have = {k: s.value for k, s in ours.options.items() if k != 'primary'}
    problems = [] if want == have else [f'{bond}: networkd gets {want}, check_bonding {have}']
    problems += [f'{bond} {key}: netplan keeps the value of {winner(case, bond, param)}, '
                 f'check_bonding names {ours.options[key].file}'
                 for key, param in (('miimon', 'mii-monitor-interval'), ('mode', 'mode'),
                                    ('lacp_rate', 'lacp-rate'), ('min_links', 'min-links'),
                                    ('updelay', 'up-delay'))
                 if key in ours.options and ours.options[key].file != winner(case, bond, param)]
    ports, primary = members(output, bond)
    got = {(p.name, p.mac) for p in ours.ports}
    got_primary = ours.options['primary'].value if 'primary' in ours.options else None
    if (got, got_primary) != (ports, primary):
        problems.append(f'{bond}: netplan writes members {sorted(ports, key=str)} (primary '
                        f'{primary}), check_bonding {sorted(got, key=str)} ({got_primary})')
    return problems


def _nm(bond, output, name, ours) -> list:
    normalised, error = nm.reading({'rc': output[f'{name}.rc'], 'stderr': output[f'{name}.stderr'],
                                    'bond': output[f'{name}.bond']})
    if ours is None or ours.tool != 'netplan (NetworkManager)':
        return [f'{bond}: netplan renders it for NetworkManager, check_bonding: {ours}']
    if (normalised is None) != bool(ours.boot):
        return [f'{bond}: NetworkManager: {error or "loads it"}; check_bonding: '
                f'{ours.boot or "loads it"}']
    return [f'{bond} {key}: NetworkManager {value}, check_bonding {ours.options[key].value}'
            for key, value in (normalised or {}).items()
            if key in ours.options and nm.canonical(key, value) != ours.options[key].value]
