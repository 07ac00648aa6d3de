"""Shared helpers: run the whole check in-process, as Nagios would see it."""
import io
import os
from contextlib import redirect_stdout
from pathlib import Path
from typing import NamedTuple

import nagiosplugin
import pytest
from hypothesis import settings

from check_bonding import cli, plugin

# CI replays the same examples every run (HYPOTHESIS_PROFILE=ci in .ci/run), so
# a landing never depends on luck; by hand, each run explores new ones.
settings.register_profile('ci', derandomize=True)
settings.load_profile(os.environ.get('HYPOTHESIS_PROFILE', 'default'))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / 'examples'
FIXTURES = Path(__file__).resolve().parent / 'fixtures'


class Outcome(NamedTuple):
    code: int
    output: str

    @property
    def first_line(self):
        return self.output.splitlines()[0] if self.output else ''

    @property
    def perfdata(self):
        """{label: value string} from the perfdata wherever it is printed."""
        text = self.output.split('|', 1)[1] if '|' in self.output else ''
        return dict(item.split('=', 1) for item in text.split())


def run_check(argv, clock=None) -> Outcome:
    """cli.main as a process would run it: exit code and stdout."""
    nagiosplugin.Runtime.instance = None  # a fresh runtime, as in a new process
    # print to sys.stdout as it is now (nagiosplugin 1.3.2 bound it at import)
    nagiosplugin.Runtime.stdout = None
    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(SystemExit) as exited:
        args = cli.parse_args([str(a) for a in argv])
        plugin.run(args, clock) if clock else plugin.run(args)
    return Outcome(exited.value.code, out.getvalue())


@pytest.fixture
def check(tmp_path):
    """run_check with its own state directory (unless argv says where, or none)."""
    def run(*argv, clock=None):
        own = [] if {'--state-dir', '--no-state'} & set(map(str, argv)) else [
            '--state-dir', tmp_path / 'state']
        return run_check([*own, *argv], clock)
    return run


@pytest.fixture
def state_dir(tmp_path):
    return tmp_path / 'state'
