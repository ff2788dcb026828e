"""Accessibility rules that need no browser (issue 16; the axe check is tests/browser/test_accessibility.py)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from pages import _charts as charts
from pages import _registry as screens

ROOT = Path(__file__).resolve().parent.parent
STATEMENT = ROOT / "docs" / "ACCESSIBILITY.md"
ALLOWLIST = ROOT / "tests" / "browser" / "axe_allowlist.toml"
#: Emoji and pictographs (and the arrows and shapes that browsers draw as emoji).
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u25a0-\u25ff\ufe0f]")


def contrast(colour: str, background: str = "#ffffff") -> float:
    def luminance(hex_colour: str) -> float:
        r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted([luminance(colour), luminance(background)], reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("path", [*sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py"], ids=lambda p: p.name)
def test_no_emoji_in_the_screens(path):
    """Icons are Material icons (":material/name:"): emoji show as boxes without an emoji font and read oddly."""
    found = [
        f"line {n}: {line.strip()}" for n, line in enumerate(path.read_text().splitlines(), 1) if EMOJI.search(line)
    ]
    assert not found, f"{path.name} has emoji: {found}"


def test_every_screen_has_a_material_icon():
    assert all(re.fullmatch(r":material/[a-z0-9_]+:", s.icon) for s in screens.every_screen())


def test_every_page_title_names_the_page_then_the_portal():
    assert screens.document_title("My home") == "My home – Practice Quality Portal"
    assert screens.document_title("Users", error=True) == "Error: Users – Practice Quality Portal"


def test_chart_colours_reach_3_to_1_and_chart_text_4_5_to_1():
    assert contrast(charts.TEXT) >= 4.5
    for colour in [*charts.PALETTE, charts.SELF_COLOUR, charts.OBSERVER_COLOUR, charts.SPREAD_COLOUR]:
        assert contrast(colour) >= 3, colour
    assert all(contrast(c) >= 3 for c in charts.VERDICT_COLOURS.range)
    assert len(set(charts.PALETTE)) == len(charts.SHAPES) == len(charts.DASHES), "each series has its shape and dash"


def test_every_chart_has_a_description_and_accessible_text():
    rows = [{"month": "2026-11", "section": "Planning", "share": 0.5, "judged": 6}]
    spec = charts.sufficiency_by_month(rows).to_dict()
    assert "data table under the chart" in spec["description"]
    assert spec["config"]["axis"]["labelColor"] == charts.TEXT
    assert "strokeDash" in spec["encoding"] and "shape" in spec["encoding"]


def test_the_allow_list_matches_the_statement():
    """Every framework violation the axe check allows is named in the statement, with its WCAG criterion."""
    statement = STATEMENT.read_text(encoding="utf-8")
    entries = tomllib.loads(ALLOWLIST.read_text(encoding="utf-8"))["allowed"]
    assert entries
    for entry in entries:
        assert entry["reason"] and entry["container"].startswith("st"), entry
        assert f"**{entry['statement']}.**" in statement, f"the statement has no item '{entry['statement']}'"
        item = statement.split(f"**{entry['statement']}.**", 1)[1].split("\n- ", 1)[0]
        assert entry["wcag"] in item, f"'{entry['statement']}' in the statement does not name WCAG {entry['wcag']}"


def test_the_statement_follows_the_model_and_says_when_it_was_tested():
    statement = STATEMENT.read_text(encoding="utf-8")
    for heading in (
        "## How accessible this service is",
        "## Reporting accessibility problems with this service",
        "## Enforcement procedure",
        "## Non-accessible content",
        "## Preparation of this accessibility statement",
    ):
        assert heading in statement
    assert "last tested on 7 December 2026" in statement
