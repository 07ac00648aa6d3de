"""Flap detection: compare a bond with its stored baseline, record what changed.

The kernel's per-slave Link Failure Count remembers a cable pulled for
seconds between two checks; comparing it with the count stored at the last
run shows the flap. A loss the driver absorbed (back within downdelay, or
between two polls of its monitor) leaves Link Failure Count as it was; the
interface's own carrier_down_count still counts it, and 802.3ad's churn
counts a port that lost LACP sync with its link up. Pure functions on the
state dict (its format: baseline.py; stored by store.py) and a parsed Bond
(what is kept of it: counted.py); the clock is a parameter, so tests can
drive time.

A run that finds everything as stored leaves the state as it is (Report.changed
False), so store.py need not rewrite (and fsync) the file of every quiet bond
at every check. The events carry what the window needs; a quiet run adds
nothing to them. Bytes moved are no change (baseline.SAMPLED): a bond that
carries traffic has them stored when its file is written anyway, or once
the stored sample is baseline.SAMPLE_EVERY old.
"""
from __future__ import annotations

import time

from . import baseline, counted
from .baseline import (ABSORBED, CHURN, COUNTERS, ENSLAVEMENT, FAILOVER, FAILURE, JOINED, LEFT,
                       SAMPLE_EVERY, SAMPLED, Event, Sample, upgrade)
from .findings import Finding, found

KEEP_EVENTS = 86400  # seconds; longer if the window is longer


class Report:
    """What the history says about one bond at this run."""

    def __init__(self, now: float, window: int, findings: list[Finding] = (),
                 failures_known: bool = True):
        self.now = now
        self.window = window
        self.failures_known = failures_known  # False when the history could not be used
        self.changed = False    # the state differs from what was stored: save it
        self.failover = None    # text of the last failover in the window
        self.last_failure: dict[str, float] = {}  # slave: when its last failure was seen
        self.counts: dict[str, int] = {}            # slave: failures in the window
        self.absorbed: dict[str, int] = {}          # slave: absorbed link losses in the window
        self.no_link_since: dict[str, float] = {}   # slave: without link since an earlier run
        self.churns: dict[str, int] = {}            # slave: LACP churns in the window
        self.grown: dict[str, dict] = {}  # slave: {counter: growth since the stored sample}
        self.sampled = None  # when the counters `grown` compares with were stored
        self.findings = list(findings)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def failures(self) -> list[tuple[str, str]]:
        """(slave, 'link failed 2 times in the last 1h, last 4 min ago') for
        each slave whose link failed within the window."""
        return [(slave, f'link failed {count} time{"s" if count != 1 else ""} in the last '
                        f'{span(self.window)}, last {ago(self.now - self.last_failure[slave])}')
                for slave, count in self.counts.items()]


def update(state: dict, bond, boot_id: str | None, now: float, window: int,
           reset: bool = False, instances: dict | None = None, nics: dict | None = None
           ) -> Report:
    """Record what changed in `state` (in place) since the parse.Bond `bond`
    was last seen, and report the window (`instances`, `nics`: counted.samples)."""
    report = Report(now, window)
    upgrade(state)
    before = _baseline(state)
    _clamp_future_events(state, now, report)
    first_run = state['time'] is None
    current = counted.samples(bond, instances or {}, nics or {})
    compared = False
    if reset:
        state['events'] = []
        report.findings.append(found('baseline-new', 'baseline reset (--reset): current '
                                                     'counters accepted'))
    elif first_run:
        report.findings.append(found('baseline-new', 'first run: baseline established'))
    elif boot_id and state['boot_id'] and boot_id != state['boot_id']:
        report.findings.append(found('baseline-new', 'reboot since the last run: new baseline'))
    elif state['mode'] and bond.mode and state['mode'] != bond.mode:
        # the stored active slave meant something else: no failover to tell
        report.findings.append(found('baseline-new', f'mode changed ({state["mode"]} -> '
                                                     f'{bond.mode}): new baseline'))
        state['active'] = None
    else:
        _compare(state, bond, current, now, report)
        compared = True
        report.sampled = state['time']
    records = baseline.records(state['slaves'] if compared else {}, current, now)
    due = not compared or not 0 <= now - state['time'] < SAMPLE_EVERY
    # With no active slave now (all down), remember the last one: the next
    # active slave is then seen as the failover it is.
    state.update(boot_id=boot_id, mode=bond.mode, active=bond.active_slave or state['active'],
                 slaves=records if due else baseline.held(records, state['slaves']))
    state['events'] = [e for e in state['events'] if now - max(window, KEEP_EVENTS) < e.time]
    report.changed = first_run or _baseline(state) != before
    if report.changed:  # written: with the bytes of now, so that they are those of 'time'
        state.update(time=now, slaves=records)
    report.no_link_since = {name: since for name, since in (
        (name, record['no_link_since']) for name, record in state['slaves'].items())
        if since is not None and since < now}
    _summarise(state['events'], now, window, report, _absorbed_why(bond))
    return report


def _baseline(state: dict) -> tuple:
    """Everything update() may change but the time (copied: the events are
    appended in place, the slaves renamed in place)."""
    return (state['boot_id'], state['mode'], state['active'], dict(state['slaves']),
            list(state['events']))


def _clamp_future_events(state: dict, now: float, report: Report) -> None:
    """Events stored "in the future" (the clock was set back) would never
    expire, and dropping them would hide a failure: dated now, they count
    for one window."""
    future = [e for e in state['events'] if e.time > now]
    if future:
        state['events'] = [e._replace(time=min(e.time, now)) for e in state['events']]
        report.findings.append(found('clock-stepped-back', f'{len(future)} stored event'
                                     f'{"s" if len(future) != 1 else ""} dated after now '
                                     '(the clock was set back?): kept, dated now'))


def _compare(state: dict, bond, current: dict, now: float, report: Report) -> None:
    """New events since the last run: link failures, losses the driver absorbed,
    LACP churns, slaves that joined or left, failovers."""
    _follow_renames(state, current, report)
    events = state['events']
    stored = state['slaves']
    failed = set()  # slaves whose link failed since the last run
    for name, sample in current.items():
        before = stored.get(name)
        if before is None:  # enslaved since the last run: all it counted is new
            events.append(Event(now, JOINED, name, None))
            growth = _restarted(sample.counters)
        elif before['perm_hwaddr'] != sample.perm_hwaddr:
            report.findings.append(found('baseline-new', 'permanent HW address changed '
                                         '(NIC replaced?): new baseline', name))
            continue
        else:
            growth = _grown(before, sample, name, report, _restart_words(bond, name))
        report.grown[name] = growth
        if _events(events, now, name, growth):
            failed.add(name)
    for name in sorted(set(stored) - set(current)):
        events.append(Event(now, LEFT, name, None))
    active, was = bond.active_slave, state['active']
    if was and active and was != active:
        events.append(Event(now, FAILOVER, was, active))
    elif was and was == active and was in failed:
        events.append(Event(now, FAILOVER, was, None))  # failed over and back


def _events(events: list, now: float, name: str, growth: dict) -> bool:
    """The events of one slave's growth; True if its link failed."""
    failures, losses = growth.get('link_failures', 0), growth.get('carrier_losses')
    if failures:
        events.append(Event(now, FAILURE, name, failures))
    if losses is not None and losses > failures:
        events.append(Event(now, ABSORBED, name, losses - failures))
    churns = counted.churned(growth)
    if churns:
        events.append(Event(now, CHURN, name, churns))
    return bool(failures)


def _restart_words(bond, name: str) -> str:
    """Why a slave's counters restarted: an OVS member's are ovs-vswitchd's."""
    if bond.KIND == 'ovs':
        return ('Open vSwitch counters restarted since the last run (ovs-vswitchd restarted, '
                f'or {name} removed and added again)')
    return 'enslaved again since the last run'


def _grown(before: dict, sample: Sample, name: str, report: Report, why: str) -> dict:
    """{counter: its growth since stored}, of the counters both have. Enslaved
    again since (another enslavement identity, or a counter below its stored
    value), the driver's counters restarted (`why`): all they count is new, and
    the device's are not judged (release and enslavement drop the link
    themselves). A SAMPLED counter below its stored value wrapped or was made
    anew: left out, and no sign of an enslavement."""
    old, new = before['counters'], sample.counters
    common = [counter for counter in new if counter in old]
    if (None not in (before['instance'], sample.instance)
            and before['instance'] != sample.instance) or any(
                new[c] < old[c] for c in common if c not in SAMPLED):
        report.findings.append(found('slave-reenslaved', f'{why}: its link failures counted '
                                     'from 0', name))
        return _restarted(new)
    return {counter: new[counter] - old[counter] for counter in common
            if new[counter] >= old[counter]}


def _restarted(counters: dict) -> dict:
    """A slave enslaved since: what its enslavement's counters count is new."""
    return {c: value for c, value in counters.items() if COUNTERS.get(c) == ENSLAVEMENT}


def _follow_renames(state: dict, current: dict, report: Report) -> None:
    """A slave renamed while enslaved keeps its permanent HW address (and
    the kernel its link failure count): carry its baseline and history over."""
    stored = state['slaves']
    gone = {s['perm_hwaddr']: name for name, s in stored.items()
            if name not in current and s['perm_hwaddr']}
    for name, sample in current.items():
        old = gone.get(sample.perm_hwaddr) if name not in stored else None
        if old is None:
            continue
        stored[name] = stored.pop(old)
        state['events'] = [e._replace(slave=name) if e.slave == old else e
                           for e in state['events']]
        if state['active'] == old:
            state['active'] = name
        report.findings.append(found('slave-renamed', f'renamed from {old} (same permanent '
                                     'HW address): its history is kept', name))


def _absorbed_why(bond) -> str:
    """Why a link loss left no link failure, as the bond's monitoring explains it
    (an OVS bond has no ARP monitoring)."""
    if getattr(bond, 'arp_interval', None):
        return 'ARP monitoring did not count it'
    if bond.downdelay:
        return f'back within downdelay {bond.downdelay} ms'
    return 'back before the link monitor looked'


def _summarise(events: list, now: float, window: int, report: Report, why: str) -> None:
    recent = [e for e in events if now - window < e.time <= now]
    left, last = {}, {}
    totals = {FAILURE: report.counts, ABSORBED: report.absorbed, CHURN: report.churns}
    for when, kind, slave, detail in recent:
        if kind in totals:
            totals[kind][slave] = totals[kind].get(slave, 0) + detail
            last[kind, slave] = max(when, last.get((kind, slave), when))
        elif kind == LEFT:
            left[slave] = when
        elif kind == JOINED:
            left.pop(slave, None)
            if when == now:
                report.findings.append(found('slave-joined', 'joined the bond', slave))
    report.last_failure = {slave: last[FAILURE, slave] for slave in report.counts}
    report.findings += [found('link-loss-absorbed', f'lost its link {count} time'
                              f'{"s" if count != 1 else ""} in the last {span(window)}, last '
                              f'{ago(now - last[ABSORBED, slave])}, without a link failure '
                              f'counted ({why})', slave)
                        for slave, count in report.absorbed.items()]
    report.findings += [found('lacp-flaps', f'LACP out of sync {count} time'
                              f'{"s" if count != 1 else ""} in the last {span(window)} (churn '
                              f'count), last {ago(now - last[CHURN, slave])}'
                              + ('' if slave in report.counts else ', its link up throughout'),
                              slave) for slave, count in report.churns.items()]
    report.findings += [found('slave-left', f'left the bond since {clock_time(when, now)}', slave)
                        for slave, when in left.items()]
    _failover(recent, now, window, report)


def _failover(recent: list, now: float, window: int, report: Report) -> None:
    failovers = [e for e in recent if e.kind == FAILOVER]
    if failovers:
        when, _, was, to = failovers[-1]
        what = f'failover {was} -> {to}' if to else f'failover from {was} and back'
        report.failover = (f'{what} {ago(now - when)} '
                           f'({len(failovers)} in the last {span(window)})')
        # With link failures that explain it, it is told with them (see
        # describe_failures) and judged by --failures-warning/-critical; a
        # failover without any (an admin's ifenslave -c?) is a WARNING of its own.
        if not report.total:
            report.findings.append(found('failover', report.failover))


def span(seconds: int) -> str:
    """Compact duration: 3600 -> '1h', 1800 -> '30m', 90 -> '90s'."""
    for unit, size in (('d', 86400), ('h', 3600), ('m', 60)):
        if seconds % size == 0:
            return f'{seconds // size}{unit}'
    return f'{seconds}s'


def ago(seconds: float) -> str:
    if seconds < 90:
        return f'{int(seconds)} s ago'
    if seconds < 5400:
        return f'{round(seconds / 60)} min ago'
    return f'{seconds / 3600:.1f} h ago'


def clock_time(when: float, now: float) -> str:
    """'10:32' today-ish, '2026-11-24 10:32' when older than a day."""
    return time.strftime('%H:%M' if now - when < 86400 else '%Y-%m-%d %H:%M',
                         time.localtime(when))
