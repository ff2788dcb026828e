"""Small rendering helpers shared by the screens. No rules live here."""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

import pandas as pd
import streamlit as st

from db.engine import DatabaseUnavailable, is_unavailable
from db.organisation import GRADE_LABELS, Grade, Role, UserPublic
from pages import _registry as screens
from pages import _session
from portal import metrics
from qa.access import auth
from qa.access.actor import Actor
from qa.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from qa.organisation.csv_import import MAX_BYTES as _MAX_IMPORT_BYTES
from qa.organisation.csv_import import MAX_ROWS as MAX_IMPORT_ROWS
from qa.validation import too_long_message


def current_actor() -> Actor:
    """The signed-in user, re-read from the database; stops the page if none.

    Pages check this themselves rather than trust the entrypoint to have run:
    Streamlit's legacy pages/ mode can run a page file directly on a process's
    first request, and deactivation must take effect at once.
    """
    actor = auth.load_actor(st.session_state.get("user_id"))
    if actor is None:
        st.error("Please sign in to continue.")
        st.stop()
    return actor


T = TypeVar("T")


def database_guard(step: Callable[..., T], *args, **kwargs) -> T:
    """Run one step of a screen (app.py wraps every page in this).

    If the database is unreachable or locked, the person sees a plain message
    instead of an error trace, and the run stops. Stopping early (rather than
    finishing) makes Streamlit keep every widget's value, including widgets
    this run never reached, so what they typed is still there to save again.
    """
    try:
        return step(*args, **kwargs)
    except Exception as error:
        if not is_unavailable(error):
            raise
        logging.getLogger("pqp.pages").warning("database unavailable during a page run: %s", error)
        metrics.DB_ERRORS.inc()
        message = str(error) if isinstance(error, DatabaseUnavailable) else str(DatabaseUnavailable())
        st.error(message, icon=":material/cloud_off:")
        st.toast(message, icon=":material/cloud_off:")  # the form may be far down a long page
        st.stop()
        raise  # st.stop() raises; this only tells type checkers the step never returns here


# --- keeping text when a save meets a database fault ------------------------------
#
# app.py's database_guard covers the page scripts, but not two things: widget
# callbacks (on_change / on_click), which Streamlit runs before the script, and
# forms that clear themselves, which the browser empties before the save is tried.

UNSAVED_MESSAGE = (
    "Not saved yet: the portal could not reach its database. Your text is still here; "
    "it will be saved when you next type or press {button}."
)


def save_or_keep(draft: str, save: Callable[[], T], keys: list[str]) -> T | None:
    """Run a save from a widget callback or a button, keeping the text on a database fault.

    A callback runs before app.py's database_guard, so a fault there would show
    Streamlit's error trace. Here it is caught: the widgets still hold the text,
    and a copy of the widgets' values (``keys``) is kept in the session as an
    unsaved draft, so :func:`retry_unsaved` saves it again on a later run and
    :func:`unsaved_warning` tells the person. Returns what ``save`` returned, or
    None if the database could not be reached. Validation errors still reach the
    page, which shows them beside their boxes.
    """
    try:
        result = save()
    except ValidationFailed:
        st.session_state.pop(f"unsaved:{draft}", None)  # the database answered; the page shows what to correct
        raise
    except Exception as error:
        if not is_unavailable(error):
            raise
        logging.getLogger("pqp.pages").warning("database unavailable while saving %s: %s", draft, error)
        st.session_state[f"unsaved:{draft}"] = {
            "values": {key: copy.copy(st.session_state[key]) for key in keys if key in st.session_state},
            "just_failed": True,
        }
        return None
    st.session_state.pop(f"unsaved:{draft}", None)
    return result


def retry_unsaved(draft: str, save_again: Callable[[], object]) -> bool:
    """Call before drawing the widgets of a page that saves through :func:`save_or_keep`.

    If the person left the page and came back, their unsaved text is put back in
    the boxes. Then, unless the save failed in this very run, ``save_again`` (the
    page's own save, which goes through :func:`save_or_keep` and returns whether
    it saved) is tried once more. Returns True if the text has just been saved.
    """
    kept = st.session_state.get(f"unsaved:{draft}")
    if kept is None:
        return False
    for key, value in kept["values"].items():
        if key not in st.session_state:
            st.session_state[key] = value
    if kept.pop("just_failed", False):
        # The box may be far down the page.
        st.toast("Not saved yet: the portal could not reach its database.", icon=":material/cloud_off:")
        return False
    saved = save_again()
    still = st.session_state.get(f"unsaved:{draft}")
    if still is not None:
        still.pop("just_failed", None)  # try again on the next run
        return False
    if saved:
        st.toast("Saved: your text has now been saved.", icon=":material/check_circle:")
    return bool(saved)


def unsaved_warning(draft: str, button: str = "Save") -> None:
    """The plain message beside the boxes while a draft is not saved yet."""
    if f"unsaved:{draft}" in st.session_state:
        st.warning(UNSAVED_MESSAGE.format(button=button), icon=":material/cloud_off:")


def keep_until_saved(form: str, defaults: dict[str, object]) -> None:
    """Call just before drawing a form that empties after a successful save.

    Streamlit's ``clear_on_submit`` empties the boxes in the browser the moment
    the button is pressed, before the save is tried, so a save that then failed
    (a locked or unreachable database, or a field to correct) would lose the
    text. Such forms use ``clear_on_submit=False`` instead, give each widget a
    key and its default here (not as a ``value`` argument), and call
    :func:`form_saved` after a successful save, before ``st.rerun()``. This then
    puts every widget back to its default on that next run.
    """
    cleared = st.session_state.pop(f"saved:{form}", False)
    for key, value in defaults.items():
        if cleared or key not in st.session_state:
            st.session_state[key] = copy.copy(value)


def form_saved(form: str) -> None:
    """The form's save went through: empty it on the next run (see :func:`keep_until_saved`)."""
    st.session_state[f"saved:{form}"] = True


#: The GOV.UK error summary's heading line.
ERROR_SUMMARY_TITLE = "There is a problem"


def error_anchor(field: str) -> str:
    """The id of the spot just above a field's error message, that the error summary links to."""
    return "error-" + (re.sub(r"[^a-z0-9]+", "-", field.lower()).strip("-") or "field")


def field_error(errors: dict[str, str], field: str) -> None:
    """The field's error message, beside (just below) the field, with an anchor the summary links to.

    Showing one also puts "Error: " in front of the page's browser title (pages/_registry.title_as_error).
    """
    # A box just drawn over its limit already says so beside itself (text_input / text_area):
    # the service's refusal of that same text would only repeat it, so only the anchor is drawn.
    over_limit_said = st.session_state.pop(_OVER_LIMIT_SHOWN, None)
    if field in errors:
        screens.title_as_error()
        # An empty element carrying the id: Streamlit gives its own elements no ids a link could name.
        st.html(f'<span id="{error_anchor(field)}" class="pqp-error-anchor"></span>')
        if not over_limit_said:
            st.error(errors[field], icon=":material/error:")
        else:
            _summary_says(errors, field, over_limit_said)


# --- boxes with a size limit ---------------------------------------------------------------
#
# Streamlit's own max_chars makes the browser silently drop a paste that would go over it:
# the box keeps its old text and only the counter changes. So no box passes max_chars to the
# browser. The box takes whatever is typed or pasted, and while it holds more than its limit
# a message beside it says so in words (qa.validation.too_long_message). The text stays in
# the box, and the services refuse to save it until it is within the limit.

_OVER_LIMIT_SHOWN = "_over_limit_shown"


def text_input(label: str, *, max_chars: int, container=None, **kwargs) -> str:
    """st.text_input with a limit that speaks (see above). ``container`` is a column or form to draw in."""
    where = container or st
    return _limited(where, where.text_input(label, **kwargs), max_chars)


def text_area(label: str, *, max_chars: int, container=None, **kwargs) -> str:
    """st.text_area with a limit that speaks (see above). ``container`` is a column or form to draw in."""
    where = container or st
    return _limited(where, where.text_area(label, **kwargs), max_chars)


def _limited(where, value: str | None, limit: int) -> str:
    length = len(value or "")
    if length > limit:
        screens.title_as_error()  # "Error: " in front of the browser title, as for any field error
        said = too_long_message(limit, length)
        where.error(said, icon=":material/error:")
        st.session_state[_OVER_LIMIT_SHOWN] = said
    else:
        st.session_state.pop(_OVER_LIMIT_SHOWN, None)
    return value or ""


def error_summary(errors: dict[str, str]) -> None:
    """The GOV.UK error summary: "There is a problem", then each problem as a link to its field's message.

    Shown at the top of a form while it has errors (:func:`form_errors` calls it). Streamlit cannot
    move the focus to it (that needs a script); the statement says so (docs/ACCESSIBILITY.md).
    """
    if not errors:
        return
    screens.title_as_error()
    summary = _Summary(errors, st.empty(), dict(errors))
    st.session_state[_SUMMARY] = summary
    summary.draw()


_SUMMARY = "_error_summary"


@dataclass
class _Summary:
    """This run's error summary: drawn in a slot so a field drawn later can change its own line."""

    errors: dict[str, str]  # the form's errors, as given to error_summary
    slot: Any
    said: dict[str, str]  # what each line says

    def draw(self) -> None:
        links = "\n".join(f"- [{plain(message)}](#{error_anchor(field)})" for field, message in self.said.items())
        self.slot.error(f"**{ERROR_SUMMARY_TITLE}**\n\n{links}", icon=":material/error:")


def _summary_says(errors: dict[str, str], field: str, message: str) -> None:
    """The summary's line for ``field`` says what its box said (the limit in words), not the service's refusal."""
    summary = st.session_state.get(_SUMMARY)
    # Only this run's summary of these same errors: a summary left from an earlier run is not redrawn.
    if isinstance(summary, _Summary) and summary.errors is errors and field in summary.said:
        summary.said[field] = message
        summary.draw()


def form_errors(key: str) -> dict[str, str]:
    """The errors kept for the form ``key`` by :func:`submit`, with their summary shown here: call it just above the form."""
    errors = st.session_state.get(f"errors:{key}", {})
    error_summary(errors)
    return errors


def set_form_errors(key: str, errors: dict[str, str]) -> None:
    st.session_state[f"errors:{key}"] = errors


def clear_form_errors(key: str) -> None:
    st.session_state.pop(f"errors:{key}", None)


@overload
def submit(
    form_key: str | None,
    action: Callable[[], T],
    *,
    success: str | Callable[[T], str] | None = None,
    saved_form: str | None = None,
    rerun: bool = True,
    on_error: None = None,
    on_stale: None = None,
    refusal_field: str | None = None,
) -> T: ...


@overload
def submit(
    form_key: str | None,
    action: Callable[[], T],
    *,
    success: str | Callable[[T], str] | None = None,
    saved_form: str | None = None,
    rerun: bool = True,
    on_error: Callable[[ValidationFailed], object] | None = None,
    on_stale: Callable[[StaleEdit], object] | None = None,
    refusal_field: str | None = None,
) -> T | None: ...


def submit(
    form_key: str | None,
    action: Callable[[], T],
    *,
    success: str | Callable[[T], str] | None = None,
    saved_form: str | None = None,
    rerun: bool = True,
    on_error: Callable[[ValidationFailed], object] | None = None,
    on_stale: Callable[[StaleEdit], object] | None = None,
    refusal_field: str | None = None,
) -> T | None:
    """Run one save the way every form does, so that each page need not repeat it.

    Refused (``ValidationFailed``): the field errors are kept under ``form_key`` (if given), for
    :func:`form_errors` and :func:`field_error` to show beside their boxes, and the page runs again. With
    ``on_error`` the page does not run again: ``on_error`` shows the problem at once and None is returned (a
    form too small to show errors beside its boxes passes :func:`all_errors`).

    Saved: the kept errors go, the form ``saved_form`` empties on the next run (:func:`keep_until_saved`),
    ``success`` (a message, or a function of the result) is flashed, and the page runs again. With
    ``rerun=False`` the result is returned instead, for a page with more to do first.

    Someone else saved first (``StaleEdit``, for a form that sends the version it opened): with ``on_stale``
    the page does not run again, so the form keeps what was typed; ``on_stale`` records the refusal (see
    pages/_edit_guard.refused) and None is returned. Without it, ``StaleEdit`` goes up to the page.

    Not allowed (``PermissionDenied``): with ``refusal_field`` it is refused like ``ValidationFailed``, its
    message kept as that field's error (shown beside that field, or by ``on_error``). Without it,
    ``PermissionDenied`` goes up to the page.
    """
    try:
        try:
            result = action()
        except PermissionDenied as denied:
            if refusal_field is None:
                raise
            raise ValidationFailed({refusal_field: str(denied)}) from denied
    except ValidationFailed as exc:
        if form_key is not None:
            set_form_errors(form_key, exc.field_errors)
        if on_error is None:
            st.rerun()
        on_error(exc)
        return None
    except StaleEdit as exc:
        if on_stale is None:
            raise
        on_stale(exc)
        return None
    if form_key is not None:
        clear_form_errors(form_key)
    if saved_form is not None:
        form_saved(saved_form)
    if success is not None:
        flash(success(result) if callable(success) else success)
    if rerun:
        st.rerun()
    return result


def all_errors(exc: ValidationFailed) -> None:
    """Every problem in one message: for an ``on_error`` of :func:`submit` on a form with one or two boxes."""
    screens.title_as_error()
    st.error(" ".join(exc.field_errors.values()))


def first_error(exc: ValidationFailed) -> None:
    """Only the first problem, as an error: for an ``on_error`` of :func:`submit` on a button with no boxes."""
    screens.title_as_error()
    st.error(next(iter(exc.field_errors.values())))


def first_warning(exc: ValidationFailed) -> None:
    """Only the first problem, as a warning: like :func:`first_error`, for a refusal that is no fault of the person's."""
    st.warning(next(iter(exc.field_errors.values())))


def flash(message: str) -> None:
    """A success message that survives the rerun after a save."""
    st.session_state["flash"] = message


def show_flash() -> None:
    message = st.session_state.pop("flash", None)
    if message:
        st.success(message, icon=":material/check_circle:")
        # Also a toast: the button that caused it may be far down a long page.
        st.toast(message, icon=":material/check_circle:")


def grade_label(grade: str) -> str:
    return GRADE_LABELS.get(Grade(grade), str(grade))


def roles_label(roles: list[Role]) -> str:
    return ", ".join(Role(r).label for r in roles) or "None"


def who_am_i(me: UserPublic) -> None:
    st.header("Who I am", anchor=False)
    left, right = st.columns(2)
    left.markdown(f"**Name**  \n{plain(me.full_name)}")
    left.markdown(f"**Grade**  \n{grade_label(me.grade)}")
    right.markdown(f"**Email**  \n{plain(me.email)}")
    right.markdown(f"**Roles**  \n{roles_label(me.roles)}")


def my_team(me: UserPublic) -> None:
    st.header("My team", anchor=False)
    if me.team_name:
        st.markdown(f"**{plain(me.team_name)}**, {plain(me.pdu_name or '')}")
    else:
        st.info("You are not in a team yet. Your administrator can add you to one.")


def people_table(people: list[UserPublic], empty: str) -> None:
    if not people:
        st.info(empty)
        return
    frame = pd.DataFrame([{"Name": p.full_name, "Grade": grade_label(p.grade), "Email": p.email} for p in people])
    table(frame, hide_index=True, width="stretch")  # for reading: a real table


# --- showing user text --------------------------------------------------------------------
#
# Every piece of text a person typed (or an import brought in) reaches the screen through
# display(), in one of three forms, named after where it goes:
#
# - "markdown": body text, captions, titles, alerts, toasts, link and expander labels, tab
#   names, radio options and st.table cells, all of which Streamlit renders as Markdown
#   (plain() is this form);
# - "label": a widget's own label, which is also its accessible name (label_text());
# - "literal": places Streamlit shows as typed (st.text, st.code, st.dataframe cells,
#   selectbox and multiselect options), where only the direction controls need care
#   (literal()).
#
# The rules, the same in every form (docs/SECURITY.md, "Text shown exactly as typed"):
# - a bidirectional control character is shown as a visible marker, "[U+202E]", in its
#   place, so the text keeps the order it was typed in and a reader sees that a control was
#   there (evidential records must not read backwards);
# - "&" is escaped, so a typed "&lt;" shows as "&lt;", never as "<" (Markdown decodes
#   entities);
# - nothing typed can make Markdown, HTML, LaTeX, a colour, an emoji or an icon.

#: The explicit direction controls (embeddings, overrides, isolates) and the three implicit
#: marks. Any of them can reorder what follows it on screen; text in the other direction
#: (Arabic, Hebrew) shows correctly without them, so none is needed to show a name.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_SHORTCODE = re.compile(r":[A-Za-z0-9_+-]+:")
#: What a backslash must precede, by where the text goes. "literal" escapes nothing.
_SPECIALS = {
    "markdown": "\\`*_{}[]()#+-.!|<>~$/&",
    # Labels only render emphasis, code, links, images, LaTeX, entities and Streamlit's codes.
    "label": "\\`*_[]~$/&",
    "literal": "",
}


def bidi_marker(ch: str) -> str:
    """How a direction control is shown: its code point in brackets, e.g. "[U+202E]"."""
    return f"[U+{ord(ch):04X}]"


def display(text: str, form: str = "markdown") -> str:
    """User text, made safe to show in ``form`` ("markdown", "label" or "literal"): the one display function.

    Direction controls become visible markers (:func:`bidi_marker`) in every form. For
    "markdown" and "label", Markdown is escaped as well, including Streamlit's own codes:
    a colon before a letter could start ``:red[...]`` (a colour), both colons of ``:smile:``
    make an emoji, and a slash is part of ``:material/icon:``, which only an escaped slash
    stops (all found in a real browser); "&" is escaped so that an entity shows as typed.
    A web or email address typed in full still shows as a link to that same address; no
    other kind of link can be made.
    """
    specials = _SPECIALS[form]
    text = "".join(bidi_marker(ch) if ch in BIDI_CONTROLS else ch for ch in str(text))
    if not specials:
        return text
    closing = {m.end() - 1 for m in _SHORTCODE.finditer(text)}  # the second colon of :smile:
    out = []
    for i, ch in enumerate(text):
        code = ch == ":" and (text[i + 1 : i + 2].isalpha() or i in closing)
        out.append("\\" + ch if ch in specials or code else ch)
    return "".join(out)


def plain(text: str) -> str:
    """User text for anything Streamlit renders as Markdown: it shows exactly as typed (see :func:`display`)."""
    return display(text, "markdown")


def label_text(text: str) -> str:
    """User text for a widget label that doubles as its accessible name (a checkbox's aria-label).

    Labels only render emphasis, code, links, images, LaTeX and Streamlit's codes, so
    only the characters that start those are escaped: a screen reader then reads
    "Review goal: risk (ROSH)" rather than a string of stray backslashes.
    """
    return display(text, "label")


def literal(text: str) -> str:
    """User text for a place Streamlit shows as typed (st.text, st.code, table cells, select options)."""
    return display(text, "literal")


def show_text(text: str, container=None) -> None:
    """A block of user text, shown as typed with its line breaks (st.text), direction controls made visible."""
    (container or st).text(literal(text))


def dataframe(frame, **kwargs) -> None:
    """st.dataframe for a frame that holds user text: its text cells and headers go through :func:`literal`."""
    st.dataframe(_cells(frame, literal), **kwargs)


def table(frame, **kwargs) -> None:
    """st.table for a frame that holds user text: st.table renders Markdown in every cell, so each goes through :func:`plain`."""
    st.table(_cells(frame, plain), **kwargs)


def _cells(frame, shown: Callable[[str], str]) -> pd.DataFrame:
    out = frame.copy() if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):  # text columns: str (pandas 3) or object
            out[column] = out[column].map(lambda v: shown(v) if isinstance(v, str) else v)
    return out.rename(columns=lambda c: shown(c) if isinstance(c, str) else c)


def sign_out(reason: str = "You have signed out.") -> None:
    # Deletes the session row first, so every tab using it signs out on its next run.
    database_guard(_session.end_current)
    st.session_state.clear()
    st.session_state["signed_out_reason"] = reason
    if getattr(st.user, "is_logged_in", False):
        # Ends the SSO identity too; the redirect starts a new session, so draw
        # nothing more (a rerun here can lose the redirect to the provider).
        st.logout()
        st.stop()
    st.rerun()


def id_from_query(name: str) -> int | None:
    """An integer id from the URL (?name=12), or None if absent or not a number."""
    raw = st.query_params.get(name)
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def record_from_query(name: str, title: str, how_to_open: str, load: Callable[[int], T]) -> tuple[int, T]:
    """The record a screen's address names (``?name=12``), read through its service, with its id.

    Without an id the screen shows its title and how to open a record; when the service refuses or
    finds nothing, its title and the service's plain message. Either way the screen stops there.
    """
    record_id = id_from_query(name)
    if record_id is None:
        st.title(title, anchor=False)
        st.info(how_to_open)
        st.stop()
        raise AssertionError("st.stop() does not return")
    try:
        return record_id, load(record_id)
    except (NotFound, PermissionDenied) as exc:
        st.title(title, anchor=False)
        st.error(str(exc))
        st.stop()
        raise AssertionError("st.stop() does not return") from exc


def index_from_query(name: str, options: list) -> int:
    """The position of the id named in the URL (?name=12) among a selectbox's options, or 0.

    A home-page link opens a screen on that person or record; an id not among the options is ignored.
    """
    wanted = id_from_query(name)
    return options.index(wanted) if wanted in options else 0


def uk_time(moment) -> str:
    """A stored UTC time as UK local time, for people to read."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Europe/London")).strftime("%d %b %Y, %H:%M") if moment else ""


def who_can_see(text: str) -> None:
    """Every record says plainly who can see it."""
    st.caption(f"Who can see this: {text}")


def audit_table(rows, empty: str) -> None:
    """A list of audits, each with a link to open it."""
    if not rows:
        st.info(empty)
        return
    for row in rows:
        cols = st.columns([2, 2, 3, 2, 2])
        label = f"{'Moderation: ' if row.is_moderation else ''}{row.case_ref}"
        cols[0].page_link(
            screens.AUDIT_CASE.file, label=label, query_params={"audit": row.audit_id}, icon=":material/description:"
        )
        cols[1].markdown(f"{row.event_date:%d %b %Y}")
        cols[2].markdown(f"Held by {plain(row.holder_name)}")
        cols[3].markdown(f"**{row.status}**")
        if row.overdue_actions:
            cols[4].markdown(f":red[{row.overdue_actions} overdue action{'s' if row.overdue_actions != 1 else ''}]")
        elif row.open_actions:
            cols[4].markdown(f"{row.open_actions} open action{'s' if row.open_actions != 1 else ''}")


#: How many records a home-page queue lists before "and N more".
QUEUE_SHOWN = 10


def work_queue(groups) -> None:
    """A home page's work queues (qa/worklist.py): each a heading with its count, then a link per record."""
    for group in groups:
        st.header(f"{group.label}: {group.waiting}", anchor=False)
        if group.note:
            st.caption(group.note)
        if not group.records:
            if group.count is None or not group.waiting:
                st.caption("Nothing waiting.")
            continue
        for item in group.records[:QUEUE_SHOWN]:
            # A link's label is rendered Markdown (its accessible name is the rendered text), so plain() it.
            label = plain(item.label) + (" · overdue" if item.overdue else "")
            if item.record is None:
                st.markdown(f"- {plain(item.label)}")
            else:
                screens.link_to(item.record, label, icon=":material/schedule:" if item.overdue else None)
        hidden = len(group.records) - QUEUE_SHOWN
        if hidden > 0:
            # A home page is for the next few things to do; the full list lives on its own screen.
            more = screens.QUEUE_SCREENS.get(group.key)
            st.caption(f"And {hidden} more, oldest first above." + (f" All of them: {more.title}." if more else ""))
            if more is not None:
                more.link(f"See all on {more.title}")


def month_strip(strip) -> None:
    """This month so far against last (qa/worklist.month_strip); each figure opens its dashboard for the month."""
    from qa.dashboards.filters import to_query

    if not strip.figures:
        return
    st.header("This month against last", anchor=False)
    cols = st.columns(len(strip.figures))
    for col, figure in zip(cols, strip.figures, strict=True):

        def shown(value, share=figure.is_share) -> str:
            if value is None:
                return "none yet"
            return f"{value:.0%}" if share else f"{value:g}"

        col.metric(figure.label, shown(figure.this_month), help=f"Last month: {shown(figure.last_month)}")
        col.caption(f"Last month: {shown(figure.last_month)}")
        screens.DASHBOARDS.link(f"{figure.label} on the dashboard", query=to_query(figure.filters), container=col)


MAX_IMPORT_MB = _MAX_IMPORT_BYTES // (1024 * 1024)


def csv_import(key: str, preview, apply, button: str) -> None:
    """The upload, check, then all-or-nothing import shared by the staff and case imports."""
    upload = st.file_uploader("CSV file", type=["csv"], key=key)
    st.caption(
        f"A CSV file of up to {MAX_IMPORT_MB} MB and {MAX_IMPORT_ROWS:,} rows. Saved by Excel as 'CSV UTF-8' or "
        "'CSV (Comma delimited)' are both fine. A bigger file is not taken: it shows with a red mark "
        "(point at the mark to read why). Split it into smaller files and import each."
    )
    if upload is None:
        return
    data = upload.getvalue()
    report = preview(data)
    if report.encoding:
        st.caption(
            f"The file's characters were read as {report.encoding}. If accented letters look wrong "
            "afterwards, save the file from Excel as 'CSV UTF-8' and import it again."
        )
    if report.ok:
        st.info(f"Ready to import: {report.to_create} new, {report.to_update} to update, {report.unchanged} unchanged.")
        if not st.button(button, type="primary", disabled=report.to_create + report.to_update == 0):
            return
        report = apply(data)
        if report.ok:
            flash(
                f"Import finished: {report.to_create} added, {report.to_update} updated, {report.unchanged} unchanged."
            )
            st.rerun()
    count = len(report.errors)
    st.error(f"{count} problem{'s' if count != 1 else ''} found. Nothing has been imported.")
    dataframe(
        pd.DataFrame([{"Row": e.row or "File", "Problem": e.message} for e in report.errors]),
        hide_index=True,
        width="stretch",
    )
