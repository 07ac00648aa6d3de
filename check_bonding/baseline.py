"""The stored baseline of one bond: its format, what each slave keeps, and the
upgrade of files written by earlier releases. flaps.py compares a bond with
it; store.py keeps it in a file.

State format 2:
  {"format": 2, "bond": "bond0", "boot_id": "...", "time": 1700000000.0,
   "mode": "active-backup", "active": "eth0",
   "slaves": {"eth0": {"perm_hwaddr": "...", "instance": 13894, "no_link_since": null,
                       "counters": {"link_failures": 2, "carrier_losses": 5}}},
   "events": [[time, kind, slave, detail], ...]}   # Event records, pruned by age

"time" is when the baseline last changed, not when the last run was. A
slave's record holds what identifies it (its permanent address; `instance`,
the identity of its enslavement: system.enslavements), since when it has had
no link, and its counters: any number of named counters that only grow
between resets (COUNTERS says what resets each), so a new counter needs no
new format. Format 1 (releases before: link_failures and perm_hwaddr per
slave) is read and upgraded on load, its baseline and events kept.
"""
from __future__ import annotations

from collections import namedtuple

FORMAT = 2
FAILURE, FAILOVER, LEFT, JOINED = 'link-failure', 'failover', 'left', 'joined'
ABSORBED = 'link-loss'  # the link lost without a link failure counted (detail: how often)
COUNTED = (FAILURE, ABSORBED)  # events whose detail is a count

# One stored event; detail: a count (FAILURE, ABSORBED), the new active slave
# or None for "and back" (FAILOVER), None (LEFT, JOINED).
Event = namedtuple('Event', 'time kind slave detail')

# Per-slave counters, by what restarts them besides a reboot: the bonding
# driver's own restart when the slave is enslaved again ('enslavement'), the
# interface's only when the device is made anew ('device'; a counter below its
# stored value). carrier_losses is sysfs carrier_down_count.
ENSLAVEMENT, DEVICE = 'enslavement', 'device'
COUNTERS = {'link_failures': ENSLAVEMENT, 'carrier_losses': DEVICE}

# What the baseline keeps of one slave now (see flaps.samples).
Sample = namedtuple('Sample', 'perm_hwaddr instance counters no_link')

NUMBER, TEXT = (int, float), (str, type(None))


def new_state(bond_name: str) -> dict:
    return {'format': FORMAT, 'bond': bond_name, 'boot_id': None, 'time': None,
            'mode': None, 'active': None, 'slaves': {}, 'events': []}


def slave_record(sample: Sample, no_link_since: float | None) -> dict:
    return {'perm_hwaddr': sample.perm_hwaddr, 'instance': sample.instance,
            'no_link_since': no_link_since, 'counters': dict(sample.counters)}


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
    return isinstance(s['link_failures'], int) and isinstance(s['perm_hwaddr'], TEXT)


def _valid_slave(s) -> bool:
    return (isinstance(s['perm_hwaddr'], TEXT) and isinstance(s['instance'], (int, type(None)))
            and isinstance(s['no_link_since'], NUMBER + (type(None),))
            and all(isinstance(name, str) and isinstance(value, int) and value >= 0
                    for name, value in s['counters'].items()))


def _valid_event(when, kind, slave, detail) -> bool:
    return isinstance(when, NUMBER) and isinstance(slave, str) and (
        kind in (LEFT, JOINED) or (kind in COUNTED and isinstance(detail, int))
        or (kind == FAILOVER and isinstance(detail, TEXT)))


def upgrade(state: dict) -> dict:
    """A valid state in this format (in place): format 1's slaves become
    records whose only counter is link_failures; nothing else changes, so an
    upgraded bond keeps its baseline and its events."""
    if state['format'] == 1:
        state['slaves'] = {name: {'perm_hwaddr': s['perm_hwaddr'], 'instance': None,
                                  'no_link_since': None,
                                  'counters': {'link_failures': s['link_failures']}}
                           for name, s in state['slaves'].items()}
        state['format'] = FORMAT
    state.setdefault('mode', None)  # format 1 files written before the mode was stored
    state['events'] = [Event(*event) for event in state['events']]
    return state
