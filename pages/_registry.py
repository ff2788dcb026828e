"""Every screen of the portal, named once, and the menu each role sees.

app.py builds its navigation from :data:`MENU`; pages link with :meth:`Screen.link`
and tests open screens by ``Screen.file``. Nothing else in the project spells a
screen's file name.

Why records and not ``st.Page`` objects: ``st.Page`` resolves its file against the
running script, so it can only be built inside a script run. :meth:`Screen.page`
builds it there, from this one definition.

Why the folder is still called ``pages/``: the project's layout requires it. Streamlit
treats a ``pages/`` folder beside the entrypoint as the old (v1) multipage mode and, on
a fresh server's first request, may list or run these files by name (it strips a
leading underscore, so ``_ui.py`` is listed as "ui"). Every screen therefore checks the
signed-in user itself (``pages/_ui.current_actor``), no two files may share a name once
the underscore is gone (tests/test_pages.py checks), and the AppTest fixture in
``tests/conftest.py`` pins the navigation mode the live server uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NoReturn

import streamlit as st

from db.organisation import Role
from qa.records import RecordKind, RecordRef

#: The portal's name: after each page's own name in the browser's title bar.
PORTAL = "Practice Quality Portal"
_TITLE_KEY = "page_title"


def document_title(page_title: str, *, error: bool = False) -> str:
    """The title a browser tab shows and a screen reader announces first (WCAG 2.4.2 Page Titled):
    "Page – Practice Quality Portal", with "Error: " in front while a form on the page shows errors."""
    return f"{'Error: ' if error else ''}{page_title} – {PORTAL}"


#: The global stylesheet (static/portal.css: the focus style, target sizes), a same-origin static file
#: (.streamlit/config.toml enableStaticServing). The address is relative, so it also works under a
#: server.baseUrlPath; style-only HTML goes to Streamlit's event container and takes no space.
STYLESHEET = "<style>@import url('app/static/portal.css');</style>"


def run(page: Any) -> None:
    """Run the page ``st.navigation`` chose, its browser title set from its menu title first.

    Streamlit titles the tab with the page's menu title only until ``st.set_page_config`` sets a
    title; after that it keeps the configured one, so each run sets it here, from the one registry."""
    st.session_state[_TITLE_KEY] = page.title
    st.set_page_config(page_title=document_title(page.title))
    st.html(STYLESHEET)
    page.run()


def title_as_error() -> None:
    """Put "Error: " in front of this page's browser title: a form on it shows errors this run."""
    title = st.session_state.get(_TITLE_KEY)
    if title:
        st.set_page_config(page_title=document_title(title, error=True))


@dataclass(frozen=True)
class Screen:
    """One screen: its file under pages/, menu title, icon and address."""

    file: str
    title: str
    icon: str
    url_path: str

    def page(self, *, default: bool = False, visible: bool = True) -> Any:
        """The ``st.Page`` for this screen (only inside a script run)."""
        visibility: Literal["visible", "hidden"] = "visible" if visible else "hidden"
        return st.Page(
            self.file, title=self.title, icon=self.icon, url_path=self.url_path, default=default, visibility=visibility
        )

    def link(
        self,
        label: str | None = None,
        *,
        query: dict[str, Any] | None = None,
        icon: str | None = None,
        container: Any = None,
        help: str | None = None,
    ) -> None:
        """A link to this screen, in ``container`` (a column, say) or the page body."""
        (container or st).page_link(
            self.file, label=label or self.title, icon=icon or self.icon, query_params=query, help=help
        )


HOME_PRACTITIONER = Screen("pages/home_practitioner.py", "My home", ":material/home:", "home")
HOME_SPO = Screen("pages/home_spo.py", "Team home", ":material/groups:", "team")
HOME_QA = Screen("pages/home_qa.py", "PDU overview", ":material/assignment:", "pdu")
HOME_ADMIN = Screen("pages/home_admin.py", "Admin home", ":material/folder_managed:", "admin")
AUDIT_FEEDBACK_MINE = Screen(
    "pages/audits_feedback_mine.py", "Audit feedback on my cases", ":material/inbox:", "my-feedback"
)
AUDIT_FEEDBACK_TEAM = Screen(
    "pages/audits_feedback_team.py", "Team audit feedback", ":material/sticky_note_2:", "team-feedback"
)
AUDIT_CASE = Screen("pages/audits_case.py", "Case audit", ":material/description:", "audit")
AUDITS_MINE = Screen("pages/audits_mine.py", "My audits", ":material/edit_note:", "my-audits")
AUDIT_EVENTS = Screen("pages/audits_events.py", "Audit events", ":material/event:", "events")
AUDIT_EVENT = Screen("pages/audits_event.py", "Audit event", ":material/event:", "event")
AUDIT_ROTA = Screen("pages/audits_rota.py", "LEARN rota", ":material/autorenew:", "rota")
URGENT_CONCERNS = Screen("pages/audits_concerns.py", "Urgent concerns", ":material/e911_emergency:", "concerns")
LEARNING_THEMES = Screen("pages/audits_themes.py", "Learning themes", ":material/label:", "themes")
QUESTION_SETS = Screen("pages/audits_question_sets.py", "Audit question sets", ":material/quiz:", "instruments")
IMPORT_CASES = Screen("pages/organisation_import_cases.py", "Import cases", ":material/upload_file:", "import-cases")
IMPORT_STAFF = Screen("pages/organisation_import_staff.py", "Import staff", ":material/upload_file:", "import-staff")
USERS = Screen("pages/organisation_users.py", "Users", ":material/manage_accounts:", "users")
PDUS_AND_TEAMS = Screen("pages/organisation_units.py", "PDUs and teams", ":material/domain:", "organisation")
SETTINGS = Screen("pages/organisation_settings.py", "Settings", ":material/tune:", "settings")
OUTBOX = Screen("pages/organisation_outbox.py", "Outbox", ":material/outbox:", "outbox")
SUPPORT_CONTACTS = Screen(
    "pages/reflection_support_contacts.py", "Support contacts", ":material/handshake:", "support-contacts"
)
AUDIT_TRAIL = Screen("pages/access_trail.py", "Audit trail", ":material/receipt_long:", "audit-trail")
MY_DEVELOPMENT = Screen(
    "pages/observations_mine.py", "My observations and development", ":material/school:", "my-development"
)
OBSERVING = Screen("pages/observations_observing.py", "Observations I do", ":material/visibility:", "observing")
PLAN_OBSERVATION = Screen(
    "pages/observations_plan.py", "Plan an observation", ":material/calendar_month:", "plan-observation"
)
TEAM_OBSERVATIONS = Screen(
    "pages/observations_team.py", "Team observations", ":material/visibility:", "team-observations"
)
OBSERVATION_COVERAGE = Screen(
    "pages/observations_coverage.py",
    "Observation coverage and calibration",
    ":material/track_changes:",
    "observation-coverage",
)
OBSERVATION = Screen("pages/observations_session.py", "Observation", ":material/visibility:", "observation")
JOURNAL = Screen("pages/reflection_journal.py", "My reflective journal", ":material/book_2:", "journal")
JOURNAL_NOTE = Screen("pages/reflection_note.py", "Journal note", ":material/book_2:", "note")
DEBRIEF = Screen("pages/reflection_debrief.py", "Quick debrief", ":material/spa:", "debrief")
MY_WELLBEING = Screen("pages/reflection_wellbeing.py", "My wellbeing", ":material/monitoring:", "my-wellbeing")
SHARED_WITH_ME = Screen(
    "pages/reflection_shared_with_me.py", "Shared with me", ":material/handshake:", "shared-with-me"
)
MY_SUPERVISION = Screen("pages/supervision_mine.py", "My supervision", ":material/sticky_note_2:", "my-supervision")
SUPERVISION_RECORD = Screen(
    "pages/supervision_record.py", "Supervision record", ":material/sticky_note_2:", "supervision-record"
)
SUPERVISION_TEAM = Screen("pages/supervision_team.py", "Supervision", ":material/record_voice_over:", "supervision")
SUPERVISION_CADENCE = Screen(
    "pages/supervision_cadence.py", "Supervision cadence", ":material/calendar_month:", "cadence"
)
DASHBOARDS = Screen("pages/dashboards_view.py", "Dashboards", ":material/bar_chart:", "dashboards")
MEETING_MODE = Screen("pages/dashboards_meeting.py", "Meeting mode", ":material/present_to_all:", "meeting")
MY_ACCOUNT = Screen("pages/access_account.py", "My account", ":material/settings:", "account")
NOTIFICATIONS = Screen("pages/notifications_inbox.py", "Notifications", ":material/notifications:", "notifications")
NOTIFICATION_PREFERENCES = Screen(
    "pages/notifications_preferences.py",
    "Notification preferences",
    ":material/notifications_active:",
    "notification-preferences",
)
WHO_VIEWED = Screen("pages/access_who_viewed.py", "Who has viewed my records", ":material/search:", "who-viewed")
ACCESSIBILITY = Screen(
    "pages/access_accessibility.py", "Accessibility", ":material/accessibility_new:", "accessibility"
)
SIGN_IN = Screen("pages/access_sign_in.py", "Sign in", ":material/key:", "sign_in")
FIRST_RUN = Screen("pages/access_first_run.py", "Create the first administrator", ":material/build:", "first_run")


@dataclass(frozen=True)
class MenuEntry:
    screen: Screen
    #: Hidden screens are not in the menu; they open from links (a record, a mode).
    shown: bool = True


@dataclass(frozen=True)
class MenuSection:
    title: str
    #: Who sees the section: any of these roles, or every signed-in user when None.
    roles: tuple[Role, ...] | None
    entries: tuple[MenuEntry, ...]


#: Anyone with a practice role.
STAFF = (Role.PRACTITIONER, Role.SPO, Role.QA_LEAD)

#: The menu, in order. The first screen of a user's first section is their home;
#: a screen two of a user's roles share appears once, in the first section.
MENU: tuple[MenuSection, ...] = (
    MenuSection(
        "My practice",
        (Role.PRACTITIONER,),
        (
            MenuEntry(HOME_PRACTITIONER),
            MenuEntry(AUDIT_FEEDBACK_MINE),
            MenuEntry(MY_DEVELOPMENT),
        ),
    ),
    MenuSection(
        "My team",
        (Role.SPO,),
        (
            MenuEntry(HOME_SPO),
            MenuEntry(AUDIT_FEEDBACK_TEAM),
            MenuEntry(TEAM_OBSERVATIONS),
            MenuEntry(SUPERVISION_TEAM),
            MenuEntry(DASHBOARDS),
            MenuEntry(MEETING_MODE, shown=False),
        ),
    ),
    MenuSection(
        "Quality assurance",
        (Role.QA_LEAD,),
        (
            MenuEntry(HOME_QA),
            MenuEntry(AUDIT_EVENTS),
            MenuEntry(AUDIT_EVENT, shown=False),
            MenuEntry(AUDIT_ROTA),
            MenuEntry(URGENT_CONCERNS),
            MenuEntry(IMPORT_CASES),
            MenuEntry(LEARNING_THEMES),
            MenuEntry(OBSERVATION_COVERAGE),
            MenuEntry(SUPERVISION_CADENCE),
            MenuEntry(DASHBOARDS),
            MenuEntry(MEETING_MODE, shown=False),
        ),
    ),
    MenuSection(
        "Administration",
        (Role.ADMIN,),
        (
            MenuEntry(HOME_ADMIN),
            MenuEntry(USERS),
            MenuEntry(PDUS_AND_TEAMS),
            MenuEntry(IMPORT_STAFF),
            MenuEntry(IMPORT_CASES),
            MenuEntry(QUESTION_SETS),
            MenuEntry(SETTINGS),
            MenuEntry(OUTBOX),
            MenuEntry(SUPPORT_CONTACTS),
            MenuEntry(AUDIT_TRAIL),
            MenuEntry(DASHBOARDS),
            MenuEntry(MEETING_MODE, shown=False),
        ),
    ),
    MenuSection(
        "My space (private)",
        STAFF,
        (
            MenuEntry(JOURNAL),
            MenuEntry(JOURNAL_NOTE, shown=False),
            MenuEntry(DEBRIEF),
            MenuEntry(MY_WELLBEING),
            MenuEntry(SHARED_WITH_ME),
        ),
    ),
    MenuSection(
        "Supervision records",
        STAFF,
        (
            MenuEntry(MY_SUPERVISION),
            MenuEntry(SUPERVISION_RECORD, shown=False),
        ),
    ),
    MenuSection(
        "LEARN audits",
        STAFF,
        (
            MenuEntry(AUDITS_MINE),
            MenuEntry(AUDIT_CASE, shown=False),
        ),
    ),
    MenuSection(
        "Observation",
        STAFF,
        (
            MenuEntry(OBSERVING),
            MenuEntry(PLAN_OBSERVATION),
            MenuEntry(OBSERVATION, shown=False),
        ),
    ),
    MenuSection(
        "Account",
        None,
        (
            MenuEntry(MY_ACCOUNT),
            MenuEntry(NOTIFICATIONS),
            MenuEntry(NOTIFICATION_PREFERENCES),
            MenuEntry(WHO_VIEWED),
            MenuEntry(ACCESSIBILITY),
        ),
    ),
)

#: Where a record opens, and the query parameter that names it.
RECORD_SCREENS: dict[RecordKind, tuple[Screen, str]] = {
    RecordKind.CASE_AUDIT: (AUDIT_CASE, "audit"),
    RecordKind.FEEDBACK_SHEET: (AUDIT_CASE, "audit"),
    RecordKind.OBSERVATION: (OBSERVATION, "observation"),
    RecordKind.SHARED_NOTE: (JOURNAL_NOTE, "note"),
    RecordKind.SUPERVISION_SESSION: (SUPERVISION_RECORD, "session"),
    # What the home pages' work queues point at (qa/worklist.py). An empty parameter: the screen itself.
    RecordKind.SHARED_DEBRIEF: (SHARED_WITH_ME, "debrief"),
    RecordKind.SUPPORT_REQUEST: (SHARED_WITH_ME, "request"),
    RecordKind.AUDIT_EVENT: (AUDIT_EVENT, "event"),
    RecordKind.SUPERVISEE: (SUPERVISION_TEAM, "person"),
    RecordKind.OBSERVATION_TO_PLAN: (PLAN_OBSERVATION, "practitioner"),
    RecordKind.USER: (USERS, "user"),
    RecordKind.PDU_OBSERVATION_COVERAGE: (OBSERVATION_COVERAGE, "pdu"),
    RecordKind.PDU_SUPERVISION_CADENCE: (SUPERVISION_CADENCE, "pdu"),
    RecordKind.SETTINGS: (SETTINGS, ""),
    RecordKind.SUPPORT_CONTACTS: (SUPPORT_CONTACTS, ""),
}


#: Where the whole of a home-page queue (qa/worklist.py, by its key) can be seen when it is long.
QUEUE_SCREENS: dict[str, Screen] = {
    "feedback_to_reply": AUDIT_FEEDBACK_MINE,
    "actions_due": AUDIT_FEEDBACK_MINE,
    "observations": MY_DEVELOPMENT,
    "team_observations": TEAM_OBSERVATIONS,
    "goals": MY_DEVELOPMENT,
    "records_to_confirm": MY_SUPERVISION,
    "shared_with_me": SHARED_WITH_ME,
    "audits_to_complete": AUDITS_MINE,
    "sheets_to_discuss": AUDIT_FEEDBACK_TEAM,
    "news": AUDIT_FEEDBACK_TEAM,
    "urgent_concerns": AUDIT_FEEDBACK_TEAM,
    "supervision_due": SUPERVISION_TEAM,
    "learn_events": AUDIT_EVENTS,
    "overdue_concerns": URGENT_CONCERNS,
    "observation_target": OBSERVATION_COVERAGE,
    "supervision_cadence": SUPERVISION_CADENCE,
    "unplaced": USERS,
    "locked": USERS,
}


def link_to(record: RecordRef, label: str, *, icon: str | None = None, container: Any = None) -> None:
    """A link straight to a record that a service pointed at."""
    screen, param = RECORD_SCREENS[record.kind]
    screen.link(label, query={param: record.id} if param else None, icon=icon, container=container)


def switch_to(record: RecordRef) -> NoReturn:
    """Go straight to a record that a service pointed at (as :func:`link_to` links to it)."""
    screen, param = RECORD_SCREENS[record.kind]
    st.switch_page(screen.file, query_params={param: str(record.id)} if param else None)


def every_screen() -> list[Screen]:
    """Every screen defined here, in definition order."""
    return [value for value in globals().values() if isinstance(value, Screen)]
