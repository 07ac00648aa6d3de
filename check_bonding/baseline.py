"""The stored baseline of one bond: its format, what each slave keeps, and the
upgrade of files written by earlier releases. flaps.py compares a bond with
it; store.py keeps it in a file.

State format 2:
  {"format": 2, "bond": "bond0", "boot_id": "...", "time": 1700000000.0,
   "mode": "802.3ad", "active": null,
   "slaves": {"eth0": {"perm_hwaddr": "...", "instance": 13894, "no_link_since": null,
                       "counters": {"link_failures": 2, "carrier_losses": 5,
                                    "actor_churns": 0, "partner_churns": 1,
                                    "tx_bytes": 81234, "rx_bytes": 90321}}},
   "events": [[time, kind, slave, detail], ...]}   # Event records, pruned by age

"time" is when the baseline last changed, not when the last run was. A
slave's record holds what identifies it (its permanent address; `instance`,
the identity of its enslavement: system.enslavements), since when it has had
no link, and its counters: any number of named counters that only grow
between resets (COUNTERS says what resets each; counted.py reads them), so a
new counter needs no new format. The SAMPLED counters (bytes) move at every
run: they are stored when the file is written anyway, and at least every
SAMPLE_EVERY seconds, never just because they moved, so that a quiet bond
still costs no write; the stored sample is always the one of "time".
Format 1 (releases before: link_failures and perm_hwaddr per slave, and
from the switch-side work an optional "counters" record) is read and
upgraded on load, its baseline, counters and events kept.
"""
from __future__ import annotations

from collections import namedtuple

FORMAT = 2
FAILURE, FAILOVER, LEFT, JOINED = 'link-failure', 'failover', 'left', 'joined'
ABSORBED = 'link-loss'  # the link lost without a link failure counted (detail: how often)
CHURN = 'lacp-churn'  # the port lost LACP sync (detail: how often; counted.churned)
COUNTED = (FAILURE, ABSORBED, CHURN)  # events whose detail is a count

# One stored event; detail: a count (FAILURE, ABSORBED, CHURN), the new active slave
# or None for "and back" (FAILOVER), None (LEFT, JOINED).
Event = namedtuple('Event', 'time kind slave detail')

# Per-slave counters, by what restarts them besides a reboot: the bonding
# driver's own restart when the slave is enslaved again ('enslavement'), the
# interface's only when the device is made anew ('device'; a counter below its
# stored value). carrier_losses is sysfs carrier_down_count; actor_churns and
# partner_churns 802.3ad's churn counts (per port, made at enslavement);
# tx_bytes and rx_bytes the interface's bytes (/proc/net/dev), kept in the
# modes that spread traffic only (counted.py).
ENSLAVEMENT, DEVICE = 'enslavement', 'device'
COUNTERS = {'link_failures': ENSLAVEMENT, 'carrier_losses': DEVICE,
            'actor_churns': ENSLAVEMENT, 'partner_churns': ENSLAVEMENT,
            'tx_bytes': DEVICE, 'rx_bytes': DEVICE}
# Counters that move at every run of a bond that carries traffic: stored at
# most every SAMPLE_EVERY seconds besides the writes a change makes anyway
# (flaps.update). Some drivers keep them in 32 bits: one below its stored
# value wrapped or was made anew, and says nothing of an enslavement.
SAMPLED = ('tx_bytes', 'rx_bytes')
SAMPLE_EVERY = 3600  # seconds: at most one write an hour of a quiet bond's state file

# What the baseline keeps of one slave now (see flaps.samples).
Sample = namedtuple('Sample', 'perm_hwaddr instance counters no_link')

NUMBER, TEXT = (int, float), (str, type(None))


def new_state(bond_name: str) -> dict:
    return {'format': FORMAT, 'bond': bond_name, 'boot_id': None, 'time': None,
            'mode': None, 'active': None, 'slaves': {}, 'events': []}


def slave_record(sample: Sample, no_link_since: float | None) -> dict:
    return {'perm_hwaddr': sample.perm_hwaddr, 'instance': sample.instance,
            'no_link_since': no_link_since, 'counters': dict(sample.counters)}


def records(stored: dict, current: dict, now: float) -> dict:
    """The slaves' records to store. Without link now: since when, kept from
    the last run if the link has not come back in between (no loss counted)."""
    result = {}
    for name, sample in current.items():
        before = stored.get(name)
        since = None
        if sample.no_link:
            kept = before is not None and before['no_link_since'] is not None and \
                before['counters'].get('carrier_losses') == sample.counters.get('carrier_losses')
            since = before['no_link_since'] if kept else now
        result[name] = slave_record(sample, since)
    return result


def held(fresh: dict, stored: dict) -> dict:
    """The records `fresh` with their SAMPLED counters as `stored`: bytes that
    moved are no change to write."""
    result = {}
    for name, record in fresh.items():
        old = stored.get(name, {}).get('counters', {})
        kept = {c: old[c] for c in SAMPLED if c in old and c in record['counters']}
        result[name] = {**record, 'counters': {**record['counters'], **kept}} if kept else record
    return result


def valid_state(state) -> bool:
    """Is `state` a state of this program (format 2, or 1 to upgrade), every
    field of the type flaps.update relies on? Anything else is foreign or
    damaged and set aside."""
    try:
        slave_ok = {1: _valid_format1_slave, FORMAT: _valid_slave}[state['format']]
        return (isinstance(state['time'], NUMBER + (type(None),))
                and isinstance(state['active'], TEXT) and isinstance(state['boot_id'], TEXT)
                and all(isinstance(name, str) and slave_ok(s)
                        for name, s in state['slaves'].items())
                and isinstance(state.get('mode'), TEXT)
                and all(_valid_event(*event) for event in state['events']))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return False


def _valid_format1_slave(s) -> bool:
    return (isinstance(s['link_failures'], int) and isinstance(s['perm_hwaddr'], TEXT)
            and _valid_counters(s.get('counters', {})))


def _valid_slave(s) -> bool:
    return (isinstance(s['perm_hwaddr'], TEXT) and isinstance(s['instance'], (int, type(None)))
            and isinstance(s['no_link_since'], NUMBER + (type(None),))
            and _valid_counters(s['counters']))


def _valid_counters(counters) -> bool:
    return isinstance(counters, dict) and all(
        isinstance(name, str) and type(value) is int and value >= 0  # a bool is no count
        for name, value in counters.items())


def _valid_event(when, kind, slave, detail) -> bool:
    return isinstance(when, NUMBER) and isinstance(slave, str) and (
        kind in (LEFT, JOINED) or (kind in COUNTED and isinstance(detail, int))
        or (kind == FAILOVER and isinstance(detail, TEXT)))


def upgrade(state: dict) -> dict:
    """A valid state in this format (in place): format 1's slaves become
    records of their counters (link_failures, and those of its optional
    "counters" record); nothing else changes, so an upgraded bond keeps its
    baseline and its events."""
    if state['format'] == 1:
        state['slaves'] = {name: {'perm_hwaddr': s['perm_hwaddr'], 'instance': None,
                                  'no_link_since': None,
                                  'counters': {**s.get('counters', {}),
                                               'link_failures': s['link_failures']}}
                           for name, s in state['slaves'].items()}
        state['format'] = FORMAT
    state.setdefault('mode', None)  # format 1 files written before the mode was stored
    state['events'] = [Event(*event) for event in state['events']]
    return state
