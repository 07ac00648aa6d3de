"""The command line record (options.py): constants it copies to keep -h light."""
from check_bonding import expect, options
from check_bonding.drift import predict


def test_expect_keys_are_the_expect_modules_keys():
    assert options.EXPECT_KEYS == expect.KEYS


def test_config_sources_are_the_readers_sources_plus_auto():
    assert options.CONFIG_SOURCES == ('auto', *predict.SOURCES)
