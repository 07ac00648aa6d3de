"""Open vSwitch bonds: bonds the kernel's bonding driver never sees.

OVS bonds its uplinks itself: the members are not in /proc/net/bonding, and
on the userspace datapath they have no master in sysfs. ovs-vswitchd tells
about them on its control socket (unixctl, JSON-RPC):

  source.py   where the answers come from: the live control socket (found by
              the pidfile; root only), or a capture under --root; no OVS
              running costs one failed open of the pidfile
  parse.py    bond/list, bond/show, lacp/show, lacp/show-stats text -> records
              (OVS 3.1's words, and the 'slave' of OVS before 2.15)
  rules.py    the judgement, in the findings of the kernel bonds where they
              mean the same, ovs-* findings for OVS's own states
  resource.py the nagiosplugin Resource per OVS bond, and discovery

An OVS bond is named ovs:<port> everywhere (-b, -x, BOND=, the output, the
perfdata, the state file): no kernel interface name holds a ':'.
"""
