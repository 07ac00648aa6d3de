"""Per-slave counters the baseline keeps besides the link failure count
(issue 25): what moves on the switch side while every link stays up.

- actor_churns, partner_churns: 802.3ad's Actor/Partner Churned Count (/proc,
  world-readable, kernel 4.x and later; older kernels lack the lines): the
  times the churn machine found a port, or its partner, out of sync for its
  whole 60 s detection time. A partner's port-channel bounced, LACPDUs lost,
  a timeout: traffic lost without a link failure counted.
- tx_bytes, rx_bytes: the interface's bytes sent and received (psutil, from
  /proc/net/dev), kept only where the mode spreads traffic (TRAFFIC_MODES), so
  that the share of each slave since the last check can be told (traffic.py).

A slave's stored record holds them as "counters": {name: value}; records of
files written before lack the key and compare nothing. A counter below its
stored value was restarted (re-enslaved, device made anew): nothing is
counted from it for that run.
"""
from __future__ import annotations

CHURNS = ('actor_churns', 'partner_churns')
TRAFFIC = ('tx_bytes', 'rx_bytes')
# Where each slave's share of the traffic says something: the modes that spread
# what they send (and, 802.3ad and balance-xor, the switch what they receive).
TRAFFIC_MODES = ('802.3ad', 'balance-xor', 'balance-tlb', 'balance-alb')


def sample(slave, mode: str | None, nics: dict) -> dict:
    """{counter: value} of a parse.Slave now; `nics`: psutil's per-interface counters."""
    values = {name: getattr(slave, name) for name in CHURNS}
    nic = nics.get(slave.name) if mode in TRAFFIC_MODES else None
    if nic is not None:
        values.update(tx_bytes=nic.bytes_sent, rx_bytes=nic.bytes_recv)
    return {name: value for name, value in values.items() if value is not None}


def grown(stored: dict, now: dict) -> dict | None:
    """{counter: growth} of the counters both have; None where one went down."""
    common = [name for name in now if name in stored]
    if any(now[name] < stored[name] for name in common):
        return None
    return {name: now[name] - stored[name] for name in common}


def churned(growth: dict) -> int:
    """How often the port lost LACP sync: one partner bounce counts on both
    sides of a port (the partner's sync, and ours where its aggregator went)."""
    return max((growth.get(name, 0) for name in CHURNS), default=0)


def valid(counters) -> bool:
    return isinstance(counters, dict) and all(
        isinstance(name, str) and isinstance(value, int) and not isinstance(value, bool)
        for name, value in counters.items())
