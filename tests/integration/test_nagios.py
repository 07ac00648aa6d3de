"""Nagios 4: contrib/nagios/check_bonding.cfg on top of Debian's stock objects."""

import re

import pytest

pytestmark = pytest.mark.slow  # the fast lane (-m "not slow") leaves it out


NAGIOS4 = "/usr/sbin/nagios4"

# Debian's /etc/nagios4/nagios.cfg object files, our file, an NRPE host; own paths.
NAGIOS_CFG = """\
cfg_file=/etc/nagios4/objects/commands.cfg
cfg_file=/etc/nagios4/objects/contacts.cfg
cfg_file=/etc/nagios4/objects/timeperiods.cfg
cfg_file=/etc/nagios4/objects/templates.cfg
cfg_file=/etc/nagios4/objects/localhost.cfg
cfg_dir=/etc/nagios-plugins/config
cfg_file={contrib_file}
cfg_file={tmp}/hosts.cfg
resource_file=/etc/nagios4/resource.cfg
log_file={tmp}/nagios.log
status_file={tmp}/status.dat
object_cache_file={tmp}/objects.cache
precached_object_file={tmp}/objects.precache
lock_file={tmp}/nagios.pid
temp_file={tmp}/nagios.tmp
temp_path={tmp}
check_result_path={tmp}
state_retention_file={tmp}/retention.dat
check_external_commands=0
illegal_macro_output_chars=`~$&|'"<>
"""
HOSTS_CFG = """\
define host {
    use         linux-server
    host_name   agent1
    address     127.0.0.1
    hostgroups  bonding-nrpe
}
"""


def read_precache(path):
    """{object type: [{directive: value}]} from nagios' precached object file."""
    objects = {}
    for kind, body in re.findall(r"define (\w+) \{\n(.*?)\n\s*\}", path.read_text(), re.S):
        fields = dict(line.strip().split("\t", 1) for line in body.splitlines() if line.strip())
        objects.setdefault(kind, []).append(fields)
    return objects


def validated(run, workdir, contrib_file, hosts=""):
    """``nagios4 -v -p`` on the stock objects, the contrib file and `hosts`: clean,
    or the test fails; the resolved objects (-p writes them) by type."""
    # workdir, not tmp_path: nagios4 -v reads the config as the nagios user
    (workdir / "hosts.cfg").write_text(hosts)
    (workdir / "nagios.cfg").write_text(NAGIOS_CFG.format(contrib_file=contrib_file, tmp=workdir))
    result = run([NAGIOS4, "-v", "-p", workdir / "nagios.cfg"], merge_stderr=True)
    assert result.returncode == 0, result.stdout
    assert "Total Warnings: 0" in result.stdout and "Total Errors:   0" in result.stdout
    return read_precache(workdir / "objects.precache")


def bonding_services(objects):
    return {s["host_name"]: s["check_command"].split("!")
            for s in objects["service"] if s["service_description"] == "Bonding"}


def test_nagios_accepts_contrib_objects(require_binary, contrib, workdir, run):
    require_binary(NAGIOS4, "nagios4-core")
    objects = validated(run, workdir, contrib / "nagios/check_bonding.cfg", HOSTS_CFG)
    services = bonding_services(objects)
    commands = {c["command_name"]: c["command_line"] for c in objects["command"]}
    nrpe_cfg = (contrib / "nrpe/check_bonding.cfg").read_text()
    nrpe_commands = re.findall(r"^command\[(\w+)\]=", nrpe_cfg, re.M)
    assert set(services) == {"agent1"}  # nothing on the Nagios server unless asked for
    assert commands["check_bonding"].startswith("$USER1$/check_bonding ")
    assert services["agent1"] == ["check_nrpe", *nrpe_commands]
    assert "-c $ARG1$" in commands["check_nrpe"]


def test_as_copied_it_validates_clean_and_checks_nothing(require_binary, contrib, workdir, run):
    """No host in the hostgroup yet, and the Nagios server's own service commented out:
    no bonding service at all (once, the stock localhost was CRITICAL without a bond0)."""
    require_binary(NAGIOS4, "nagios4-core")
    assert bonding_services(validated(run, workdir, contrib / "nagios/check_bonding.cfg")) == {}


def test_the_commented_local_service_validates_once_uncommented(require_binary, contrib,
                                                                 workdir, run):
    require_binary(NAGIOS4, "nagios4-core")
    text = (contrib / "nagios/check_bonding.cfg").read_text()
    block = re.search(r"^#define service \{\n(#.*\n)*?#\}\n", text, re.M)[0]
    (workdir / "local.cfg").write_text(text.replace(block, re.sub(r"^#", "", block, flags=re.M)))
    services = bonding_services(validated(run, workdir, workdir / "local.cfg"))
    assert services == {"localhost": ["check_bonding", "-b bond0 -p eth0"]}
