"""The OVS states the check is tested in, built on a Lab (lab.py) step by step.

Each scenario is a list of steps run on a lab reset to two bridges and
linked veth pairs; bond0 (members a1, a2 on br-a) is the bond checked, bond1
(b1, b2 on br-b) its partner at the other ends of the pairs. What the check
must say in each is tests/expected_ovs.py; the captures of each, replayed by
tests/test_ovs_fixtures.py, are tests/data/fixtures/<name>; to refresh them
(as root, about 40 s):

    python tests/ovs/scenarios.py --dest tests/data/fixtures
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

LACP = ('lacp=active', 'bond_mode=balance-tcp', 'other_config:lacp-time=fast')


def reset(lab):
    lab.vsctl('--if-exists', 'del-port', 'br-a', 'bond0', '--', '--if-exists', 'del-port',
              'br-b', 'bond1')
    for i in range(1, lab.pairs + 1):
        lab.link(f'a{i}', 'up')
        lab.link(f'b{i}', 'up')


def lacp(lab):
    """balance-tcp with LACP on both sides, negotiated, every member enabled."""
    lab.bond('br-a', 'bond0', ['a1', 'a2'], *LACP)
    lab.bond('br-b', 'bond1', ['b1', 'b2'], *LACP)
    for member in ('a1', 'a2'):
        lab.wait_for(f'member: {member}: current attached', 'lacp/show', 'bond0')
        lab.wait_for(f'member {member}: enabled', 'bond/show', 'bond0')


def member_down(lab):
    """a2's link is gone (its peer b2 set down): OVS disables it."""
    lab.link('b2', 'down')
    lab.wait_for('member a2: disabled', 'bond/show', 'bond0')


def partner_gone(lab):
    """The partner stops LACP (bond1 lacp=off): bond0's members expire, then
    default, and the bond is configured but not negotiated."""
    lab.vsctl('set', 'port', 'bond1', 'lacp=off')
    lab.wait_for('lacp_status: configured', 'bond/show', 'bond0')
    lab.wait_for('member: a2: defaulted', 'lacp/show', 'bond0')


def fallback(lab):
    """... and bond0 has lacp-fallback-ab: active-backup through one member."""
    lab.vsctl('set', 'port', 'bond0', 'other_config:lacp-fallback-ab=true')
    lab.wait_for('active member\n', 'bond/show', 'bond0')


def active_backup(lab):
    """active-backup without LACP, bond-primary a2, updelay 4 s."""
    lab.bond('br-a', 'bond0', ['a1', 'a2'], 'bond_mode=active-backup',
             'other_config:bond-primary=a2', 'bond_updelay=4000')
    lab.bond('br-b', 'bond1', ['b1', 'b2'], 'bond_mode=active-backup')
    lab.wait_for('active member mac: ', 'bond/show', 'bond0')
    lab.wait_for('(a2)\n', 'bond/show', 'bond0')


def primary_down(lab):
    """The primary's link goes: failover to a1."""
    lab.link('b2', 'down')
    lab.wait_for('(a1)\n', 'bond/show', 'bond0')


def primary_back(lab):
    """The primary's link is back: updelay runs (a2 still disabled)."""
    lab.link('b2', 'up')
    lab.wait_for('updelay expires in', 'bond/show', 'bond0')


def failback(lab):
    """After updelay OVS goes back to its primary."""
    lab.wait_for('(a2)\n', 'bond/show', 'bond0')
    lab.wait_for('member a2: enabled', 'bond/show', 'bond0')


def slb(lab):
    """balance-slb without LACP: healthy by itself."""
    lab.bond('br-a', 'bond0', ['a1', 'a2'], 'bond_mode=balance-slb')
    lab.bond('br-b', 'bond1', ['b1', 'b2'], 'bond_mode=balance-slb')
    lab.wait_for('member a2: enabled', 'bond/show', 'bond0')
    lab.wait_for('member a1: enabled', 'bond/show', 'bond0')


def flap(lab):
    """a1 loses its link and gets it back between two runs."""
    lab.link('b1', 'down')
    lab.wait_for('member a1: disabled', 'bond/show', 'bond0')
    lab.link('b1', 'up')
    lab.wait_for('member: a1: current attached', 'lacp/show', 'bond0')
    lab.wait_for('member a1: enabled', 'bond/show', 'bond0')


SCENARIOS = {
    'ovs-lacp': [lacp],
    'ovs-lacp-member-down': [lacp, member_down],
    'ovs-lacp-partner-gone': [lacp, partner_gone],
    'ovs-lacp-fallback': [lacp, partner_gone, fallback],
    'ovs-ab-primary': [active_backup],
    'ovs-ab-failover': [active_backup, primary_down],
    'ovs-ab-going-back': [active_backup, primary_down, primary_back],
    'ovs-ab-failback': [active_backup, primary_down, primary_back, failback],
    'ovs-slb': [slb],
    'ovs-flap-before': [lacp],
    'ovs-flap': [lacp, flap],
}
# Captured as nobody too (<name>.nobody): what an unprivileged check is told
NOBODY = ('ovs-lacp',)


def build(lab, name: str):
    reset(lab)
    for step in SCENARIOS[name]:
        step(lab)


def main():
    parser = argparse.ArgumentParser(description='capture the OVS scenarios as fixtures')
    parser.add_argument('--dest', type=Path, required=True)
    parser.add_argument('names', nargs='*', help='scenarios (default: all)')
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from lab import Lab, missing
    if missing():
        sys.exit(f'cannot run the OVS lab: {missing()}')
    with Lab() as lab:
        for name in args.names or SCENARIOS:
            build(lab, name)
            lab.capture(args.dest / name)
            if name in NOBODY:
                lab.capture(args.dest / f'{name}.nobody', 'nobody')
            print(f'captured {name}')


if __name__ == '__main__':
    main()
