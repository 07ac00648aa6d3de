"""Where the baselines live, and that a run says so: -v names each bond's state
file, and a run that cannot use the system's /var/lib/check_bonding (a root run
made it root's) and keeps its baselines in its home says that too."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from check_bonding import state_dir
from helpers import EXAMPLES, run_check

SEED = EXAMPLES / 'seed-failover'
AS_NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']
# the whole check, with the system state directory at argv[1] instead of /var/lib
WITH_SYSTEM_DIR = ('import sys; from check_bonding import state_dir, cli; '
                   'state_dir.SYSTEM_STATE_DIR = sys.argv.pop(1); cli.main()')
needs_root = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('setpriv'),
                                reason='needs root and setpriv to run as nobody')


def test_verbose_output_names_each_bonds_state_file(tmp_path):
    result = run_check(['--root', SEED, '--state-dir', tmp_path, '-v'])
    named = sorted(line.split('baseline: ')[1] for line in result.output.splitlines()
                   if line.startswith('  baseline: '))
    assert len(named) == 2 and named == sorted(str(p) for p in tmp_path.iterdir())
    assert [Path(p).name.split('@')[0] for p in named] == ['bond0', 'bond1']


def test_no_state_names_no_state_file():
    assert 'baseline:' not in run_check(['--root', SEED, '--no-state', '-v']).output


def test_the_first_line_does_not_name_the_state_file(tmp_path):
    assert 'baseline:' not in run_check(['--root', SEED, '--state-dir', tmp_path]).output


def test_systemd_state_directory_comes_first(monkeypatch, tmp_path):
    monkeypatch.setattr(state_dir, 'SYSTEM_STATE_DIR', str(tmp_path / 'system'))
    assert state_dir.choose_state_dir({'STATE_DIRECTORY': '/run/x:/run/y'}) == ('/run/x', None)


def test_a_system_directory_not_there_yet_is_made_where_the_parent_is_writable(
        monkeypatch, tmp_path):
    monkeypatch.setattr(state_dir, 'SYSTEM_STATE_DIR', str(tmp_path / 'system'))
    assert state_dir.choose_state_dir({}) == (str(tmp_path / 'system'), None)


def nobody_run(system_dir, home, *argv):
    env = {'PYTHONPATH': os.path.dirname(os.path.dirname(state_dir.__file__)), 'HOME': str(home)}
    return subprocess.run([*AS_NOBODY, sys.executable, '-c', WITH_SYSTEM_DIR, str(system_dir),
                           '--root', str(SEED), '-b', 'bond1', *map(str, argv)],
                          capture_output=True, text=True, timeout=60, cwd='/', env=env)


@pytest.fixture
def top():
    """A directory nobody can traverse (pytest's tmp_path is root's 0700)."""
    path = Path(tempfile.mkdtemp(prefix='check_bonding-state-'))
    path.chmod(0o755)
    home = path / 'home'
    home.mkdir()
    os.chown(home, 65534, 65534)
    yield path
    shutil.rmtree(path)


@needs_root
def test_a_run_that_cannot_use_the_system_directory_says_where_its_baselines_went(top):
    """The newcomer's trap: a root run made the system directory root's 0700;
    the agent's user silently kept a second history in its home."""
    system = top / 'check_bonding'
    system.mkdir(mode=0o700)
    (system / 'bond1.json').write_text('{}')  # root's history, left as it is
    result = nobody_run(system, top / 'home', '-v')
    fallback = top / 'home/.local/state/check_bonding'
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == (
        f'BONDING WARNING - baselines kept in {fallback}: nobody cannot use {system} '
        f'(directory of root, mode 0700); chown -R nobody: {system}, or --state-dir')
    [state_file] = fallback.iterdir()
    assert f'  baseline: {state_file}\n' in result.stdout
    assert 'warning: baselines kept in' in result.stdout
    assert [p.name for p in system.iterdir()] == ['bond1.json']


@needs_root
def test_without_a_system_directory_the_home_is_the_place_and_nothing_is_said(top):
    """A user without the package (pipx, a venv): no system directory was ever made."""
    parent = top / 'var-lib'
    parent.mkdir(mode=0o755)  # root's: nobody cannot make the system directory here
    result = nobody_run(parent / 'check_bonding', top / 'home', '-v')
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'baselines kept' not in result.stdout
    assert f'  baseline: {top}/home/.local/state/check_bonding/bond1' in result.stdout
    assert not (parent / 'check_bonding').exists()


@needs_root
def test_a_state_dir_given_is_a_choice_and_nothing_is_said(top):
    system = top / 'check_bonding'
    system.mkdir(mode=0o700)
    chosen = top / 'home/state'
    result = nobody_run(system, top / 'home', '--state-dir', chosen)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'baselines kept' not in result.stdout and chosen.is_dir()


@needs_root
def test_a_system_directory_of_the_agents_user_is_used(top):
    system = top / 'check_bonding'
    system.mkdir(mode=0o700)
    os.chown(system, 65534, 65534)
    result = nobody_run(system, top / 'home', '-v')
    assert result.returncode == 0, result.stdout + result.stderr
    assert f'  baseline: {system}/bond1@' in result.stdout
    assert not (top / 'home/.local').exists()
