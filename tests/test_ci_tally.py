"""tools/ci/tally.py: the closing line CI reads adds up every stage's tests, and a
stage that failed outside its tests (a build, a file list) is a failure too."""
import json
import subprocess
import sys

from helpers import ROOT

JUNIT = ('<testsuites><testsuite name="pytest" errors="{e}" failures="{f}" skipped="{s}" '
         'tests="{t}" time="1.0"></testsuite></testsuites>')


def tally(tmp_path, junit, stages):
    for name, (t, f, e, s) in junit.items():
        (tmp_path / f'{name}.xml').write_text(JUNIT.format(t=t, f=f, e=e, s=s))
    journal = {'testenvs': {name: {'result': {'success': ok, 'duration': 9.0}}
                            for name, ok in stages.items()}}
    journal['testenvs']['.build'] = {}  # the package build, and a stage that did not run
    journal['testenvs']['lint'] = {}
    (tmp_path / 'tox.json').write_text(json.dumps(journal))
    return subprocess.run([sys.executable, ROOT / 'tools/ci/tally.py', tmp_path,
                           tmp_path / 'tox.json'], capture_output=True, text=True)


def test_the_closing_line_adds_up_the_stages(tmp_path):
    run = tally(tmp_path, {'floor': (10, 0, 0, 1), 'kernel': (5, 0, 0, 0)},
                {'floor': True, 'kernel': True, 'rpm': True})
    assert run.stdout.splitlines()[-1] == '14 passed, 0 failed, 1 skipped'
    assert run.returncode == 0


def test_a_stage_that_failed_outside_its_tests_counts_once(tmp_path):
    run = tally(tmp_path, {'floor': (10, 1, 1, 0)}, {'floor': False, 'rpm': False})
    assert run.stdout.splitlines()[-1] == '8 passed, 3 failed, 0 skipped'
    assert 'rpm' in run.stdout and run.returncode == 1
