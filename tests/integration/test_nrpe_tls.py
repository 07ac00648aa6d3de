"""NRPE across hosts, over TLS with certificates both ways.

nrpe in one network namespace (the agent, 192.0.2.1) serving
contrib/nrpe/check_bonding.cfg, check_nrpe in another (the Nagios server,
192.0.2.254): a CA of the test signs the agent's certificate and the server's
client certificate, nrpe requires and verifies the client's (ssl_client_certs=2)
and check_nrpe the agent's, with no anonymous Diffie-Hellman either way.
"""

import subprocess

import pytest

from .test_nrpe import CHECK_NRPE, NRPE

pytestmark = pytest.mark.slow  # the fast lane (-m "not slow") leaves it out

PORT = 5666  # NRPE's own port: free in a namespace of the test
NRPE_CFG = """\
server_address={agent}
server_port={port}
allowed_hosts={server}
nrpe_user=nagios
nrpe_group=nagios
pid_file={workdir}/nrpe.pid
log_file={workdir}/nrpe.log
debug=1
command_timeout=60
ssl_version=TLSv1.2+
ssl_use_adh=0
ssl_cacert_file={tls}/ca.crt
ssl_cert_file={tls}/agent.crt
ssl_privatekey_file={tls}/agent.key
ssl_client_certs=2
include={workdir}/check_bonding.cfg
"""


def openssl(*argv, cwd):
    subprocess.run(["openssl", *argv], cwd=cwd, check=True, capture_output=True)


def certificates(tls, agent_address):
    """A CA, the agent's certificate (its address as subjectAltName) and the
    Nagios server's client certificate, all from `openssl`."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
            "/CN=check_bonding test CA", "-keyout", "ca.key", "-out", "ca.crt", cwd=tls)
    for name, extension in (("agent", f"subjectAltName=IP:{agent_address}"),
                            ("server", "extendedKeyUsage=clientAuth")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=tls)
        (tls / f"{name}.ext").write_text(extension + "\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "1", "-extfile", f"{name}.ext",
                "-out", f"{name}.crt", cwd=tls)


@pytest.fixture
def nrpe_tls(require_binary, contrib, plugin, example_root, workdir, daemon_dir, netns_pair,
             start_daemon):
    """nrpe with TLS in the agent's namespace; (check_nrpe argv in the server's
    namespace, without its certificate options; those options; the command line)."""
    require_binary(NRPE, "nagios-nrpe-server")
    require_binary(CHECK_NRPE, "nagios-nrpe-plugin")
    require_binary("/usr/bin/openssl", "openssl")
    server, agent = netns_pair
    tls = daemon_dir("tls")  # nrpe reads its key as nagios
    certificates(tls, agent.address)
    snippet = (contrib / "nrpe/check_bonding.cfg").read_text()
    line = "\ncommand[check_bonding]=/usr/lib/nagios/plugins/check_bonding"
    assert snippet.count(line) == 1, f"contrib/nrpe/check_bonding.cfg: no single {line!r}"
    command_line = f"{plugin} --root {example_root} --state-dir {daemon_dir('state')} -v"
    (workdir / "check_bonding.cfg").write_text(
        snippet.replace(line, f"\ncommand[check_bonding]={command_line}"))
    (workdir / "nrpe.cfg").write_text(NRPE_CFG.format(
        agent=agent.address, server=server.address, port=PORT, workdir=workdir, tls=tls))
    daemon = start_daemon(agent.cmd(NRPE, "-c", workdir / "nrpe.cfg", "-f"),
                          workdir / "nrpe.out")
    log = workdir / "nrpe.log"
    daemon.wait_for(lambda _: log.exists() and "Listening for connections" in log.read_text())
    check_nrpe = server.cmd(CHECK_NRPE, "-H", agent.address, "-p", PORT, "-S", "TLSv1.2+",
                            "-d", "0", "-c", "check_bonding")
    with_certificate = ["-A", tls / "ca.crt", "-C", tls / "server.crt", "-K", tls / "server.key"]
    return check_nrpe, [str(a) for a in with_certificate], command_line


def test_the_check_passes_through_tls_unchanged(nrpe_tls, run, workdir):
    check_nrpe, certificate, command_line = nrpe_tls
    direct_run = ["/bin/sh", "-c", command_line]  # as NRPE runs it: through sh, as nagios
    run(direct_run, as_daemon_user=True)  # the first run in a state dir records the baseline
    remote = run([*check_nrpe, *certificate])
    direct = run(direct_run, as_daemon_user=True)
    assert "|" in direct.stdout and len(direct.stdout.splitlines()) > 2, direct.stdout
    assert (remote.returncode, remote.stdout) == (direct.returncode, direct.stdout)
    assert "SSL/TLS initialized" in (workdir / "nrpe.log").read_text()


def test_a_server_without_a_client_certificate_is_refused(nrpe_tls, run, workdir):
    check_nrpe, certificate, _ = nrpe_tls
    without = certificate[:2]  # trusts the CA, shows no certificate of its own
    remote = run([*check_nrpe, *without], merge_stderr=True)
    assert remote.returncode in (2, 3) and not remote.stdout.startswith("BONDING"), remote.stdout
    assert "Could not complete SSL handshake with 192.0.2.254" in (workdir / "nrpe.log").read_text()


def test_an_agent_the_ca_did_not_sign_is_refused(nrpe_tls, run, workdir):
    check_nrpe, certificate, _ = nrpe_tls
    other = workdir / "other-ca"
    other.mkdir()
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
            "/CN=another CA", "-keyout", "ca.key", "-out", "ca.crt", cwd=other)
    remote = run([*check_nrpe, "-A", other / "ca.crt", *certificate[2:]], merge_stderr=True)
    assert remote.returncode in (2, 3) and "Could not complete SSL handshake" in remote.stdout, (
        remote.stdout)
