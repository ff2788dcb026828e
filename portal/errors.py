"""Unexpected errors: a plain apology with a reference number for the person, the trace in the
server log under that number (JSON lines, portal/web.py). Imports nothing from the project but
the metrics, so every layer that shows or serves a page can use it."""

from __future__ import annotations

import logging
import secrets

from portal import metrics

APOLOGY = (
    "Sorry, something went wrong on our side and this page could not be shown. "
    "Anything you had already saved is safe. If it happens again, tell your administrator the reference {reference}."
)

_log = logging.getLogger("pqp.errors")


def log_error(error: BaseException, where: str) -> str:
    """Log an unexpected error with its trace under a new reference number; return the number."""
    reference = secrets.token_hex(4).upper()
    metrics.PAGE_ERRORS.inc()
    _log.error(
        "unexpected error in %s",
        where,
        exc_info=(type(error), error, error.__traceback__),
        extra={"reference": reference},
    )
    return reference


def apology(reference: str) -> str:
    return APOLOGY.format(reference=reference)
