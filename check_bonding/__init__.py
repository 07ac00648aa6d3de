"""check_bonding: a Nagios/Icinga plugin that tells whether a Linux bond is redundant."""
__version__ = '1.0.0'
