"""The check in nagiosplugin's shape: a Resource per bond yields Metrics,
Contexts judge them into Findings, the Summary (wording.py) words them.

Map: each metric BondResource.probe() yields, the context that judges it,
and the identifiers of what it may find (findings.FINDINGS):

  metric                  context       judged by                    findings
  <bond>                  bond          resource.judge: judge.judge  bond-down, not-primary,
                                        (driver's view, sysfs links: no-carrier, lacp-*, ...
                                        links.py, 802.3ad: lacp.py);
                                        OVS bonds: ovs/rules.py      (the same), ovs-lacp-*
  <bond>                  no-such-bond  -                            no-such-bond
  <bond>                  unreadable    -                            bond-unreadable
  <bond>_slaves_up        slaves_up     -w/-c ranges (perfdata)      slave-down, no-slave-up,
                                                                     no-slaves
  <bond> options          options       expect.judge (--expect)      option-mismatch,
                                                                     option-not-shown
  <bond>_failures_window  failures      --failures-* (perfdata)      link-failures, failover,
                                                                     link-failures-tolerated
  <bond> history          history       flaps.update via store       slave-left, failover,
                                                                     link-loss-absorbed,
                                                                     lacp-flaps, baseline-new,
                                                                     state-*
  <bond> traffic          traffic       traffic.judge (the growth    slave-carries-nothing,
                                        of the slaves' bytes)        traffic-share
  <bond> drift            drift         drift.check (--config-drift) drift-* (the bond)
  <bond> hardware         hardware      shared_hardware.judge        shared-port, shared-nic,
                                                                     hardware-*, lacp-one-partner
  <bond> switch           switch        shared_switch.judge over     shared-switch,
                                        lldp.py (lldpd's neighbours) switch-separate,
                                                                     switch-unknown
  <bond>_slaves, _absorbed_window, <slave>_link_failures, _carrier_losses, _rx_errors,
  _tx_errors, _actor_churns, _partner_churns, _tx_bytes, _rx_bytes (spreading modes)
                          count         perfdata only                -
RunNotes yields what discovery found, to context run: no-bonds, bond-idle,
bond-list-mismatch, and for Open vSwitch ovs-needs-root, ovs-unreadable.

Open vSwitch bonds (ovs:<port>) are ovs.resource.OvsBondResources: a
BondResource whose bond is read with all the others from ovs-vswitchd
(ovs/source.py, ovs/parse.py) and judged by ovs/rules.py; they yield
<bond>, <bond>_slaves_up, <bond>_slaves, the history and
ovs:<member>_link_failures/_rx_errors/_tx_errors, to the same contexts
(no options, drift or hardware metric). resources() asks for them unless
--kind kernel or -b names only kernel bonds; without a pidfile that costs
one failed open.

The contexts are in contexts.py. Those that judge read the metric's value
and, besides it, the resource: bond and options its expectation (-p, -m,
--slaves, --expect), slaves_up, hardware and switch the parsed bond,
failures the flaps.Report. Hardware's metric carries every sysfs fact its
rules consult, read by probe() (hardware.Hardware.facts); switch's carries
lldpd's neighbours (system.lldp, asked once a run). Those that pass findings
through (run, history, drift, no-such-bond, unreadable) only apply --state.
Every context returns a Judged result carrying its Findings, with the
--state overrides applied (bond's also the primaries it judged against);
wording.BondSummary reads result.findings for the first line (problems,
grouped per bond) and the long output (-v). A new per-bond check: a metric
here, a FindingsContext in contexts.contexts(), its rule in its own module,
its identifiers in findings.FINDINGS.
"""
from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable

import nagiosplugin

from .contexts import BondResults, contexts
from .counted import TRAFFIC_MODES
from .findings import found
from .ifname import is_ovs
from .judge import Expectation
from .system import System
from .wording import BondSummary, label


class BondResource(nagiosplugin.Resource):
    """One bond as the kernel shows it, plus its stored history (baseline)."""

    def __init__(self, system: System, bond_name: str, expectation: Expectation, store=None):
        self.system = system
        self.bond_name = bond_name
        self.expectation = expectation  # what -p, -m, --slaves say of this bond
        self.store = store  # a store.BaselineStore, or None with --no-state
        self.bond = None    # the parse.Bond read by probe()
        self.report = None  # the flaps.Report of this run
        self.drift = None   # --config-drift: this bond's drift Findings

    @property
    def name(self):
        return self.bond_name

    def judge(self, bond) -> list:
        """The bond context's rule for this kind of bond (ovs.resource has its own)."""
        from .judge import judge
        return judge(bond, self.expectation)

    @property
    def state_file(self):
        """Where this bond's baseline lives (None with --no-state)."""
        return self.store.path(self.bond_name) if self.store else None

    def probe(self):
        try:
            bond = self.system.read_bond(self.bond_name)
        except OSError as err:
            why = f'cannot read {err.filename or "bond"}: {err.strerror}'
            return [nagiosplugin.Metric(self.bond_name, why, context='unreadable')]
        except ValueError as err:
            return [nagiosplugin.Metric(self.bond_name, str(err), context='unreadable')]
        self.bond = bond
        if bond is None:
            return [nagiosplugin.Metric(self.bond_name, None, context='no-such-bond')]
        history = list(self._history(bond))  # first: the judging reads what it knows
        return [*self._judged(self.bond), *history, *self._counters(bond)]

    def _judged(self, bond):
        yield nagiosplugin.Metric(label(bond.name, 'slaves_up'), len(bond.slaves_up), min=0,
                                  max=len(bond.slaves), context='slaves_up')
        yield nagiosplugin.Metric(bond.name, bond, context='bond')
        yield nagiosplugin.Metric(f'{bond.name} hardware', self.system.hardware.facts(bond),
                                  context='hardware')
        yield nagiosplugin.Metric(f'{bond.name} switch', self.system.lldp, context='switch')
        if self.expectation.options:
            yield nagiosplugin.Metric(f'{bond.name} options', self.system.read_options(
                bond, self.expectation.options), context='options')
        if self.drift is not None:
            yield nagiosplugin.Metric(f'{bond.name} drift', self.drift, context='drift')
        yield nagiosplugin.Metric(label(bond.name, 'slaves'), len(bond.slaves), min=0,
                                  context='count')

    def _history(self, bond):
        if self.store is None:
            return
        self.report = self.store.update(bond, self.system.boot_id(), self.instances(bond),
                                        self.system.counters())
        if self.report.no_link_since:  # links gone across two runs (links.carrier)
            self.bond = bond._replace(slaves=tuple(s._replace(
                no_link_since=self.report.no_link_since.get(s.name)) for s in bond.slaves))
        if self.report.failures_known:  # no made-up 0 in the graphs when it is not known
            yield nagiosplugin.Metric(label(bond.name, 'failures_window'), self.report.total,
                                      min=0, context='failures')
            if any(getattr(s, 'carrier_losses', None) is not None for s in bond.slaves):
                yield nagiosplugin.Metric(label(bond.name, 'absorbed_window'),
                                          sum(self.report.absorbed.values()), min=0,
                                          context='count')
        yield nagiosplugin.Metric(f'{bond.name} history', self.report, context='history')
        yield nagiosplugin.Metric(f'{bond.name} traffic', self.report, context='traffic')

    def instances(self, bond) -> dict:
        """{slave: the identity of its enslavement} for the flap history."""
        return self.system.enslavements(bond)

    def _counters(self, bond):
        nics = self.system.counters()
        for slave in bond.slaves:
            counts = {'link_failures': slave.link_failures,
                      'carrier_losses': slave.carrier_losses, 'actor_churns': slave.actor_churns,
                      'partner_churns': slave.partner_churns}
            nic = nics.get(slave.name)
            if nic is not None:
                counts.update(rx_errors=nic.errin, tx_errors=nic.errout)
                if bond.mode in TRAFFIC_MODES:  # where each slave's share matters (traffic.py)
                    counts.update(tx_bytes=nic.bytes_sent, rx_bytes=nic.bytes_recv)
            for what, value in counts.items():
                if value is not None:
                    yield nagiosplugin.Metric(label(slave.name, what), value, 'c', min=0,
                                              context='count')


class RunNotes(nagiosplugin.Resource):
    """What discovery found about the run, not about one bond: findings
    (no bonds at all: no-bonds) or notes (bonds left out, and why)."""
    bond_name = None

    def __init__(self, findings: list):
        self.findings = findings

    def probe(self):
        yield nagiosplugin.Metric('run', self.findings, context='run')


class ConfigDrift(nagiosplugin.Resource):
    """--config-drift findings about the run, not one bond: unreadable
    configuration (UNKNOWN), PyYAML missing, notes."""
    bond_name = None

    def __init__(self, findings: list):
        self.findings = findings

    def probe(self):
        yield nagiosplugin.Metric('config drift', self.findings, context='drift')


def with_drift(options, system: System, bonds: list) -> list:
    """The bond resources with their drift findings, plus the run's (--config-drift)."""
    from .drift import check
    report = check(system, [b.bond_name for b in bonds], options.config_source,
                   options.verbose)
    for resource in bonds:
        resource.drift = report.bonds.get(resource.bond_name)
    return bonds + ([ConfigDrift(report.run)] if report.run else [])


def expectation(options, bond: str) -> Expectation:
    """What -p, -m, --slaves, --min-speed and --expect expect of `bond`
    (BOND= beats the plain form)."""
    def for_bond(values: dict, default=None):
        return values.get(bond, values.get('', default))
    slaves = for_bond(options.expected_slaves)
    return Expectation(primaries=for_bond(options.primaries, ()), mode=options.mode,
                       slaves=frozenset(slaves) if slaves else None,
                       min_speed=for_bond(options.min_speed),
                       options={**options.expected_options.get('', {}),
                                **options.expected_options.get(bond, {})})


def resources(options, system: System, clock) -> list:
    # A bond that -p/--slaves BOND=... expects is checked like one named with -b:
    # if it is gone, that is CRITICAL, not a reason to hide the other bonds.
    also = [*options.primaries, *options.expected_slaves, *options.min_speed,
            *options.expected_options]
    from .ovs import resource as ovs  # kernel and ovs:<port> bonds (check_bonding/ovs/)
    names, notes = system.bonds_to_check(
        [n for n in options.bonds if not is_ovs(n)], options.excluded,
        also=[n for n in also if not is_ovs(n)]) if ovs.wanted(options, 'kernel') else ([], [])
    store = None
    if options.state_dir is not None:
        from .store import BaselineStore
        store = BaselineStore(options.state_dir, options.root, options.failure_window,
                              options.reset, clock)
    ovs_bonds, ovs_notes = ovs.resources(options, system, store, expectation, also) \
        if ovs.wanted(options, 'ovs') else ([], [])
    notes += ovs_notes
    if not names and not ovs_bonds:
        return [RunNotes(notes if ovs_notes else [no_bonds(options, notes), *notes])]
    if options.state_dir_note:
        notes = [*notes, found('state-elsewhere', options.state_dir_note)]
    bonds = [BondResource(system, name, expectation(options, name), store) for name in names]
    if options.config_drift:
        bonds = with_drift(options, system, bonds)
    bonds += ovs_bonds
    return (bonds + [RunNotes(notes)]) if notes else bonds


def no_bonds(options, notes):
    where = f' under {options.root}' if options.root != '/' else ''
    idle = [note.text for note in notes if note.name == 'bond-idle']
    return found('no-bonds', f'no bond to check{where}: {idle[0]}' if idle else
                 f'no bonding interfaces found{where}: is the bonding module loaded?')


@nagiosplugin.guarded(verbose=0)
def run(options, clock: Callable[[], float] = time.time):
    """Assemble and run the check. A timeout or an internal error is one
    UNKNOWN line in the guidelines' format, never a traceback (@guarded is
    the last resort only)."""
    def expired(signum, frame):
        raise nagiosplugin.Timeout(f'{options.timeout}s')
    signal.signal(signal.SIGALRM, expired)
    signal.alarm(options.timeout)  # discovery too must not outlive -t
    # nagiosplugin sets its loggers to DEBUG and filters at -vvv only: a run that
    # prints nothing of what was read must not build a log record for every read
    logging.getLogger('nagiosplugin.check_bonding').setLevel(
        logging.DEBUG if options.verbose >= 3 else logging.INFO)
    try:
        check = nagiosplugin.Check(*resources(options, System(options.root), clock),
                                   *contexts(options), BondSummary(options.verbose),
                                   BondResults())
        check.name = 'bonding'  # the output's prefix; Check(name=) is nagiosplugin 1.4 only
        remaining = signal.alarm(0)  # the rest of -t: discovery above ran under the same alarm
        check.main(verbose=options.verbose, timeout=max(remaining, 1))
    except nagiosplugin.Timeout:
        unknown(f'timeout: no result within {options.timeout}s (-t)')
    except Exception as err:  # noqa: BLE001 - a bug must still be one line
        unknown(f'internal error: {type(err).__name__}: {str(err).splitlines()[0][:200]}'
                if str(err) else f'internal error: {type(err).__name__}')


def unknown(message: str):
    signal.alarm(0)
    print(f'BONDING UNKNOWN - {message}')
    sys.exit(3)
