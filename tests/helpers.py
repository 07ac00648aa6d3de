"""What the tests share: where the test data lives, and the whole check run
in-process as Nagios would see it (exit code, output, perfdata)."""
import io
import re
from contextlib import redirect_stdout
from pathlib import Path
from typing import NamedTuple

import nagiosplugin
import pytest
from nagiosplugin.state import Ok

from check_bonding import options, plugin
from check_bonding.judge import Expectation, judge
from check_bonding.parse import Bond, Slave

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / 'examples'
DATA = Path(__file__).resolve().parent / 'data'
FIXTURES = DATA / 'fixtures'  # the kernel scenarios, captured (tests/kernel/scenarios.py)
SAMPLES = DATA / 'samples'  # /proc texts of every driver generation
DRIFT_SAMPLES = DATA / 'drift'  # configuration trees of every format (--config-drift)


# One perfdata item: a label, quoted where it holds more than word characters
# (a quote inside doubled), '=', the value and thresholds up to the next blank.
PERFDATA_ITEM = re.compile(r"('(?:[^']|'')*'|[^\s'=]+)=(\S*)")


def perfdata_items(text: str) -> list:
    """[(label as printed, value string)] of a perfdata text, quoted labels kept whole."""
    return PERFDATA_ITEM.findall(text)


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
        return dict(perfdata_items(text))


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


# -- hand-built bonds for the rule modules' tests (judge, lacp, links) -------

NOTHING_EXPECTED = Expectation()


def ab_bond(active='eth0', primary='eth0', reselect='always', eth0='up', eth1='up', **kw):
    fields = dict(mode='active-backup', primary=primary, primary_reselect=reselect,
                  active_slave=active, mii_status='up', miimon=100)
    fields.update(kw)
    return Bond(name='bond0', slaves=[
        Slave(name='eth0', mii_status=eth0, speed=1000, duplex='full', link_failures=0),
        Slave(name='eth1', mii_status=eth1, speed=1000, duplex='full', link_failures=0)], **fields)


def with_slave(bond, index, **fields):
    slaves = list(bond.slaves)
    slaves[index] = slaves[index]._replace(**fields)
    return bond._replace(slaves=tuple(slaves))


def problems(bond, expect=NOTHING_EXPECTED):
    return [(f.state, f.text) for f in judge(bond, expect) if f.state != Ok]


def notes(bond):
    return [(f.name, f.text) for f in judge(bond, NOTHING_EXPECTED) if f.state == Ok]


def lacp_bond(agg=None, states=(61, 61), agg_ids=(1, 1), actor=(61, 61)):
    return Bond(name='bond0', mode='802.3ad', mii_status='up', miimon=100, aggregator=agg, slaves=[
        Slave(name=f'eth{i}', mii_status='up', speed=1000, duplex='full', link_failures=0,
              aggregator_id=agg_ids[i],
              actor_port_state=actor[i], partner_port_state=states[i]) for i in (0, 1)])
