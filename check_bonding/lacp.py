"""802.3ad: one aggregator with every up slave, partners speaking LACP in sync.

Pure rules on a parsed Bond (see judge.py). Unprivileged readers may not see
the bond's active aggregator nor the partner's MACs (CAP_NET_ADMIN only since
kernel 4.x); the per-port states come from world-readable sysfs, so the rules
that need only them judge the same as root or not.
"""
from __future__ import annotations

from .findings import Finding, found
from .parse import Bond, port_state_flags

PARTNER_READY = ('synchronization', 'collecting', 'distributing')


def judge(bond: Bond, expect) -> list[Finding]:
    up = bond.slaves_up
    if bond.mode != '802.3ad' or not up:
        return []
    if bond.no_active_aggregator:
        return [found('no-active-aggregator', 'no active aggregator')]
    defaulted = [s.name for s in up if 'defaulted' in
                 port_state_flags(s.actor_port_state) + port_state_flags(s.partner_port_state)]
    if defaulted:
        finding = found('lacp-partner-defaulted', 'no LACPDUs received on '
                        + ', '.join(defaulted) + ' (switch not doing LACP?)')
        if len(defaulted) == len(up):
            return [finding]  # aggregators and partner state only follow from it
        return [finding] + _aggregation(bond, up)
    return _aggregation(bond, up) + _partner_state(bond, up) + _rates(up)


def _aggregation(bond: Bond, up: list) -> list[Finding]:
    """Every up slave in the active aggregator; unprivileged readers, who may
    not see the active aggregator, see slaves in different aggregators. Where
    root sees why (the ports reach different partners, or one partner's
    different LAGs), the text says so."""
    agg = bond.aggregator
    if agg is not None and agg.id is not None:
        outside = [s for s in up if s.aggregator_id != agg.id]
        if outside:
            return [found('aggregator-mismatch', ', '.join(
                f'{s.name} in aggregator {s.aggregator_id or "N/A"}' for s in outside)
                + f', not the active aggregator {agg.id}' + _partners(up))]
        if agg.ports is not None and agg.ports < len(up):
            return [found('aggregator-short', f'active aggregator {agg.id} has {agg.ports} '
                                              f'ports for {len(up)} slaves up')]
    elif len({s.aggregator_id for s in up}) > 1:
        return [found('aggregator-mismatch', 'slaves in different aggregators: ' + ', '.join(
            f'{s.name} in {s.aggregator_id or "N/A"}' for s in up) + _partners(up))]
    return []


def _partners(up: list) -> str:
    """' (...)' naming what differs between the LACP partners the ports report
    (root only), else '': another system MAC is another switch (two switches
    without MLAG?); one system MAC with another key is another LAG
    (port-channel) on the same switch."""
    known = [s for s in up if s.partner_mac and s.partner_mac.strip('0:')]
    if len({(s.partner_mac, s.partner_key) for s in known}) < 2:
        return ''
    ports = ', '.join(f'{s.name} {s.partner_mac} key {s.partner_key}' for s in known)
    if len({s.partner_mac for s in known}) > 1:
        return f' (different LACP partners: {ports}; two switches without MLAG?)'
    return (f' (one LACP partner {known[0].partner_mac}, different keys: ' + ', '.join(
        f'{s.name} key {s.partner_key}' for s in known) + '; two LAGs (port-channels) on one '
        'switch?)')


def _partner_state(bond: Bond, up: list) -> list[Finding]:
    """The partners of the ports in the active aggregator (the others are the
    aggregator mismatch's) in sync, collecting and distributing; churn; a partner."""
    findings = []
    agg = bond.aggregator
    active = [s for s in up if agg is None or agg.id is None or s.aggregator_id == agg.id]
    unready = [s for s in active if s.partner_port_state is not None and not set(
        PARTNER_READY) <= set(port_state_flags(s.partner_port_state))]
    if unready:
        findings.append(found('lacp-partner-not-ready', ', '.join(
            f'{s.name} partner not {"/".join(PARTNER_READY)} (state {s.partner_port_state})'
            for s in unready)))
    churned = [s.name for s in up if 'churned' in (s.actor_churn, s.partner_churn)]
    if churned:  # the churn machine gave up waiting for sync: a port left out
        findings.append(found('lacp-churned', 'LACP churned on ' + ', '.join(churned)))
    if agg is None or agg.partner_mac is None:
        findings.append(found('partner-mac-hidden', 'partner MAC check skipped: the kernel '
                                                    'shows it only to CAP_NET_ADMIN (root)'))
    elif not agg.partner_mac.strip('0:'):
        findings.append(found('lacp-no-partner', f'partner MAC {agg.partner_mac} '
                                                 '(no LACP partner)'))
    return findings


def _rates(up: list) -> list[Finding]:
    """The LACP_Timeout bits of the port states: each side asks the other for
    its rate. Allowed, but failure detection is then lopsided (3 s / 90 s)."""
    ours, theirs = ([s for s in up if s.actor_port_state is not None
                     and s.partner_port_state is not None
                     and _fast(s.actor_port_state) == fast
                     and _fast(s.partner_port_state) != fast] for fast in (True, False))
    return [found('lacp-rate-mismatch', f'LACP rate differs on {", ".join(s.name for s in ports)}: '
                  f'we ask {_word(fast)}, the partner {_word(not fast)} (a lost link is seen '
                  f'after {_timeout(fast)} s here, {_timeout(not fast)} s at the partner)')
            for fast, ports in ((True, ours), (False, theirs)) if ports]


def _fast(state: int) -> bool:
    return 'timeout' in port_state_flags(state)


def _word(fast: bool) -> str:
    return 'fast' if fast else 'slow'


def _timeout(fast: bool) -> int:
    return 3 if fast else 90
