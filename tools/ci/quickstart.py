"""The README's quick start against an installed plugin: on a copy of
examples/seed-failover it must say what the README says ("The first line
says `...`, and the exit code is N").

    quickstart.py COMMAND...                 e.g. runuser -u nagios -- /usr/lib/.../check_bonding
    quickstart.py --pipx DIST_DIR PIPX_HOME  pipx-install the wheel with /usr/bin/python3 first
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.join(os.path.dirname(__file__), '..', '..')
EXAMPLE = os.path.join(TOP, 'examples', 'seed-failover')


def readme_says():
    with open(os.path.join(TOP, 'README.md')) as readme:
        said = re.search(r'The first line says `([^`]*)`, and the exit code is (\d)', readme.read())
    return said[1], int(said[2])


def check(command):
    top = tempfile.mkdtemp(prefix='check_bonding-quickstart-')
    try:
        os.chmod(top, 0o755)  # the plugin may run as nagios
        tree = shutil.copytree(EXAMPLE, os.path.join(top, 'seed-failover'))
        run = subprocess.run([*command, '--root', tree, '--no-state', '-v'], cwd='/',
                             capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(top)
    print(run.stdout + run.stderr, end='')
    first_line, code = readme_says()
    if run.returncode != code or not run.stdout.startswith(first_line):
        return f'{" ".join(command)}: exit {run.returncode}, expected {code} and "{first_line}..."'
    print(f'quick start: {" ".join(command)} says what the README says')
    return 0


def pipx(dist, home):
    wheel, = glob.glob(os.path.join(dist, 'check_bonding-*-py3-none-any.whl'))
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, 'PIPX_HOME': home, 'PIPX_BIN_DIR': os.path.join(home, 'bin')}
    subprocess.run(['pipx', 'install', '--python', '/usr/bin/python3', wheel],
                   env=env, check=True)
    return check([os.path.join(home, 'bin', 'check_bonding')])


if __name__ == '__main__':
    args = sys.argv[1:]
    sys.exit(pipx(*args[1:]) if args[:1] == ['--pipx'] else check(args))
