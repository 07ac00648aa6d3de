"""systemd-networkd 257 itself, in a network namespace of its own.

Each case's .netdev/.network files are bound over /etc/systemd/network,
veth pairs are made with the case's names and MACs, /sys is read-only (no
udev: links count as initialised) and networkd runs until it has matched
every link. Its debug log says which [Bond] values it refuses ("Failed to
parse Mode=1, ignoring") and which .network file each link takes ("Found
matching .network file"): the first match wins. The bond itself cannot be
made (the host kernel has no bonding module); what it would get is read from
the values networkd keeps, with `systemd-analyze timespan` for the spans.
veths have no permanent MAC, so PermanentMACAddress= is not in this matrix.
"""
import re
from collections import namedtuple

from check_bonding.drift import running

TOOL = 'networkd'
COMMAND = ('systemd-networkd (SYSTEMD_LOG_LEVEL=debug) in `unshare --mount --net` with the case '
           'bound over /etc/systemd/network and its veths made; systemd-analyze timespan per *Sec=')
LINKS = {'eno1': '02:00:00:00:00:01', 'eno2': '02:00:00:00:00:02', 'eno3': '02:00:00:00:00:03',
         'ens1f0': '02:00:00:00:00:10'}
BOND_KEYS = {'Mode': 'mode', 'TransmitHashPolicy': 'xmit_hash_policy',
             'LACPTransmitRate': 'lacp_rate', 'AdSelect': 'ad_select',
             'FailOverMACPolicy': 'fail_over_mac', 'PrimaryReselectPolicy': 'primary_reselect',
             'ARPValidate': 'arp_validate', 'MinLinks': 'min_links', 'MIIMonitorSec': 'miimon',
             'UpDelaySec': 'updelay', 'DownDelaySec': 'downdelay',
             'ARPIntervalSec': 'arp_interval', 'ARPIPTargets': 'arp_ip_target'}


def netdev(name: str, *bond: str) -> str:
    return f'[NetDev]\nName={name}\nKind=bond\n\n[Bond]\n' + ''.join(f'{b}\n' for b in bond)


def network(match: str, *more: str, bond: str = 'bond0') -> str:
    return f'[Match]\n{match}\n\n[Network]\nBond={bond}\n' + ''.join(f'{m}\n' for m in more)


MEMBERS = {'network/30-eno1.network': network('Name=eno1')}
MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb',
         'balance-alb']
ENUMS = ['TransmitHashPolicy', 'LACPTransmitRate', 'AdSelect', 'FailOverMACPolicy',
         'PrimaryReselectPolicy', 'ARPValidate']


def bonds(values: list, key: str = 'Mode') -> dict:
    return {f'network/1{i}-bond{i}.netdev': netdev(f'bond{i}', f'{key}={v}')
            for i, v in enumerate(values)}


CASES = {
    'mode-names': {**bonds(MODES), **MEMBERS},
    'mode-numbers': {**bonds(['0', '1', '2', '3', '4', '5', '6']), **MEMBERS},
    'mode-spelling': {**bonds(['Active-Backup', 'ACTIVE-BACKUP', '802.3AD', ' active-backup',
                               'active_backup', '']), **MEMBERS},
    'enum-names': {'network/10-bond0.netdev': netdev(
        'bond0', 'Mode=802.3ad', 'TransmitHashPolicy=layer3+4', 'LACPTransmitRate=fast',
        'AdSelect=count', 'FailOverMACPolicy=active', 'PrimaryReselectPolicy=better',
        'ARPValidate=filter_backup', 'MinLinks=2'), **MEMBERS},
    'enum-other-names': {'network/10-bond0.netdev': netdev(
        'bond0', 'TransmitHashPolicy=vlan+srcmac', 'LACPTransmitRate=slow',
        'AdSelect=bandwidth', 'FailOverMACPolicy=follow', 'PrimaryReselectPolicy=failure',
        'ARPValidate=all', 'MinLinks=0'), **MEMBERS},
    'enum-numbers': {'network/10-bond0.netdev': netdev(
        'bond0', *(f'{key}=1' for key in ENUMS), 'MinLinks=-1'), **MEMBERS},
    'enum-spelling': {'network/10-bond0.netdev': netdev(
        'bond0', 'TransmitHashPolicy=Layer3+4', 'LACPTransmitRate=Fast', 'AdSelect=COUNT',
        'FailOverMACPolicy=Active', 'PrimaryReselectPolicy=Better', 'ARPValidate=All',
        'MinLinks=two'), **MEMBERS},
    'spans': {**bonds(['100', '100ms', '1min 40s', '0', '1x', '1.5s', '2 seconds', '100us'],
                      'MIIMonitorSec'), **MEMBERS},
    'delays': {'network/10-bond0.netdev': netdev(
        'bond0', 'MIIMonitorSec=100ms', 'UpDelaySec=2', 'DownDelaySec=200 ms'), **MEMBERS},
    'arp-targets': {'network/10-bond0.netdev': netdev(
        'bond0', 'ARPIntervalSec=500ms', 'ARPIPTargets=192.0.2.1', 'ARPIPTargets=192.0.2.2 x',
        'ARPIPTargets=', 'ARPIPTargets=192.0.2.3 192.0.2.4'), **MEMBERS},
    'continuation-and-comments': {'network/10-bond0.netdev': (
        '[NetDev]\nName=bond0\nKind=bond\n[Bond]\n# Mode=broadcast\n; Mode=balance-xor\n'
        'Mode=active-\\\nbackup\nMIIMonitorSec = 100ms\n'), **MEMBERS},
    'dropin-override': {
        'network/10-bond0.netdev': netdev('bond0', 'Mode=active-backup', 'MIIMonitorSec=100ms'),
        'network/10-bond0.netdev.d/50-slow.conf': '[Bond]\nMIIMonitorSec=250ms\n',
        'network/10-bond0.netdev.d/60-delay.conf': '[Bond]\nUpDelaySec=500ms\n', **MEMBERS},
    'dropin-order': {
        'network/10-bond0.netdev': netdev('bond0', 'Mode=802.3ad'),
        'network/10-bond0.netdev.d/20-b.conf': '[Bond]\nLACPTransmitRate=slow\n',
        'network/10-bond0.netdev.d/10-a.conf': '[Bond]\nLACPTransmitRate=fast\n', **MEMBERS},
    'second-netdev-same-name': {
        'network/10-bond0.netdev': netdev('bond0', 'Mode=active-backup'),
        'network/11-bond0.netdev': netdev('bond0', 'Mode=802.3ad'), **MEMBERS},
    'unknown-keys': {'network/10-bond0.netdev': netdev(
        'bond0', 'Mode=active-backup', 'PrimarySlave=eno1', 'mode=802.3ad'), **MEMBERS},
    'match-name-primary': {
        'network/10-bond0.netdev': netdev('bond0', 'Mode=active-backup'),
        'network/20-eno1.network': network('Name=eno1', 'PrimarySlave=yes'),
        'network/20-eno2.network': network('Name=eno2')},
    'match-mac-primary': {
        'network/10-bond0.netdev': netdev('bond0', 'Mode=active-backup'),
        'network/20-a.network': network(f'MACAddress={LINKS["eno2"]}', 'PrimarySlave=true'),
        'network/20-b.network': network(f'MACAddress={LINKS["eno1"].upper()}')},
    'match-glob': {
        'network/10-bond0.netdev': netdev('bond0', 'Mode=802.3ad'),
        'network/20-members.network': network('Name=eno*')},
    'match-first-wins': {
        'network/10-bond0.netdev': netdev('bond0', 'Mode=active-backup'),
        'network/05-wired.network': '[Match]\nName=en*\n\n[Network]\nLinkLocalAddressing=no\n',
        'network/20-eno1.network': network('Name=eno1', 'PrimarySlave=yes'),
        'network/20-eno2.network': network('Name=eno2')},
    'match-name-then-glob': {
        'network/10-bond0.netdev': netdev('bond0', 'Mode=active-backup'),
        'network/10-eno1.network': network('Name=eno1', 'PrimarySlave=yes'),
        'network/20-rest.network': network('Name=eno* ens*')},
    'match-lists': {
        'network/10-bond0.netdev': netdev('bond0', 'Mode=balance-xor'),
        'network/20-a.network': network('Name=eno3\nName=', 'PrimarySlave=no'),
        'network/21-b.network': network('Name=eno1 eno2\nName=ens1f0')},
    'match-negation': {
        'network/10-bond0.netdev': netdev('bond0', 'Mode=balance-xor'),
        'network/20-a.network': network('Name=!eno1 !v*\nName=!eno3')},
    'match-mac-and-name': {
        'network/10-bond0.netdev': netdev('bond0', 'Mode=active-backup'),
        'network/20-a.network': network(f'MACAddress={LINKS["eno1"]}\nName=eno2'),
        'network/21-b.network': network(f'MACAddress={LINKS["eno3"]} {LINKS["eno2"]}\nName=e*')},
    'match-two-bonds': {
        'network/10-bond0.netdev': netdev('bond0', 'Mode=active-backup'),
        'network/11-bond1.netdev': netdev('bond1', 'Mode=802.3ad'),
        'network/20-a.network': network('Name=eno1 eno2', 'PrimarySlave=yes'),
        'network/21-b.network': network('Name=eno*', bond='bond1')},
    'match-dropin': {
        'network/10-bond0.netdev': netdev('bond0', 'Mode=active-backup'),
        'network/20-a.network': network('Name=eno1'),
        'network/20-a.network.d/50-primary.conf': '[Network]\nPrimarySlave=yes\n',
        'network/21-b.network': network('Name=eno2')},
}
for _case in CASES.values():
    _case['links'] = ''.join(f'{name} {mac}\n' for name, mac in LINKS.items())

SCRIPT = r'''
for d in "$1"/*/; do
  unshare --mount --net --propagation unchanged sh -ec '
    d=$1; mount --bind "$d/network" /etc/systemd/network
    mount -t tmpfs tmpfs /run/systemd; mkdir -p /run/systemd/netif
    chown systemd-network:systemd-network /run/systemd/netif
    mount -o remount,bind,ro /sys
    n=1
    while read -r name mac; do
      ip link add "$name" address "$mac" type veth peer name "v$name"; n=$((n + 2))
    done <"$d/links"
    : >"$d/log"
    SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_COLOR=0 /usr/lib/systemd/systemd-networkd \
      >>"$d/log" 2>&1 & pid=$!
    i=0
    while [ "$i" -lt 100 ] && kill -0 "$pid" 2>/dev/null \
        && [ "$(grep -c "matching .network" "$d/log")" -lt "$n" ]; do
      sleep 0.1; i=$((i + 1)); done
    kill "$pid" 2>/dev/null || true; wait "$pid" || true
    grep -E "^/etc/systemd/network/|matching .network|already configured" "$d/log" \
      | grep -v "^lo:\|: Successfully loaded" | sort >"$d/out/log" || true
    find "$d/network" -type f -exec sed -n "s/^[A-Za-z]*Sec *= *//p" {} + | sort -u \
      | while IFS= read -r v; do
      printf "%s\t%s\n" "$v" "$(systemd-analyze timespan -- "$v" 2>/dev/null \
        | sed -n "s/^ *μs: //p")" >>"$d/out/timespans"
    done
  ' sh "$d"
done
'''

Tool = namedtuple('Tool', 'refused words ignored matches')


def reading(output: dict) -> Tool:
    """What networkd said: refused assignments {(file, line)}, refused ARP
    addresses {(file, line, word)}, .netdev files it ignored, {link: .network}."""
    refused, words, ignored, matches = set(), set(), set(), {}
    for line in output.get('log', '').splitlines():
        said = re.match(r'/etc/systemd/network/(\S+?):(\d+): (.*)', line)
        if said and said.group(3).startswith(('Failed to parse', 'Unknown key')):
            refused.add((said.group(1), int(said.group(2))))
        elif said and 'ignoring assignment: ' in said.group(3):
            words.add((said.group(1), int(said.group(2)), said.group(3).rsplit(': ', 1)[1]))
        loser = re.search(r'already configured by .*, ignoring /etc/systemd/network/(\S+)\.$', line)
        if loser:
            ignored.add(loser.group(1))
        found = re.match(r'(\S+): (?:Found matching .network file: \S+/(\S+)|No matching)', line)
        if found and found.group(1) != 'lo':
            matches[found.group(1)] = found.group(2)
    return Tool(refused, words, ignored, matches)


def assignments(case: dict, unit: str) -> list:
    """[(file, line, section, key, value)] of a unit and its drop-ins in networkd's
    order; a trailing backslash joins the next line (numbered as the last one)."""
    found = []
    for path in [unit] + sorted((p[len('network/'):] for p in case
                                 if p.startswith(f'network/{unit}.d/')),
                                key=lambda p: p.rsplit('/', 1)[1]):
        section, pending = None, ''
        for number, line in enumerate(case[f'network/{path}'].split('\n'), 1):
            line = pending + line.strip()
            if line.endswith('\\'):
                pending = line[:-1] + ' '
                continue
            pending = ''
            if line.startswith('[') and line.endswith(']'):
                section = line[1:-1]
            elif '=' in line and not line.startswith(('#', ';')):
                key, _, value = line.partition('=')
                found.append((path, number, section, key.strip(), value.strip()))
    return found


def tool_options(case: dict, unit: str, said: Tool, spans: dict) -> dict:
    """{option: (value, file, line)}: the last assignment networkd kept, per key."""
    options = {}
    for path, line, section, key, value in assignments(case, unit):
        if section != 'Bond' or key not in BOND_KEYS or (path, line) in said.refused:
            continue
        option = BOND_KEYS[key]
        if key == 'ARPIPTargets':
            kept = [w for w in value.split() if (path, line, w) not in said.words]
            old = options.get(option, ((),))[0] if value else ()
            options[option] = (tuple(dict.fromkeys(old + tuple(kept))), path, line)
        elif key.endswith('Sec'):
            options[option] = (int(spans[value]) // 1000, path, line)
        else:
            options[option] = (int(value) if key == 'MinLinks' else value, path, line)
    return options


def tool_members(case: dict, said: Tool, bond: str) -> tuple:
    """({links networkd gives `bond`}, the one of them PrimarySlave= makes primary)."""
    joined, primary = set(), None
    for link, unit in said.matches.items():
        values = {k: v for _, _, s, k, v in assignments(case, unit) if s == 'Network'} \
            if unit else {}
        if values.get('Bond') == bond:
            joined.add(link)
            if values.get('PrimarySlave', '').lower() in ('yes', 'true', '1', 'on'):
                primary = primary or link
    return joined, primary


def plugin_settings(root, unit: str) -> dict:
    """{option: (value, file)} of the plugin's networkd reader: what networkd keeps."""
    from check_bonding.drift import files, networkd
    units = dict(networkd.unit_files(files.Tree(str(root)), '.netdev'))
    path = f'/etc/systemd/network/{unit}'
    options, _, _ = networkd.bond_settings(units[path], path)
    return {o: (s.value, s.file.replace('/etc/systemd/network/', ''))
            for o, s in options.items()}


def disagreements(case: dict, output: dict, tmp_path) -> list:
    from check_bonding import drift
    said = reading(output)
    spans = dict(line.split('\t', 1) for line in output.get('timespans', '').splitlines())
    root = tmp_path / 'root'
    for path, text in case.items():
        if path.startswith('network/'):
            (root / 'etc/systemd' / path).parent.mkdir(parents=True, exist_ok=True)
            (root / 'etc/systemd' / path).write_text(text)
    prediction, _ = drift.configuration(str(root), 'networkd')
    links = tuple(said.matches)
    run = running.Running({}, links, {k: LINKS.get(k) for k in links}, ())
    problems = []
    netdevs = sorted(p[len('network/'):] for p in case if p.endswith('.netdev'))
    for unit in netdevs:
        want = {o: (v, f) for o, (v, f, _) in tool_options(case, unit, said, spans).items()}
        have = plugin_settings(root, unit)
        if have != want:
            problems.append(f'{unit}: networkd keeps {want}, check_bonding {have}')
        if unit in said.ignored:
            continue
        bond = re.search(r'^Name=(\S+)', case[f'network/{unit}'], re.M).group(1)
        chosen = prediction.definitions[bond][0]
        resolved = chosen.resolve(chosen, run)
        joined, primary = tool_members(case, said, bond)
        got = {p.name for p in resolved.ports if p.name in links}
        got_primary = resolved.options['primary'].value if 'primary' in resolved.options \
            else None
        if (got, got_primary or None) != (joined, primary):
            problems.append(f'{bond}: networkd enslaves {sorted(joined)} (primary {primary}), '
                            f'check_bonding {sorted(got)} (primary {got_primary})')
        losers = {u for u in said.ignored
                  if re.search(rf'^Name={bond}$', case[f'network/{u}'], re.M)}
        named = {text.split(' is ignored')[0].rsplit('/', 1)[-1]
                 for kind, text in chosen.problems if ' is ignored: ' in text}
        if losers != named:
            problems.append(f'{bond}: networkd ignores {losers}, check_bonding {named}')
    return problems
