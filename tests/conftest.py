"""pytest's shared fixtures; the helpers themselves are in helpers.py."""
import os

import pytest
from hypothesis import settings

from helpers import run_check

# CI replays the same examples every run (HYPOTHESIS_PROFILE=ci in tox.ini), so
# a landing never depends on luck, and keeps no example database (stages run
# at once from one checkout); by hand, each run explores new ones.
settings.register_profile('ci', derandomize=True, database=None)
settings.load_profile(os.environ.get('HYPOTHESIS_PROFILE', 'default'))


@pytest.fixture
def check(tmp_path):
    """run_check with its own state directory (unless argv says where, or none)."""
    def run(*argv, clock=None):
        own = [] if {'--state-dir', '--no-state'} & set(map(str, argv)) else [
            '--state-dir', tmp_path / 'state']
        return run_check([*own, *argv], clock)
    return run


@pytest.fixture
def state_dir(tmp_path):
    return tmp_path / 'state'
