"""What the tests share: where the test data lives, and the whole check run
in-process as Nagios would see it (exit code, output, perfdata)."""
import io
from contextlib import redirect_stdout
from pathlib import Path
from typing import NamedTuple

import nagiosplugin
import pytest

from check_bonding import options, plugin

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / 'examples'
DATA = Path(__file__).resolve().parent / 'data'
FIXTURES = DATA / 'fixtures'  # the kernel scenarios, captured (tests/kernel/scenarios.py)
SAMPLES = DATA / 'samples'  # /proc texts of every driver generation
DRIFT_SAMPLES = DATA / 'drift'  # configuration trees of every format (--config-drift)


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
    """The check as a process would run it: exit code and stdout."""
    nagiosplugin.Runtime.instance = None  # a fresh runtime, as in a new process
    # print to sys.stdout as it is now (nagiosplugin 1.3.2 bound it at import)
    nagiosplugin.Runtime.stdout = None
    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(SystemExit) as exited:
        args = options.parse_args([str(a) for a in argv])
        plugin.run(args, clock) if clock else plugin.run(args)
    return Outcome(exited.value.code, out.getvalue())
