"""The dashboard benchmark's tiny mode: the portal's figures equal hand-written SQL and pandas, on a tiny region.

Timings are never asserted; this checks only that every view the benchmark times gives the same figures
three ways, and that a hand-written query that forgets one of the portal's filters is caught.
"""

from __future__ import annotations

from datetime import date

import pytest

from bench import dashboard_benchmark as benchmark
from bench import dashboard_reference as reference
from bench import generate_region as gen
from db import engine as db_engine

TODAY = date(2026, 10, 20)  # inside the generated five years, so every view has figures


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('dashbench') / 'region.db'}"
    assert gen.main(["--database-url", url, "--scale", "0.01"]) == 0  # the key comes from tests/conftest.py
    yield url
    db_engine.get_engine(url).dispose()
    db_engine.configure(None)


def test_every_view_gives_the_same_figures_three_ways(region):
    assert benchmark.main(["--database-url", region, "--tiny", "--today", TODAY.isoformat()]) == 0


def test_the_comparisons_cover_every_role_tab_and_the_home_queue(region):
    db_engine.configure(region)
    found = benchmark.comparisons(TODAY, with_pandas=False)
    assert {c.role for c in found} == {"spo", "qa_lead", "admin"}
    assert {c.tab for c in found} >= {*benchmark.TABS, "work queue"}
    assert {"default", "one team", "home"} <= {c.view for c in found if c.role == "qa_lead"}
    admin_audits = next(c for c in found if c.role == "admin" and c.view == "default" and c.tab == "audit")
    assert admin_audits.sql()["audits"] > 0  # the views are not empty


def test_a_hand_query_that_forgets_the_moderation_filter_is_caught(region, monkeypatch):
    db_engine.configure(region)
    monkeypatch.setattr(reference, "NOT_MODERATION", "1 = 1")  # blind second audits counted as well
    found = [c for c in benchmark.comparisons(TODAY, with_pandas=False) if c.tab == "audit" and c.role == "admin"]
    with pytest.raises(benchmark.FiguresDiffer, match="audits"):
        benchmark.check(found)
