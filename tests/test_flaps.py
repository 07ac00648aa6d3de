"""Flap detection on sequences of states, with a clock the test drives."""
import copy

from nagiosplugin.state import Ok, Warn

from check_bonding import baseline, flaps
from check_bonding.parse import Bond, Slave

HOUR = 3600


def bond(counts=(0, 0), active='eth0', hw=('aa:01', 'aa:02'), names=('eth0', 'eth1')):
    return Bond(name='bond0', mode='active-backup', active_slave=active, mii_status='up', slaves=[
        Slave(name=n, mii_status='up', link_failures=c, perm_hwaddr=h)
        for n, c, h in zip(names, counts, hw)])


class History:
    """A state dict carried from run to run, like the state file does."""

    def __init__(self):
        self.state = None

    def run(self, b, now, boot='boot-1', window=HOUR, reset=False, instances=None):
        self.state = copy.deepcopy(self.state) if self.state else baseline.new_state(b.name)
        return flaps.update(self.state, b, boot, now, window, reset, instances)


def texts(report, state=None):
    return [f.words for f in report.findings if state is None or f.state == state]


def told(report):
    """The link failures and the failover they explain, as the output tells them."""
    return ', '.join([f'{slave} {text}' for slave, text in report.failures()]
                     + [report.failover] * bool(report.failover))


def test_first_run_establishes_the_baseline():
    report = History().run(bond(), 1000)
    assert report.total == 0 and texts(report) == ['first run: baseline established']


def test_flap_between_two_runs_is_counted_and_named():
    h = History()
    h.run(bond((2, 3)), 1000)
    report = h.run(bond((4, 3)), 1000 + 300)
    assert report.total == 2 and report.counts == {'eth0': 2}
    assert told(report) == ('eth0 link failed 2 times in the last 1h, last 0 s ago, '
                                          'failover from eth0 and back 0 s ago (1 in the last 1h)')
    # the failures explain the failover: it is told and judged with them
    assert texts(report) == []


def test_window_expiry_returns_to_ok():
    h = History()
    h.run(bond((0, 0)), 1000)
    h.run(bond((1, 0)), 1300)
    later = h.run(bond((1, 0)), 1300 + 240)
    assert told(later).startswith(
        'eth0 link failed 1 time in the last 1h, last 4 min ago, failover from eth0 and back')
    quiet = h.run(bond((1, 0)), 1300 + HOUR + 1)
    assert quiet.total == 0 and texts(quiet, Warn) == []


def test_failures_within_the_window_add_up():
    h = History()
    h.run(bond((0, 0)), 0)
    h.run(bond((1, 0)), 600)
    report = h.run(bond((3, 1)), 1200)
    assert report.counts == {'eth0': 3, 'eth1': 1} and report.total == 4


def test_active_slave_change_is_a_failover():
    h = History()
    h.run(bond(active='eth0'), 0)
    report = h.run(bond((1, 0), active='eth1'), 60)
    assert report.failover == 'failover eth0 -> eth1 0 s ago (1 in the last 1h)'
    assert told(report).endswith(', ' + report.failover)


def test_failover_without_link_failures_is_a_warning_of_its_own():
    h = History()
    h.run(bond(active='eth0'), 0)
    report = h.run(bond(active='eth1'), 60)  # e.g. ifenslave -c bond0 eth1
    assert report.total == 0
    assert texts(report, Warn) == ['failover eth0 -> eth1 0 s ago (1 in the last 1h)']


def test_failover_through_no_active_slave_is_seen():
    h = History()
    h.run(bond(active='eth0'), 0)
    h.run(bond((1, 1), active=None), 60)  # both links down
    report = h.run(bond((1, 1), active='eth1'), 120)
    assert report.failover == 'failover eth0 -> eth1 0 s ago (1 in the last 1h)'


def test_events_from_the_future_are_kept_for_one_window_after_a_clock_step_back():
    h = History()
    h.run(bond((0, 0)), 10000)
    h.run(bond((2, 0)), 10060)
    report = h.run(bond((2, 0)), 5000)  # the clock went back
    assert report.total == 2 and report.changed
    assert [(e.time, e.kind) for e in h.state['events']] == [(5000, baseline.FAILURE),
                                                            (5000, baseline.FAILOVER)]
    assert ('clock-stepped-back', '2 stored events dated after now (the clock was set back?): '
                                  'kept, dated now') in [(f.name, f.text) for f in report.findings]
    assert h.run(bond((2, 0)), 5000 + HOUR - 1).total == 2
    assert h.run(bond((2, 0)), 5000 + HOUR + 1).total == 0


def test_a_slave_renamed_while_enslaved_keeps_its_history():
    h = History()
    h.run(bond((0, 0)), 0)
    h.run(bond((1, 0)), 60)
    renamed = bond((1, 0))._replace(slaves=(bond((1, 0)).slaves[0],
                                            bond((1, 0)).slaves[1]._replace(name='wan1')))
    report = h.run(renamed, 120)
    assert texts(report, Warn) == []  # not "eth1 left the bond"
    assert ('slave-renamed', 'wan1', 'renamed from eth1 (same permanent HW address): its '
            'history is kept') in [(f.name, f.slave, f.text) for f in report.findings]
    assert report.counts == {'eth0': 1} and set(h.state['slaves']) == {'eth0', 'wan1'}
    assert h.run(renamed._replace(slaves=(renamed.slaves[0], renamed.slaves[1]._replace(
        link_failures=1))), 180).counts == {'eth0': 1, 'wan1': 1}


def test_a_rename_alone_is_stored_and_told_once():
    """No event names the slave: the rename is still a change to write, or the
    file keeps the old name and every run renames it again."""
    h = History()
    h.run(bond((0, 0)), 0)
    renamed = bond((0, 0), names=('eth0', 'wan1'))
    report = h.run(renamed, 60)
    assert report.changed and [f.name for f in report.findings] == ['slave-renamed']
    assert h.run(renamed, 120).findings == []


def test_a_mode_change_starts_a_new_baseline_not_a_failover():
    h = History()
    h.run(bond(active='eth0'), 0)
    report = h.run(bond(active='eth1')._replace(mode='balance-alb'), 60)
    assert report.failover is None and texts(report, Warn) == []
    assert texts(report) == ['mode changed (active-backup -> balance-alb): new baseline']
    assert h.run(bond(active='eth1')._replace(mode='balance-alb'), 120).failover is None


def test_a_count_that_went_down_was_reenslaved_and_counts_from_zero():
    h = History()
    h.run(bond((5, 5)), 0)
    report = h.run(bond((0, 5)), 60)
    assert report.total == 0
    assert texts(report) == ['eth0 enslaved again since the last run: its link failures '
                             'counted from 0']
    assert h.run(bond((1, 5)), 120).counts == {'eth0': 1}
    h2 = History()
    h2.run(bond((5, 5)), 0)
    assert h2.run(bond((2, 5)), 60).counts == {'eth0': 2}  # failed twice since re-enslaved


def test_nic_replacement_is_a_new_baseline():
    h = History()
    h.run(bond((5, 0)), 0)
    report = h.run(bond((7, 0), hw=('bb:01', 'aa:02')), 60)
    assert report.total == 0 and 'eth0 permanent HW address changed' in texts(report)[0]


def test_reboot_is_a_new_baseline():
    h = History()
    h.run(bond((5, 0)), 0, boot='boot-1')
    report = h.run(bond((9, 0)), 60, boot='boot-2')
    assert report.total == 0 and texts(report) == ['reboot since the last run: new baseline']


def test_slave_removed_warns_until_the_window_passes_and_re_added_clears():
    h = History()
    h.run(bond(), 0)
    gone = h.run(bond(names=('eth0',)), 60)
    assert [t.startswith('eth1 left the bond since ') for t in texts(gone, Warn)] == [True]
    assert texts(h.run(bond(names=('eth0',)), 120), Warn) != []
    assert texts(h.run(bond(names=('eth0',)), 60 + HOUR + 1), Warn) == []
    h2 = History()
    h2.run(bond(), 0)
    h2.run(bond(names=('eth0',)), 60)
    back = h2.run(bond(), 120)
    assert texts(back, Warn) == [] and 'eth1 joined the bond' in texts(back, Ok)


def test_reset_accepts_current_counters():
    h = History()
    h.run(bond((0, 0)), 0)
    assert h.run(bond((3, 0)), 60).total == 3
    report = h.run(bond((3, 0)), 120, reset=True)
    assert report.total == 0 and texts(report) == [
        'baseline reset (--reset): current counters accepted']


def test_a_quiet_run_leaves_the_state_as_it_was_and_a_change_dates_it():
    h = History()
    assert h.run(bond((1, 0)), 0).changed
    first = copy.deepcopy(h.state)
    assert not h.run(bond((1, 0)), 60).changed
    assert h.state == first and h.state['time'] == 0 and baseline.valid_state(h.state)
    assert h.run(bond((1, 0)), 120, reset=True).total == 0 and h.state == first
    assert h.run(bond((2, 0)), 180).changed
    assert h.state['time'] == 180 and h.state['slaves']['eth0']['counters']['link_failures'] == 2
    h.run(bond((2, 0), active='eth1'), 240)
    assert h.state['time'] == 240 and h.state['active'] == 'eth1'
    h.run(bond((2, 0), active='eth1'), 241 + HOUR * 24)  # only the events aged out
    assert h.state['events'] == [] and h.state['time'] == 241 + HOUR * 24


def test_foreign_or_damaged_states_are_not_valid():
    assert not baseline.valid_state({'format': 2})
    assert not baseline.valid_state({'cookie': 1})
    assert not baseline.valid_state([])


def test_span_and_ago_wording():
    assert [flaps.span(s) for s in (3600, 1800, 86400, 90)] == ['1h', '30m', '1d', '90s']
    assert [flaps.ago(s) for s in (5, 240, 7200)] == ['5 s ago', '4 min ago', '2.0 h ago']


# What Link Failure Count misses (a loss within downdelay, a re-enslaved slave), and
# files of the release before.

def slaves(bond_, **fields):
    """bond_ with each slave's fields set from tuples: carrier_losses=(1, 0)."""
    return bond_._replace(slaves=tuple(s._replace(**{k: v[i] for k, v in fields.items()})
                                       for i, s in enumerate(bond_.slaves)))


def test_a_link_loss_shorter_than_downdelay_is_reported_though_no_failure_was_counted():
    h = History()
    assert h.run(slaves(bond(), carrier_losses=(1, 1)), 0).absorbed == {}
    report = h.run(slaves(bond()._replace(downdelay=3000), carrier_losses=(2, 1)), 60)
    assert report.total == 0 and report.absorbed == {'eth0': 1}
    assert [(f.name, f.state) for f in report.findings] == [('link-loss-absorbed', Warn)]
    assert texts(report) == ['eth0 lost its link 1 time in the last 1h, last 0 s ago, without '
                             'a link failure counted (back within downdelay 3000 ms)']
    later = h.run(slaves(bond(), carrier_losses=(2, 1)), 60 + HOUR + 1)
    assert later.absorbed == {} and texts(later, Warn) == []  # the window passed


def test_losses_the_driver_counted_are_link_failures_not_absorbed_losses():
    h = History()
    h.run(slaves(bond(), carrier_losses=(1, 1)), 0)
    report = h.run(slaves(bond((1, 0)), carrier_losses=(4, 1)), 60)
    assert report.counts == {'eth0': 1} and report.absorbed == {'eth0': 2}


def test_a_reenslaved_slave_with_the_same_count_has_its_new_failure_counted():
    """Flapped once (count 1, stored), released and enslaved again (count 0), flapped
    again (count 1): equal counts, but another enslavement (sysfs identity)."""
    h = History()
    h.run(slaves(bond((1, 0)), carrier_losses=(2, 1)), 0, instances={'eth0': 10, 'eth1': 11})
    report = h.run(slaves(bond((1, 0)), carrier_losses=(4, 1)), 60,
                   instances={'eth0': 20, 'eth1': 11})
    assert report.counts == {'eth0': 1}
    assert report.absorbed == {}  # the release and enslavement drop the link themselves
    assert 'eth0 enslaved again since the last run: its link failures counted from 0' in \
        texts(report, Ok)
    assert h.run(slaves(bond((1, 0)), carrier_losses=(4, 1)), 120,
                 instances={'eth0': 20, 'eth1': 11}).counts == {'eth0': 1}  # nothing new


def test_an_unknown_enslavement_identity_is_no_reset():
    h = History()
    h.run(bond((1, 0)), 0, instances={'eth0': 10})
    assert h.run(bond((1, 0)), 60, instances={}).total == 0
    assert h.run(bond((1, 0)), 120, instances={'eth0': 30}).total == 0  # stored None


def test_a_slave_that_joined_since_the_last_run_counts_its_failures():
    h = History()
    h.run(bond(names=('eth0',)), 0)
    report = h.run(bond((0, 2)), 60)
    assert report.counts == {'eth1': 2} and 'eth1 joined the bond' in texts(report, Ok)


def test_a_link_gone_at_two_runs_is_told_and_one_that_came_back_between_is_not():
    h = History()
    gone = slaves(bond(), carrier=(0, 1), carrier_losses=(3, 1))
    assert h.run(gone, 0).no_link_since == {}
    assert h.run(gone, 60).no_link_since == {'eth0': 0}
    back_and_gone = slaves(bond(), carrier=(0, 1), carrier_losses=(4, 1))
    assert h.run(back_and_gone, 120).no_link_since == {}  # lost again since: a new loss
    assert h.run(back_and_gone, 180).no_link_since == {'eth0': 120}
    assert h.run(slaves(bond(), carrier=(1, 1), carrier_losses=(4, 1)), 240).no_link_since == {}


FORMAT_1 = {'format': 1, 'bond': 'bond0', 'boot_id': 'boot-1', 'time': 1000.0,
            'mode': 'active-backup', 'active': 'eth0',
            'slaves': {'eth0': {'link_failures': 2, 'perm_hwaddr': 'aa:01'},
                       'eth1': {'link_failures': 0, 'perm_hwaddr': 'aa:02'}},
            'events': [[1000.0, 'link-failure', 'eth0', 2]]}


def test_a_file_of_the_release_before_keeps_its_baseline_and_history():
    assert baseline.valid_state(copy.deepcopy(FORMAT_1))
    h = History()
    h.state = copy.deepcopy(FORMAT_1)
    report = h.run(slaves(bond((3, 0)), carrier_losses=(5, 1)), 1600,
                   instances={'eth0': 7, 'eth1': 8})
    assert [f.name for f in report.findings if f.name == 'baseline-new'] == []
    assert report.counts == {'eth0': 3}  # 2 stored in the window + 1 new
    assert report.absorbed == {}  # carrier_losses is new to the baseline: it starts now
    assert h.state['format'] == 2 and baseline.valid_state(h.state)
    assert h.state['slaves']['eth0'] == {'perm_hwaddr': 'aa:01', 'instance': 7,
                                         'no_link_since': None,
                                         'counters': {'link_failures': 3, 'carrier_losses': 5}}
    assert h.run(slaves(bond((3, 0)), carrier_losses=(6, 1)), 1700,
                 instances={'eth0': 7, 'eth1': 8}).absorbed == {'eth0': 1}


def test_a_counter_the_baseline_does_not_know_yet_joins_without_a_format_change():
    state = baseline.new_state('bond0')
    flaps.update(state, bond(), 'boot', 0, HOUR)
    state['slaves']['eth0']['counters']['churned'] = 4  # what a later release may keep
    assert baseline.valid_state(state)
    assert flaps.update(state, bond(), 'boot', 60, HOUR).total == 0


def test_a_record_of_this_format_with_what_update_cannot_use_is_not_valid():
    state = baseline.new_state('bond0')
    flaps.update(state, bond(), 'boot', 0, HOUR)
    for field, value in (('counters', {'link_failures': -1}), ('counters', []),
                         ('instance', 'x'), ('no_link_since', 'yesterday')):
        damaged = copy.deepcopy(state)
        damaged['slaves']['eth0'][field] = value
        assert not baseline.valid_state(damaged), (field, value)
    assert not baseline.valid_state({**state, 'format': 3})
