"""The tools that read bond configuration, as the test oracle of --config-drift.

Debian 13's own netplan.io 1.1 (`netplan generate --root-dir`), systemd 257
(`systemd-analyze timespan`, and systemd-networkd itself in a network
namespace of its own), NetworkManager 1.52 (`nmcli --offline`), ifupdown2
3.0 (`ifquery -a -o json`, `ifup -a --no-act` in a network namespace) and
kmod 34 (`modprobe -c`) run in a
debootstrap chroot on the same trees the plugin reads, generated from a matrix
of options and spellings (cases_*.py). Each tool's output is read into plain
facts (`<tool>.reading`), the plugin's prediction of the same tree into the
same facts, and a disagreement fails the case.

The live run (tools/ci/oracle.sh, `pytest tests/oracle`) needs the chroot
(CB_ORACLE_CHROOT) and root; without them these tests skip. A copy of every
tool output, with the command that made it, is kept in tests/data/oracle/ and
replayed by tests/test_drift_oracle_recorded.py in the unit suite (no chroot);
`tools/ci/oracle.sh --record` refreshes it, and the live run fails while the
copy differs from what the tools say now.
"""
