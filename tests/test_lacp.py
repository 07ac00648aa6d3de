"""802.3ad (lacp.py): aggregators, partners in sync, churn, on small hand-built bonds."""
from nagiosplugin.state import Warn

from check_bonding.parse import Aggregator
from helpers import lacp_bond, problems, with_slave


def test_lacp_healthy_with_and_without_the_privileged_aggregator_view():
    assert problems(lacp_bond(Aggregator(1, 2, 15, 1, '00:23:04:ee:be:01'))) == []
    assert problems(lacp_bond(None)) == []

def test_lacp_slave_outside_the_active_aggregator():
    assert problems(lacp_bond(Aggregator(1, 1, partner_mac='00:23:04:ee:be:01'),
                              agg_ids=(1, 2))) == [
        (Warn, 'eth1 in aggregator 2, not the active aggregator 1')]

def test_lacp_mismatch_seen_unprivileged_from_slave_aggregator_ids():
    assert problems(lacp_bond(None, agg_ids=(1, 2))) == [
        (Warn, 'slaves in different aggregators: eth0 in 1, eth1 in 2')]

def test_lacp_fewer_ports_than_slaves_up():
    assert problems(lacp_bond(Aggregator(1, 1, partner_mac='00:23:04:ee:be:01'))) == [
        (Warn, 'active aggregator 1 has 1 ports for 2 slaves up')]

def test_lacp_defaulted_partner_means_no_lacpdus():
    bond = lacp_bond(Aggregator(1, 2, partner_mac='00:00:00:00:00:00'), states=(1, 1),
                     actor=(0x47, 0x47))
    assert problems(bond) == [(Warn, 'no LACPDUs received on eth0, eth1 (switch not doing LACP?)')]

def test_lacp_partner_not_distributing_and_zero_partner_mac():
    bond = lacp_bond(Aggregator(1, 2, partner_mac='00:00:00:00:00:00'), states=(61, 0x0d))
    assert problems(bond) == [
        (Warn, 'eth1 partner not synchronization/collecting/distributing (state 13)'),
        (Warn, 'partner MAC 00:00:00:00:00:00 (no LACP partner)')]

def test_lacp_no_active_aggregator():
    bond = lacp_bond(None)._replace(no_active_aggregator=True)
    assert problems(bond) == [(Warn, 'no active aggregator')]

def test_lacp_churned_port_is_named():
    bond = with_slave(lacp_bond(None), 1, actor_churn='churned', partner_churn='none')
    assert problems(bond) == [(Warn, 'LACP churned on eth1')]
