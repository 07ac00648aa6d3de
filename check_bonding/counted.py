"""What the baseline keeps of each slave now, and where each count is read
(the counters and what restarts them: baseline.COUNTERS); the rule that
turns LACP churn counts into flaps.

- link_failures: the driver's Link Failure Count (/proc); carrier_losses:
  sysfs carrier_down_count (kernel 4.16+), where the slave has one.
- actor_churns, partner_churns: 802.3ad's Actor/Partner Churned Count (/proc,
  world-readable, kernel 4.x and later; older kernels lack the lines): the
  times the churn machine found a port, or its partner, out of sync for its
  whole 60 s detection time. A partner's port-channel bounced, LACPDUs lost,
  a timeout: traffic lost without a link failure counted.
- tx_bytes, rx_bytes: the interface's bytes sent and received (psutil, from
  /proc/net/dev), kept only where the mode spreads traffic (TRAFFIC_MODES), so
  that the share of each slave since the stored sample can be told
  (traffic.py). They move at every run: baseline.SAMPLED says how they are
  stored without a write at every run.
"""
from __future__ import annotations

from .baseline import SAMPLED, Sample

CHURNS = ('actor_churns', 'partner_churns')
TRAFFIC = SAMPLED  # the bytes: the counters the baseline samples rather than keeps
# Where each slave's share of the traffic says something: the modes that spread
# what they send (and, 802.3ad and balance-xor, the switch what they receive).
TRAFFIC_MODES = ('802.3ad', 'balance-xor', 'balance-tlb', 'balance-alb')


def samples(bond, instances: dict, nics: dict) -> dict:
    """{slave: Sample} of `bond` (a parse.Bond, or an ovs.parse.OvsBond whose
    members have neither carrier fields nor churn counts); `instances`: {slave:
    its enslavement's identity} (system.enslavements); `nics`: psutil's
    per-interface counters (system.counters)."""
    spread = bond.mode in TRAFFIC_MODES
    return {s.name: _sample(s, instances.get(s.name), nics.get(s.name) if spread else None)
            for s in bond.slaves if s.link_failures is not None}


def _sample(slave, instance, nic) -> Sample:
    counters = {'link_failures': slave.link_failures}
    for name in ('carrier_losses', *CHURNS):
        value = getattr(slave, name, None)
        if value is not None:
            counters[name] = value
    if nic is not None:
        counters.update(tx_bytes=nic.bytes_sent, rx_bytes=nic.bytes_recv)
    carrier = getattr(slave, 'carrier', None)
    return Sample(slave.perm_hwaddr, instance, counters, carrier == 0 or (
        carrier is None and getattr(slave, 'operstate', None) == 'down'))


def churned(growth: dict) -> int:
    """How often the port lost LACP sync: one partner bounce counts on both
    sides of a port (the partner's sync, and ours where its aggregator went)."""
    return max((growth.get(name, 0) for name in CHURNS), default=0)
