"""Icinga 2: contrib/icinga/*.conf with the ITL, validated and run by the daemon."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from .conftest import CONTRIB

pytestmark = pytest.mark.slow  # the fast lane (-m "not slow") leaves it out

ICINGA2 = "/usr/sbin/icinga2"
# where the packages (debian/, rpm/) install the CheckCommand: <plugins-contrib> includes it
ITL_COMMAND = Path("/usr/share/icinga2/include/plugins-contrib.d/check_bonding.conf")
DIRS = ("DataDir", "LogDir", "CacheDir", "SpoolDir", "InitRunDir")

# Hosts as a user would write them (see the comment in services.conf).
CONFIG = """
const PluginDir = "/usr/lib/nagios/plugins"
const ManubulonPluginDir = PluginDir
const PluginContribDir = "{workdir}/plugins"
const NodeName = "master.test"
const ZoneName = NodeName

include <itl>
include <plugins>
include <plugins-contrib>
{checkcommand}
include "{workdir}/services.conf"
include "{workdir}/services-all-bonds.conf"

object Endpoint NodeName {{ }}
object Zone ZoneName {{ endpoints = [ NodeName ] }}
object Endpoint "agent1" {{ }}
object Zone "agent1" {{ endpoints = [ "agent1" ]; parent = ZoneName }}
object CheckerComponent "checker" {{ }}

template Host "test-host" {{
  check_command = "dummy"
  enable_active_checks = false
  vars.bonding_root = "{root}"
  vars.bonding_state_dir = "{workdir}/state/" + name
}}
object Host "local1" {{
  import "test-host"
  vars.bonds["bond0"] = {{ primary = "eth0", mode = "active-backup",
                          state = [ "single-slave=ok", "slave-down=critical" ],
                          expect = [ "miimon=100", "primary_reselect=always" ] }}
}}
object Host "local2" {{
  import "test-host"
  vars.bonding_all_bonds = true
  vars.bonding_verbose = 2
}}
object Host "agent1" {{
  import "test-host"
  zone = ZoneName  /* command_endpoint needs a zone: zones.d/<master> in real setups */
  vars.agent_endpoint = name
  vars.bonds["bond0"] = {{ primary = "eth0" }}
  vars.bonds["bond1"] = {{ mode = "802.3ad", slaves = "eth2,eth3" }}
}}
"""
# options that make the plugin do something else than a check: not mapped
NOT_CHECK_OPTIONS = {"-h", "--help", "-V", "--version", "--capture", "--list-findings"}
LOCAL_SERVICES = {"local1!bonding bond0", "local2!bonding"}
AGENT_SERVICES = {"agent1!bonding bond0", "agent1!bonding bond1"}


def read_netstrings(path):
    """Objects from Icinga's state file / objects cache (``<len>:<json>,`` records)."""
    data, pos, objects = path.read_bytes(), 0, []
    while pos < len(data):
        colon = data.index(b":", pos)
        end = colon + 1 + int(data[pos:colon])
        objects.append(json.loads(data[colon + 1:end]))
        pos = end + 1
    return objects


def split_output(output):
    """Plugin output as Icinga stores it: (text lines right-stripped, perfdata items)."""
    text, perfdata = [], []
    for line in output.rstrip("\n").split("\n"):
        line_text, _, line_perf = line.partition("|")
        text.append(line_text.rstrip())
        perfdata += re.findall(r"'[^']*'\S*|\S+", line_perf)
    return text, perfdata


def option_groups(help_text):
    """Option spellings per line of argparse-style --help: [{'-b', '--bond'}, ...]."""
    lines = (re.match(r"\s{1,8}(-.*?)(?:\s{2,}|$)", line) for line in help_text.splitlines())
    return [set(re.findall(r"(?<![\w-])--?[A-Za-z][\w-]*", m[1])) for m in lines if m]


def checkcommand_include(contrib):
    """The contrib CheckCommand, unless the installed package brings it with the ITL
    (a second definition would be an error, as it is on an agent so installed)."""
    if not ITL_COMMAND.exists():
        return f'include "{contrib}/icinga/check_bonding.conf"'
    assert ITL_COMMAND.read_text() == (contrib / "icinga/check_bonding.conf").read_text(), (
        f"{ITL_COMMAND} (installed package) differs from contrib/icinga/check_bonding.conf")
    return f"/* CheckCommand bonding: {ITL_COMMAND}, through <plugins-contrib> */"


@pytest.fixture
def icinga(require_binary, contrib, plugin, example_root, workdir, daemon_dir):
    """``icinga(check_interval=None)`` writes the config, returns the daemon command."""
    require_binary(ICINGA2, "icinga2-bin icinga2-common")
    dirs = {name: daemon_dir(name.lower()) for name in DIRS}
    (workdir / "plugins").mkdir()
    (workdir / "plugins/check_bonding").symlink_to(plugin)
    for host in ("local1", "local2"):
        daemon_dir(f"state/{host}")

    def configure(check_interval=None):
        for name in ("services.conf", "services-all-bonds.conf"):
            services = (contrib / "icinga" / name).read_text()
            if check_interval:
                services, count = re.subn(r"\b(check|retry)_interval = \S+",
                                          rf"\1_interval = {check_interval}", services)
                assert count == 2, f"{name}: expected one check_interval and retry_interval"
            (workdir / name).write_text(services)
        (workdir / "icinga2.conf").write_text(
            CONFIG.format(workdir=workdir, contrib=contrib, root=example_root,
                          checkcommand=checkcommand_include(contrib)))
        defines = [f"-D{name}={path}" for name, path in dirs.items()]
        return [ICINGA2, "daemon", "-c", workdir / "icinga2.conf", f"-DConfigDir={workdir}",
                *defines, "-DRunAsUser=nagios", "-DRunAsGroup=nagios"]

    configure.dirs = dirs
    return configure


@pytest.fixture
def validated(icinga, run):
    """``icinga2 daemon -C`` on the shipped services files; objects by (type, name)."""
    result = run([*icinga(), "--validate"], merge_stderr=True)
    assert result.returncode == 0, result.stdout
    assert "warning/" not in result.stdout, result.stdout  # e.g. "does not match anywhere"
    objects = read_netstrings(icinga.dirs["CacheDir"] / "icinga2.debug")
    return {(o["type"], o["properties"]["__name"]): o["properties"] for o in objects}


def test_config_creates_services(validated):
    services = {name: obj for (kind, name), obj in validated.items() if kind == "Service"}
    assert set(services) == LOCAL_SERVICES | AGENT_SERVICES
    assert {obj["check_command"] for obj in services.values()} == {"bonding"}
    assert {name: obj["command_endpoint"] for name, obj in services.items()} == {
        **dict.fromkeys(LOCAL_SERVICES, ""), **dict.fromkeys(AGENT_SERVICES, "agent1")}
    assert services["local1!bonding bond0"]["vars"] == {
        "bonding_bond": "bond0", "bonding_primary": "eth0", "bonding_mode": "active-backup",
        "bonding_state": ["single-slave=ok", "slave-down=critical"],
        "bonding_expect": ["miimon=100", "primary_reselect=always"]}
    assert services["agent1!bonding bond1"]["vars"] == {
        "bonding_bond": "bond1", "bonding_mode": "802.3ad", "bonding_slaves": "eth2,eth3"}
    assert services["local2!bonding"]["vars"] is None


def test_checkcommand_covers_plugin_options(validated, run, plugin):
    arguments = validated[("CheckCommand", "bonding")]["arguments"]
    keys = {arg.get("key") or name for name, arg in arguments.items()} - {"-vv", "-vvv"}
    groups = [g for g in option_groups(run([plugin, "--help"]).stdout)
              if not g & NOT_CHECK_OPTIONS]
    assert groups, "could not parse the plugin's --help output"
    missing = [sorted(g) for g in groups if not g & keys]
    assert missing == [], "options missing in check_bonding.conf"
    assert keys - set().union(*groups) == set(), "check_bonding.conf has unknown options"


def test_daemon_records_plugin_result(icinga, start_daemon, run, workdir, example_root):
    daemon = start_daemon([*icinga(check_interval="2s"), "-x", "notice"], workdir / "icinga2.out")

    # twice: the first run in an empty state dir reports the new baseline instead
    def each_service_ran_twice(log):
        runs = Counter(re.findall(r"notice/Process: PID \d+ \((.*)\) terminated", log))
        return len(runs) == len(LOCAL_SERVICES) and min(runs.values()) >= 2

    daemon.wait_for(each_service_ran_twice, timeout=60)
    daemon.stop()  # SIGTERM: Icinga writes its state file on shutdown
    state = read_netstrings(icinga.dirs["DataDir"] / "icinga2.state")
    results = {o["name"]: o["update"]["last_check_result"] for o in state
               if o["name"] in LOCAL_SERVICES}

    plugin, root = str(workdir / "plugins/check_bonding"), ["--root", str(example_root)]
    assert results["local1!bonding bond0"]["command"] == [
        plugin, "--expect", "miimon=100", "--expect", "primary_reselect=always", *root,
        "--state", "single-slave=ok", "--state", "slave-down=critical",
        "--state-dir", f"{workdir}/state/local1", "-b", "bond0", "-m", "active-backup",
        "-p", "eth0"]
    assert results["local2!bonding"]["command"] == [
        plugin, *root, "--state-dir", f"{workdir}/state/local2", "-vv"]
    # the arrays reached the plugin: slave-down=critical made the seed's down eth0 CRITICAL
    assert results["local1!bonding bond0"]["exit_status"] == 2

    for name, recorded in results.items():
        direct = run(recorded["command"], as_daemon_user=True, merge_stderr=True)
        text, perfdata = split_output(direct.stdout)
        assert recorded["exit_status"] == recorded["state"] == direct.returncode, name
        assert [line.rstrip() for line in recorded["output"].split("\n")] == text
        assert recorded["performance_data"] == perfdata


@pytest.mark.parametrize("services, host", [
    ("services.conf", 'vars.bonds["bond0"] = { primary = "eth0" }'),
    ("services-all-bonds.conf", "vars.bonding_all_bonds = true"),
])
def test_each_services_file_alone_validates_clean(icinga, run, workdir, services, host):
    """Copied alone with the hosts it is for: no "does not match anywhere" from the
    other rule (both in one file warned on every config without all-bonds hosts)."""
    command = icinga()
    config = CONFIG[:CONFIG.index("object Endpoint NodeName")].replace(
        'include "{workdir}/services.conf"\ninclude "{workdir}/services-all-bonds.conf"\n',
        f'include "{{workdir}}/{services}"\n')
    (workdir / "icinga2.conf").write_text(config.format(
        workdir=workdir, checkcommand=checkcommand_include(CONTRIB)) +
        f'object CheckerComponent "checker" {{ }}\n'
        f'object Host "h" {{ check_command = "dummy"; {host} }}\n')
    result = run([*command, "--validate"], merge_stderr=True)
    assert result.returncode == 0, result.stdout
    assert "warning/" not in result.stdout, result.stdout
