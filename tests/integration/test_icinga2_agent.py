"""Icinga 2 distributed, set up as docs/integrations.md tells the admin to.

A master and an agent, two icinga2 daemons in two network namespaces, each
from a copy of the stock /etc/icinga2, joined the way `icinga2 node setup`
does it: the CA on the master, the agent's CSR signed there through a ticket,
the agent with accept_commands. On the master the docs' services.conf and
router1.conf (the agent's Endpoint and Zone, and its Host) in zones.d/master;
without the package the CheckCommand in zones.d/global-templates. The check
runs on the agent (command_endpoint) as the agent's user against a bond tree
there; the master's REST API shows the result.
"""

import json
import os
import re
import shlex
import shutil
from pathlib import Path

import pytest

from .conftest import REPO
from .test_icinga2 import ITL_COMMAND, split_output

pytestmark = pytest.mark.slow  # the fast lane (-m "not slow") leaves it out

ICINGA2 = "/usr/sbin/icinga2"
MASTER, ZONE, AGENT = "master.test", "master", "router1"
SERVICES = {f"{AGENT}!bonding bond0", f"{AGENT}!bonding bond1"}
DOCS = REPO / "docs/integrations.md"
DIRS = {"ConfigDir": "etc", "DataDir": "lib", "CacheDir": "cache", "LogDir": "log",
        "SpoolDir": "spool", "InitRunDir": "run"}
# the master's REST API, asked from inside its namespace; trusts only the master's CA
API_QUERY = """
import base64, http.client, json, ssl, sys
url, ca, password = sys.argv[1:]
context = ssl.create_default_context(cafile=ca)
context.check_hostname = False  # by address; the certificate's name is checked below
connection = http.client.HTTPSConnection(url, context=context, timeout=10)
auth = base64.b64encode(f"root:{password}".encode()).decode()
connection.request("GET", "/v1/objects/services?filter=host.name==%22router1%22"
                   "&attrs=last_check_result&attrs=state&attrs=last_check",
                   headers={"Accept": "application/json", "Authorization": f"Basic {auth}"})
subject = dict(x[0] for x in connection.sock.getpeercert()["subject"])
print(json.dumps({"cn": subject["commonName"], **json.load(connection.getresponse())}))
"""


def docs_block(first_line):
    """The code block of docs/integrations.md that begins with first_line."""
    blocks = re.findall(r"^```\n(.*?)^```", DOCS.read_text(), re.M | re.S)
    found = [b for b in blocks if b.startswith(first_line)]
    assert len(found) == 1, f"docs/integrations.md: no single block starting {first_line!r}"
    return found[0]


class Node:
    """One icinga2 instance: a copy of the stock /etc/icinga2 and its own dirs."""

    def __init__(self, top, netns, daemon_user):
        self.top, self.netns = top, netns
        for name in DIRS.values():
            (top / name).mkdir(parents=True)
        (top / "etc").rmdir()
        shutil.copytree("/etc/icinga2", top / "etc", symlinks=True)
        self.defines = [f"-D{key}={top / name}" for key, name in DIRS.items()]
        # ZonesDir is derived from ConfigDir at start, before -D ConfigDir takes effect
        self.defines += [f"-DZonesDir={top / 'etc/zones.d'}", "-DRunAsUser=nagios",
                         "-DRunAsGroup=nagios"]
        for path in [top, *top.rglob("*")]:
            os.chown(path, daemon_user.pw_uid, daemon_user.pw_gid, follow_symlinks=False)

    def cli(self, *argv):
        """An icinga2 command on this node's files, inside its namespace."""
        return self.netns.cmd(ICINGA2, *argv, *self.defines)


def checked(run, cmd):
    result = run(cmd, merge_stderr=True)
    assert result.returncode == 0, f"{' '.join(map(str, cmd))}:\n{result.stdout}"
    return result.stdout


@pytest.fixture
def distributed(require_binary, netns_pair, start_daemon, daemon_user, workdir, daemon_dir,
                plugin, example_root, run):
    require_binary(ICINGA2, "icinga2-bin icinga2-common")
    master_ns, agent_ns = netns_pair
    master = Node(workdir / "master", master_ns, daemon_user)
    agent = Node(workdir / "agent", agent_ns, daemon_user)
    state = daemon_dir("state")

    checked(run, master.cli("node", "setup", "--master", "--cn", MASTER, "--zone", ZONE,
                            "--listen", f"{master_ns.address},5665"))
    # what the docs tell the admin to put on the master
    zones = master.top / "etc/zones.d"
    (zones / ZONE).mkdir()
    services = (REPO / "contrib/icinga/services.conf").read_text()
    services, count = re.subn(r"\b(check|retry)_interval = \S+", r"\1_interval = 2s", services)
    assert count == 2
    (zones / ZONE / "services.conf").write_text(services)
    if not ITL_COMMAND.exists():  # no package: the command from a zone all nodes get
        (zones / "global-templates").mkdir()
        shutil.copy(REPO / "contrib/icinga/check_bonding.conf", zones / "global-templates")
    host = docs_block(f'object Endpoint "{AGENT}"')  # the agent's address is the docs' own
    # the bond tree on the agent, and a state directory of the test
    host = host.rstrip().removesuffix("}") + (f'  vars.bonding_root = "{example_root}"\n'
                                              f'  vars.bonding_state_dir = "{state}"\n}}\n')
    (zones / ZONE / f"{AGENT}.conf").write_text(host)
    validation = checked(run, master.cli("daemon", "-C", "-x", "warning"))
    master_daemon = start_daemon(master.cli("daemon"), workdir / "master.out")
    master_daemon.wait_for(lambda log: "Started new listener on" in log)

    # the agent: its certificate signed by the master's CA through a ticket
    certs = agent.top / "lib/certs"
    certs.mkdir()
    os.chown(certs, daemon_user.pw_uid, daemon_user.pw_gid)  # icinga2 pki runs as nagios
    checked(run, agent.cli("pki", "new-cert", "--cn", AGENT, "--key", certs / f"{AGENT}.key",
                           "--cert", certs / f"{AGENT}.crt"))
    checked(run, agent.cli("pki", "save-cert", "--trustedcert", certs / "trusted-parent.crt",
                           "--host", master_ns.address, "--port", "5665"))
    # the master's TicketSalt, from the variables its daemon wrote at start
    ticket = checked(run, master.cli("pki", "ticket", "--cn", AGENT)).strip()
    checked(run, agent.cli("node", "setup", "--ticket", ticket, "--cn", AGENT,
                           "--endpoint", f"{MASTER},{master_ns.address},5665",
                           "--zone", AGENT, "--parent_zone", ZONE,
                           "--parent_host", f"{master_ns.address},5665",
                           "--trustedcert", certs / "trusted-parent.crt",
                           "--accept-commands", "--accept-config", "--disable-confd"))
    if plugin != Path("/usr/lib/nagios/plugins/check_bonding"):  # the agent's own plugin
        plugins = daemon_dir("plugins")
        (plugins / "check_bonding").symlink_to(plugin)
        constants = agent.top / "etc/constants.conf"
        constants.write_text(re.sub(r'^const PluginContribDir = .*$',
                                    f'const PluginContribDir = "{plugins}"',
                                    constants.read_text(), flags=re.M))
    agent_daemon = start_daemon(agent.cli("daemon", "-x", "notice"), workdir / "agent.out")
    agent_daemon.wait_for(lambda log: "Started new listener on" in log)
    return master, agent, validation, master_daemon, agent_daemon


def api(run, master):
    password = re.search(r'password = "(.*)"', (master.top / "etc/conf.d/api-users.conf")
                         .read_text())[1]
    result = run(master.netns.cmd("/usr/bin/python3", "-c", API_QUERY,
                                  f"{master.netns.address}:5665",
                                  master.top / "lib/ca/ca.crt", password))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def agent_commands(log):
    """{bond: argv} of the check_bonding runs in the agent's own log (-x notice)."""
    commands = {}
    for quoted in re.findall(r"notice/Process: Running command (.*?): PID \d+", log):
        argv = shlex.split(quoted)
        if argv[0].endswith("/check_bonding"):
            commands[argv[argv.index("-b") + 1]] = argv
    return commands


def test_the_docs_place_the_host_where_icinga_accepts_it_and_the_agent_runs_the_check(
        distributed, run):
    master, agent, validation, master_daemon, agent_daemon = distributed
    assert "warning/" not in validation, validation  # no "does not match anywhere" either
    assert "accept_commands = true" in (agent.top / "etc/features-available/api.conf").read_text()
    assert (agent.top / f"lib/certs/{AGENT}.crt").is_file()  # signed by the master's CA
    starts = {name: set() for name in SERVICES}

    def each_service_ran_twice_on_the_agent(log):
        answer = api(run, master)
        assert answer["cn"] == MASTER
        ours = [r for r in answer["results"] if r["name"] in SERVICES]
        for result in ours:
            last = result["attrs"]["last_check_result"]
            # run by the agent's plugin (not "Check command 'bonding' does not exist"
            # from before the agent had the master's config)
            if last and last["check_source"] == AGENT and last["output"].startswith("BONDING "):
                starts[result["name"]].add(last["execution_start"])
        # the first run in an empty state directory only records the baseline
        return all(len(s) >= 2 for s in starts.values()) and ours

    try:
        results = master_daemon.wait_for(each_service_ran_twice_on_the_agent, timeout=90)
    except AssertionError as err:
        agent_daemon.stop()
        last = {r["name"]: r["attrs"]["last_check_result"] for r in api(run, master)["results"]}
        raise AssertionError(f"{err}\n--- agent:\n{agent_daemon.tail(60)}\n--- {last}") from None
    agent_daemon.stop()  # its console log is buffered: complete once it has stopped
    commands = agent_commands(agent_daemon.log.read_text())
    assert set(commands) == {"bond0", "bond1"}, agent_daemon.tail(200)
    for result in results:
        last = result["attrs"]["last_check_result"]
        # what the agent ran, run again as the agent's user, gives what the master recorded
        direct = run(commands[result["name"].split()[-1]], as_daemon_user=True,
                     merge_stderr=True)
        text, perfdata = split_output(direct.stdout)
        assert last["exit_status"] == result["attrs"]["state"] == direct.returncode
        assert [line.rstrip() for line in last["output"].split("\n")] == text
        assert last["performance_data"] == perfdata
    # the docs' vars reached the plugin on the agent: bond1 is 802.3ad in the docs,
    # active-backup in the seed's tree
    assert commands["bond1"][commands["bond1"].index("-m") + 1] == "802.3ad"
    assert "mode active-backup, expected 802.3ad" in {
        r["name"]: r["attrs"]["last_check_result"]["output"] for r in results}[
        f"{AGENT}!bonding bond1"]


@pytest.mark.parametrize("objects, error", [
    ("object Host", "Object 'router1' of type 'Endpoint' does not exist"),
    ("object Endpoint", "Checkable with command endpoint requires a zone"),
], ids=["host-alone", "with-endpoint-and-zone"])
def test_the_agents_objects_in_conf_d_fail_as_the_docs_warn(require_binary, workdir, daemon_user,
                                                           run, netns_pair, objects, error):
    """The newcomer's trap: the docs' objects in the stock conf.d, where no zone is."""
    require_binary(ICINGA2, "icinga2-bin icinga2-common")
    master = Node(workdir / "master", netns_pair[0], daemon_user)
    checked(run, master.cli("node", "setup", "--master", "--cn", MASTER, "--zone", ZONE))
    block = docs_block(f'object Endpoint "{AGENT}"')
    shutil.copy(REPO / "contrib/icinga/services.conf", master.top / "etc/conf.d/bonding.conf")
    if not ITL_COMMAND.exists():
        shutil.copy(REPO / "contrib/icinga/check_bonding.conf", master.top / "etc/conf.d")
    (master.top / "etc/conf.d/router1.conf").write_text(block[block.index(objects):])
    result = run(master.cli("daemon", "-C"), merge_stderr=True)
    assert result.returncode != 0
    assert error in result.stdout, result.stdout


def test_services_conf_shows_the_docs_example():
    block = [line for line in docs_block(f'object Endpoint "{AGENT}"').splitlines() if line]
    comment = (REPO / "contrib/icinga/services.conf").read_text()
    shown = [line[5:] for line in comment.splitlines() if line.startswith(" *   ")]
    assert block == shown[shown.index(block[0]):][:len(block)]
