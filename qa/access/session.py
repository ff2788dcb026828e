"""Small facts the entrypoint needs before anyone is signed in."""

from __future__ import annotations

from db.engine import session_scope
from qa.settings import DEMO_FLAG, get_flag


def is_demo_organisation() -> bool:
    with session_scope() as session:
        return get_flag(session, DEMO_FLAG) == "true"
