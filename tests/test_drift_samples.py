"""--config-drift on the sample trees in tests/data/drift (docs/design/config-drift.md §8):
the predicted boot state of every format, and the findings of the five trees that
carry a real-driver capture, end to end. Permissions cannot live in git: each
test works on a copy, with NetworkManager keyfiles 0600 as NM wants them."""
import os
import shutil

import pytest

from check_bonding import drift
from check_bonding.drift import netplan
from helpers import DRIFT_SAMPLES as SAMPLES, run_check

needs_yaml = pytest.mark.skipif(not netplan.available(), reason='PyYAML (python3-yaml) is not '
                                'installed: netplan samples cannot be read')


def copy(tmp_path, name, keyfile_mode=0o600):
    root = tmp_path / name
    shutil.copytree(SAMPLES / name, root, symlinks=True)
    for path in root.rglob('*.nmconnection*'):
        if not path.is_symlink():
            path.chmod(keyfile_mode)
    return root


def predicted(tmp_path, name, source='auto'):
    prediction, tree = drift.configuration(str(copy(tmp_path, name)), source)
    return prediction, tree


def options(definition):
    return {k: v.value for k, v in definition.options.items()}


def one(prediction, bond):
    (definition,) = prediction.definitions[bond]
    return definition


def ports(definition):
    return [(p.name, p.mac) for p in definition.ports]


def test_centos5_seed_ifcfg_with_module_aliases(tmp_path):
    p, _ = predicted(tmp_path, 'centos5-seed')
    bond0, bond1 = one(p, 'bond0'), one(p, 'bond1')
    assert options(bond0) == {'mode': 'active-backup', 'primary': 'eth0', 'miimon': 100,
                              'updelay': 5000}
    assert ports(bond0) == [('eth0', '00:1b:21:3a:5c:10'), ('eth1', '00:1b:21:3a:5c:11')]
    assert options(bond1)['primary'] == 'eth2' and ports(bond1)[1] == ('eth3',
                                                                       '00:1b:21:3a:5c:13')


def test_centos5_options_of_an_alias_apply_to_modprobe_bond0(tmp_path):
    p, _ = predicted(tmp_path, 'centos5-modprobe-options')
    assert options(one(p, 'bond0')) == {'mode': 'active-backup', 'miimon': 100,
                                        'primary': 'eth0', 'downdelay': 200}
    assert ports(one(p, 'bond0')) == [('eth0', None), ('eth1', None)]


def test_debian_modprobe_only_bond0_never_comes_up_max_bonds_0_wins(tmp_path):
    p, _ = predicted(tmp_path, 'debian12-modprobe-only')
    bond0 = one(p, 'bond0')
    assert options(bond0) == {'mode': '802.3ad', 'miimon': 100, 'lacp_rate': 'fast',
                              'xmit_hash_policy': 'layer3+4'}
    assert bond0.ports is None
    assert bond0.boot == ('max_bonds=0 in /usr/lib/modprobe.d/systemd.conf overrides '
                          'max_bonds=1 in /etc/modprobe.d/bonding.conf')


def test_rhel7_ifcfg_rh_arp_bond_and_master_uuid(tmp_path):
    p, _ = predicted(tmp_path, 'rhel7-ifcfg')
    bond0, bond1 = one(p, 'bond0'), one(p, 'bond1')
    assert bond0.tool == 'NetworkManager ifcfg-rh'
    assert {k: options(bond0)[k] for k in ('mode', 'miimon', 'lacp_rate', 'xmit_hash_policy',
                                           'min_links')} == {
        'mode': '802.3ad', 'miimon': 100, 'lacp_rate': 'fast', 'xmit_hash_policy': 'layer3+4',
        'min_links': 1}
    assert ports(bond0) == [('ens1f0', '3c:fd:fe:a1:22:30'), ('ens1f1', '3c:fd:fe:a1:22:31')]
    got = options(bond1)
    assert (got['mode'], got['primary'], got['miimon'], got['arp_interval'],
            set(got['arp_ip_target']), got['arp_validate']) == (
        'active-backup', 'ens2f0', 0, 1000, {'10.20.40.1', '10.20.40.2'}, 'all')
    assert [n for n, _ in ports(bond1)] == ['ens2f0', 'ens2f1']


def test_rhel9_keyfiles_ports_by_uuid_and_by_mac(tmp_path):
    p, _ = predicted(tmp_path, 'rhel9-keyfile')
    bond0 = one(p, 'bond0')
    got = options(bond0)
    assert {k: got[k] for k in ('mode', 'primary', 'primary_reselect', 'miimon', 'updelay',
                                'downdelay', 'fail_over_mac')} == {
        'mode': 'active-backup', 'primary': 'ens3f0', 'primary_reselect': 'failure',
        'miimon': 100, 'updelay': 200, 'downdelay': 200, 'fail_over_mac': 'active'}
    assert ports(bond0) == [('ens3f0', None), (None, 'b4:96:91:2c:7e:41')]


@needs_yaml
def test_ubuntu_netplan_networkd_reads_the_yaml_not_the_generated_files(tmp_path):
    p, _ = predicted(tmp_path, 'ubuntu2204-netplan-networkd')
    bond0, bond1 = one(p, 'bond0'), one(p, 'bond1')
    assert options(bond0) == {'mode': 'active-backup', 'miimon': 100, 'primary': 'eno1',
                              'updelay': 5000}
    assert options(bond1) == {'mode': '802.3ad', 'lacp_rate': 'fast', 'miimon': 100,
                              'xmit_hash_policy': 'layer3+4', 'min_links': 1}
    assert ports(bond1) == [('stor0', '3c:ec:ef:6a:10:00'), ('stor1', '3c:ec:ef:6a:10:01')]


@needs_yaml
def test_ubuntu_netplan_rendered_by_networkmanager(tmp_path):
    p, _ = predicted(tmp_path, 'ubuntu2404-netplan-nm')
    got = options(one(p, 'bond0'))
    assert {k: got[k] for k in ('mode', 'lacp_rate', 'miimon', 'xmit_hash_policy',
                                'ad_select')} == {
        'mode': '802.3ad', 'lacp_rate': 'fast', 'miimon': 100, 'xmit_hash_policy': 'layer2+3',
        'ad_select': 'bandwidth'}
    assert [n for n, _ in ports(one(p, 'bond0'))] == ['enp65s0f0', 'enp65s0f1']


def test_debian_ifupdown_min_links_is_not_applied_by_ifenslave(tmp_path):
    p, _ = predicted(tmp_path, 'debian12-ifupdown')
    bond0, bond1 = one(p, 'bond0'), one(p, 'bond1')
    assert options(bond0) == {'mode': 'active-backup', 'miimon': 100, 'updelay': 5000,
                              'downdelay': 0, 'primary': 'eno1', 'primary_reselect': 'always'}
    assert options(bond1) == {'mode': '802.3ad', 'miimon': 100, 'lacp_rate': 'fast',
                              'xmit_hash_policy': 'layer3+4', 'min_links': 0}
    assert 'not applied by ifenslave' in bond1.explain['min_links']
    assert ports(bond1) == [('enp3s0f0', None), ('enp3s0f1', None)]


def test_proxmox_ifupdown2_policy_defaults_and_globs(tmp_path):
    p, _ = predicted(tmp_path, 'proxmox8-ifupdown2')
    assert options(one(p, 'bond0')) == {'mode': 'active-backup', 'miimon': 100,
                                        'primary': 'eno1', 'min_links': 1}
    assert options(one(p, 'bond1')) == {'mode': '802.3ad', 'miimon': 100, 'lacp_rate': 'fast',
                                        'min_links': 1, 'xmit_hash_policy': 'layer3+4'}
    assert ports(one(p, 'bond1')) == [('enp65s0f0', None), ('enp65s0f1', None)]


def test_arch_networkd_dropin_primary_slave_and_mac_match(tmp_path):
    p, _ = predicted(tmp_path, 'arch-networkd')
    assert options(one(p, 'bond0')) == {'mode': 'active-backup', 'primary_reselect': 'better',
                                        'miimon': 100, 'updelay': 5000, 'fail_over_mac': 'active',
                                        'primary': 'eno1'}
    assert ports(one(p, 'bond0')) == [('eno1', None), (None, 'a0:36:9f:12:34:57')]
    assert options(one(p, 'bond1')) == {'mode': '802.3ad', 'xmit_hash_policy': 'layer3+4',
                                        'lacp_rate': 'fast', 'ad_select': 'count',
                                        'min_links': 1}


def test_sles_wicked(tmp_path):
    p, _ = predicted(tmp_path, 'sles15-wicked')
    assert options(one(p, 'bond0'))['primary'] == 'eth0'
    assert ports(one(p, 'bond0')) == [('eth0', None), ('eth1', None)]
    assert {k: v for k, v in options(one(p, 'bond1')).items()} == {
        'mode': '802.3ad', 'miimon': 100, 'lacp_rate': 'fast', 'xmit_hash_policy': 'layer3+4',
        'ad_select': 'bandwidth'}
    assert ports(one(p, 'bond1')) == [('eth2', None), ('eth3', None)]


def test_rhel8_two_ifcfg_profiles_tie_and_cannot_be_predicted(tmp_path):
    p, _ = predicted(tmp_path, 'rhel8-ifcfg-duplicates')
    bond0 = one(p, 'bond0')
    assert bond0.problems[0][0] == 'drift-ambiguous'
    assert 'ifcfg-bond0 and ' in bond0.problems[0][1] and 'ifcfg-bond0-old' in \
        bond0.problems[0][1]


def test_fedora_nm_picks_the_profile_used_last(tmp_path):
    p, _ = predicted(tmp_path, 'fedora41-nm-duplicates')
    bond0 = one(p, 'bond0')
    assert bond0.choice == ('2 autoconnect profiles (Bond connection 1, bond0), '
                            'NetworkManager picks Bond connection 1 (last used)')
    assert options(bond0)['mode'] == '802.3ad' and options(bond0)['lacp_rate'] == 'fast'
    assert ports(bond0) == [('enp1s0', None)]


@needs_yaml
def test_ubuntu_netplan_broken(tmp_path):
    p, _ = predicted(tmp_path, 'ubuntu2204-netplan-broken')
    rejected = "netplan rejects undefined interface 'eth0' of bond0 in /etc/netplan/50-bond0.yaml"
    # netplan generate stops at the first error: no bond of any file comes up
    assert [one(p, b).boot for b in ('bond0', 'bond1', 'bond2')] == [rejected] * 3
    bond1 = options(one(p, 'bond1'))
    assert (bond1['mode'], bond1['miimon']) == ('balance-alb', 100)
    bond2 = one(p, 'bond2')
    assert options(bond2) == {'mode': '802.3ad', 'miimon': 100, 'lacp_rate': 'fast',
                              'xmit_hash_policy': 'layer3+4'}
    assert ports(bond2)[0] == ('san0', '24:10:43:21:05:30')  # a string, not 0x241043210530
    assert any('duplicate key "bonds"' in n for n in p.notes)


def test_debian_networkd_broken(tmp_path):
    p, _ = predicted(tmp_path, 'debian12-networkd-broken')
    bond0 = one(p, 'bond0')
    assert options(bond0) == {'miimon': 100000, 'mode': 'balance-rr'}
    assert bond0.ports == ()
    kinds = dict(bond0.problems)
    assert '11-bond0-lacp.netdev is ignored' in kinds['drift-ambiguous']
    assert '05-wired.network matches eno1' in kinds['drift-not-at-boot']
    assert any('PrimarySlave= in [Bond]' in n for n in bond0.notes)


def test_centos6_ignored_backup_and_missing_slave_yes(tmp_path):
    p, _ = predicted(tmp_path, 'centos6-missing-slave-file')
    bond0 = one(p, 'bond0')
    assert ports(bond0) == [('eth0', '00:25:90:5a:31:c0')]
    assert bond0.explain['slave:eth1'] == 'ifcfg-eth1.bak is ignored'


@pytest.mark.parametrize('name, argv, code, texts', [
    ('centos5-seed', [], 1, [
        'bond0: primary eth0 in /etc/sysconfig/network-scripts/ifcfg-bond0 but eth1 running',
        'bond1: miimon 100 (running 200), updelay 5000 (running 10000) in '
        '/etc/sysconfig/network-scripts/ifcfg-bond1']),
    ('rhel9-keyfile', ['-v'], 0, [
        'ok: matches /etc/NetworkManager/system-connections/bond0.nmconnection '
        '(NetworkManager keyfile)']),
    ('centos6-missing-slave-file', ['-v'], 1, [
        'bond0: eth1 enslaved but in no configuration (ifcfg-eth1.bak is ignored)',
        'ifcfg-eth2 has MASTER=bond0 without SLAVE=yes']),
    ('debian12-ifupdown', [], 1, [
        'min_links 1 running, 0 after reboot (bond-min-links in '
        '/etc/network/interfaces.d/bond1 is not applied by ifenslave)']),
    pytest.param('ubuntu2204-netplan-networkd', [], 1, [
        'stor1 in /etc/netplan/60-storage.yaml not enslaved'], marks=needs_yaml),
])
def test_captured_samples_replay_end_to_end(tmp_path, name, argv, code, texts):
    result = run_check(['--root', copy(tmp_path, name), '--config-drift', '--no-state', *argv])
    assert result.code == code, result.output
    for text in texts:
        assert text in result.output


def test_nm_ignores_a_keyfile_with_group_or_other_bits(tmp_path):
    result = run_check(['--root', copy(tmp_path, 'rhel9-keyfile', 0o644), '--config-drift',
                        '--no-state'])
    assert result.code == 1
    assert ('bond0: will not come up: NetworkManager ignores /etc/NetworkManager/'
            'system-connections/bond0.nmconnection (mode 0644)') in result.first_line


@pytest.mark.skipif(os.geteuid() != 0, reason='needs root to read what root cannot share')
def test_an_unreadable_keyfile_is_unknown_naming_the_file_and_the_fix(tmp_path):
    root = copy(tmp_path, 'rhel9-keyfile')
    result = run_as_nobody(root)
    assert result.returncode == 3, result.stdout
    first = result.stdout.splitlines()[0]
    assert first.startswith('BONDING UNKNOWN - cannot read 4 files (/etc/NetworkManager/'
                            'system-connections/')
    assert 'run as root or grant read access (see contrib/sudoers)' in first


@needs_yaml
@pytest.mark.skipif(os.geteuid() != 0, reason='needs root to read what root cannot share')
def test_root_only_netplan_yaml_is_unknown_for_nobody(tmp_path):
    root = copy(tmp_path, 'ubuntu2204-netplan-networkd')
    for path in (root / 'etc/netplan').iterdir():
        path.chmod(0o600)
    result = run_as_nobody(root)
    assert result.returncode == 3
    assert 'cannot read 2 files (/etc/netplan/00-installer-config.yaml' in result.stdout


def run_as_nobody(root):
    import subprocess
    import sys
    for parent in [root, *root.parents]:
        if str(parent) in ('/', '/tmp'):
            break
        parent.chmod(parent.stat().st_mode | 0o005)
    return subprocess.run(['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups',
                           sys.executable, '-m', 'check_bonding', '--root', str(root),
                           '--config-drift', '--no-state'],
                          capture_output=True, text=True, timeout=60, cwd='/',
                          env={**os.environ, 'HOME': '/nonexistent'})


def test_yaml_missing_is_unknown_with_the_install_hint(tmp_path, monkeypatch):
    monkeypatch.setattr(netplan, 'available', lambda: False)
    result = run_check(['--root', copy(tmp_path, 'ubuntu2204-netplan-networkd'),
                        '--config-drift', '--no-state'])
    assert result.code == 3
    assert 'PyYAML is not installed' in result.first_line
    assert 'apt install python3-yaml' in result.first_line


def test_capture_with_config_drift_replays_the_drift(tmp_path):
    import subprocess
    import sys
    source = copy(tmp_path, 'centos5-seed')
    target = tmp_path / 'capture'
    done = subprocess.run([sys.executable, '-m', 'check_bonding', '--root', str(source),
                           '--config-drift', '--capture', str(target)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout
    assert (target / 'etc/rc.d/rc3.d/S10network').is_symlink()
    replay = run_check(['--root', target, '--config-drift', '--no-state'])
    assert replay.code == 1
    assert 'bond1: miimon 100 (running 200), updelay 5000 (running 10000)' in replay.output


def test_capture_strips_keyfiles_to_the_bond_groups(tmp_path):
    from check_bonding.capture import strip_keyfile
    text = ('[connection]\nid=x\n[wifi-security]\npsk=secret\n[bond]\nmode=1\n'
            '[802-1x]\npassword=secret\n[match]\ninterface-name=e*\n')
    stripped = strip_keyfile(text)
    assert 'secret' not in stripped and 'mode=1' in stripped and 'interface-name=e*' in stripped


def test_options_of_other_modules_are_not_taken_for_bonding_aliases(tmp_path):
    """systemd's own modprobe.d file has `options dummy numdummies=0`: not a
    bonding alias, so nothing to say about it (found live in the kernel test bed)."""
    from check_bonding.drift import modprobe
    from check_bonding.drift.files import Tree
    conf = tmp_path / 'lib/modprobe.d'
    conf.mkdir(parents=True)
    (conf / 'systemd.conf').write_text('options bonding max_bonds=0\noptions dummy '
                                       'numdummies=0\noptions ifb numifbs=0\n')
    (tmp_path / 'etc').mkdir()
    (tmp_path / 'etc/modprobe.conf').write_text('alias bond0 bonding\noptions bond0 miimon=100\n')
    config = modprobe.read(Tree(str(tmp_path)))
    assert config.notes == []
    assert config.alias_options == {'bond0': {'miimon': config.alias_options['bond0']['miimon']}}
    assert config.alias_options['bond0']['miimon'].value == 100
