"""NetworkManager 1.52's reading of a bond keyfile: `nmcli --offline connection
modify` reads a keyfile on stdin with libnm's keyfile reader (GLib's parser,
invalid bond options dropped), normalises it (a mode number becomes its
name, options the mode does not use go) and verifies it, as the daemon does
when it loads the file; it prints the keyfile it would write, or the reason
the profile is invalid. What the device then sets at activation (defaults,
miimon against ARP) is not in the keyfile: check_bonding says it apart
(nmbond.py, from nm-device-bond.c).
"""
from check_bonding.drift import keyfile, nmbond, nmkeyfiles
from check_bonding.drift.model import canonical

TOOL = 'nm'
COMMAND = 'nmcli --offline connection modify connection.zone "" <KEYFILE'
PATH = 'etc/NetworkManager/system-connections/bond0.nmconnection'
HEAD = ('[connection]\nid=bond0\nuuid=3b6a2b14-7c1e-4a4e-9a3c-5d1f2e0c9b11\ntype=bond\n'
        'interface-name=bond0\n\n[bond]\n')
MODES = nmbond.CHOICES['mode']


def profile(*lines: str, head: str = HEAD) -> dict:
    return {PATH: head + ''.join(f'{line}\n' for line in lines)}


CASES = {
    **{f'mode-{m}': profile(f'mode={m}') for m in MODES},
    **{f'mode-{i}': profile(f'mode={i}') for i in range(8)},
    'mode-Active-Backup': profile('mode=Active-Backup'), 'mode-missing': profile('miimon=100'),
    'lacp-fast-in-802.3ad': profile('mode=802.3ad', 'lacp_rate=fast'),
    'lacp-1-in-802.3ad': profile('mode=4', 'lacp_rate=1'),
    'lacp-Fast-in-802.3ad': profile('mode=802.3ad', 'lacp_rate=Fast'),
    'lacp-fast-in-active-backup': profile('mode=active-backup', 'lacp_rate=fast'),
    'lacp-slow-in-active-backup': profile('mode=active-backup', 'lacp_rate=slow'),
    **{f'hash-{h}': profile('mode=802.3ad', f'xmit_hash_policy={h}')
       for h in ('layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4', 'vlan+srcmac', '1',
                 '5', '6', 'Layer3+4')},
    'enums-by-number': profile('mode=802.3ad', 'ad_select=2', 'lacp_rate=1', 'min_links=2'),
    'enums-active-backup': profile('mode=1', 'fail_over_mac=1', 'primary_reselect=2',
                                   'primary=eno1', 'arp_validate=3', 'miimon=100'),
    'enums-by-name': profile('mode=active-backup', 'fail_over_mac=follow',
                             'primary_reselect=better', 'arp_validate=filter_backup'),
    'miimon-with-unit': profile('mode=1', 'miimon=1s'),
    'miimon-0-updelay': profile('mode=1', 'miimon=0', 'updelay=200'),
    'updelay-default-miimon': profile('mode=1', 'updelay=200', 'downdelay=100'),
    'arp-without-targets': profile('mode=1', 'arp_interval=1000'),
    'targets-without-arp': profile('mode=1', 'arp_ip_target=192.0.2.1'),
    'arp-only': profile('mode=1', 'arp_interval=1000', 'arp_ip_target=192.0.2.1,192.0.2.2'),
    'arp-and-miimon': profile('mode=1', 'miimon=100', 'arp_interval=1000',
                              'arp_ip_target=192.0.2.1'),
    'arp-in-tlb': profile('mode=balance-tlb', 'arp_interval=1000', 'arp_ip_target=192.0.2.1'),
    'arp-in-802.3ad-zero': profile('mode=802.3ad', 'arp_interval=0'),
    'bad-target': profile('mode=1', 'arp_interval=1000', 'arp_ip_target=192.0.2.1,host'),
    'ns-targets-only': profile('mode=1', 'arp_interval=1000', 'ns_ip6_target=fd00::1,fd00::2'),
    'ns-targets-without-arp': profile('mode=1', 'ns_ip6_target=fd00::1'),
    'ns-target-ipv4': profile('mode=1', 'arp_interval=1000', 'ns_ip6_target=192.0.2.1'),
    'ns-targets-spaced': profile('mode=1', 'arp_interval=1000',
                                 'ns_ip6_target= fd00::1 , FD00:0::2'),
    'ns-targets-in-802.3ad': profile('mode=802.3ad', 'arp_interval=1000',
                                     'ns_ip6_target=fd00::1'),
    'arp-missed-max': profile('mode=1', 'arp_interval=1000', 'arp_ip_target=192.0.2.1',
                              'arp_missed_max=5'),
    'arp-missed-max-over': profile('mode=1', 'arp_missed_max=256'),
    'arp-missed-max-in-tlb': profile('mode=balance-tlb', 'arp_missed_max=3'),
    'lacp-active-in-802.3ad': profile('mode=802.3ad', 'lacp_active=off'),
    'lacp-active-in-active-backup': profile('mode=1', 'lacp_active=on'),
    'primary-in-balance-rr': profile('mode=balance-rr', 'primary=eno1'),
    'active-slave-in-active-backup': profile('mode=active-backup', 'active_slave=eno2'),
    'grat-arp-differ': profile('mode=1', 'num_grat_arp=2', 'num_unsol_na=3'),
    'min-links-text': profile('mode=802.3ad', 'min_links=two', 'miimon=-1'),
    'unknown-and-case': profile('mode=802.3ad', 'Mode=1', 'foo=2', 'LACP_RATE=fast'),
    'glib-semicolon-comment': profile('; set by hand', 'mode=1'),
    'glib-hash-comment-and-spaces': profile('# set by hand', '  mode = 802.3ad ',
                                            'lacp_rate =fast'),
    'glib-duplicate-key': profile('mode=802.3ad', 'mode=active-backup'),
    'glib-repeated-group': profile('mode=802.3ad', '[bond]', 'lacp_rate=fast'),
    'glib-no-equals': profile('mode 802.3ad'),
    'legacy-interface-name': profile('mode=1', 'interface-name=bond7'),
}
SCRIPT = r'''
cd "$1"
for d in */; do
  nmcli --offline connection modify connection.zone "" <"$d/''' + PATH + r'''" \
    >"$d/out/keyfile" 2>"$d/out/raw" && echo 0 >"$d/out/rc" || echo $? >"$d/out/rc"
  # GLib's log lines carry the process id and the time: kept without them
  sed -E 's/^\(process:[0-9]+\): ([^ ]+) \*\*: [0-9:.]+: /\1: /' "$d/out/raw" >"$d/out/stderr"
  rm "$d/out/raw"
  sed -n '/^\[bond\]/,/^$/p' "$d/out/keyfile" >"$d/out/bond"
  rm "$d/out/keyfile"
done
'''


def reading(output: dict) -> tuple:
    """(the normalised [bond] {key: value}, or None; nmcli's error, or '')."""
    if output['rc'].strip() != '0':
        return None, output['stderr'].strip()
    return {k: v for k, (v, _) in keyfile.parse(output['bond']).get('bond', {}).items()}, ''


def plugin(text: str, path: str) -> tuple:
    """(refused: the reason or None, {key: (value, line)} the plugin keeps)."""
    try:
        keyfile.parse(text)
    except keyfile.Rejected as why:
        return f'GLib: {why}', {}
    bond = nmkeyfiles.parse_keyfile(text, path).bond
    invalid = nmbond.bond_options(bond, path)[3]
    return (f'verify: {invalid}' if invalid else None), \
        nmbond.normalised(nmbond.kept(bond, path)[0])


def compare(refused, given, normalised, error) -> list:
    """A profile's [bond] as NM keeps it, against the plugin's."""
    if (normalised is None) != (refused is not None):
        return [f'NetworkManager: {error or "loads it"}; check_bonding: {refused or "loads it"}']
    if normalised is None:
        return []
    problems = []
    if set(normalised) != set(given) | {'mode'}:  # NM writes the mode it takes
        problems.append(f'NetworkManager keeps {sorted(normalised)}, check_bonding '
                        f'{sorted(given)}')
    for key, value in normalised.items():
        want = canonical(key, value)
        have = canonical(key, given[key][0]) if key in given else nmbond.DEFAULTS.get(key)
        if have != want:
            problems.append(f'{key}: NetworkManager {want!r}, check_bonding {have!r}')
    return problems


def disagreements(case: dict, output: dict, tmp_path=None) -> list:
    normalised, error = reading(output)
    return compare(*plugin(case[PATH], '/' + PATH), normalised, error)
