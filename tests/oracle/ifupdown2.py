"""ifupdown2 3.0 on the plugin's own trees: `ifquery -a -o json` (the stanzas as
it parses them) and `ifup -a --no-act -d` in a network namespace of its own
with the members made as veths. The dry run goes all the way through
ifupdown2's bond addon and logs what it would send to the kernel: the
netlink attributes of the new bond ("attributes: OrderedDict({1: 4, ...})"),
the members it enslaves, the values it refuses, the bonds it does not make.
The case's policy.d files are bound over ifupdown2's own directories.
"""
import json
import re

from check_bonding import drift

TOOL = 'ifupdown2'
COMMAND = ('in `unshare --mount --net`, policy.d and interfaces.d bound in, veths made: '
           'ifquery -a -o json -i CASE/etc/network/interfaces; '
           'ifup -a --no-act -d -i CASE/etc/network/interfaces')
IFLA = {1: 'mode', 3: 'miimon', 4: 'updelay', 5: 'downdelay', 11: 'primary',
        12: 'primary_reselect', 14: 'xmit_hash_policy', 18: 'min_links', 21: 'lacp_rate'}
MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb',
         'balance-alb']
POLICY = 'etc/network/ifupdown2/policy.d/bond.json'
SYSTEM_POLICY = 'var/lib/ifupdown2/policy.d/bond.json'


def stanza(name: str, *lines: str, slaves: str = 'eno1 eno2', auto: bool = True) -> str:
    head = f'auto {name}\n' if auto else ''
    first = f'    bond-slaves {slaves}\n' if slaves else ''
    return f'{head}iface {name} inet manual\n{first}' + ''.join(f'    {x}\n' for x in lines)


def case(*stanzas: str, links=('eno1', 'eno2', 'eno3'), **more) -> dict:
    files = {'etc/network/interfaces': '\n'.join(stanzas), 'links': '\n'.join(links) + '\n'}
    return {**files, **{path.replace('__', '/'): text for path, text in more.items()}}


def many(values: list, key: str, *more: str) -> dict:
    """One bond per value, each with members of its own."""
    return case(*(stanza(f'bond{i}', f'{key} {v}', *more, slaves=f'e{i}a e{i}b')
                  for i, v in enumerate(values)),
                links=[f'e{i}{x}' for i in range(len(values)) for x in 'ab'])


CASES = {
    'mode-names': many(MODES, 'bond-mode'),
    'mode-numbers': many(['0', '1', '2', '3', '4', '5', '6'], 'bond-mode'),
    'mode-spelling': many(['Active-Backup', '802.3AD', 'BALANCE-RR', 'active_backup', '7'],
                          'bond-mode'),
    'hash': many(['layer3+4', 'Layer2+3', '1', 'encap3+4', 'vlan+srcmac'],
                 'bond-xmit-hash-policy', 'bond-mode 802.3ad'),
    'lacp-rate': many(['fast', '1', 'On', 'Yes', 'slow', 'Fast', 'quick'], 'bond-lacp-rate',
                      'bond-mode 802.3ad'),
    'lacp-rate-outside-802.3ad': case(
        stanza('bond0', 'bond-mode active-backup', 'bond-lacp-rate fast'),
        stanza('bond1', 'bond-lacp-rate fast', slaves='eno3')),
    'primary-reselect': many(['better', 'Better', '1', 'failure'], 'bond-primary-reselect',
                             'bond-mode active-backup'),
    'numbers': many(['100', '+100', '1_00', 'abc', ' 0100'], 'bond-miimon', 'bond-updelay 200',
                    'bond-min-links 2'),
    'delays-without-miimon': case(stanza('bond0', 'bond-mode active-backup', 'bond-miimon 0',
                                         'bond-updelay 200', 'bond-downdelay 100')),
    'primary': case(stanza('bond0', 'bond-mode active-backup', 'bond-primary eno2')),
    'primary-capitals': case(stanza('bond0', 'bond-mode active-backup', 'bond-primary ENO2')),
    'primary-not-a-member': case(stanza('bond0', 'bond-mode active-backup',
                                        'bond-primary eno3')),
    'primary-missing': case(stanza('bond0', 'bond-mode active-backup', 'bond-primary eth9')),
    'primary-two-words': case(stanza('bond0', 'bond-mode active-backup',
                                     'bond-primary eno2 eno1')),
    'ifenslave-style-bond-master': case(
        stanza('bond0', 'bond-mode 802.3ad', 'bond-miimon 100', slaves='none'),
        'auto eno1\niface eno1 inet manual\n    bond-master bond0\n',
        'auto eno2\niface eno2 inet manual\n    bond-master bond0\n'),
    'bond-ports': case('auto bond0\niface bond0 inet manual\n    bond-ports eno1 eno2\n'
                       '    bond-mode 802.3ad\n'),
    'glob': case(stanza('bond0', 'bond-mode 802.3ad', slaves='glob eno[1-2]')),
    'glob-range': case(stanza('bond0', 'bond-mode 802.3ad', slaves='glob eno1-3')),
    'member-missing': case(stanza('bond0', 'bond-mode 802.3ad', slaves='eno1 eno2 eno9')),
    'underscores': case('auto bond0\niface bond0 inet manual\n    bond_slaves eno1 eno2\n'
                        '    bond_mode 802.3ad\n    bond_miimon 100\n    Bond-Min-Links 1\n'),
    'repeated': case(stanza('bond0', 'bond-mode 802.3ad', 'bond-miimon 100',
                            'bond-miimon 200', 'bond-mode active-backup')),
    'not-auto': case(stanza('bond0', 'bond-mode 802.3ad', auto=False)),
    'source-directory': case('source /etc/network/interfaces.d/*\n',
                             **{'etc/network/interfaces.d/bond0': stanza(
                                 'bond0', 'bond-mode 802.3ad', 'bond-miimon 100')}),
    'policy-defaults': case(stanza('bond0'), **{POLICY: json.dumps({'bond': {'defaults': {
        'bond-mode': '802.3ad', 'bond-miimon': '100', 'bond-lacp-rate': 'fast',
        'bond-min-links': '1', 'bond-xmit-hash-policy': 'layer3+4'}}})}),
    'policy-iface-and-system': case(
        stanza('bond0'), stanza('bond1', slaves='eno3'),
        **{POLICY: json.dumps({'bond': {'iface_defaults': {'bond0': {'bond-mode': '802.3ad'}},
                                        'defaults': {'bond-miimon': '200'}}}),
           SYSTEM_POLICY: json.dumps({'bond': {'defaults': {
               'bond-mode': 'active-backup', 'bond-miimon': '100', 'bond-updelay': '400'}}})}),
    'policy-spelling': case(stanza('bond0', 'bond-mode 802.3ad'), **{POLICY: json.dumps(
        {'bond': {'defaults': {'bond_miimon': '100', 'bond-lacp-rate': 'Fast',
                               'bond-min-links': 2}}})}),
    'policy-not-json': case(stanza('bond0', 'bond-mode 802.3ad'),
                            **{POLICY: '{"bond": {"defaults": {"bond-miimon": "100"}'}),
}
SCRIPT = r'''
for d in "$1"/*/; do
  d=${d%/}
  mkdir -p "$d/etc/network/ifupdown2/policy.d" "$d/var/lib/ifupdown2/policy.d" \
    "$d/etc/network/interfaces.d" /etc/network/interfaces.d /var/lib/ifupdown2/policy.d
  unshare --mount --net --propagation unchanged sh -ec '
    d=$1
    mount --bind "$d/etc/network/ifupdown2/policy.d" /etc/network/ifupdown2/policy.d
    mount --bind "$d/var/lib/ifupdown2/policy.d" /var/lib/ifupdown2/policy.d
    mount --bind "$d/etc/network/interfaces.d" /etc/network/interfaces.d
    mount -t tmpfs tmpfs /run; mkdir -p /run/network
    while read -r name; do ip link add "$name" type veth peer name "v$name"; done <"$d/links"
    ifquery -a -o json -i "$d/etc/network/interfaces" 2>/dev/null | python3 -c \
      "import json, sys; print(json.dumps(json.load(sys.stdin)))" >"$d/out/ifquery.json" || true
    ifup -a --no-act -d -i "$d/etc/network/interfaces" 2>&1 \
      | grep -E ": set |invalid|ignoring|link add dev|attributes:|master |skipping|^error|^warn" \
      | grep -v "link_master_slave\|mstpctl\|batman\|openvswitch\|ppp\|vrf" \
      | sed "s|$d||g" >"$d/out/ifup" || true
    ip -o link | sed -n "s/^\([0-9]*\): \([^:@]*\).*/\1 \2/p" >"$d/out/ifindex"
  ' sh "$d"
done
'''


def reading(output: dict) -> dict:
    """{bond: {'made': bool, 'options': {option: value}, 'members': {names}}} from the
    dry run: the attributes of `ip link add`, the members enslaved or skipped."""
    index = dict(line.split(' ', 1) for line in output.get('ifindex', '').split('\n') if line)
    bonds, last = {}, None
    for line in output.get('ifup', '').splitlines():
        made = re.search(r'(\S+): netlink: ip link add dev \S+ type bond', line)
        if made:
            last = bonds.setdefault(made.group(1), {'made': True, 'options': {}, 'members': set()})
        attributes = re.search(r'attributes: OrderedDict\(\{(.*)\}\)', line)
        if attributes and last is not None:
            last['options'] = {IFLA[int(k)]: _value(IFLA[int(k)], int(v), index) for k, v in
                               re.findall(r'(\d+): (\d+)', attributes.group(1))
                               if int(k) in IFLA}
        member = re.search(r'(\S+): netlink: ip link set dev \S+ master (\S+)', line) or \
            re.search(r'error: (\S+): skipping slave (\S+), does not exist', line)
        if member:
            slave, bond = member.groups() if 'master' in line else member.groups()[::-1]
            bonds.setdefault(bond, {'made': False, 'options': {}, 'members': set()})
            bonds[bond]['members'].add(slave)
    return bonds


def index_names(output: dict) -> list:
    """The interfaces of the namespace the dry run saw (the plugin's /sys/class/net)."""
    return [line.split(' ', 1)[1] for line in output.get('ifindex', '').split('\n') if line]


def _value(option: str, number: int, index: dict):
    if option == 'primary':
        return index[str(number)]
    tables = {'mode': MODES, 'xmit_hash_policy': ('layer2', 'layer3+4', 'layer2+3', 'encap2+3',
                                                  'encap3+4'),
              'primary_reselect': ('always', 'better', 'failure'), 'lacp_rate': ('slow', 'fast')}
    return tables[option][number] if option in tables else number


def disagreements(case: dict, output: dict, tmp_path) -> list:
    for path, text in case.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    for link in index_names(output):
        (tmp_path / 'sys/class/net' / link).mkdir(parents=True, exist_ok=True)
    prediction, _ = drift.configuration(str(tmp_path), 'ifupdown2')
    tool = reading(output)
    problems = _ifquery(case, output, tmp_path)
    for bond, definitions in sorted(prediction.definitions.items()):
        ours, theirs = definitions[0], tool.get(bond, {'made': False})
        if bool(ours.boot) == theirs['made']:
            problems.append(f'{bond}: ifupdown2 {"makes" if theirs["made"] else "does not make"}'
                            f' it, check_bonding: {ours.boot or "it does"}')
            continue
        if ours.boot:
            continue
        have = {o: s.value for o, s in ours.options.items() if o in IFLA.values()}
        if have != theirs['options']:
            problems.append(f'{bond}: ifupdown2 sends {theirs["options"]}, check_bonding {have}')
        members = {p.name for p in ours.ports}
        if members != theirs['members']:
            problems.append(f'{bond}: ifupdown2 enslaves {sorted(theirs["members"])}, '
                            f'check_bonding {sorted(members)}')
    missing = set(tool) - set(prediction.definitions)
    return problems + [f'{bond}: ifupdown2 makes it, check_bonding knows no such bond'
                       for bond in sorted(missing) if tool[bond]['made']]


def _ifquery(case: dict, output: dict, root) -> list:
    """The stanzas' attributes as ifquery parses them, against the plugin's reader."""
    from check_bonding.drift import files, ifupdown, ifupdown2
    parsed = json.loads(output.get('ifquery.json') or '[]')
    interfaces = ifupdown.read(files.Tree(str(root)))
    problems = []
    for entry in parsed:
        stanza = interfaces.stanzas.get(entry['name'])
        ours = {k: v[0][0] for k, v in ifupdown.folded(stanza, ifupdown2.fold).items()} \
            if stanza else None
        theirs = {k: v[0] if isinstance(v, list) else v for k, v in entry['config'].items()}
        theirs = {('bond-slaves' if k == 'bond-ports' else k): v for k, v in theirs.items()}
        ours = ours and {('bond-slaves' if k == 'bond-ports' else k): v for k, v in ours.items()}
        if ours != theirs:
            problems.append(f'{entry["name"]}: ifquery reads {theirs}, check_bonding {ours}')
    return problems
