"""Bonding states built inside a UML guest (see uml.py), and the capture run.

Every scenario is a short shell fragment run after PRELUDE's ``reset`` (all
bonds, veths, bridges and network namespaces removed), so many scenarios
share one boot. Cables are veth pairs: ``ethN`` (our side, named like a
real NIC) <-> ``peerN`` (the "switch" side); pulling a cable is taking
``peerN`` down. A LACP partner or an ARP target lives in a network namespace
on the peer side. MAC addresses are fixed so captures are reproducible:
ethN = 52:54:00:00:00:0N, peerN = 52:54:00:00:01:0N.

Capture all scenarios into DIR/<name>/ (a root-like tree; default DIR ./captures,
the test fixtures are --dest tests/data/fixtures)::

    python3 tests/kernel/scenarios.py [--dest DIR] [--jobs 2] [NAME ...]

From tests::

    plugin = f"{scenarios.PLUGIN} -b bond0"
    results = scenarios.run(["ab-healthy"], commands=[plugin], workdir=tmp_path)
    results["ab-healthy"].commands  # [uml.CommandResult, ...] root and nobody
    results["ab-healthy"].dir       # its capture tree
"""

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

try:
    from . import uml
except ImportError:  # run as a script, or tests/kernel is on sys.path
    import uml


# Shell helpers for the guest; uml.boot() provides $MODULES and run_as.
PRELUDE = r"""
load() { for m; do insmod "$MODULES/kernel/$m.ko" $ARGS || return; done; }
load lib/crc-ccitt net/ipv6/ipv6 net/llc/llc net/802/stp
# reset: back to no bonds, veths, bridges or netns (unloading a link
# driver deletes all its devices). bonding would create bond0 by itself
# unless max_bonds=0.
reset() {
    if [ -d /run/drift-root ]; then  # a drift scenario's tree, with /proc and /sys bound in
        umount -R /run/drift-root && rmdir /run/drift-root
    fi
    if [ -d /run/othersys ]; then  # a scenario showed another netns's sysfs on /sys
        umount /sys; umount /run/othersys; rmdir /run/othersys
    fi
    for pid in /run/lldpd*.pid; do  # lldpd of an LLDP scenario (lldp below)
        [ -e "$pid" ] && kill "$(cat "$pid")"
    done
    wait_for '! pidof lldpd >/dev/null' 50
    rm -rf /run/lldpd* /run/oracle
    ip -all netns delete
    rmmod bonding bridge veth dummy 2>/dev/null
    load net/bridge/bridge drivers/net/veth
    ARGS=max_bonds=0 load drivers/net/bonding/bonding
}
# veth N [NS]: cable ethN <-> peerN. ethN stays down (only a down device can
# be enslaved). peerN is brought up, or moved into netns NS for partner or
# switch to take.
veth() {
    ip link add eth$1 address 52:54:00:00:00:0$1 type veth \
        peer name peer$1 address 52:54:00:00:01:0$1
    eval "NS$1=$2"
    if [ -z "$2" ]; then ip link set peer$1 up; return; fi
    [ -e "/run/netns/$2" ] || ip netns add "$2"
    ip link set peer$1 netns "$2"
}
# pull N / plug N: unplug / replug ethN's cable at the far end
peer() { eval "ns=\$NS$1"; ip ${ns:+-n "$ns"} link set peer$1 "$2"; }
pull() { peer "$1" down; }
plug() { peer "$1" up; }
# bond NAME "N ..." OPTION...: create bond NAME over ethN... and bring it up
bond() {
    name=$1 slaves=$2; shift 2
    ip link add "$name" type bond "$@" || return
    for n in $slaves; do ip link set eth$n master "$name" || return; done
    ip link set "$name" up
}
# partner NS N...: the switch side of a LACP port channel: bond po1 in NS
# (lacp_rate $RATE, default fast)
partner() {
    ns=$1; shift
    ip -n "$ns" link add po1 type bond mode 802.3ad miimon 100 lacp_rate ${RATE:-fast}
    for n; do ip -n "$ns" link set peer$n master po1; done
    ip -n "$ns" link set po1 up
}
# switch NS ADDR N...: a bridge br0 in NS over peerN..., answering ARP on ADDR.
# Its ports send nothing of their own, as a switch's ports do: IPv6 off on them
# (else their MLD reports and router solicitations, every few seconds, bring an
# ARP-monitored slave up for a moment after the switch went down)
switch() {
    ns=$1 addr=$2; shift 2
    ip -n "$ns" link add br0 type bridge forward_delay 0
    for n; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.peer$n.disable_ipv6=1
        ip -n "$ns" link set peer$n master br0 up
    done
    ip -n "$ns" addr add "$addr" dev br0
    ip -n "$ns" link set br0 up
}
# lldp NS NAME: lldpd in netns NS as switch NAME, sending every second (its own
# socket /run/lldpd-NS.socket, pid file and configuration, which lldpd applies
# through lldpcli before it starts sending); NS "": the host's own lldpd, with
# the default socket the check asks. All chroot to /run/lldpd (the guest's tmpfs).
lldp() {
    sock=/run/lldpd${1:+-$1}.socket conf=/run/lldpd-${1:-host}.conf
    printf 'configure system hostname %s\nconfigure lldp tx-interval 1\n' "$2" >"$conf"
    mkdir -p /run/lldpd
    ${1:+ip netns exec "$1"} lldpd -u "$sock" -p "/run/lldpd${1:+-$1}.pid" -O "$conf" || return
    wait_for "[ -S $sock ]"
}
# neighbours N: wait until the host's lldpd has N named neighbours; keep its own view
# (lldpcli -f keyvalue, the test oracle) for the capture (ORACLE-lldpcli)
neighbours() {
    wait_for "[ \"\$(lldpcli -f keyvalue show neighbors | grep -c 'name=switch-')\" = $1 ]" 300
    mkdir -p /run/oracle; lldpcli -f keyvalue show neighbors >/run/oracle/ORACLE-lldpcli
}
# baseline NAME: the check's first run, as root and as nobody (each stores its
# baseline), and the trees it read, $OUT/NAME.baseline[.nobody]: the fixtures
# replay the first run from them and the second from the scenario's capture
baseline() {
    run_as root '$CHECK_BONDING -b bond0' >/dev/null || true
    run_as nobody '$CHECK_BONDING -b bond0' >/dev/null || true
    $CHECK_BONDING --capture "$OUT/$1.baseline" >/dev/null
    rm -rf /run/nobody-capture; mkdir -m 777 /run/nobody-capture
    run_as nobody '$CHECK_BONDING --capture /run/nobody-capture/tree' >/dev/null
    cp -r /run/nobody-capture/tree "$OUT/$1.baseline.nobody"
}
# wait_for CONDITION [TENTHS]: poll a shell condition, 10 s by default
wait_for() {
    i=0
    until eval "$1"; do
        i=$((i + 1))
        [ $i -lt "${2:-100}" ] || { echo "wait_for timed out: $1" >&2; return 1; }
        sleep 0.1
    done
}
# count PATTERN BOND: lines of /proc/net/bonding/BOND matching PATTERN
count() { grep -c "$1" "/proc/net/bonding/$2"; }
"""

# The hardware check. UML has no PCI; its own network devices,
# made by ethN=mcast on the kernel command line (UDP multicast on the host, no
# privileges), are platform devices uml-netdev.N: eth8 and eth9 in every boot,
# down and unused unless a scenario enslaves them. VLANs and macvlans need
# their modules, loaded once per boot.
UML_NICS = ("eth8=mcast,52:54:00:00:00:08", "eth9=mcast,52:54:00:00:00:09")
STACKING = ("for m in net/802/garp net/802/mrp net/8021q/8021q drivers/net/macvlan; do "
            "[ -d /sys/module/${m##*/} ] || load $m; done")

# Building blocks. miimon 100 everywhere unless stated; a scenario waits
# at least a few miimon periods after its last change.
AB = "mode active-backup miimon 100"
LACP = "mode 802.3ad miimon 100 lacp_rate fast"
TWO = "veth 0; veth 1"
AB_PRIMARY = f"{TWO}; bond bond0 '0 1' {AB} primary eth0"
FAILOVER = "pull 0; sleep 0.5"


# 802.3ad bond BOND over eth<a>, eth<b>; the far ends differ. Each waits
# until its state has converged (port state 63 = in sync, collecting and
# distributing; the mux waits 2 s before attaching a port).
def lacp_partner(bond="bond0", a=0, b=1, ns="sw"):
    """Both cables into one LACP partner: one aggregator with 2 ports."""
    return f"""veth {a} {ns}; veth {b} {ns}; partner {ns} {a} {b}
bond {bond} '{a} {b}' {LACP}
wait_for '[ "$(count "port state: 63" {bond})" = 4 ]' 150"""


def lacp_no_partner(bond="bond0", a=0, b=1):
    """Cables up, nothing speaks LACP: the ports are 'expired' (128) for 3 s,
    then 'defaulted' (64) with partner state 0."""
    expired = f'grep -q "port state: 1[0-9][0-9]" /proc/net/bonding/{bond}'
    return f"""veth {a}; veth {b}; bond {bond} '{a} {b}' {LACP}
wait_for '{expired}' 150; wait_for '! {expired}' 150"""


def lacp_two_partners(bond="bond0", a=0, b=1):
    """One cable each into two partners (netns swa, swb): two aggregators."""
    return f"""veth {a} swa; veth {b} swb; partner swa {a}; partner swb {b}
bond {bond} '{a} {b}' {LACP}
wait_for 'grep -q 52:54:00:00:01:0{a} /proc/net/bonding/{bond} &&
          grep -q 52:54:00:00:01:0{b} /proc/net/bonding/{bond} &&
          [ "$(count "port state: 63" {bond})" = 2 ]' 150"""


ARP_TARGET = "192.0.2.1"
ARP = f"""veth 0 sw; veth 1 sw; switch sw {ARP_TARGET}/24 0 1
bond bond0 '0 1' mode active-backup arp_interval 100 arp_ip_target {ARP_TARGET} primary eth0
ip addr add 192.0.2.10/24 dev bond0
wait_for '[ "$(count "MII Status: up" bond0)" = 3 ]'; sleep 1"""


@dataclass
class Scenario:
    name: str
    description: str
    script: str
    cost: float = 3  # rough guest seconds, to balance parallel boots
    fixture: bool = True  # captured into tests/data/fixtures (False: what it writes is the test)


SCENARIOS = {s.name: s for s in [
    Scenario("ab-healthy", "active-backup, miimon 100, primary eth0, both links up",
             AB_PRIMARY + "; sleep 0.3"),
    Scenario("ab-failover", "active-backup with primary eth0: eth0's cable pulled, eth1 active",
             f"{AB_PRIMARY}; {FAILOVER}"),
    Scenario("ab-going-back",
             "active-backup, primary eth0, updelay 15000: eth0 pulled then replugged "
             "0.5 s ago, so eth0 is in its updelay ('going back') and eth1 still active",
             # updelay set after enslaving: set before, a new backup slave
             # would also spend the updelay "going back"
             f"{AB_PRIMARY}; ip link set bond0 type bond updelay 15000\n"
             f"{FAILOVER}; plug 0; sleep 0.5"),
    Scenario("ab-reselected",
             "active-backup, primary eth0: eth0 pulled and replugged, eth0 active "
             "again (link failure count 1)",
             f"{AB_PRIMARY}; {FAILOVER}; plug 0; sleep 0.5"),
    Scenario("ab-flap",
             "active-backup, primary eth0: the check runs (baseline, as root and as "
             "nobody), then eth0 is pulled and replugged and eth0 is active again: "
             "only the link failure count against the baseline shows the flap",
             f"{AB_PRIMARY}; sleep 0.3\n"
             "run_as root '$CHECK_BONDING -b bond0' >/dev/null\n"
             "run_as nobody '$CHECK_BONDING -b bond0' >/dev/null\n"
             f"{FAILOVER}; plug 0; sleep 0.5"),
    Scenario("ab-all-down", "active-backup, primary eth0: both cables pulled",
             f"{AB_PRIMARY}; pull 0; pull 1; sleep 0.5"),
    Scenario("ab-primary-reselect-failure",
             "active-backup, primary eth0, primary_reselect failure: eth0 pulled and "
             "replugged, eth1 stays active and the primary stays backup",
             f"{TWO}; bond bond0 '0 1' {AB} primary eth0 primary_reselect failure\n"
             f"{FAILOVER}; plug 0; sleep 0.5"),
    Scenario("ab-slave-admin-down",
             "active-backup, primary eth0: backup eth1 set administratively down "
             "(ip link set eth1 down)",
             f"{AB_PRIMARY}; ip link set eth1 down; sleep 0.5"),
    Scenario("ab-no-primary", "active-backup, miimon 100, no primary, both links up",
             f"{TWO}; bond bond0 '0 1' {AB}; sleep 0.3"),
    Scenario("ab-miimon0", "active-backup with no link monitoring (miimon 0, arp_interval 0)",
             f"{TWO}; bond bond0 '0 1' mode active-backup miimon 0 arp_interval 0; sleep 0.3"),
    Scenario("ab-single-slave", "active-backup, miimon 100, a single slave eth0",
             f"veth 0; bond bond0 '0' {AB}; sleep 0.3"),
    Scenario("ab-bond-down", "active-backup, primary eth0, bond administratively down",
             f"{AB_PRIMARY}; ip link set bond0 down; sleep 0.3"),
    Scenario("lacp-healthy",
             "802.3ad lacp_rate fast with a real LACP partner (bond po1 in netns sw): "
             "one aggregator with 2 ports, converged (churn timers still running)",
             lacp_partner(), cost=5),
    Scenario("lacp-no-partner",
             "802.3ad, cables up but nothing speaks LACP at the far end: each port "
             "defaulted, in its own aggregator",
             lacp_no_partner(), cost=5),
    Scenario("lacp-two-partners",
             "802.3ad, eth0 and eth1 wired to two different LACP partners (netns swa "
             "and swb): two aggregators, one active (which one varies between runs)",
             lacp_two_partners(), cost=5),
    Scenario("lacp-one-down", "802.3ad with a real partner, eth1's cable pulled 1 s ago",
             f"{lacp_partner()}\npull 1; sleep 1", cost=6),
    Scenario("lacp-churn-settled",
             "three 802.3ad bonds, captured once the 60 s churn timers have expired: "
             "bond0 real partner (churn none), bond1 no partner, bond2 two partners",
             "\n".join([lacp_partner("bond0", 0, 1), lacp_no_partner("bond1", 2, 3),
                        lacp_two_partners("bond2", 4, 5),
                        "wait_for '! grep -q \"Churn State: monitoring\" "
                        "/proc/net/bonding/*' 900"]), cost=70),
    Scenario("rr-slave-down", "balance-rr, miimon 100, eth1's cable pulled",
             f"{TWO}; bond bond0 '0 1' mode balance-rr miimon 100; pull 1; sleep 0.5"),
    *[Scenario(f"{mode.split('-')[-1]}-healthy", f"{mode}, miimon 100, both links up",
               f"{TWO}; bond bond0 '0 1' mode {mode} miimon 100; sleep 0.5")
      for mode in ("balance-xor", "broadcast", "balance-tlb", "balance-alb")],
    Scenario("arp-healthy",
             f"active-backup with ARP monitoring (arp_interval 100, arp_ip_target "
             f"{ARP_TARGET}, primary eth0); the target is a bridge in netns sw that "
             f"both cables plug into",
             ARP),
    Scenario("arp-target-gone",
             f"arp-healthy, then {ARP_TARGET} removed from the bridge, after 2 s. "
             f"FLAPPING: the active slave gets no replies and fails over every few "
             f"hundred ms while the backup stays up on the flooded ARP requests, so "
             f"proc and sysfs (read ~0.1 s apart) may disagree",
             f"{ARP}\nip -n sw addr flush dev br0; sleep 2", cost=5),
    Scenario("arp-switch-down",
             "arp-healthy, then the bridge (switch) taken down, after 2 s: cables keep "
             "carrier but nothing is forwarded or answered. No active slave; the "
             "slaves are probed in turn and alternate 'going back'/'going down', so "
             "proc and sysfs may disagree",
             f"{ARP}\nip -n sw link set br0 down; sleep 2", cost=5),
    Scenario("multi-bonds",
             "bond0: active-backup healthy (eth0 primary, eth1); bond1: active-backup "
             "over eth2, eth3 with eth3 pulled; bond2: active-backup, up, no slaves",
             f"""veth 0; veth 1; veth 2; veth 3
bond bond0 '0 1' {AB} primary eth0
bond bond1 '2 3' {AB}; pull 3
bond bond2 '' {AB}; sleep 0.5"""),
    Scenario("hw-vlans-one-veth",
             "active-backup over VLANs 10 and 20 of one interface eth0 (a veth): one port, "
             "one cable",
             f"""{STACKING}; veth 0; ip link set eth0 up
ip link add link eth0 name eth0.10 type vlan id 10
ip link add link eth0 name eth0.20 type vlan id 20
ip link add bond0 type bond {AB}
ip link set eth0.10 master bond0; ip link set eth0.20 master bond0; ip link set bond0 up
sleep 0.3"""),
    Scenario("hw-macvlans-one-veth",
             "active-backup over bridge-mode macvlans mv0 and mv1 of eth0 (a veth), "
             "fail_over_mac active: macvlans of one lower refuse the bond's MAC (EADDRINUSE)",
             f"""{STACKING}; veth 0; ip link set eth0 up
ip link add link eth0 name mv0 address 52:54:00:00:02:00 type macvlan mode bridge
ip link add link eth0 name mv1 address 52:54:00:00:02:01 type macvlan mode bridge
ip link add bond0 type bond {AB} fail_over_mac active
ip link set mv0 master bond0; ip link set mv1 master bond0; ip link set bond0 up
sleep 0.3"""),
    Scenario("hw-macvlans-other-netns",
             "active-backup over macvlans mv0 and mv1 whose lower eth0 (a veth) stays in "
             "another network namespace, as a container sees the host's NIC: no lower_ "
             "link, an iflink naming an index of that namespace (sysfs as for a veth)",
             f"""{STACKING}; ip netns add host
ip -n host link add eth0 address 52:54:00:00:00:00 type veth peer name peer0 \\
    address 52:54:00:00:01:00
ip -n host link set eth0 up; ip -n host link set peer0 up
ip -n host link add link eth0 name mv0 address 52:54:00:00:02:00 type macvlan mode bridge
ip -n host link add link eth0 name mv1 address 52:54:00:00:02:01 type macvlan mode bridge
ip -n host link set mv0 netns 1; ip -n host link set mv1 netns 1
ip link add bond0 type bond {AB} fail_over_mac active
ip link set mv0 master bond0; ip link set mv1 master bond0; ip link set bond0 up
sleep 0.3"""),
    Scenario("hw-two-uml-netdevs",
             "active-backup over eth8 and eth9, UML's own network devices "
             "(platform/uml-netdev.8 and .9): separate hardware",
             f"""ip link add bond0 type bond {AB}
ip link set eth8 master bond0; ip link set eth9 master bond0; ip link set bond0 up
sleep 0.3"""),
    Scenario("hw-veth-pair",
             "active-backup over veths eth0 and eth1: virtual slaves, no hardware to compare",
             f"{TWO}; bond bond0 '0 1' {AB}; sleep 0.3"),
    Scenario("uplink-named", "active-backup healthy bond named 'uplink' (not bondN)",
             f"{TWO}; bond uplink '0 1' {AB} primary eth0; sleep 0.3"),
    # Unusual but real setups
    Scenario("idle-bond0-uplink",
             "bonding loaded without max_bonds=0 (RHEL 5/6, no systemd modprobe.d file): the "
             "kernel's own bond0 (balance-rr, no slaves, down) next to a healthy bond uplink",
             f"rmmod bonding && load drivers/net/bonding/bonding\n"
             f"{TWO}; bond uplink '0 1' {AB} primary eth0; sleep 0.3"),
    Scenario("ab-unknown-speed-better",
             "active-backup, primary eth0 (veth, 10000 Mb/s), primary_reselect better, and d0 "
             "(a dummy: speed unknown): eth0 pulled and replugged; the kernel keeps d0 active, "
             "ranking SPEED_UNKNOWN (0xFFFFFFFF) above 10000",
             "load drivers/net/dummy; veth 0; ip link add d0 type dummy\n"
             "ip link add bond0 type bond mode active-backup miimon 100 primary eth0 "
             "primary_reselect better\n"
             "ip link set eth0 master bond0; ip link set d0 master bond0; ip link set bond0 up\n"
             f"sleep 0.3; {FAILOVER}; plug 0; sleep 0.5"),
    Scenario("netns-sysfs-elsewhere",
             "bondL (active-backup, eth1 pulled) in this network namespace; /sys shows the "
             "sysfs of netns 'other' (bondR there), as under nsenter --net or with the host's "
             "/sys in a container: /proc/net/bonding and bonding_masters disagree",
             f"{TWO}; bond bondL '0 1' {AB} primary eth0; pull 1\n"
             "ip netns add other; ip -n other link add bondR type bond mode active-backup\n"
             "mkdir /run/othersys\n"
             "nsenter --net=/run/netns/other mount -t sysfs sysfs /run/othersys\n"
             "mount --bind /run/othersys /sys; sleep 0.5"),
    Scenario("lacp-never-up",
             "802.3ad bond over eth0, eth1, never set up (no ip link set bond0 up): no "
             "aggregator was ever selected",
             f"{TWO}; ip link add bond0 type bond {LACP}\n"
             "ip link set eth0 master bond0; ip link set eth1 master bond0; sleep 0.5"),
    Scenario("many-degraded",
             "100 active-backup bonds bond0..bond99, each over a<i> and b<i> (veths), every "
             "b<i> cable pulled: the first line must stay short",
             """i=0
while [ $i -lt 100 ]; do
    for s in a b; do ip link add $s$i type veth peer name p$s$i; ip link set p$s$i up; done
    ip link add bond$i type bond mode active-backup miimon 100
    ip link set a$i master bond$i; ip link set b$i master bond$i; ip link set bond$i up
    ip link set pb$i down
    i=$((i + 1))
done
sleep 1""", cost=20),
    # What the links say where the driver is blind
    Scenario("ab-nomon-backup-nocarrier",
             "active-backup without link monitoring (miimon 0, arp_interval 0): the backup "
             "eth1's cable pulled; the driver still counts it up",
             f"{TWO}; bond bond0 '0 1' mode active-backup miimon 0 primary eth0; sleep 0.3\n"
             "pull 1; sleep 0.5"),
    Scenario("ab-nomon-active-nocarrier",
             "active-backup without link monitoring: the active eth0's cable pulled; the "
             "kernel keeps sending through it (traffic black-holed)",
             f"{TWO}; bond bond0 '0 1' mode active-backup miimon 0 primary eth0; sleep 0.3\n"
             "pull 0; sleep 0.5"),
    Scenario("ab-downdelay",
             "active-backup, miimon 100, downdelay 15000, primary eth0: eth0's cable pulled "
             "0.5 s ago, so the driver says 'going down' (told once, not as missing carrier)",
             f"{AB_PRIMARY}; ip link set bond0 type bond downdelay 15000\n"
             "sleep 0.3; pull 0; sleep 0.5"),
    Scenario("lacp-min-links",
             "802.3ad with a real partner and min_links 2: eth1's cable pulled, so the bond is "
             "held down with one port up",
             f"{lacp_partner()}\nip link set bond0 down; ip link set bond0 type bond min_links 2\n"
             "ip link set bond0 up\n"
             "wait_for '[ \"$(count \"port state: 63\" bond0)\" = 4 ]' 150\n"
             "pull 1; sleep 1", cost=6),
    Scenario("arp-no-target",
             "active-backup with ARP monitoring (arp_validate all) towards 192.0.2.99, which "
             "nothing answers: no slave comes up, the bond is up (IFF_UP) without carrier",
             """veth 0 sw; veth 1 sw; switch sw 192.0.2.1/24 0 1
bond bond0 '0 1' mode active-backup arp_interval 100 arp_ip_target 192.0.2.99 \\
    arp_validate all primary eth0
ip addr add 192.0.2.10/24 dev bond0; sleep 1.5"""),
    Scenario("lacp-partner-slow",
             "802.3ad lacp_rate fast towards a partner that asks lacp_rate slow: converged, "
             "but a lost link is seen after 3 s here and 90 s at the partner",
             f"""veth 0 sw; veth 1 sw; RATE=slow partner sw 0 1
bond bond0 '0 1' {LACP}
wait_for '[ "$(grep -c "port state: 6[13]" /proc/net/bonding/bond0)" = 4 ]' 150""", cost=5),
    Scenario("ab-mtu-mismatch",
             "active-backup, primary eth0: the backup eth1's MTU set to 1400 after enslaving "
             "(the bond and eth0 keep 1500)",
             f"{AB_PRIMARY}; ip link set eth1 mtu 1400; sleep 0.3"),
    Scenario("ab-renamed-slave",
             "active-backup, primary eth0: the check runs (baseline, as root and as nobody), "
             "then the backup eth1 is renamed wan1 while enslaved (set down, renamed, set up: "
             "one link failure)",
             f"{AB_PRIMARY}; sleep 0.3\n"
             "run_as root '$CHECK_BONDING -b bond0' >/dev/null\n"
             "run_as nobody '$CHECK_BONDING -b bond0' >/dev/null\n"
             "ip link set eth1 down; sleep 0.5; ip link set eth1 name wan1; ip link set wan1 up\n"
             "sleep 0.5"),
    # The switch side. LLDP from lldpd in the partners' namespaces, read
    # by the host's own lldpd (lldp, neighbours above).
    Scenario("lldp-one-switch",
             "802.3ad with a real LACP partner (po1 in netns sw) whose lldpd, as switch-a, "
             "sends LLDP on both ports; the host's lldpd sees one chassis on eth0 and eth1",
             f"{lacp_partner()}\nlldp '' host; lldp sw switch-a; neighbours 2", cost=15),
    Scenario("lldp-two-switches",
             "802.3ad into an MLAG pair: partners po1 in netns swa and swb with one LACP "
             "system (ad_actor_system 02:00:00:00:00:01), so one aggregator; lldpd as "
             "switch-a and switch-b send two chassis IDs",
             f"""veth 0 swa; veth 1 swb
for ns in swa swb; do
    ip -n $ns link add po1 type bond mode 802.3ad miimon 100 lacp_rate fast \\
        ad_actor_system 02:00:00:00:00:01
done
ip -n swa link set peer0 master po1; ip -n swb link set peer1 master po1
ip -n swa link set po1 up; ip -n swb link set po1 up
bond bond0 '0 1' {LACP}
wait_for '[ "$(count "port state: 63" bond0)" = 4 ]' 150
lldp '' host; lldp swa switch-a; lldp swb switch-b; neighbours 2""", cost=15),
    Scenario("lacp-partner-bounced",
             "802.3ad with a real LACP partner: the check runs (baseline), then the partner "
             "sets its port-channel po1 down until the kernel counts the churn (detection time "
             "60 s), and up again: its LACPDUs stop, no link goes down",
             f"""{lacp_partner()}
baseline lacp-partner-bounced
# the churn machine counts once its 60 s of state machine ticks have run (later
# than 60 s of wall time on a loaded host): wait for the count, then 5 s more
ip -n sw link set po1 down
wait_for '[ "$(count "Partner Churned Count: 1" bond0)" = 2 ]' 1500; sleep 5
ip -n sw link set po1 up
wait_for '[ "$(count "port state: 63" bond0)" = 4 ]' 150""", cost=75),
    Scenario("lacp-idle-port",
             "802.3ad with a real LACP partner, xmit_hash_policy layer2: the check runs "
             "(baseline), then 1000 pings of 1400 bytes to the partner's address: one peer "
             "MAC, so eth0 carries all of it both ways and eth1 only LACPDUs",
             f"""{lacp_partner()}
ip addr add 192.0.2.10/24 dev bond0; ip -n sw addr add 192.0.2.1/24 dev po1
ping -c 1 -w 5 192.0.2.1 >/dev/null
baseline lacp-idle-port
ping -q -f -c 1000 -s 1400 192.0.2.1 >/dev/null""", cost=7),
    Scenario("ab-mode-changed",
             "active-backup over eth0, eth1 (active eth0): checked; rebuilt as balance-rr: "
             "checked; rebuilt as active-backup with eth1 enslaved first (active eth1)",
             f"""{TWO}; bond bond0 '0 1' {AB}; sleep 0.3
checks() {{ run_as root '$CHECK_BONDING -b bond0' >/dev/null
           run_as nobody '$CHECK_BONDING -b bond0' >/dev/null; }}
rebuild() {{ ip link set bond0 down; ip link set eth0 nomaster; ip link set eth1 nomaster
            ip link set bond0 type bond mode $1; ip link set eth$2 master bond0
            ip link set eth$3 master bond0; ip link set bond0 up; sleep 0.5; }}
checks; rebuild balance-rr 0 1; checks; rebuild active-backup 1 0"""),
]}

# Config drift: a bond built live the way a configuration tree says,
# then changed at runtime. The guest's / is the host's, so the tree is written
# into a tmpfs DRIFT_ROOT (never the guest's /etc), with the guest's /proc and
# /sys bound into it: `--root DRIFT_ROOT --config-drift` reads the files as the
# next boot would and the bond as it runs. reset() unmounts it. Directories
# 755, files 644 as these three formats are shipped (the root-only ones are
# NetworkManager keyfiles and netplan YAML): nobody reads all of it.
DRIFT_ROOT = "/run/drift-root"
DRIFT_TREE = f"umask 022; R={DRIFT_ROOT}\n" + r"""mkdir -p $R
mount -t tmpfs -o mode=755 drift-root $R
# conf PATH [MODE]: stdin into the tree's file PATH (mode 644 unless given)
conf() { mkdir -p "$R${1%/*}"; cat >"$R$1"; chmod "${2:-644}" "$R$1"; }
# live_view: the guest's /proc and /sys inside the tree, once it is written
live_view() { mkdir $R/proc $R/sys; mount --bind /proc $R/proc; mount --bind /sys $R/sys; }
# sysfs NAME OPTION VALUE: write a bonding option the way initscripts and ifenslave do
sysfs() { echo "$3" >/sys/class/net/$1/bonding/$2; }
# enslave NAME N...: the slaves through sysfs (+ethN), as initscripts and ifenslave do
enslave() { m=$1; shift; for n; do echo "+eth$n" >/sys/class/net/$m/bonding/slaves; done; }
"""
# The check before the runtime change (expected.AS_CONFIGURED), as root and as
# nobody, into $OUT/<name>.before; --no-state: the live runs after the change
# start without a baseline, as the fixture replays do.
AS_CONFIGURED_ARGV = "--config-drift -v --no-state"


def as_configured(name):
    """Shell: the check on the bond as configured, before the runtime change."""
    runs = uml.commands_script([f"$CHECK_BONDING --root {DRIFT_ROOT} {AS_CONFIGURED_ARGV}"],
                               dest=f"$OUT/{name}.before")
    return "{ " + runs + "} || true"  # a failing check is recorded, not fatal (set -e)


# CentOS 5, the seed's router: initscripts ifcfg files (BONDING_OPTS, slaves by
# MASTER= and SLAVE=yes, pinned HWADDR), bonds aliased in modprobe.conf, the
# network service in rc3.d. Built as initscripts does: bond through
# bonding_masters, mode and miimon first, the other options, the slaves, the
# primary last.
IFCFG = r"""S=/etc/sysconfig/network-scripts
for b in 0 1; do conf $S/ifcfg-bond$b <<END
# Uplink $b: eth$((2 * b)) preferred, eth$((2 * b + 1)) backup
DEVICE=bond$b
BOOTPROTO=none
ONBOOT=yes
IPADDR=192.0.$((2 + b)).1
NETMASK=255.255.255.0
USERCTL=no
BONDING_OPTS="mode=1 primary=eth$((2 * b)) miimon=100 updelay=5000"
END
done
for n in 0 1 2 3; do conf $S/ifcfg-eth$n <<END
DEVICE=eth$n
HWADDR=52:54:00:00:00:0$n
MASTER=bond$((n / 2))
SLAVE=yes
ONBOOT=yes
BOOTPROTO=none
USERCTL=no
END
done
printf 'DEVICE=lo\nIPADDR=127.0.0.1\nNETMASK=255.0.0.0\nONBOOT=yes\n' | conf $S/ifcfg-lo
printf 'NETWORKING=yes\nHOSTNAME=router1.example.net\n' | conf /etc/sysconfig/network
printf 'alias bond0 bonding\nalias bond1 bonding\n' | conf /etc/modprobe.conf
echo 'CentOS release 5.11 (Final)' | conf /etc/redhat-release
printf '#!/bin/sh\n# stands for initscripts: only its rc3.d link matters\n' \
    | conf /etc/rc.d/init.d/network 755
mkdir -p $R/etc/rc.d/rc3.d; ln -s ../init.d/network $R/etc/rc.d/rc3.d/S10network
live_view
veth 0; veth 1; veth 2; veth 3
for b in 0 1; do
    echo +bond$b >/sys/class/net/bonding_masters
    sysfs bond$b mode 1; sysfs bond$b miimon 100; sysfs bond$b updelay 5000
    enslave bond$b $((2 * b)) $((2 * b + 1)); sysfs bond$b primary eth$((2 * b))
    ip link set bond$b up
done
wait_for '! grep -q "going back" /proc/net/bonding/bond0 /proc/net/bonding/bond1'"""

# systemd's /lib/modprobe.d/systemd.conf (its options lines)
SYSTEMD_CONF = r"""SYSTEMD_CONF='options bonding max_bonds=0
options dummy numdummies=0
options ifb numifbs=0'"""

# systemd-networkd (Debian 12): a .netdev with time spans (100ms, 2s, 200ms), a
# .network per slave (PrimarySlave= on eth0), one for the bond; the service
# enabled; systemd's max_bonds=0. Built as networkd does, over netlink.
NETWORKD = SYSTEMD_CONF + r"""
N=/etc/systemd/network
conf $N/10-bond0.netdev <<END
[NetDev]
Name=bond0
Kind=bond
Description=uplink, eth0 preferred

[Bond]
Mode=active-backup
PrimaryReselectPolicy=better
MIIMonitorSec=100ms
UpDelaySec=2s
DownDelaySec=200ms
END
printf '[Match]\nName=bond0\n\n[Network]\nAddress=192.0.2.100/24\n' | conf $N/20-bond0.network
printf '[Match]\nName=eth0\n\n[Network]\nBond=bond0\nPrimarySlave=true\n' \
    | conf $N/30-bond0-eth0.network
printf '[Match]\nName=eth1\n\n[Network]\nBond=bond0\n' | conf $N/30-bond0-eth1.network
W=/etc/systemd/system/multi-user.target.wants
mkdir -p $R$W; ln -s /lib/systemd/system/systemd-networkd.service $R$W/
echo "$SYSTEMD_CONF" | conf /lib/modprobe.d/systemd.conf
echo 12.5 | conf /etc/debian_version
live_view
veth 0; veth 1
ip link add bond0 type bond mode active-backup primary_reselect better miimon 100 \
    updelay 2000 downdelay 200
ip link set eth0 master bond0; ip link set eth1 master bond0
ip link set bond0 type bond primary eth0; ip link set bond0 up
wait_for '! grep -q "going back" /proc/net/bonding/bond0'"""

# Debian 12 ifupdown + ifenslave: the bond's stanza in interfaces.d (sourced by
# /etc/network/interfaces), slaves by bond-slaves; networking enabled; the
# ifenslave hook present. Built as ifenslave does, through sysfs.
IFUPDOWN = SYSTEMD_CONF + r"""
conf /etc/network/interfaces <<END
# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback
END
conf /etc/network/interfaces.d/bond0 <<END
# Front-end bond: eth0 to switch A (preferred), eth1 to switch B
auto bond0
iface bond0 inet static
	address 192.0.2.70/24
	bond-slaves eth0 eth1
	bond-mode active-backup
	bond-miimon 100
	bond-downdelay 200
	bond-primary eth0
END
printf '#!/bin/sh\n# stands for the ifenslave package hook: only its presence matters\n' \
    | conf /etc/network/if-pre-up.d/ifenslave 755
W=/etc/systemd/system/multi-user.target.wants
mkdir -p $R$W; ln -s /lib/systemd/system/networking.service $R$W/
echo "$SYSTEMD_CONF" | conf /lib/modprobe.d/systemd.conf
echo 12.5 | conf /etc/debian_version
live_view
veth 0; veth 1
echo +bond0 >/sys/class/net/bonding_masters
sysfs bond0 mode active-backup; sysfs bond0 miimon 100; sysfs bond0 downdelay 200
enslave bond0 0 1; sysfs bond0 primary eth0; ip link set bond0 up
sleep 0.5"""


def drift(name, description, build, change, cost):
    """A drift scenario: the tree and the bond (`build`), the check as
    configured, then `change` at runtime."""
    return Scenario(name, description,
                    f"{DRIFT_TREE}\n{build}\n{as_configured(name)}\n{change}\nsleep 0.5", cost)


SCENARIOS.update({s.name: s for s in [
    drift("drift-ifcfg",
          "CentOS 5 router (initscripts ifcfg, as the seed): bond0 over eth0, eth1 and bond1 "
          "over eth2, eth3, BONDING_OPTS mode=1 primary=eth<first> miimon=100 updelay=5000; "
          "checked as configured, then at runtime bond0's primary set to eth1 and bond1's "
          "miimon to 200 (the kernel rescales updelay to 10000)",
          IFCFG, "sysfs bond0 primary eth1; sysfs bond1 miimon 200", cost=8),
    drift("drift-networkd",
          "systemd-networkd (Debian 12): bond0 from 10-bond0.netdev (active-backup, "
          "MIIMonitorSec=100ms, UpDelaySec=2s, DownDelaySec=200ms, better) and a .network per "
          "slave (PrimarySlave= on eth0); checked as configured, then eth1 released "
          "(ip link set eth1 nomaster)",
          NETWORKD, "ip link set eth1 nomaster", cost=5),
    drift("drift-ifupdown",
          "Debian 12 ifupdown + ifenslave: bond0 from interfaces.d/bond0 (bond-slaves eth0 eth1, "
          "active-backup, miimon 100, downdelay 200, primary eth0); checked as configured, "
          "then miimon set to 200 (downdelay becomes 400) and the primary eth0 released: "
          "the kernel keeps the primary pending and shows none",
          IFUPDOWN, "ip link set bond0 type bond miimon 200; ip link set eth0 nomaster", cost=3),
]})

# Wrong verdicts on real setups, round 2. vA, vB: cables as ethN (veths whose
# far ends pA, pB play the switch), named as in the report; bond0 over them, primary vA.
VAB = """ip link add vA address 52:54:00:00:00:0a type veth peer name pA address 52:54:00:00:01:0a
ip link add vB address 52:54:00:00:00:0b type veth peer name pB address 52:54:00:00:01:0b
ip link set pA up; ip link set pB up
ip link add bond0 type bond mode active-backup miimon 100 primary vA
ip link set vA master bond0; ip link set vB master bond0; ip link set bond0 up"""
# netns other's sysfs on /sys: what a process under nsenter --net, or an agent container
# with the host's /sys, sees (ip netns exec mounts the sysfs of its own namespace)
OTHER_SYSFS = """sleep 0.5; mkdir /run/othersys
nsenter --net=/run/netns/other mount -t sysfs sysfs /run/othersys
mount --bind /run/othersys /sys"""
ARP_SWITCH = f"veth 0 sw; veth 1 sw; switch sw {ARP_TARGET}/24 0 1"
ARP_UP = """wait_for '[ "$(count "MII Status: up" bond0)" = 3 ]'; sleep 1"""
# A partner system (ad_actor_system) with two LAGs, told apart by their keys.
TWO_LAGS = r"""veth 0 sw; veth 1 sw
for n in 1 2; do
    ip -n sw link add po$n type bond mode 802.3ad miimon 100 lacp_rate fast \
        ad_actor_system 02:00:00:00:00:aa ad_user_port_key $n
    ip -n sw link set peer$((n - 1)) master po$n; ip -n sw link set po$n up
done"""


def expect_grammar():
    """Shell: each --expect option's candidate values written in turn to its file
    of a new bond (down, no slaves, miimon 100) in a mode that has the option;
    parsing is the same for each value (bond_opt_parse); 'key<TAB>value<TAB>status'
    lines into $OUT/expect-grammar.results for tests/kernel/test_kernel.py."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from check_bonding.expect import TABLES
    modes = {'balance-rr': ('packets_per_slave',), 'balance-tlb': ('tlb_dynamic_lb',),
             '802.3ad': ('lacp_rate', 'lacp_active', 'ad_select', 'ad_actor_sys_prio',
                         'ad_user_port_key', 'ad_actor_system')}
    lines = [r"""g() {
    mode=$1 key=$2; shift 2
    ip link add gram type bond mode $mode miimon 100
    for v; do
        rc=0; printf '%s' "$v" 2>/dev/null >/sys/class/net/gram/bonding/$key || rc=$?
        printf '%s\t%s\t%s\n' "$key" "$v" "$rc" >>$OUT/expect-grammar.results
    done
    ip link del gram
}
t() {  # the targets, one at a time: arp_ip_target through sysfs (+ADDR), ns_ip6_target
    key=$1; shift  # through netlink (no sysfs file); the table is cleared between two
    for v; do
        ip link add gram type bond mode active-backup arp_interval 100
        rc=0
        if [ $key = arp_ip_target ]
        then printf '+%s' "$v" 2>/dev/null >/sys/class/net/gram/bonding/$key || rc=$?
        else ip link set gram type bond ns_ip6_target "$v" 2>/dev/null || rc=$?
        fi
        printf '%s\t%s\t%s\n' "$key" "$v" "$rc" >>$OUT/expect-grammar.results
        ip link del gram
    done
}"""]
    for key, table in {**TABLES, 'ad_actor_system': None}.items():
        mode = next((m for m, keys in modes.items() if key in keys), 'active-backup')
        if table is None:
            values = ['02:00:00:00:00:0a', '00:00:00:00:00:00', '01:80:c2:00:00:02', '02:00:00',
                      'junk']
        else:
            numbers = [*table.names.values(), *((table.low - 1, table.low, table.high,
                                                 table.high + 1) if table.high else ())]
            values = [*table.names, 'default', 'junk', '100ms', '-1', ' 1',
                      *map(str, sorted({n for n in numbers if n >= 0} | {len(table.names)}))]
        lines.append(f"g {mode} {key} " + " ".join(shlex.quote(v) for v in values))
    lines.append('t arp_ip_target 192.0.2.1 010.0.0.1 10.1 0.0.0.0 0.1.2.3 255.255.255.255 '
                 '224.0.0.1 127.0.0.1 1.2.3.256 1.2.3.4.5 junk')
    lines.append("t ns_ip6_target fd00::1 fe80::1 2001:db8::1:0:0:1 :: ::1 ff02::1 "
                 "::ffff:192.0.2.1 'fe80::1%eth0' fd00::g junk")
    return "\n".join(lines)


SCENARIOS.update({s.name: s for s in [
    Scenario("netns-one-name-healthy",
             "bond0 (active-backup over vA, vB, primary vA, healthy) in this network namespace; "
             "/sys shows netns 'other', whose own bond0 (over x0, x1) is set down: one bond "
             "name in two namespaces, sysfs describing the other one",
             f"""{VAB}
ip netns add other
for n in 0 1; do ip -n other link add x$n type veth peer name y$n; done
ip -n other link add bond0 type bond mode active-backup miimon 100
ip -n other link set x0 master bond0; ip -n other link set x1 master bond0
{OTHER_SYSFS}"""),
    Scenario("netns-one-name-degraded",
             "bond0 (active-backup over vA, vB) with vB's cable pulled in this network "
             "namespace; /sys shows netns 'other', whose bond0 was never set up (down, no "
             "slaves)",
             f"""{VAB}; ip link set pB down
ip netns add other; ip -n other link add bond0 type bond
{OTHER_SYSFS}"""),
    Scenario("arp-ns6-targets",
             "active-backup monitored by arp_interval 100 (arp_missed_max 10: no flap in a busy "
             "guest) with IPv6 NS targets only (ns_ip6_target fd00::1, kernel 6.0+): the bridge "
             "in netns sw answers on fd00::1",
             f"""{ARP_SWITCH}; ip -n sw addr add fd00::1/64 dev br0 nodad
bond bond0 '0 1' mode active-backup arp_interval 100 arp_missed_max 10 ns_ip6_target fd00::1 \\
    primary eth0
ip addr add fd00::10/64 dev bond0 nodad
{ARP_UP}"""),
    Scenario("arp-missed-max-active-nocarrier",
             f"active-backup, ARP monitoring every 500 ms towards {ARP_TARGET} with "
             "arp_missed_max 100: the active eth0's cable pulled 1 s ago; the driver keeps it up "
             "(for up to 50 s) and traffic is dropped",
             f"""{ARP_SWITCH}
bond bond0 '0 1' mode active-backup arp_interval 500 arp_missed_max 100 \
    arp_ip_target {ARP_TARGET} primary eth0
ip addr add 192.0.2.10/24 dev bond0
{ARP_UP}
pull 0; sleep 1""", cost=5),
    Scenario("ab-downdelay-flap",
             "active-backup, miimon 100, downdelay 3000, primary eth0: the check runs (baseline, "
             "as root and as nobody), then eth0's cable is pulled for 1.5 s: traffic lost, "
             "Link Failure Count still 0, carrier_down_count 1 more",
             f"""{TWO}; bond bond0 '0 1' {AB} primary eth0 downdelay 3000; sleep 0.3
baseline ab-downdelay-flap
pull 0; sleep 1.5; plug 0; sleep 0.5""", cost=5),
    Scenario("ab-reenslaved-flap",
             "active-backup, primary eth0: eth0 flaps once (count 1), the check runs (baseline, as "
             "root and as nobody), eth0 is released and enslaved again (count 0) and flaps again "
             "(count 1, as stored)",
             f"""{AB_PRIMARY}; sleep 0.3; {FAILOVER}; plug 0; sleep 0.5
baseline ab-reenslaved-flap
ip link set eth0 nomaster; sleep 0.3; ip link set eth0 master bond0; sleep 0.5
{FAILOVER}; plug 0; sleep 0.5""", cost=5),
    Scenario("lacp-actor-options",
             "802.3ad with a real partner and ad_actor_system 02:00:00:00:00:0a, "
             "ad_actor_sys_prio 100, ad_user_port_key 5: values the kernel shows only to "
             "CAP_NET_ADMIN",
             f"""veth 0 sw; veth 1 sw; partner sw 0 1
bond bond0 '0 1' {LACP} ad_actor_system 02:00:00:00:00:0a ad_actor_sys_prio 100 \
    ad_user_port_key 5
wait_for '[ "$(count "port state: 63" bond0)" = 4 ]' 150""", cost=5),
    Scenario("lacp-one-switch-two-lags",
             "802.3ad over eth0, eth1 into one partner system (ad_actor_system "
             "02:00:00:00:00:aa in netns sw) whose ports are two LAGs po1, po2 with different "
             "keys (ad_user_port_key 1, 2): two aggregators, one active",
             f"""{TWO_LAGS}
bond bond0 '0 1' {LACP}
wait_for '[ "$(grep -c "system mac address: 02:00:00:00:00:aa" /proc/net/bonding/bond0)" = 2 ] &&
          [ "$(count "port state: 63" bond0)" = 2 ]' 150""", cost=5),
    Scenario("expect-grammar",
             "no bond kept: every --expect option's candidate values written to a new bond's "
             "sysfs file; what the kernel took or refused, for the --expect grammar",
             expect_grammar(), cost=8, fixture=False),
]})

# The plugin inside the guest: the one installed next to this Python.
PLUGIN = os.environ.get("CHECK_BONDING", str(Path(sys.executable).parent / "check_bonding"))


def guest_capture(dest):
    """Shell text: capture the scenario with the plugin's own --capture, as root
    and, for 802.3ad (whose details CAP_NET_ADMIN hides), as nobody too: the
    view NRPE gets. Skipped files go to <dest>/UNREADABLE. A drift scenario is
    captured from its tree, configuration files included."""
    what = f"--root {DRIFT_ROOT} --config-drift " if "/drift-" in dest else ""
    return f"""$CHECK_BONDING {what}--capture "{dest}" |
    sed -n 's/^  skipped //p' >"{dest}.unreadable"
mv "{dest}.unreadable" "{dest}/UNREADABLE"
if [ -d /run/oracle ]; then cp /run/oracle/* "{dest}/"; fi  # what the real tools said
# via the guest's tmpfs (hostfs files all look root's); the flaps a baseline replays
case "{dest}" in */lacp-*|*/hw-*|*/lldp-*|*/ab-downdelay-flap|*/ab-reenslaved-flap)
    rm -rf /run/nobody-capture; mkdir -m 777 /run/nobody-capture
    run_as nobody '$CHECK_BONDING --capture /run/nobody-capture/tree' >/dev/null
    cp -r /run/nobody-capture/tree "{dest}.nobody" ;;
esac"""


@dataclass
class Result:
    name: str
    dir: Path  # the capture tree (host path, inside the boot's workdir)
    ok: bool  # the scenario's shell fragment exited 0
    seconds: float  # reset + build + capture + commands, in the guest
    commands: list = field(default_factory=list)  # [uml.CommandResult]


def guest_script(names, commands=None, users=uml.USERS):
    """One guest script: for each scenario reset, build, capture, run commands.

    ``commands`` maps a scenario name to the shell commands to run in it.
    """
    commands = commands or {}
    parts = [PRELUDE, f"export CHECK_BONDING={PLUGIN}"]
    for name in names:
        dest = f"$OUT/{name}"
        parts += [
            f'echo "{name} start $(date +%s.%N)" >>"$OUT/timing"',
            "reset",
            f'HOMES="/run/home/{name}"',  # fresh HOME/state for run_as
            f"( set -e\n{SCENARIOS[name].script}\n)",
            f'echo "{name} status $?" >>"$OUT/timing"',
            guest_capture(dest),
            uml.commands_script(commands.get(name, ()), users, dest=f"{dest}/commands"),
            f'echo "{name} end $(date +%s.%N)" >>"$OUT/timing"',
        ]
    return "\n".join(parts) + "\n"


def run(names, commands=None, users=uml.USERS, timeout=None, workdir=None):
    """Boot once, build every named scenario in turn; {name: Result}.

    ``commands``: {scenario name: [shell command, ...]} run as each user.
    Capture trees and command outputs are left in ``workdir`` (default: a
    new temp dir; e.g. pytest's tmp_path), at <workdir>/out/<name>.
    Raises uml.BootError if the guest times out.
    """
    commands = commands or {}
    # $CB_UML_SLOWDOWN (default 1): more time where other work shares the CPUs
    timeout = timeout or (60 + sum(2 * SCENARIOS[n].cost + 5 * len(commands.get(n, ()))
                                   for n in names)) * float(os.environ.get('CB_UML_SLOWDOWN', 1))
    boot = uml.boot(guest_script(names, commands, users), timeout=timeout, workdir=workdir,
                    kernel_args=UML_NICS)
    marks = {}
    for line in (boot.out / "timing").read_text().splitlines():
        name, what, value = line.split()
        marks[name, what] = float(value)
    if boot.log:  # the scenarios' stderr: empty unless something failed
        print(f"guest log ({boot.out}/guest.log):\n{boot.log}", file=sys.stderr)
    return {name: Result(
        name, boot.out / name, marks.get((name, "status")) == 0,
        marks.get((name, "end"), 0) - marks.get((name, "start"), 0),
        uml.read_commands(boot.out / name / "commands", commands.get(name, ()), users))
        for name in names}


def run_parallel(names, commands=None, jobs=2, workdir=None):
    """run() spread over ``jobs`` parallel boots; {name: Result}.

    Each boot works in <workdir>/boot<i> (default: new temp dirs).
    """
    chunks, loads = [[] for _ in range(jobs)], [0.0] * jobs
    for name in sorted(names, key=lambda n: -SCENARIOS[n].cost):  # longest first,
        i = loads.index(min(loads))                               # onto the least loaded
        chunks[i].append(name)
        loads[i] += SCENARIOS[name].cost
    work = Path(workdir or tempfile.mkdtemp(prefix="uml-"))

    def run_chunk(i):
        (work / f"boot{i}").mkdir(parents=True, exist_ok=True)
        return run(chunks[i], commands, workdir=work / f"boot{i}")
    with ThreadPoolExecutor(jobs) as pool:
        return {name: result
                for results in pool.map(run_chunk, [i for i in range(jobs) if chunks[i]])
                for name, result in results.items()}


def capture(dest, names, jobs=2):
    """Capture ``names`` into dest/<name>/ (and dest/<name>.nobody/ for 802.3ad;
    <name>.baseline[.nobody]/ where the scenario ran a first check: baseline)."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="uml-") as tmp:
        results = run_parallel(names, jobs=jobs, workdir=tmp)
        dest.mkdir(parents=True, exist_ok=True)
        for r in results.values():
            for suffix in ("", ".nobody", ".baseline", ".baseline.nobody"):
                target = Path(f"{dest / r.name}{suffix}")
                shutil.rmtree(target, ignore_errors=True)
                if Path(f"{r.dir}{suffix}").exists():
                    shutil.move(f"{r.dir}{suffix}", target)
            s = SCENARIOS[r.name]
            (dest / r.name / "SCENARIO").write_text(f"{s.description}\n\n{s.script}\n")
    for r in results.values():
        print(f"{r.name:30} {r.seconds:5.1f}s {'ok' if r.ok else 'FAILED'}")
    print(f"total {time.monotonic() - start:.1f}s wall for {len(names)} scenarios "
          f"in {min(jobs, len(names))} boot(s)")
    return all(r.ok for r in results.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="default: all")
    parser.add_argument("--dest", type=Path, default=Path("captures"))
    parser.add_argument("--jobs", type=int, default=2, help="parallel boots")
    parser.add_argument("--list", action="store_true", help="list scenarios")
    args = parser.parse_args()
    if args.list:
        for s in SCENARIOS.values():
            print(f"{s.name:30} {s.description}")
        return 0
    unknown = set(args.names) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    names = args.names or [name for name, s in SCENARIOS.items() if s.fixture]
    return 0 if capture(args.dest, names, args.jobs) else 1


if __name__ == "__main__":
    sys.exit(main())
