"""The check in nagiosplugin's shape: a Resource per bond yields Metrics,
Contexts judge them, a Summary words the result.
"""
from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable

import nagiosplugin
from nagiosplugin.state import Critical, Ok, Unknown, Warn, worst

from .judge import Expectation, Finding, acceptable_primaries, judge
from .parse import ACTIVE_SLAVE_MODES, Bond, port_state_flags
from .system import System


class Verdict(str):
    """A Result hint: the texts of the problems found, keeping every Finding
    (OK notes too) for the long output."""

    def __new__(cls, findings):
        self = super().__new__(cls, ', '.join(f.text for f in findings if f.state != Ok))
        self.findings = findings
        self.state = worst(f.state for f in findings)
        return self


class BondResource(nagiosplugin.Resource):
    """One bond as the kernel shows it, plus its stored history (baseline)."""

    def __init__(self, system: System, bond_name: str, store=None):
        self.system = system
        self.bond_name = bond_name
        self.store = store  # a store.BaselineStore, or None with --no-state
        self.bond: Bond | None = None
        self.report = None  # the flaps.Report of this run

    @property
    def name(self):
        return self.bond_name

    def probe(self):
        try:
            bond = self.system.read_bond(self.bond_name)
        except OSError as err:
            raise nagiosplugin.CheckError(
                f'{self.bond_name}: cannot read {err.filename or "bond"}: {err.strerror}'
            ) from None
        except ValueError as err:
            raise nagiosplugin.CheckError(f'{self.bond_name}: {err}') from None
        self.bond = bond
        if bond is None:
            yield nagiosplugin.Metric(self.bond_name, None, context='bond')
            return
        yield nagiosplugin.Metric(label(bond.name, 'slaves_up'), len(bond.slaves_up), min=0,
                                  max=len(bond.slaves), context='slaves_up')
        yield nagiosplugin.Metric(bond.name, bond, context='bond')
        yield nagiosplugin.Metric(label(bond.name, 'slaves'), len(bond.slaves), min=0,
                                  context='count')
        if self.store is not None:
            self.report = self.store.update(bond, self.system.boot_id())
            if self.report.counted:  # no made-up 0 in the graphs when it is not known
                yield nagiosplugin.Metric(label(bond.name, 'failures_window'), self.report.total,
                                          min=0, context='failures')
            yield nagiosplugin.Metric(f'{bond.name} history', self.report, context='history')
        counters = self.system.counters()
        for slave in bond.slaves:
            if slave.link_failures is not None:
                yield nagiosplugin.Metric(label(slave.name, 'link_failures'), slave.link_failures,
                                          'c', min=0, context='count')
            nic = counters.get(slave.name)
            if nic is not None:
                yield nagiosplugin.Metric(label(slave.name, 'rx_errors'), nic.errin, 'c', min=0,
                                          context='count')
                yield nagiosplugin.Metric(label(slave.name, 'tx_errors'), nic.errout, 'c', min=0,
                                          context='count')


def label(interface: str, what: str) -> str:
    """Perfdata label. Linux allows ' = and | in names; the plugin API does not."""
    return f'{interface}_{what}'.translate(LABEL_UNSAFE)


LABEL_UNSAFE = str.maketrans("'=|", '___')


class BondContext(nagiosplugin.Context):
    """Judges a Bond against what the admin expects of it (judge.py)."""

    def __init__(self, expectation: Callable[[str], Expectation]):
        super().__init__('bond')
        self.expectation = expectation

    def evaluate(self, metric, resource):
        if metric.value is None:
            verdict = Verdict([Finding(Critical, 'no such bond')])
        else:
            verdict = Verdict(judge(metric.value, self.expectation(metric.name)))
        return nagiosplugin.Result(verdict.state, verdict, metric)


class HistoryContext(nagiosplugin.Context):
    """Events since the last runs: slaves that left, failovers, state trouble."""

    def __init__(self):
        super().__init__('history')

    def evaluate(self, metric, resource):
        verdict = Verdict(metric.value.findings)
        return nagiosplugin.Result(verdict.state, verdict, metric)


class FailuresContext(nagiosplugin.ScalarContext):
    """New link failures within --failure-window against --failures-warning/-critical."""

    def __init__(self, warning, critical):
        super().__init__('failures', warning, critical, fmt_metric=None)

    def evaluate(self, metric, resource):
        result = super().evaluate(metric, resource)
        if result.state == Ok:
            return result
        return nagiosplugin.Result(result.state, resource.report.describe_failures(), metric)


class SlavesUpContext(nagiosplugin.ScalarContext):
    """Slaves up against -w/-c, whose defaults depend on the bond's size:
    warning unless all enslaved slaves are up, critical unless one is.
    """

    def __init__(self, warning=None, critical=None):
        super().__init__('slaves_up', warning, critical, fmt_metric=None)
        self.given = (warning, critical)

    def ranges(self, metric):
        warning, critical = self.given
        return (nagiosplugin.Range(warning if warning is not None else f'{metric.max}:'),
                nagiosplugin.Range(critical if critical is not None else '1:'))

    def evaluate(self, metric, resource):
        warning, critical = self.ranges(metric)
        if metric.max == 0:
            return nagiosplugin.Result(Critical, 'no slaves enslaved', metric)
        if metric.value == 0 or not critical.match(metric.value):
            state, violated = Critical, critical
        elif not warning.match(metric.value):
            state, violated = Warn, warning
        else:
            return nagiosplugin.Result(Ok, None, metric)
        down = ', '.join(f'{s.name} {s.mii_status}' for s in resource.bond.slaves if not s.up)
        if metric.value == 0:
            hint = 'no slave up: ' + down
        else:
            hint = down or f'{metric.value}/{metric.max} slaves up, {violated.violation}'
        return nagiosplugin.Result(state, hint, metric)

    def performance(self, metric, resource):
        warning, critical = self.ranges(metric)
        return nagiosplugin.Performance(metric.name, metric.value, '', warning, critical,
                                        metric.min, metric.max)


class BondResults(nagiosplugin.Results):
    """Results where CRITICAL outranks UNKNOWN: a dead bond must not hide
    behind another bond whose file could not be read."""
    RANK = {Ok: 0, Warn: 1, Unknown: 2, Critical: 3}

    def __iter__(self):
        for state in sorted(self.by_state, key=self.RANK.get, reverse=True):
            yield from self.by_state[state]

    @property
    def most_significant_state(self):
        return max(self.by_state, key=self.RANK.get)


class BondSummary(nagiosplugin.Summary):
    """First line per bond group; long output per bond (-v) and slave (-vv)."""

    def __init__(self, expectation: Callable[[str], Expectation], verbose: int = 0):
        self.expectation = expectation
        self.verbosity = verbose

    def describe(self, bond: Bond) -> str:
        return describe(bond, acceptable_primaries(bond, self.expectation(bond.name)))

    def ok(self, results):
        bonds = [r.metric.value for r in results if r.metric and r.metric.context == 'bond']
        if len(bonds) > 3:
            up = sum(len(b.slaves_up) for b in bonds)
            total = sum(len(b.slaves) for b in bonds)
            return f'{len(bonds)} bonds, {up}/{total} slaves up'
        return '; '.join(self.describe(b) for b in bonds)

    def problem(self, results):
        groups: dict = {}
        for result in results:
            if result.state != Ok and str(result):
                bond = result.resource.name if result.resource else None
                groups.setdefault(bond, []).append(str(result))
        return '; '.join(f'{bond}: {", ".join(texts)}' if bond else ', '.join(texts)
                         for bond, texts in groups.items())

    def verbose(self, results):
        lines = []
        for result in results.results:
            if result.metric and result.metric.context == 'bond':
                own = [r for r in results.results if r.resource is result.resource]
                lines += self.bond_lines(result.metric, own)
        return lines

    def bond_lines(self, metric, own) -> list[str]:
        """'bond0: warning - ...', then what each check of this bond found."""
        state = worst(r.state for r in own)
        bond = metric.value
        if bond is None:
            return [f'{metric.name}: {state} - no such bond']
        lines = [f'{bond.name}: {state} - {self.describe(bond)}']
        for result in own:
            context = result.metric.context if result.metric else None
            if context in ('bond', 'history'):
                lines += [f'  {f.state}: {f.text}' for f in result.hint.findings]
            elif context == 'failures' and result.metric.value:
                lines.append(f'  {result.state}: {result.resource.report.describe_failures()}')
            elif context == 'slaves_up' and result.state != Ok:
                lines.append(f'  {result.state}: {result}')
        if self.verbosity >= 2:
            lines.append('  ' + ', '.join(bond_facts(bond)))
            lines += [f'  slave {s.name}: ' + ', '.join(slave_facts(s)) for s in bond.slaves]
        return lines


def bond_facts(bond: Bond) -> list[str]:
    """The driver's settings as /proc shows them, for -vv."""
    facts = [f'driver {bond.driver}', f'miimon {bond.miimon} ms',
             f'updelay {bond.updelay} ms', f'downdelay {bond.downdelay} ms']
    optional = (('arp_interval', bond.arp_interval), ('arp_ip_target', ','.join(
        bond.arp_targets + bond.ns_targets)), ('fail_over_mac', bond.fail_over_mac),
        ('xmit_hash_policy', bond.xmit_hash_policy), ('lacp_rate', bond.lacp_rate),
        ('ad_select', bond.ad_select), ('min_links', bond.min_links))
    return facts + [f'{name} {value}' for name, value in optional if value]


def slave_facts(slave) -> list[str]:
    facts = [f'MII {slave.mii_status}']
    if slave.speed is not None:
        facts.append(f'{slave.speed or "unknown"} Mbps {slave.duplex or ""}'.rstrip())
    facts.append(f'link failures {slave.link_failures}')
    if slave.aggregator_id is not None:
        facts.append(f'aggregator {slave.aggregator_id}')
    if slave.actor_churn is not None:
        facts.append(f'churn {slave.actor_churn}/{slave.partner_churn}')
    for side in ('actor', 'partner'):
        state = getattr(slave, side + '_port_state')
        if state is not None:
            facts.append(f'{side} LACP {"/".join(port_state_flags(state)) or "none"}')
    facts.append(f'permanent HW addr {slave.perm_hwaddr}')
    return facts


def describe(bond: Bond, primaries) -> str:
    """'bond0 active-backup, active eth0 (primary), 2/2 slaves up'"""
    parts = [f'{bond.name} {bond.mode}']
    if bond.mode in ACTIVE_SLAVE_MODES and bond.active_slave:
        parts.append(f'active {bond.active_slave}'
                     + (' (primary)' if bond.active_slave in primaries else ''))
    parts.append(f'{len(bond.slaves_up)}/{len(bond.slaves)} slaves up')
    return ', '.join(parts)


class Failure(nagiosplugin.Resource):
    """Stands in for the bonds when there is nothing to check: UNKNOWN, why."""

    def __init__(self, message: str):
        self.message = message

    def probe(self):
        raise nagiosplugin.CheckError(self.message)


def expectations(args) -> Callable[[str], Expectation]:
    """Expectation of each bond from -p, -m, --slaves (BOND= beats the plain form)."""
    def expectation(bond: str) -> Expectation:
        slaves = args.expected_slaves.get(bond, args.expected_slaves.get(''))
        return Expectation(primaries=args.primaries.get(bond, args.primaries.get('', ())),
                           mode=args.mode, slaves=frozenset(slaves) if slaves else None)
    return expectation


def resources(args, system: System, clock) -> list:
    # A bond that -p/--slaves BOND=... expects is checked like one named with -b:
    # if it is gone, that is CRITICAL, not a reason to hide the other bonds.
    names = system.bonds_to_check(args.bond, args.exclude,
                                  also=[*args.primaries, *args.expected_slaves])
    if not names:
        where = f' under {args.root}' if args.root != '/' else ''
        return [Failure(f'no bonding interfaces found{where}: is the bonding module loaded?')]
    store = None
    if not args.no_state:
        from .store import BaselineStore
        store = BaselineStore(args.state_dir, args.root, args.failure_window, args.reset, clock)
    return [BondResource(system, name, store) for name in names]


@nagiosplugin.guarded(verbose=0)
def run(args, clock: Callable[[], float] = time.time):
    """Assemble and run the check. A timeout or an internal error is one
    UNKNOWN line in the guidelines' format, never a traceback (@guarded is
    the last resort only)."""
    def expired(signum, frame):
        raise nagiosplugin.Timeout(f'{args.timeout}s')
    signal.signal(signal.SIGALRM, expired)
    signal.alarm(args.timeout)  # discovery too must not outlive -t
    try:
        expectation = expectations(args)
        check = nagiosplugin.Check(
            *resources(args, System(args.root), clock),
            BondContext(expectation),
            SlavesUpContext(args.warning, args.critical),
            FailuresContext(args.failures_warning, args.failures_critical),
            HistoryContext(),
            nagiosplugin.ScalarContext('count'),
            BondSummary(expectation, args.verbose),
            BondResults())
        check.name = 'bonding'  # the output's prefix; Check(name=) is nagiosplugin 1.4 only
        # the rest of -t: discovery above ran under the same alarm
        check.main(verbose=args.verbose, timeout=signal.alarm(0) or 1)
    except nagiosplugin.Timeout:
        unknown(f'timeout: no result within {args.timeout}s (-t)')
    except Exception as err:  # noqa: BLE001 - a bug must still be one line
        unknown(f'internal error: {type(err).__name__}: {str(err).splitlines()[0][:200]}'
                if str(err) else f'internal error: {type(err).__name__}')


def unknown(message: str):
    signal.alarm(0)
    print(f'BONDING UNKNOWN - {message}')
    sys.exit(3)

