"""Names of users and groups for messages: pwd and grp are imported only when a
message needs one, and an id without a name is said as the number."""
from __future__ import annotations


def user_name(uid: int) -> str:
    import pwd
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f'uid {uid}'


def group_name(gid: int) -> str:
    import grp
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return f'gid {gid}'
