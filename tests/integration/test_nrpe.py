"""NRPE: contrib/nrpe/check_bonding.cfg served by nrpe, queried with check_nrpe."""

import re

import pytest

pytestmark = pytest.mark.slow  # the fast lane (-m "not slow") leaves it out

NRPE = "/usr/sbin/nrpe"
CHECK_NRPE = "/usr/lib/nagios/plugins/check_nrpe"

NRPE_CFG = """\
server_address=127.0.0.1
server_port={port}
allowed_hosts=127.0.0.1
nrpe_user=nagios
nrpe_group=nagios
pid_file={workdir}/nrpe.pid
log_file={workdir}/nrpe.log
debug=1
command_timeout=60
# only to show that Debian's build refuses arguments anyway (see the contrib file)
dont_blame_nrpe=1
include={workdir}/check_bonding.cfg
"""


@pytest.fixture
def nrpe(require_binary, contrib, plugin, example_root, workdir, daemon_dir, free_port,
         start_daemon):
    """nrpe on 127.0.0.1 serving the contrib commands with the test plugin and tree.

    Returns (check_nrpe command prefix, command line of command[check_bonding]).
    """
    require_binary(NRPE, "nagios-nrpe-server")
    require_binary(CHECK_NRPE, "nagios-nrpe-plugin")
    snippet = (contrib / "nrpe/check_bonding.cfg").read_text()
    # the argument-free command and the commented $ARG1$ variant, pointed at the test plugin
    test_plugin = f"{plugin} --root {example_root} --state-dir {daemon_dir('state')} -v"
    for prefix in ("command[check_bonding]=", "#command[check_bonding_args]="):
        line = f"\n{prefix}/usr/lib/nagios/plugins/check_bonding"
        assert snippet.count(line) == 1, f"contrib/nrpe/check_bonding.cfg: no single {line!r}"
        snippet = snippet.replace(line, f"\n{prefix.lstrip('#')}{test_plugin}")
    (workdir / "check_bonding.cfg").write_text(snippet)
    (workdir / "nrpe.cfg").write_text(NRPE_CFG.format(port=free_port, workdir=workdir))

    daemon = start_daemon([NRPE, "-c", workdir / "nrpe.cfg", "-f"], workdir / "nrpe.out")
    daemon.wait_for_port(free_port)
    command_line = re.search(r"^command\[check_bonding\]=(.*)$", snippet, re.M)[1]
    return [CHECK_NRPE, "-H", "127.0.0.1", "-p", free_port], command_line


def test_output_passes_through(nrpe, run):
    check_nrpe, command_line = nrpe
    # NRPE runs the line through /bin/sh as nagios and drops stderr
    direct_run = ["/bin/sh", "-c", command_line]
    run(direct_run, as_daemon_user=True)  # the first run in a state dir reports the new baseline
    remote = run([*check_nrpe, "-c", "check_bonding"])
    direct = run(direct_run, as_daemon_user=True)
    assert "|" in direct.stdout and len(direct.stdout.splitlines()) > 2, (
        f"expected perfdata and long output from the example:\n{direct.stdout}")
    assert (remote.returncode, remote.stdout) == (direct.returncode, direct.stdout)


def test_debian_nrpe_refuses_arguments(nrpe, run, workdir):
    check_nrpe, _ = nrpe
    remote = run([*check_nrpe, "-c", "check_bonding_args", "-a", "-v"])
    assert remote.returncode == 3, remote.stdout
    assert "Request contained command arguments" in (workdir / "nrpe.log").read_text()
