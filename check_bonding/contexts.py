"""The Contexts: each judges one kind of metric of plugin.py's Resources into
a Judged result that carries its Findings, with the --state overrides applied.

Contexts that judge (a rule module reads the metric's value): bond
(judge.py), slaves_up and failures (nagiosplugin ranges), options
(expect.py), hardware (shared_hardware.py), switch (shared_switch.py),
traffic (traffic.py). Contexts that pass findings through, made by the
Resource's probe: run, history (flaps.py via store.py), drift (drift/),
no-such-bond, unreadable. count: perfdata only.
"""
from __future__ import annotations

from collections.abc import Callable

import nagiosplugin
from nagiosplugin.state import Critical, Ok, Unknown, Warn

from .findings import found, restate
from .judge import acceptable_primaries
from .shared_hardware import judge as judge_hardware
from .shared_switch import judge as judge_switch
from .wording import member_word


class Judged(nagiosplugin.Result):
    """A Result with the Findings it stands for (nagiosplugin's result_cls
    extension point): the Summary words the findings, not a hint string."""

    def __new__(cls, state, hint=None, metric=None, findings=()):
        result = super().__new__(cls, state, hint, metric)
        result.findings = list(findings)
        return result


# CRITICAL outranks UNKNOWN: a dead bond must not hide behind what could not be read
RANK = {Ok: 0, Warn: 1, Unknown: 2, Critical: 3}


def judged(findings, metric, resource, overrides: dict) -> Judged:
    """The Result of `findings` after --state overrides; its state is the worst."""
    return worst_of(restate(findings, overrides, resource.bond_name), metric)


def worst_of(findings: list, metric) -> Judged:
    return Judged(max((f.state for f in findings), key=RANK.get, default=Ok), None, metric,
                  findings)


class FindingsContext(nagiosplugin.Context):
    """Judges a metric with `rule(value, resource) -> [Finding]`."""

    def __init__(self, name: str, rule: Callable, overrides: dict):
        super().__init__(name, result_cls=Judged)
        self.rule = rule
        self.overrides = overrides

    def evaluate(self, metric, resource):
        return judged(self.rule(metric.value, resource), metric, resource, self.overrides)


class RunContext(FindingsContext):
    """The run's findings. Where bonds never set up are why there is no bond
    to check, the two are one finding (its text says both) at the worse state."""

    def __init__(self, overrides: dict):
        super().__init__('run', None, overrides)

    def evaluate(self, metric, resource):
        findings = restate(metric.value, self.overrides, None)
        names = [f.name for f in findings]
        if 'no-bonds' in names and 'bond-idle' in names:
            idle, none = findings.pop(names.index('bond-idle')), names.index('no-bonds')
            findings[none] = findings[none]._replace(
                state=max(findings[none].state, idle.state, key=RANK.get))
        return worst_of(findings, metric)


class FailuresContext(nagiosplugin.ScalarContext):
    """New link failures within --failure-window against --failures-warning/-critical."""

    def __init__(self, warning, critical, overrides: dict):
        super().__init__('failures', warning, critical, fmt_metric=None, result_cls=Judged)
        self.overrides = overrides

    def evaluate(self, metric, resource):
        state = super().evaluate(metric, resource).state
        report = resource.report
        # inside the ranges the failures are a note: --state link-failures=... leaves it
        name = 'link-failures' if state != Ok else 'link-failures-tolerated'
        findings = [found(name, text, slave, state) for slave, text in report.failures()]
        if findings and report.failover:
            findings.append(found('failover', report.failover, state=state))
        return judged(findings, metric, resource, self.overrides)


class SlavesUpContext(nagiosplugin.ScalarContext):
    """Slaves up against -w/-c, whose defaults depend on the bond's size:
    warning unless all enslaved slaves are up, critical unless one is.
    """

    def __init__(self, warning, critical, overrides: dict):
        super().__init__('slaves_up', warning, critical, fmt_metric=None, result_cls=Judged)
        self.given = (warning, critical)
        self.overrides = overrides

    def ranges(self, metric):
        warning, critical = self.given
        return (nagiosplugin.Range(warning if warning is not None else f'{metric.max}:'),
                nagiosplugin.Range(critical if critical is not None else '1:'))

    def evaluate(self, metric, resource):
        return judged(self.findings(metric, resource), metric, resource, self.overrides)

    def findings(self, metric, resource) -> list:
        warning, critical = self.ranges(metric)
        word = member_word(resource.bond)
        if metric.max == 0:
            return [found('no-slaves', f'no {word}s enslaved')]
        down = [s for s in resource.bond.slaves if not s.up]
        if metric.value == 0:
            return [found('no-slave-up', f'no {word} up: ' + ', '.join(
                f'{s.name} {s.mii_status}' for s in down))]
        if not critical.match(metric.value):
            state, violated = Critical, critical
        elif not warning.match(metric.value):
            state, violated = Warn, warning
        else:
            return []
        if down:
            return [found('slave-down', s.mii_status, s.name, state) for s in down]
        return [found('slave-down', f'{metric.value}/{metric.max} {word}s up, '
                                    f'{violated.violation}', state=state)]

    def performance(self, metric, resource):
        warning, critical = self.ranges(metric)
        return nagiosplugin.Performance(metric.name, metric.value, '', warning, critical,
                                        metric.min, metric.max)


class BondResults(nagiosplugin.Results):
    """Results where CRITICAL outranks UNKNOWN: a dead bond must not hide
    behind another bond whose file could not be read."""

    def __iter__(self):
        for state in sorted(self.by_state, key=RANK.get, reverse=True):
            yield from self.by_state[state]

    @property
    def most_significant_state(self):
        return max(self.by_state, key=RANK.get)


class BondContext(FindingsContext):
    """The driver's view of the bond (judge.py; an OVS bond's resource judges
    by ovs/rules.py); its result also carries the primaries the active slave
    is judged against, for the words."""

    def __init__(self, overrides: dict):
        super().__init__('bond', lambda bond, resource: resource.judge(bond), overrides)

    def evaluate(self, metric, resource):
        result = super().evaluate(metric, resource)
        result.primaries = acceptable_primaries(metric.value, resource.expectation)
        return result


def judge_traffic(report, resource) -> list:
    """Each slave's share of the bytes (loaded only where there is a baseline)."""
    from .traffic import judge
    return judge(resource.bond, report)


def judge_options(running: dict, resource) -> list:
    """--expect (imported only where it is used)."""
    from .expect import judge
    return judge(resource.expectation.options, running, resource.bond.sysfs_elsewhere)


def contexts(options) -> list:
    overrides = options.states
    return [
        BondContext(overrides),
        FindingsContext('no-such-bond', lambda why, resource: [found(
            'no-such-bond', f'no such bond: {why}' if why else 'no such bond')], overrides),
        FindingsContext('unreadable', lambda why, resource: [found('bond-unreadable', why)],
                        overrides),
        RunContext(overrides),
        FindingsContext('history', lambda report, resource: report.findings, overrides),
        FindingsContext('traffic', judge_traffic, overrides),
        FindingsContext('hardware', lambda stands, resource: judge_hardware(resource.bond, stands),
                        overrides),
        FindingsContext('switch', lambda neighbours, resource: judge_switch(resource.bond,
                                                                            neighbours), overrides),
        FindingsContext('drift', lambda findings, resource: findings, overrides),
        FindingsContext('options', judge_options, overrides),
        SlavesUpContext(options.warning, options.critical, overrides),
        FailuresContext(options.failures_warning, options.failures_critical, overrides),
        nagiosplugin.ScalarContext('count', result_cls=Judged),
    ]
