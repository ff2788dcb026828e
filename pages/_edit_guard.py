"""Keeping a person's text when their save is refused because someone else saved first.

A form remembers the version of the record it was opened at (``opened_version``)
and sends it with the save; the service refuses a stale save with
``qa.errors.StaleEdit``. The page then calls ``refused`` with what was typed, and
``stale_panel`` shows the message, the text that differs from the latest saved
version (to copy), and a button that loads the latest version into the form.
The form's own widgets keep the typed text until that button is pressed.
No rules live here.
"""

from __future__ import annotations

import streamlit as st

from pages._ui import literal


def opened_version(record_key: str, current: int, form_keys: list[str]) -> int:
    """The version this person started editing from.

    It is remembered while the form is on screen. A form drawn fresh (opened for
    the first time, opened again after leaving the page, or reloaded) starts from
    ``current``, the version just read.
    """
    state = f"opened:{record_key}"
    if state not in st.session_state or not any(key in st.session_state for key in form_keys):
        st.session_state[state] = current
    return st.session_state[state]


def saved(record_key: str, new_version: int) -> None:
    """After a successful save: the form now stands on the new version; forget any refused text."""
    st.session_state[f"opened:{record_key}"] = new_version
    st.session_state.pop(f"stale:{record_key}", None)


def refused(record_key: str, message: str, texts: list[tuple[str, str]]) -> None:
    """Remember a refused save: the message and the person's text, as (label, text) pairs."""
    st.session_state[f"stale:{record_key}"] = {
        "message": message,
        "texts": [(label, text) for label, text in texts if text and text.strip()],
        "reloaded": False,
    }


def changed_texts(pairs: list[tuple[str, str | None, str | None]]) -> list[tuple[str, str]]:
    """(label, typed, saved) -> the (label, typed) pairs where the typed text differs from the latest saved."""
    return [(label, typed or "") for label, typed, latest in pairs if (typed or "").strip() != (latest or "").strip()]


def _reload(record_key: str, form_keys: list[str]) -> None:
    # A callback runs before the page is drawn again, so the form's widgets can be reset here.
    for key in form_keys:
        st.session_state.pop(key, None)
    st.session_state.pop(f"opened:{record_key}", None)
    stale = st.session_state.get(f"stale:{record_key}")
    if stale is not None:
        stale["reloaded"] = True


def _dismiss(record_key: str) -> None:
    st.session_state.pop(f"stale:{record_key}", None)


def stale_panel(record_key: str, form_keys: list[str]) -> None:
    """The refusal message, the person's unsaved text, and the way to the latest version."""
    stale = st.session_state.get(f"stale:{record_key}")
    if not stale:
        return
    if stale["reloaded"]:
        st.info(
            "The form now shows the latest saved version. Your unsaved text from the refused save is below: "
            "copy what you need into the form, then save again.",
            icon=":material/assignment:",
        )
    else:
        st.error(stale["message"], icon=":material/error:")
    if stale["texts"]:
        with st.container(border=True):
            st.markdown("**Your unsaved text**")
            for label, text in stale["texts"]:
                st.caption(label)
                st.code(literal(text), language=None, wrap_lines=True)
    left, right = st.columns(2)
    if not stale["reloaded"]:
        left.button(
            "Load the latest version",
            key=f"reload:{record_key}",
            on_click=_reload,
            args=(record_key, form_keys),
            type="primary",
        )
    right.button("I have copied my text: hide it", key=f"dismiss:{record_key}", on_click=_dismiss, args=(record_key,))
