"""NetworkManager's profiles as they stand after a reboot (docs/design/config-drift.md
§4.2), over the captured rhel9-keyfile sample (bond0 active-backup, miimon 100,
ports ens3f0 by interface name, ens3f1 by MAC): what `nmcli connection modify
--temporary` leaves in /run does not outlive a reboot, and a port profile that
NetworkManager refuses says so in its slave's finding. The rules are checked
against NetworkManager itself in tests/oracle/nmprofiles.py; the /run files here
are the ones it wrote there (tests/data/oracle/nm-profiles.json)."""
import shutil
import time

from check_bonding import drift
from helpers import DRIFT_SAMPLES as SAMPLES, run_check
from oracle import chroot

KEYFILES = 'etc/NetworkManager/system-connections'
RUNTIME = 'run/NetworkManager/system-connections'
UUID = 'e42e890b-d326-40f9-8ce2-1f210f0ae92c'  # the sample's bond0 (and the oracle's)


def written_by_nmcli(case: str, name: str) -> str:
    """The /run keyfile `nmcli connection modify --temporary` wrote in an oracle case."""
    return chroot.recorded('nm-profiles')['cases'][case]['output'][f'files/{RUNTIME}/{name}']


def sample(tmp_path, runtime: dict = None, **changes):
    """The rhel9-keyfile copy, `runtime` files put in /run, keyfiles edited by
    `changes` ({file stem: (old, new)}), every keyfile 0600."""
    root = tmp_path / 'rhel9-keyfile'
    shutil.copytree(SAMPLES / 'rhel9-keyfile', root, symlinks=True)
    for path in (root / KEYFILES).iterdir():
        path.chmod(0o600)
    for stem, (old, new) in changes.items():
        path = root / KEYFILES / f'{stem.replace("_", "-")}.nmconnection'
        path.write_text(path.read_text().replace(old, new))
    for name, text in (runtime or {}).items():
        path = root / RUNTIME / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if text.startswith('-> '):
            path.symlink_to(text[3:])
        else:
            path.write_text(text)
            path.chmod(0o600)
    return root


def check(root, *argv):
    return run_check(['--root', root, '--config-drift', '--no-state', *argv])


def test_a_temporary_change_does_not_hide_the_profile_a_reboot_applies(tmp_path):
    root = sample(tmp_path, {'bond0.nmconnection': written_by_nmcli('temporary-bond-change',
                                                                    'bond0.nmconnection')})
    result = check(root, '-v')
    assert result.code == 0, result.output
    assert ('ok: /run/NetworkManager/system-connections/bond0.nmconnection is a runtime '
            'profile: /etc/NetworkManager/system-connections/bond0.nmconnection applies again '
            'after reboot') in result.output
    assert f'ok: matches /{KEYFILES}/bond0.nmconnection (NetworkManager keyfile)' in result.output


def test_the_running_bond_is_compared_with_what_the_reboot_applies(tmp_path):
    """The bond runs a temporary change: the reboot undoes it, so that is the drift."""
    running = (SAMPLES / 'rhel9-keyfile' / KEYFILES / 'bond0.nmconnection').read_text()
    root = sample(tmp_path, {'bond0.nmconnection': running}, bond0=('miimon=100', 'miimon=200'))
    result = check(root)
    assert result.first_line.startswith(f'BONDING WARNING - bond0: miimon 200 in /{KEYFILES}/'
                                        'bond0.nmconnection but 100 running'), result.output


def test_a_runtime_copy_of_a_profile_networkmanager_ignores_does_not_bring_it_back(tmp_path):
    root = sample(tmp_path, {'bond0.nmconnection': written_by_nmcli('temporary-bond-change',
                                                                    'bond0.nmconnection')})
    (root / KEYFILES / 'bond0.nmconnection').chmod(0o644)
    result = check(root, '-v')
    assert result.first_line.startswith(f'BONDING WARNING - bond0: will not come up: '
                                        f'NetworkManager ignores /{KEYFILES}/bond0.nmconnection '
                                        '(mode 0644)'), result.output
    assert (f'ok: /{RUNTIME}/bond0.nmconnection is a runtime profile: it will not exist after '
            'reboot') in result.output


def test_a_temporary_port_change_keeps_its_slave(tmp_path):
    port = written_by_nmcli('temporary-port-change', 'bond0-port1.nmconnection')
    assert 'autoconnect=false' in port and 'shadowed-storage=' in port
    result = check(sample(tmp_path, {'bond0-port1.nmconnection': port}))
    assert result.code == 0, result.output


def test_a_runtime_tombstone_deletes_nothing_a_reboot_keeps(tmp_path):
    result = check(sample(tmp_path, {f'{UUID}.nmmeta': '-> /dev/null'}), '-v')
    assert result.code == 0, result.output
    assert f'ok: matches /{KEYFILES}/bond0.nmconnection' in result.output


def test_a_bond_profile_only_in_run_will_not_come_up(tmp_path):
    root = sample(tmp_path)
    (root / RUNTIME).mkdir(parents=True)
    (root / KEYFILES / 'bond0.nmconnection').rename(root / RUNTIME / 'bond0.nmconnection')
    result = check(root)
    assert (f'BONDING WARNING - bond0: will not come up: /{RUNTIME}/bond0.nmconnection exists '
            'only at runtime (/run)') in result.first_line


def test_a_port_keyfile_glib_rejects_names_itself_for_its_slave(tmp_path):
    result = check(sample(tmp_path, bond0_port1=('[connection]', '; port 1\n[connection]')))
    assert result.first_line.startswith(
        f'BONDING WARNING - bond0: ens3f0 enslaved but in no configuration (NetworkManager '
        f'rejects /{KEYFILES}/bond0-port1.nmconnection (GLib: line 1: neither [group] nor '
        'key=value))'), result.output


def test_a_port_keyfile_networkmanager_ignores_names_itself_for_its_slave(tmp_path):
    root = sample(tmp_path)
    (root / KEYFILES / 'bond0-port1.nmconnection').chmod(0o644)
    result = check(root)
    assert result.first_line.startswith(
        f'BONDING WARNING - bond0: ens3f0 enslaved but in no configuration (NetworkManager '
        f'ignores /{KEYFILES}/bond0-port1.nmconnection (mode 0644))'), result.output


def test_a_tie_of_ifcfg_rh_profiles_is_recorded_as_ifcfg_rh():
    prediction, _ = drift.configuration(str(SAMPLES / 'rhel8-ifcfg-duplicates'))
    (bond0,) = prediction.definitions['bond0']
    assert bond0.problems[0][0] == 'drift-ambiguous'
    assert bond0.tool == 'NetworkManager ifcfg-rh'


def test_the_search_in_a_refused_keyfile_is_linear(tmp_path):
    """A keyfile GLib refuses is searched for its interface and controller; a run of
    empty lines must not make that quadratic (it runs on any file under --root)."""
    def seconds(blank_lines: int, repeats: int) -> float:
        root = tmp_path / str(blank_lines)
        path = root / KEYFILES / 'bond0.nmconnection'
        path.parent.mkdir(parents=True)
        path.write_text('; x\n' + '\n' * blank_lines)  # nothing to find: the worst case
        path.chmod(0o600)
        best = float('inf')
        for _ in range(repeats):  # CPU time: waiting for a core on a busy machine does not count
            start = time.process_time()
            drift.configuration(str(root), 'nm')
            best = min(best, time.process_time() - start)
        return best
    # 8 times the lines: linear measured 3 to 8 times the time on a loaded machine (a fixed
    # cost weighs in), quadratic 64 (main: 1.6 s against 0.03 s)
    assert seconds(16000, 3) < 24 * seconds(2000, 5)
