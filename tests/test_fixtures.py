"""The kernel scenarios replayed from their captures (tests/data/fixtures/, written by
`python tests/kernel/scenarios.py --dest tests/data/fixtures`): what the real driver
printed, checked in a second without booting it. The 802.3ad ones are replayed
from the root capture and from the unprivileged one (<name>.nobody)."""
import shutil

import pytest

from helpers import FIXTURES, run_check
from expected import EXPECTED, FIXTURES_ONLY, SECOND_RUN, codes

VIEWS = {'': 'root', '.nobody': 'nobody'}  # whose capture
CASES = [(name, view, expect) for name, expects in {**EXPECTED, **FIXTURES_ONLY}.items()
         for view in VIEWS if (FIXTURES / f'{name}{view}').is_dir()
         for expect in expects if VIEWS[view] in expect.users]


def test_every_scenario_has_a_fixture():
    assert all((FIXTURES / name).is_dir() for name in {**EXPECTED, **FIXTURES_ONLY})


@pytest.mark.parametrize('name, view, expect', CASES,
                         ids=[f'{n}{v} {e.argv}' for n, v, e in CASES])
def test_fixture_replay(name, view, expect):
    result = run_check(['--root', FIXTURES / f'{name}{view}', '--no-state', *expect.argv.split()])
    assert result.code in codes(expect), result.output
    for text in expect.texts:
        assert text in result.output
    for text in expect.absent:
        assert text not in result.output


def test_unprivileged_view_says_which_check_it_skipped_and_raises_no_false_alarm():
    nobody = run_check(['--root', FIXTURES / 'lacp-healthy.nobody', '--no-state', '-v'])
    root = run_check(['--root', FIXTURES / 'lacp-healthy', '--no-state', '-v'])
    assert nobody.code == root.code == 0
    assert 'partner MAC check skipped: the kernel shows it only to CAP_NET_ADMIN' in nobody.output
    assert 'skipped' not in root.output


def test_many_degraded_bonds_keep_the_first_line_short():
    """100 degraded bonds once gave a 29 KB first line (7 KB of text): Nagios keeps
    8 KiB, NRPE 2 1 KiB. The text is summarised; -v keeps every bond's details."""
    result = run_check(['--root', FIXTURES / 'many-degraded', '--no-state'])
    text = result.first_line.split(' | ')[0]
    assert result.code == 1 and len(text) < 400, text
    verbose = run_check(['--root', FIXTURES / 'many-degraded', '--no-state', '-v'])
    assert all(f'  warning: b{i} down' in verbose.output for i in range(100))


SECOND = [(name, view, expect) for name, expects in SECOND_RUN.items() for view in VIEWS
          for expect in expects if VIEWS[view] in expect.users]


@pytest.mark.parametrize('name, view, expect', SECOND,
                         ids=[f'{n}{v} {e.argv}' for n, v, e in SECOND])
def test_second_run_replay(tmp_path, name, view, expect):
    """The first run on the tree it read (<name>.baseline), the second on the
    scenario's capture, at one --root path and with one state directory: what
    the live second run said, from the baseline the first one stored."""
    root, state = tmp_path / 'root', ['--state-dir', tmp_path / 'state']
    shutil.copytree(FIXTURES / f'{name}.baseline{view}', root, symlinks=True)
    first = run_check(['--root', root, *state, '-v', *expect.argv.split()])
    assert 'ok: first run: baseline established' in first.output, first.output
    shutil.rmtree(root)
    shutil.copytree(FIXTURES / f'{name}{view}', root, symlinks=True)
    result = run_check(['--root', root, *state, *expect.argv.split()])
    assert result.code in codes(expect), result.output
    for text in expect.texts:
        assert text in result.output
    for text in expect.absent:
        assert text not in result.output
