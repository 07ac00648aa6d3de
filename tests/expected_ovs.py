"""What the check must say about each OVS scenario (tests/ovs/scenarios.py).

One table for both uses, as tests/expected.py for the kernel: tests/ovs/test_ovs.py
runs the plugin against the real ovs-vswitchd, as root and as nobody;
tests/test_ovs_fixtures.py replays the captures in tests/data/fixtures/<name>.
"""
from expected import Expect

LACP_OK = 'BONDING OK - ovs:bond0 balance-tcp, LACP negotiated, 2/2 members up'
NEEDS_ROOT = ('BONDING UNKNOWN - Open vSwitch bonds not checked: only root may ask ovs-vswitchd (',
              'Permission denied): run the check as root with sudo (contrib/sudoers), or '
              '--kind kernel')

EXPECTED_OVS = {
    'ovs-lacp': [
        Expect('-b ovs:bond0', 0, [LACP_OK + ' |', "'ovs:bond0_slaves_up'=2;2:;1:;0;2",
                                   "'ovs:a1_link_failures'=0c;;;0"]),
        Expect('', 0, [LACP_OK + '; ovs:bond1 balance-tcp, LACP negotiated, 2/2 members up |']),
        Expect('-b ovs:bond0 -m balance-tcp --slaves ovs:bond0=a1,a2 --kind ovs', 0, [LACP_OK]),
        Expect('-b ovs:bond0 -m active-backup --slaves a1,a3', 1, [
            'BONDING WARNING - ovs:bond0: mode balance-tcp, expected active-backup, missing '
            'member a3, unexpected member a2 |']),
        Expect('-b ovs:bond0 -w 3:', 1, [
            'BONDING WARNING - ovs:bond0: 2/2 members up, outside range 3: |']),
        Expect('--kind kernel', 3, ['BONDING UNKNOWN - no bonding interfaces found'])],
    'ovs-lacp-member-down': [
        Expect('-b ovs:bond0', 1, ['BONDING WARNING - ovs:bond0: a2 down (no carrier, LACP ']),
        Expect('-b ovs:bond0 --state slave-down=critical', 2, [
            'BONDING CRITICAL - ovs:bond0: a2 down (no carrier, LACP ']),
        Expect('-b ovs:bond0 --state ovs:bond0=slave-down=ok -v', 0, [
            'BONDING OK - ovs:bond0 balance-tcp, LACP negotiated, 1/2 members up\n'])],
    'ovs-lacp-partner-gone': [
        Expect('-b ovs:bond0', 2, [
            'BONDING CRITICAL - ovs:bond0: no member up: a1 disabled, a2 disabled, LACP '
            'configured but not negotiated (a1 defaulted, a2 defaulted; switch not doing '
            'LACP?) |'])],
    'ovs-lacp-fallback': [
        Expect('-b ovs:bond0', 1, [
            'BONDING WARNING - ovs:bond0: LACP not negotiated (a1 defaulted, a2 defaulted): '
            'lacp_fallback_ab sends all traffic through a']),
        Expect('-b ovs:bond0 --state ovs-lacp-fallback-ab=ok', 0, [
            'BONDING OK - ovs:bond0 balance-tcp, LACP configured, 2/2 members up |'])],
    'ovs-ab-primary': [
        Expect('-b ovs:bond0', 0, [
            'BONDING OK - ovs:bond0 active-backup, active a2 (primary), 2/2 members up |']),
        Expect('-b ovs:bond0 -p ovs:bond0=a1', 1, [
            'BONDING WARNING - ovs:bond0: active a2 is not primary a1 |'])],
    'ovs-ab-failover': [
        Expect('-b ovs:bond0 -v', 1, ['BONDING WARNING - ovs:bond0: a2 disabled\n',
                                      'ok: active a1 while primary a2 is not up'])],
    'ovs-ab-going-back': [
        Expect('-b ovs:bond0', 1, [
            'BONDING WARNING - ovs:bond0: a2 disabled (updelay expires in '])],
    'ovs-ab-failback': [
        Expect('-b ovs:bond0', 0, [
            'BONDING OK - ovs:bond0 active-backup, active a2 (primary), 2/2 members up |'])],
    'ovs-slb': [
        Expect('-b ovs:bond0', 0, ['BONDING OK - ovs:bond0 balance-slb, 2/2 members up |'])],
    'ovs-flap-before': [Expect('-b ovs:bond0', 0, [LACP_OK])],
    'ovs-flap': [Expect('-b ovs:bond0', 0, [LACP_OK, "'ovs:a1_link_failures'=1c;;;0"])],
}
# Unprivileged (nobody), live and from the nobody capture
EXPECTED_NOBODY = {
    'ovs-lacp': [Expect('', 3, list(NEEDS_ROOT)), Expect('-b ovs:bond0', 3, list(NEEDS_ROOT)),
                 Expect('--kind kernel', 3, ['BONDING UNKNOWN - no bonding interfaces found'])],
}
# Two runs with one state directory: before the flap, then after it
FLAP = Expect('-b ovs:bond0', 1, [
    'BONDING WARNING - ovs:bond0: a1 link failed 1 time in the last 1h, last ',
    "'ovs:bond0_failures_window'=1;0;;0"])
# The same without LACP (active-backup), the check run inside the lab's network
# namespace, where sysfs shows the members' carrier_down_count: the primary's
# link lost and back, with a failover and a failback between two runs
FLAP_AB = Expect('-b ovs:bond0', 1, [
    'BONDING WARNING - ovs:bond0: a2 link failed 1 time in the last 1h, last ',
    'failover from a2 and back '])
