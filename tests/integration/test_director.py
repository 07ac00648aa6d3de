"""Icinga Director: contrib/icinga/director/bonding-basket*.json in Debian's Director.

Debian's icingaweb2-module-director (1.10.2 on Debian 12) on a throw-away
PostgreSQL cluster: schema migration, kickstart from a local Icinga 2 with
the ITL, the basket restored twice, the command compared with the basket, a
host and a service made from the template, the configuration rendered,
validated with ``icinga2 daemon -C`` and run by an Icinga 2 once.

Twice over: once for an Icinga that does not define CheckCommand "bonding"
(bonding-basket.json: the Director deploys it), once for one that does, as
the package makes it by putting check_bonding.conf into the ITL's
plugins-contrib.d (bonding-basket-external-command.json: the command stays
Icinga's). Which of the two the installed packages make real, the other is
simulated: the package's file left out of, or added to, plugins-contrib.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from .conftest import CONTRIB, Daemon
from .test_icinga2 import DIRS, ICINGA2, ITL_COMMAND, read_netstrings, split_output

pytestmark = pytest.mark.slow  # the fast lane (-m "not slow") leaves it out

SCENARIOS = {  # name: (basket, its command section, Icinga defines bonding)
    "director-command": (CONTRIB / "icinga/director/bonding-basket.json", "Command", False),
    "icinga-command": (CONTRIB / "icinga/director/bonding-basket-external-command.json",
                       "ExternalCommand", True),
}
ICINGACLI = "/usr/bin/icingacli"
DIRECTOR = Path("/usr/share/icingaweb2/modules/director")
PACKAGES = "icingaweb2-module-director icingacli php-pgsql postgresql icinga2-bin icinga2-common"
NODE, ZONE = "master.test", "master"

# The Icinga 2 that Director kickstarts from and whose rendered config it runs.
ICINGA_BASE = """
const PluginDir = "/usr/lib/nagios/plugins"
const ManubulonPluginDir = PluginDir
const PluginContribDir = "{top}/plugins"
const NodeName = "{node}"
const ZoneName = "{zone}"
include <itl>
include <plugins>
{contrib_includes}
object Endpoint NodeName {{ host = "127.0.0.1"; port = {port} }}
object Zone ZoneName {{ endpoints = [ NodeName ] }}
object Zone "director-global" {{ global = true }}
object ApiListener "api" {{ bind_host = "127.0.0.1"; bind_port = {port} }}
"""
KICKSTART = ICINGA_BASE + """
object ApiUser "director" {{ password = "director"; permissions = [ "*" ] }}
"""
# Director's output as Icinga 2 loads a deployed package: one directory per zone.
RENDERED = ICINGA_BASE + """
object CheckerComponent "checker" {{ }}
include_zones "director", "{top}/rendered/zones.d"
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Director:
    """A Director on its own PostgreSQL cluster and Icinga Web 2 config directory."""

    def __init__(self, top, run):
        self.top, self.run = top, run
        self.env = {**os.environ, "ICINGAWEB_CONFIGDIR": str(top / "icingaweb2")}

    def cli(self, *args, stdin=None):
        """icingacli director ARGS; its stdout (fails the test on an error)."""
        result = subprocess.run([ICINGACLI, "director", *args], input=stdin, env=self.env,
                                text=True, capture_output=True, timeout=120)
        assert result.returncode == 0, f"icingacli director {' '.join(args)}:\n" \
                                       f"{result.stdout}{result.stderr}"
        return result.stdout

    def json(self, *args):
        return json.loads(self.cli(*args, "--json"))

    def sql(self, query):
        """The single value a query returns (psql as postgres on the socket)."""
        result = self.run(["psql", "-h", self.top / "socket", "-U", "postgres", "-d", "director",
                           "-AtXq", "-c", query])
        assert result.returncode == 0, result.stderr
        return result.stdout.rstrip("\n")

    def snapshot(self):
        """What a restore may change, in comparable form."""
        return {
            "command": self.json("command", "show", "bonding"),
            "template": self.json("service", "show", "bonding"),
            "datafields": self.sql("SELECT json_agg(f ORDER BY f.id) FROM director_datafield f"),
            # a data list is linked by its id; the basket names it
            "settings": self.sql(
                "SELECT json_agg(json_build_array(s.datafield_id, s.setting_name, "
                "coalesce(l.list_name, s.setting_value)) ORDER BY s.datafield_id, s.setting_name) "
                "FROM director_datafield_setting s LEFT JOIN director_datalist l "
                "ON s.setting_name = 'datalist_id' AND l.id::text = s.setting_value"),
            "datalists": self.sql(
                "SELECT json_object_agg(l.list_name, (SELECT json_agg(e.entry_name "
                "ORDER BY e.entry_name) FROM director_datalist_entry e WHERE e.list_id = l.id)) "
                "FROM director_datalist l"),
            "command_fields": self.sql("SELECT json_agg(c ORDER BY c.datafield_id) "
                                       "FROM icinga_command_field c"),
            "commands": self.sql("SELECT json_agg(json_build_array(object_name, object_type) "
                                 "ORDER BY object_name) FROM icinga_command"),
            "activities": self.sql("SELECT count(*) FROM director_activity_log"),
        }


def postgres_bin(name):
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                   key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return found[-1] if found else None


def icinga_command(top, config):
    defines = [f"-D{name}={top / 'icinga2' / name.lower()}" for name in DIRS]
    return [ICINGA2, "daemon", "-c", top / config, f"-DConfigDir={top}", *defines,
            "-DRunAsUser=nagios", "-DRunAsGroup=nagios"]


def start_postgres(top, run):
    """A cluster in top/pgdata listening only on the socket in top/socket."""
    data, sock = top / "pgdata", top / "socket"
    for path in (data, sock):
        path.mkdir()
        shutil.chown(path, "postgres", "postgres")
    data.chmod(0o700)
    as_postgres = ["runuser", "-u", "postgres", "--"]
    result = run([*as_postgres, postgres_bin("initdb"), "-D", data, "-U", "postgres",
                  "-A", "trust", "-E", "UTF8", "--no-sync"])
    assert result.returncode == 0, result.stdout + result.stderr
    result = run([*as_postgres, postgres_bin("pg_ctl"), "-D", data, "-l", sock / "log", "-w",
                  "-o", f"-c listen_addresses='' -k {sock} -c fsync=off", "start"])
    assert result.returncode == 0, result.stdout + (sock / "log").read_text()
    result = run(["psql", "-h", sock, "-U", "postgres", "-c", "CREATE DATABASE director"])
    assert result.returncode == 0, result.stderr
    return lambda: run([*as_postgres, postgres_bin("pg_ctl"), "-D", data, "-m", "immediate",
                        "stop"])


def configure_icingaweb(top):
    """Icinga Web 2's config directory: the Director module and its DB resource."""
    web = top / "icingaweb2"
    (web / "enabledModules").mkdir(parents=True)
    for module in ("director", "incubator", "reactbundle"):
        (web / "enabledModules" / module).symlink_to(f"/usr/share/icingaweb2/modules/{module}")
    (web / "config.ini").write_text('[logging]\nlog = "none"\n')
    (web / "resources.ini").write_text(
        f'[director]\ntype = "db"\ndb = "pgsql"\nhost = "{top / "socket"}"\n'
        'dbname = "director"\nusername = "postgres"\npassword = ""\ncharset = "utf8"\n')
    (web / "modules/director").mkdir(parents=True)
    (web / "modules/director/config.ini").write_text('[db]\nresource = "director"\n')
    return web


def contrib_includes(bonding_in_icinga):
    """The ITL's plugins-contrib, with or without CheckCommand "bonding"."""
    if ITL_COMMAND.exists() == bonding_in_icinga:
        return "include <plugins-contrib>"
    if bonding_in_icinga:  # as the package would have it
        return f'include <plugins-contrib>\ninclude "{CONTRIB / "icinga/check_bonding.conf"}"'
    # as on a master without the package: all of plugins-contrib but the package's file
    return "\n".join(f'include "{path}"' for path in
                     sorted(ITL_COMMAND.parent.rglob("*.conf")) if path != ITL_COMMAND)


def prepare_icinga(top, daemon_user, plugin, port, bonding_in_icinga):
    """Icinga 2's directories (owned by nagios), a self-signed API certificate,
    the plugin in PluginContribDir, and both configs."""
    for name in DIRS:
        path = top / "icinga2" / name.lower()
        path.mkdir(parents=True)
    certs = top / "icinga2/datadir/certs"
    certs.mkdir()
    for path in (top / "icinga2", *(top / "icinga2").rglob("*")):
        os.chown(path, daemon_user.pw_uid, daemon_user.pw_gid)
    subprocess.run([ICINGA2, "pki", "new-cert", "--cn", NODE, "--key", certs / f"{NODE}.key",
                    "--cert", certs / f"{NODE}.crt"], check=True, capture_output=True)
    shutil.copy(certs / f"{NODE}.crt", certs / "ca.crt")
    shutil.chown(certs / "ca.crt", daemon_user.pw_name, daemon_user.pw_name)
    (top / "plugins").mkdir()
    (top / "plugins/check_bonding").symlink_to(plugin)
    values = dict(top=top, node=NODE, zone=ZONE, port=port,
                  contrib_includes=contrib_includes(bonding_in_icinga))
    (top / "kickstart.conf").write_text(KICKSTART.format(**values))
    (top / "rendered.conf").write_text(RENDERED.format(**values))


@pytest.fixture(scope="module", params=list(SCENARIOS))
def scenario(request):
    """(basket file, its command section, whether Icinga defines bonding itself)."""
    return SCENARIOS[request.param]


@pytest.fixture(scope="module")
def director(scenario, daemon_user, plugin, run):
    """A migrated and kickstarted Director; Icinga 2 is stopped again."""
    for path, packages in ((ICINGACLI, "icingacli"), (DIRECTOR, "icingaweb2-module-director"),
                           (ICINGA2, "icinga2-bin icinga2-common"), (shutil.which("psql"),
                           "postgresql"), (postgres_bin("initdb"), "postgresql")):
        if not path or not os.path.exists(path):
            pytest.skip(f"{path or packages} not installed (apt-get install {PACKAGES})")
    if not shutil.which("php") or run(
            ["php", "-r", "exit(extension_loaded('pdo_pgsql') ? 0 : 1);"]).returncode != 0:
        pytest.skip(f"PHP without pdo_pgsql (apt-get install {PACKAGES})")

    top = Path(tempfile.mkdtemp(prefix="check_bonding-director-"))
    top.chmod(0o755)
    stop_postgres = None
    try:
        stop_postgres = start_postgres(top, run)
        port = free_port()
        web = configure_icingaweb(top)
        prepare_icinga(top, daemon_user, plugin, port, bonding_in_icinga=scenario[2])
        director = Director(top, run)
        director.cli("migration", "run")
        (web / "modules/director/kickstart.ini").write_text(
            f'[config]\nendpoint = "{NODE}"\nhost = "127.0.0.1"\nport = {port}\n'
            'username = "director"\npassword = "director"\n')
        icinga = Daemon(icinga_command(top, "kickstart.conf"), top / "kickstart.out")
        try:
            icinga.wait_for_port(port)
            director.cli("kickstart", "run")
        finally:
            icinga.stop()
        yield director
    finally:
        if stop_postgres:
            stop_postgres()
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="module")
def restored(director, scenario):
    """Snapshots of the Director: kickstarted, after one restore, after another."""
    basket = scenario[0].read_text()
    before = director.sql("SELECT json_agg(json_build_array(object_name, object_type) "
                          "ORDER BY object_name) FROM icinga_command")
    snapshots = []
    for _ in range(2):
        director.cli("basket", "restore", stdin=basket)
        snapshots.append(director.snapshot())
    return json.loads(before), snapshots


def test_basket_restores_beside_the_itl(restored, scenario):
    kickstarted, (first, _) = restored
    assert len(kickstarted) > 100, "kickstart imported no ITL commands"
    external = ["bonding", "external_object"]
    if scenario[2]:  # Icinga's own command, imported by the kickstart, stays Icinga's
        assert external in kickstarted
        assert sorted(json.loads(first["commands"])) == sorted(kickstarted)
    else:  # the Director's, beside every ITL command
        assert external not in kickstarted
        added = [["bonding", "object"]]
        assert sorted(json.loads(first["commands"])) == sorted(kickstarted + added)


def test_second_restore_changes_nothing(restored):
    _, (first, second) = restored
    assert second == first


def test_command_and_fields_match_the_basket(restored, scenario):
    _, (first, _) = restored
    basket = json.loads(scenario[0].read_text())
    shipped = basket[scenario[1]]["bonding"]
    command = first["command"]
    assert command["command"] == shipped["command"]
    assert command["vars"] == shipped["vars"]
    assert sorted(command["arguments"]) == sorted(shipped["arguments"])
    for key, argument in shipped["arguments"].items():
        assert command["arguments"][key] == argument, key
    # every argument linked to its field, as the basket links them
    stored = {f["id"]: f for f in json.loads(first["datafields"])}
    settings = {}
    for field_id, name, value in json.loads(first["settings"] or "[]"):
        settings.setdefault(field_id, {})[name.replace("datalist_id", "datalist")] = value
    linked = {stored[link["datafield_id"]]["varname"]: link for link in command["fields"]}
    for number, field in basket["Datafield"].items():
        row = stored[next(i for i, f in stored.items() if f["varname"] == field["varname"])]
        assert {k: row[k] for k in ("caption", "description", "datatype")} == {
            k: field[k] for k in ("caption", "description", "datatype")}, field["varname"]
        assert settings.get(row["id"], {}) == field["settings"], field["varname"]
        assert field["varname"] in linked, f"field {number} not linked to the command"
    assert len(linked) == len(basket["Datafield"]) == len(stored)
    lists = {name: [e["entry_name"] for e in datalist["entries"]]
             for name, datalist in basket.get("DataList", {}).items()}
    assert json.loads(first["datalists"] or "{}") == lists
    template = first["template"]
    assert template["check_command"] == "bonding"
    assert template["object_type"] == "template"


@pytest.fixture
def rendered(director, restored, scenario, example_root):
    """A host (bonding_primary set on the host) and a service from the template,
    rendered; the files as Icinga 2 would get them, under top/rendered."""
    director.cli("host", "create", NODE, "--json", json.dumps({
        "address": "127.0.0.1", "check_command": "dummy", "vars": {"bonding_primary": ["eth0"]}}))
    director.cli("service", "create", "bonding bond0", "--json", json.dumps({
        "host": NODE, "imports": ["bonding"], "check_interval": "2", "vars": {
            "bonding_bond": ["bond0"], "bonding_mode": "active-backup", "bonding_verbose": 2,
            "bonding_no_state": True, "bonding_timeout": 10, "bonding_failures_warning": "0",
            "bonding_root": str(example_root)}}))
    output = director.cli("config", "render")
    # the only config this Director has rendered
    assert director.sql("SELECT encode(checksum, 'hex') FROM director_generated_config") in output
    files = json.loads(director.sql(
        "SELECT json_object_agg(f.file_path, g.content) FROM director_generated_config_file f "
        "JOIN director_generated_file g ON g.checksum = f.file_checksum"))
    commands = files.get("zones.d/director-global/commands.conf", "")
    # the Director defines the command only where Icinga does not (twice would be an error)
    assert ('object CheckCommand "bonding"' in commands) != scenario[2]
    for path, content in files.items():
        (director.top / "rendered" / path).parent.mkdir(parents=True, exist_ok=True)
        (director.top / "rendered" / path).write_text(content)
    return director.top


def test_rendered_service_runs_the_check(rendered, run, plugin, example_root, start_daemon):
    command = icinga_command(rendered, "rendered.conf")
    validation = run([*command, "--validate"], merge_stderr=True)
    assert validation.returncode == 0, validation.stdout
    cache = rendered / "icinga2/cachedir/icinga2.debug"
    objects = {(o["type"], o["properties"]["__name"]): o["properties"]
               for o in read_netstrings(cache)}
    assert objects[("Service", f"{NODE}!bonding bond0")]["command_endpoint"] == NODE

    daemon = start_daemon([*command, "-x", "notice"], rendered / "rendered.out")
    daemon.wait_for(lambda log: "notice/Process: PID" in log and " terminated " in log,
                    timeout=60)
    daemon.stop()  # SIGTERM: Icinga writes its state file on shutdown
    state = read_netstrings(rendered / "icinga2/datadir/icinga2.state")
    recorded = next(o["update"]["last_check_result"] for o in state
                    if o["name"] == f"{NODE}!bonding bond0")
    # arguments ordered by key; -p from the host's bonding_primary; "0" kept
    assert recorded["command"] == [
        str(rendered / "plugins/check_bonding"), "--failures-warning", "0", "--no-state",
        "--root", str(example_root), "-b", "bond0", "-m", "active-backup", "-p", "eth0",
        "-t", "10", "-vv"]
    direct = run(recorded["command"], as_daemon_user=True, merge_stderr=True)
    text, perfdata = split_output(direct.stdout)
    assert recorded["exit_status"] == recorded["state"] == direct.returncode == 1
    assert [line.rstrip() for line in recorded["output"].split("\n")] == text
    assert recorded["performance_data"] == perfdata
    assert text[0].startswith("BONDING WARNING - bond0: eth0 down")
