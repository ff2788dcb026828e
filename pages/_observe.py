"""Running the chosen page, counted and timed by page for the metrics (no personal data: the
page's address only). An unexpected error is not caught here: under the launcher, st.App's
``on_script_error`` (portal/web.py) shows a plain apology with a reference number and logs the
trace under it; under AppTest the error stays visible to the test."""

from __future__ import annotations

import time
from typing import Any

from pages import _registry as screens
from pages._ui import database_guard
from portal import metrics


def run_page(navigation: Any) -> None:
    """Run the page ``st.navigation`` chose, inside the database guard, timed and counted."""
    page = (getattr(navigation, "url_path", "") or "home")[:60]
    started = time.perf_counter()
    try:
        database_guard(screens.run, navigation)
    finally:
        metrics.PAGE_RUNS.labels(page=page).inc()
        metrics.PAGE_SECONDS.labels(page=page).observe(time.perf_counter() - started)
