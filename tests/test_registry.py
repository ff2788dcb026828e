"""The screen registry (pages/_registry.py) is the only place a screen's file is named."""

from __future__ import annotations

import re
from pathlib import Path

from db.organisation import Role
from pages import _registry as screens
from qa.records import RecordKind, RecordRef

ROOT = Path(__file__).resolve().parent.parent


def test_every_screen_file_exists_and_every_page_file_is_a_screen():
    files = {screen.file for screen in screens.every_screen()}
    for file in files:
        assert (ROOT / file).is_file(), file
    on_disk = {f"pages/{path.name}" for path in (ROOT / "pages").glob("*.py") if not path.name.startswith("_")}
    assert on_disk == files


def test_page_files_follow_one_naming_scheme():
    """<domain>_<what>.py, where the domain is a qa/ package (or home, for the landing pages)."""
    domains = {path.name for path in (ROOT / "qa").iterdir() if (path / "__init__.py").is_file()} | {"home"}
    for screen in screens.every_screen():
        name = Path(screen.file).stem
        assert name.split("_")[0] in domains, name


def test_addresses_and_titles_are_unique():
    every = screens.every_screen()
    assert len({screen.url_path for screen in every}) == len(every)
    assert len({screen.title for screen in every}) == len(every)


def test_every_menu_screen_is_reachable_by_some_role():
    roles_with_a_menu = {role for section in screens.MENU for role in (section.roles or tuple(Role))}
    assert roles_with_a_menu == set(Role)
    in_menu = {entry.screen for section in screens.MENU for entry in section.entries}
    # Only the two screens shown before anyone is signed in stay out of the menu.
    assert set(screens.every_screen()) - in_menu == {screens.SIGN_IN, screens.FIRST_RUN}


def test_every_record_a_service_can_point_at_has_a_screen():
    """qa/ returns a RecordRef; the UI must know where each kind it uses opens."""
    used = set()
    for path in (ROOT / "qa").rglob("*.py"):
        used |= {RecordKind[name] for name in re.findall(r"RecordRef\(RecordKind\.([A-Z_]+)", path.read_text())}
    assert used, "no service points at a record any more: this test has nothing to check"
    assert used <= set(screens.RECORD_SCREENS)
    assert RecordRef(RecordKind.CASE_AUDIT, 1).kind in screens.RECORD_SCREENS


def test_the_domain_layer_never_names_a_screen():
    for path in (ROOT / "qa").rglob("*.py"):
        text = path.read_text()
        # A quoted path to a screen file; comments may still mention pages/_ui and the like.
        assert not re.search(r"[\"']pages/[a-z]", text), path
        assert "import streamlit" not in text and "from streamlit" not in text, path
