"""One version everywhere: the package, the Debian changelog, the RPM spec."""
import re
from pathlib import Path

import check_bonding

REPO = Path(__file__).resolve().parents[1]


def test_debian_changelog_is_at_the_package_version():
    first = (REPO / 'debian/changelog').read_text().splitlines()[0]
    assert first.startswith(f'monitoring-plugins-bonding ({check_bonding.__version__}-'), first


def test_rpm_spec_is_at_the_package_version():
    spec = (REPO / 'rpm/nagios-plugins-bonding.spec').read_text()
    assert re.search(r'^Version:\s+(\S+)$', spec, re.M)[1] == check_bonding.__version__
