"""A member that carries nothing (slave-carries-nothing).

In the modes that spread traffic, an up slave that moved next to nothing
since the last check while the bond moved plenty is a hashing problem
(xmit_hash_policy layer2 towards one gateway MAC puts every flow on one
port) or the switch's: the traffic is not where the admin thinks. Idle
backups of active-backup are by design and never judged.

Reads the growth of each slave's bytes since the stored sample
(flaps.Report.grown and .sampled; read by counted.py, kept in the baseline).
Bytes move at every run, so the baseline stores them only when it is
written anyway or once its sample is baseline.SAMPLE_EVERY old: the shares
are those since that sample ("since 10:32"), from one check interval to an
hour. What a slave sends is judged in every TRAFFIC_MODE; what it receives
only where the switch spreads it (802.3ad, balance-xor: balance-tlb
receives on one slave by design, balance-alb per peer).
"""
from __future__ import annotations

from .counted import TRAFFIC, TRAFFIC_MODES
from .findings import Finding, found

IDLE_SHARE = 0.01  # under 1% of the bond's bytes is nothing (LACPDUs, ARP, ND)
MIN_BYTES = 1024 * 1024  # less moved by the bond in a direction: too little to tell
RECEIVE_SPREAD = ('802.3ad', 'balance-xor')
WORDS = {'tx_bytes': 'sent', 'rx_bytes': 'received'}


def judge(bond, report) -> list[Finding]:
    """slave-carries-nothing per idle slave, and the shares as a note."""
    if bond.mode not in TRAFFIC_MODES or report.sampled is None or report.sampled >= report.now:
        return []
    growth = {s.name: report.grown.get(s.name) for s in _carriers(bond)}
    if len(growth) < 2 or any(g is None or not set(TRAFFIC) <= set(g) for g in growth.values()):
        return []  # a slave new, restarted or without counters: nothing to compare
    idle, shares = {}, []
    for key in TRAFFIC if bond.mode in RECEIVE_SPREAD else TRAFFIC[:1]:
        total = sum(g[key] for g in growth.values())
        if total < MIN_BYTES:
            continue
        shares.append(f'{WORDS[key]} {size(total)}: ' + ', '.join(
            f'{name} {g[key] / total:.0%}' for name, g in growth.items()))
        for name, g in growth.items():
            if g[key] < IDLE_SHARE * total:
                idle.setdefault(name, []).append(f'{g[key] / total:.1%} of the {size(total)} '
                                                 f'{WORDS[key]}')
    from .flaps import ago, clock_time  # loaded already where there is a baseline
    since = f'since {clock_time(report.sampled, report.now)} ({ago(report.now - report.sampled)})'
    hashing = f'xmit_hash_policy {bond.xmit_hash_policy}' if bond.xmit_hash_policy else 'hashing'
    return [found('slave-carries-nothing', f'carried next to nothing {since}: '
                  f'{" and ".join(parts)} ({hashing}, or the switch side)', name)
            for name, parts in idle.items()] + (
        [found('traffic-share', f'traffic {since}: ' + '; '.join(shares))] if shares else [])


def _carriers(bond) -> list:
    """The slaves that should carry traffic: up, and in 802.3ad in the active aggregator."""
    up = bond.slaves_up
    agg = bond.aggregator
    if bond.mode == '802.3ad' and agg is not None and agg.id is not None:
        return [s for s in up if s.aggregator_id == agg.id]
    return up


def size(count: int) -> str:
    """'1.4 MB', '12 GB': decimal units, as interface statistics are usually read."""
    for unit, scale in (('TB', 10 ** 12), ('GB', 10 ** 9), ('MB', 10 ** 6), ('kB', 10 ** 3)):
        if count >= scale:
            return f'{count / scale:.1f} {unit}'
    return f'{count} B'
