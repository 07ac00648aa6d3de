"""The seed's story, live: its router's bond0 on the real driver, watched by Icinga 2.

bond0 `mode=1 primary=eth0 miimon=100 updelay=5000` over eth0 and eth1 (the
seed's BONDING_OPTS), in a user-mode-linux guest. Icinga 2 runs inside the
guest as its own user (nagios) with contrib/icinga/services.conf (intervals
cut to a few seconds) and the docs' host; a notification command writes what
Icinga sends. The seed's cable pull, between two checks: eth0 out and back
in within 0.3 s, so the next check finds eth0 in its updelay and eth1 active.
Icinga must go WARNING (the link failure since the last check and the
failover) and notify; eth0 is active again after the updelay, and the
service recovers once --failure-window has passed. Then both cables out:
CRITICAL. What is asserted is Icinga's own history (its compat log: every
state change and notification, soft and hard) and the notifications written.
"""
import re
import shlex
from collections import namedtuple
from pathlib import Path
from types import SimpleNamespace

import pytest

from kernel import scenarios, uml

pytestmark = pytest.mark.slow  # the fast lane (-m "not slow") leaves it out

REPO = Path(__file__).resolve().parents[2]
ICINGA2 = Path("/usr/sbin/icinga2")
ITL_COMMAND = Path("/usr/share/icinga2/include/plugins-contrib.d/check_bonding.conf")
SERVICE = "router1;bonding bond0"
INTERVAL = "3s"  # check and retry interval; services.conf keeps max_check_attempts = 3
WINDOW = "20s"  # --failure-window: longer than 3 attempts x 3 s, or no hard state
GUEST_DIR = "/run/icinga"  # the guest's tmpfs: hostfs would show nagios's files as root's

# Icinga's configuration in the guest, on its tmpfs: the docs' services and
# host, the seed's bond; a user notified by a command that records what it got.
ICINGA_CONF = """\
const PluginDir = "/usr/lib/nagios/plugins"
const ManubulonPluginDir = PluginDir
const PluginContribDir = "{I}/plugins"
const NodeName = "router1"
const ZoneName = NodeName
include <itl>
include <plugins>
include <plugins-contrib>
include "{I}/etc/services.conf"
{command_include}
object Endpoint NodeName {{ }}
object Zone ZoneName {{ endpoints = [ NodeName ] }}
object CheckerComponent "checker" {{ }}
object NotificationComponent "notification" {{ }}
object CompatLogger "compatlog" {{ log_dir = "{I}/compat"; rotation_method = "DAILY" }}
object Host "router1" {{
  check_command = "dummy"
  vars.bonds["bond0"] = {{ primary = "eth0", mode = "active-backup", failure_window = "{window}" }}
  vars.bonding_state_dir = "{I}/state"
}}
object User "oncall" {{ }}
object NotificationCommand "record" {{
  command = [ "/bin/sh", "-c",
              "printf '%s\\\\n' \\"$$TYPE|$$STATE|$$OUTPUT\\" >>{I}/notifications" ]
  env = {{ TYPE = "$notification.type$", STATE = "$service.state$", OUTPUT = "$service.output$" }}
}}
apply Notification "record" to Service {{
  command = "record"
  users = [ "oncall" ]
  interval = 0
  assign where service.vars.bonding_bond == "bond0"
}}
"""

GUEST = r"""
export OPENSSL_ia32cap='~0x1000000000000000:0'  # FXSAVE-only guest: no AVX in OpenSSL either
reset
veth 0; veth 1
bond bond0 '0 1' mode active-backup miimon 100 updelay 5000 primary eth0
wait_for '! grep -q "going back" /proc/net/bonding/bond0' 150
I={I}
mkdir -p $I/etc $I/lib $I/cache $I/log $I/spool $I/run $I/state $I/compat $I/plugins
ln -s "$CHECK_BONDING" $I/plugins/check_bonding
sed -E 's/\b(check|retry)_interval = \S+/\1_interval = {interval}/' {services} >$I/etc/services.conf
cat >$I/etc/icinga2.conf <<'EOF'
{conf}EOF
touch $I/notifications && chown -R nagios: $I
D="-DConfigDir=$I/etc -DDataDir=$I/lib -DCacheDir=$I/cache -DLogDir=$I/log -DSpoolDir=$I/spool"
D="$D -DInitRunDir=$I/run -DRunAsUser=nagios -DRunAsGroup=nagios"
icinga2 daemon -c $I/etc/icinga2.conf $D >$OUT/icinga2.out 2>&1 &
ICINGA=$!
event() {{ echo "$(date +%s.%N) $*" >>$OUT/timeline; }}
alive() {{ kill -0 $ICINGA 2>/dev/null || {{ echo "icinga2 is gone" >&2; exit 1; }}; }}
running() {{ pgrep -u nagios -f "check_bonding .*-b bond0" >/dev/null; }}
# one check of bond0 by Icinga (as nagios) starts and ends
check_ran() {{ wait_for 'alive && running' 600 && wait_for '! running' 300; }}
notified() {{ wait_for "alive && grep -q '$1' $I/notifications" ${{2:-600}}; }}
check_ran && check_ran && event "two checks OK"
check_ran && pull 0 && sleep 0.3 && plug 0 && event "eth0 pulled and plugged back"
notified 'PROBLEM|WARNING' && event "notified WARNING"
wait_for 'grep -q "Currently Active Slave: eth0" /proc/net/bonding/bond0' 100 \
    && event "eth0 active again"
notified 'RECOVERY|OK' 900 && event "notified OK"
pull 0; pull 1; event "both pulled"
notified 'PROBLEM|CRITICAL' && event "notified CRITICAL"
kill -TERM $ICINGA; wait $ICINGA
cp $I/notifications $OUT/notifications; cat $I/compat/icinga.log >$OUT/compat.log
stat -c %U $I/state/bond0.json >$OUT/state.owner
"""


def guest_script():
    command_include = ("" if ITL_COMMAND.exists() else
                       f'include "{REPO}/contrib/icinga/check_bonding.conf"')
    conf = ICINGA_CONF.format(window=WINDOW, I=GUEST_DIR, command_include=command_include)
    return scenarios.PRELUDE + f"export CHECK_BONDING={shlex.quote(scenarios.PLUGIN)}\n" + (
        GUEST.format(interval=INTERVAL, services=REPO / "contrib/icinga/services.conf",
                     conf=conf, I=GUEST_DIR))


Alert = namedtuple("Alert", "time state type output")


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """The guest's run: Icinga's alerts and notifications for bond0 from its compat
    log, the lines the notification command wrote, and the script's timeline."""
    ok, why = uml.available()
    if not ok:
        pytest.skip(why)
    if not ICINGA2.exists():
        pytest.skip("icinga2 not installed (apt-get install icinga2-bin icinga2-common)")
    boot = uml.boot(guest_script(), timeout=300, workdir=tmp_path_factory.mktemp("seed"),
                    kernel_args=scenarios.UML_NICS)
    assert boot.status == 0, f"{boot.log}\n{(boot.out / 'icinga2.out').read_text()[-3000:]}"
    compat = (boot.out / "compat.log").read_text()
    alerts = [Alert(float(t), state, kind, output.rstrip()) for t, state, kind, output in
              re.findall(rf"^\[(\d+)\] SERVICE ALERT: {SERVICE};(\w+);(\w+);\d+;(.*)$",
                         compat, re.M)]
    notified = [(state, output.rstrip()) for state, output in re.findall(
        rf"^\[\d+\] SERVICE NOTIFICATION: oncall;{SERVICE};(\w+);record;(.*?) ?;$", compat,
        re.M)]
    timeline = {what: float(t) for t, what in (
        line.split(" ", 1) for line in (boot.out / "timeline").read_text().splitlines())}
    written = (boot.out / "notifications").read_text().splitlines()
    return SimpleNamespace(alerts=alerts, notified=notified, timeline=timeline,
                           written=[line.rstrip() for line in written],
                           owner=(boot.out / "state.owner").read_text().strip(), log=compat)


def after(alerts, time):
    return [a for a in alerts if a.time >= int(time)]


def test_icinga_checks_as_its_own_user_and_the_bond_starts_ok(story):
    assert story.owner == "nagios"  # the baseline the check stored, in the guest
    assert story.alerts[0].state == "OK" and story.alerts[0].output.startswith(
        "BONDING OK - bond0 active-backup, active eth0 (primary), 2/2 slaves up")
    assert all(a.state == "OK" for a in story.alerts
               if a.time < story.timeline["eth0 pulled and plugged back"]), story.log


def test_the_cable_pulled_between_two_checks_is_a_warning_with_the_failure_and_failover(story):
    first = after(story.alerts, story.timeline["eth0 pulled and plugged back"])[0]
    assert (first.state, first.type) == ("WARNING", "SOFT"), story.log
    assert "eth0 down" not in first.output  # the check came after the plug, not during
    assert re.search(r"eth0 (going back \()?link failed 1 time in the last 20s", first.output)
    assert re.search(r"failover (eth0 -> eth1|from eth0 and back)", first.output), first.output


def test_icinga_notifies_the_warning_once_it_is_hard(story):
    pulled = story.timeline["eth0 pulled and plugged back"]
    hard = [a for a in after(story.alerts, pulled) if a.type == "HARD"][0]
    assert hard.state == "WARNING" and "eth0 link failed 1 time" in hard.output, story.log
    assert story.notified[0] == ("WARNING", hard.output)
    assert story.written[0] == f"PROBLEM|WARNING|{hard.output}"


def test_eth0_is_active_again_after_the_updelay_and_the_service_recovers_after_the_window(
        story):
    pulled = story.timeline["eth0 pulled and plugged back"]
    warned = after(story.alerts, pulled)[0].time
    recovered = [a for a in after(story.alerts, pulled) if a.state == "OK"][0]
    assert recovered.type == "HARD" and recovered.output.startswith(
        "BONDING OK - bond0 active-backup, active eth0 (primary), 2/2 slaves up")
    assert recovered.time - warned >= int(WINDOW[:-1]) - 1  # the window, from the check
    assert recovered.time < story.timeline["both pulled"]
    assert story.notified[1] == ("RECOVERY", recovered.output)
    assert story.written[1] == f"RECOVERY|OK|{recovered.output}"


def test_both_cables_pulled_is_critical_and_notified(story):
    last_ok = max(i for i, a in enumerate(story.alerts) if a.state == "OK")
    both = story.alerts[last_ok + 1:]  # the recovery may share a second with the pull
    assert both and both[0].time >= int(story.timeline["both pulled"])
    hard = [a for a in both if a.type == "HARD"][0]
    assert {a.state for a in both} == {"CRITICAL"}, story.log
    assert hard.output.startswith(
        "BONDING CRITICAL - bond0: no slave up: eth0 down, eth1 down, bond MII status down")
    assert story.notified[2:] == [("CRITICAL", hard.output)]
    assert story.written[2:] == [f"PROBLEM|CRITICAL|{hard.output}"]
