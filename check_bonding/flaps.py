"""Flap detection: compare a bond with its stored baseline, record what changed.

The kernel's per-slave Link Failure Count remembers a cable pulled for
seconds between two checks; comparing it with the count stored at the last
run shows the flap. Pure functions on the state dict (stored by store.py)
and a parsed Bond; the clock is a parameter, so tests can drive time.

State format 1:
  {"format": 1, "bond": "bond0", "boot_id": "...", "time": 1700000000.0,
   "active": "eth0", "slaves": {"eth0": {"link_failures": 2, "perm_hwaddr": "...",
                                         "counters": {"partner_churns": 1, ...}}},
   "events": [[time, kind, slave, detail], ...]}   # Event records, pruned by age

"counters" (counted.py) is optional: files written before it compare nothing.

"time" is when the baseline last changed, not when the last run was: a run
that finds everything as stored leaves the state as it is (Report.changed
False), so store.py need not rewrite (and fsync) the file of every quiet
bond at every check. The events carry what the window needs; a quiet run
adds nothing to them.
"""
from __future__ import annotations

import time
from collections import namedtuple

from . import counted
from .findings import Finding, found

FORMAT = 1
KEEP_EVENTS = 86400  # seconds; longer if the window is longer
FAILURE, FAILOVER, LEFT, JOINED = 'link-failure', 'failover', 'left', 'joined'
CHURN = 'lacp-churn'  # detail: how often the port lost LACP sync (counted.churned)

# One stored event; detail: failures or churns counted (FAILURE, CHURN), the new active slave
# or None for "and back" (FAILOVER), None (LEFT, JOINED).
Event = namedtuple('Event', 'time kind slave detail')


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
        self.churns: dict[str, int] = {}            # slave: LACP churns in the window
        self.grown: dict[str, dict] = {}  # slave: {counter: growth since the last run}
        self.since = None  # seconds since the counters `grown` compares with were stored
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


NUMBER, TEXT = (int, float), (str, type(None))


def valid_state(state) -> bool:
    """Is `state` a format-1 state of this program, every field of the type
    update() relies on? Anything else is foreign or damaged and set aside."""
    try:
        return (state['format'] == FORMAT and isinstance(state['time'], NUMBER + (type(None),))
                and isinstance(state['active'], TEXT) and isinstance(state['boot_id'], TEXT)
                and all(isinstance(name, str) and isinstance(s['link_failures'], int)
                        and isinstance(s['perm_hwaddr'], TEXT)
                        and counted.valid(s.get('counters', {}))
                        for name, s in state['slaves'].items())
                and isinstance(state.get('mode'), TEXT)
                and all(_valid_event(*event) for event in state['events']))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return False


def _valid_event(when, kind, slave, detail) -> bool:
    return isinstance(when, NUMBER) and isinstance(slave, str) and (
        kind in (LEFT, JOINED) or (kind in (FAILURE, CHURN) and isinstance(detail, int))
        or (kind == FAILOVER and isinstance(detail, TEXT)))


def new_state(bond) -> dict:
    return {'format': FORMAT, 'bond': bond.name, 'boot_id': None, 'time': None,
            'mode': None, 'active': None, 'slaves': {}, 'events': []}


def update(state: dict, bond, boot_id: str | None, now: float,
           window: int, reset: bool = False, nics: dict | None = None) -> Report:
    """Record what changed in `state` (in place) since the parse.Bond `bond`
    was last seen, and report the window. `nics`: psutil's per-interface
    counters (counted.sample)."""
    report = Report(now, window)
    state['events'] = [Event(*event) for event in state['events']]
    state.setdefault('mode', None)  # files written before the mode was stored
    before = _baseline(state)
    _clamp_future_events(state, now, report)
    first_run = state['time'] is None
    samples = _samples(bond, nics)
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
        _compare(state, bond, now, report, samples)
        report.since = now - state['time']
    # With no active slave now (all down), remember the last one: the next
    # active slave is then seen as the failover it is.
    state.update(boot_id=boot_id, mode=bond.mode, active=bond.active_slave or state['active'],
                 slaves={s.name: _record(s, samples[s.name]) for s in bond.slaves
                         if s.link_failures is not None})
    state['events'] = [e for e in state['events'] if now - max(window, KEEP_EVENTS) < e.time]
    report.changed = first_run or _baseline(state) != before
    if report.changed:
        state['time'] = now
    _summarise(state['events'], now, window, report)
    return report


def _samples(bond, nics: dict | None) -> dict:
    return {s.name: counted.sample(s, bond.mode, nics or {}) for s in bond.slaves}


def _record(slave, counters: dict) -> dict:
    """A slave's stored record; "counters" only where there are some."""
    record = {'link_failures': slave.link_failures, 'perm_hwaddr': slave.perm_hwaddr}
    return {**record, 'counters': counters} if counters else record


def _baseline(state: dict) -> tuple:
    """Everything update() may change but the time (events copied: appended in place)."""
    return (state['boot_id'], state['mode'], state['active'], state['slaves'],
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


def _compare(state: dict, bond, now: float, report: Report, samples: dict) -> None:
    """New events since the last run; counter resets start a new baseline."""
    _follow_renames(state, bond, report)
    events = state['events']
    stored = state['slaves']
    failed = set()  # slaves whose link failed since the last run
    for slave in bond.slaves:
        before = stored.get(slave.name)
        if slave.link_failures is None:
            continue
        if before is None:
            events.append(Event(now, JOINED, slave.name, None))
        elif before['perm_hwaddr'] != slave.perm_hwaddr:
            report.findings.append(found('baseline-new', 'permanent HW address changed '
                                         '(NIC replaced?): new baseline', slave.name))
        elif slave.link_failures < before['link_failures']:
            report.findings.append(found('baseline-new', 'link failure count went down '
                                         '(re-enslaved or module reloaded): new baseline',
                                         slave.name))
        else:
            if slave.link_failures > before['link_failures']:
                failed.add(slave.name)
                events.append(Event(now, FAILURE, slave.name,
                                    slave.link_failures - before['link_failures']))
            _counted(before.get('counters', {}), samples[slave.name], slave.name, now, report,
                     events)
    for name in sorted(set(stored) - {s.name for s in bond.slaves}):
        events.append(Event(now, LEFT, name, None))
    active, was = bond.active_slave, state['active']
    if was and active and was != active:
        events.append(Event(now, FAILOVER, was, active))
    elif was and was == active and was in failed:
        events.append(Event(now, FAILOVER, was, None))  # failed over and back


def _counted(stored: dict, sample: dict, name: str, now: float, report: Report,
             events: list) -> None:
    """What the other counters grew by since the last run (counted.py)."""
    growth = counted.grown(stored, sample)
    if growth is None:
        return  # restarted: nothing to count from
    report.grown[name] = growth
    if counted.churned(growth):
        events.append(Event(now, CHURN, name, counted.churned(growth)))


def _follow_renames(state: dict, bond, report: Report) -> None:
    """A slave renamed while enslaved keeps its permanent HW address (and
    the kernel its link failure count): carry its baseline and history over."""
    stored = state['slaves']
    gone = {s['perm_hwaddr']: name for name, s in stored.items()
            if name not in {slave.name for slave in bond.slaves} and s['perm_hwaddr']}
    for slave in bond.slaves:
        old = gone.get(slave.perm_hwaddr) if slave.name not in stored else None
        if old is None:
            continue
        stored[slave.name] = stored.pop(old)
        state['events'] = [e._replace(slave=slave.name) if e.slave == old else e
                           for e in state['events']]
        if state['active'] == old:
            state['active'] = slave.name
        report.findings.append(found('slave-renamed', f'renamed from {old} (same permanent '
                                     'HW address): its history is kept', slave.name))


def _summarise(events: list, now: float, window: int, report: Report) -> None:
    recent = [e for e in events if now - window < e.time <= now]
    left, last_churn = {}, {}
    for when, kind, slave, detail in recent:
        if kind == FAILURE:
            report.counts[slave] = report.counts.get(slave, 0) + detail
            report.last_failure[slave] = max(when, report.last_failure.get(slave, when))
        elif kind == CHURN:
            report.churns[slave] = report.churns.get(slave, 0) + detail
            last_churn[slave] = max(when, last_churn.get(slave, when))
        elif kind == LEFT:
            left[slave] = when
        elif kind == JOINED:
            left.pop(slave, None)
            if when == now:
                report.findings.append(found('slave-joined', 'joined the bond', slave))
    for slave, when in left.items():
        report.findings.append(found('slave-left', f'left the bond since '
                                                   f'{clock_time(when, now)}', slave))
    report.findings += [found('lacp-flaps', f'LACP out of sync {count} time'
                              f'{"s" if count != 1 else ""} in the last {span(window)} (churn '
                              f'count), last {ago(now - last_churn[slave])}'
                              + ('' if slave in report.counts else ', its link up throughout'),
                              slave) for slave, count in report.churns.items()]
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
