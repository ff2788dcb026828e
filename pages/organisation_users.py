"""Users: add, edit, deactivate and reactivate staff accounts; erase a departed person's private entries."""

import pandas as pd
import streamlit as st

from db.organisation import (
    EMAIL_MAX,
    GRADE_LABELS,
    NAME_MAX,
    PASSWORD_MAX,
    STAFF_ID_MAX,
    Grade,
    Role,
    UserCreate,
    UserUpdate,
)
from pages._ui import (
    current_actor,
    dataframe,
    field_error,
    flash,
    form_errors,
    index_from_query,
    literal,
    plain,
    roles_label,
    show_flash,
    submit,
    text_input,
)
from qa.access import sessions
from qa.errors import NotFound
from qa.organisation import users
from qa.organisation.org import list_teams
from qa.privacy import erasure
from qa.validation import validate

actor = current_actor()
st.title("Users", anchor=False)
show_flash()

everyone = users.list_users(actor)
teams = list_teams(actor)
team_labels = {None: "No team"} | {t.id: f"{t.name} ({t.pdu_name})" for t in teams}
active_people = {u.id: f"{u.full_name} ({u.grade})" for u in everyone if u.is_active}

# --- the list ---------------------------------------------------------------------
filter_text = text_input("Find a person", placeholder="Name, email or team", max_chars=100)
show_inactive = st.toggle("Show deactivated users", value=False)
shown = [
    u
    for u in everyone
    if (show_inactive or u.is_active) and filter_text.lower() in f"{u.full_name} {u.email} {u.team_name or ''}".lower()
]
dataframe(
    pd.DataFrame(
        [
            {
                "Name": u.full_name,
                "Email": u.email,
                "Grade": u.grade,
                "Roles": roles_label(u.roles),
                "Team": u.team_name or "",
                "Supervisor": u.supervisor_name or "",
                "Status": "Active" if u.is_active else "Deactivated",
            }
            for u in shown
        ]
    ),
    hide_index=True,
    width="stretch",
)
st.caption(f"Showing {len(shown)} of {len(everyone)} users.")


def user_form(key: str, defaults: dict, submit_label: str, with_password: bool) -> dict | None:
    """Render one add/edit form; return the submitted values, or None."""
    errors = form_errors(key)
    with st.form(key):
        left, right = st.columns(2)
        with left:
            full_name = text_input("Full name", value=defaults.get("full_name", ""), max_chars=NAME_MAX)
            field_error(errors, "full_name")
            email = text_input("Email", value=defaults.get("email", ""), max_chars=EMAIL_MAX)
            field_error(errors, "email")
            staff_id = text_input("Staff ID (optional)", value=defaults.get("staff_id") or "", max_chars=STAFF_ID_MAX)
            field_error(errors, "staff_id")
            grades = list(Grade)
            grade = st.selectbox(
                "Grade",
                grades,
                index=grades.index(Grade(defaults.get("grade", Grade.PO))),
                format_func=lambda g: literal(GRADE_LABELS[g]),
            )
            field_error(errors, "grade")
        with right:
            roles = st.multiselect(
                "Roles", list(Role), default=defaults.get("roles", [Role.PRACTITIONER]), format_func=lambda r: r.label
            )
            field_error(errors, "roles")
            team_ids = list(team_labels)
            team_id = st.selectbox(
                "Team",
                team_ids,
                index=team_ids.index(defaults.get("team_id")) if defaults.get("team_id") in team_ids else 0,
                format_func=lambda t: literal(team_labels[t]),
            )
            field_error(errors, "team_id")
            sup_ids = [None] + [i for i in active_people if i != defaults.get("id")]
            supervisor_id = st.selectbox(
                "Supervisor",
                sup_ids,
                index=sup_ids.index(defaults.get("supervisor_id")) if defaults.get("supervisor_id") in sup_ids else 0,
                format_func=lambda i: "No supervisor" if i is None else literal(active_people[i]),
                help="Every practitioner needs a supervisor, normally their SPO.",
            )
            field_error(errors, "supervisor_id")
            password = None
            if with_password:
                password = text_input(
                    "First password (optional)",
                    type="password",
                    max_chars=PASSWORD_MAX,
                    help="At least 12 characters. Leave blank if this person will use single sign-on.",
                )
                field_error(errors, "password")
        submitted = st.form_submit_button(submit_label, type="primary")
    if not submitted:
        return None
    values = {
        "full_name": full_name,
        "email": email,
        "staff_id": staff_id,
        "grade": grade,
        "roles": roles,
        "team_id": team_id,
        "supervisor_id": supervisor_id,
    }
    if with_password:
        values["password"] = password or None
    return values


add_tab, edit_tab = st.tabs(["Add a user", "Edit a user"])

with add_tab:
    values = user_form("add_user", {}, "Add user", with_password=True)
    if values is not None:
        new_form: dict = values  # narrowed for the lambda below
        submit(
            "add_user",
            lambda: users.create_user(actor, validate(UserCreate, new_form)),
            success=lambda created: f"{plain(created.full_name)} has been added.",
        )

with edit_tab:
    if not everyone:
        st.info("There are no users yet.")
    else:
        labels = {u.id: f"{u.full_name} ({u.email}){'' if u.is_active else ' (deactivated)'}" for u in everyone}
        chosen_id = st.selectbox(
            "Choose a person",
            list(labels),
            index=index_from_query("user", list(labels)),  # a home-page link names the person
            format_func=lambda i: literal(labels[i]),
            key="edit_user_choice",
        )
        try:
            chosen = users.get_user(actor, chosen_id)
        except NotFound as exc:
            st.error(str(exc))
            st.stop()
        key = f"edit_user_{chosen.id}"
        values = user_form(key, chosen.model_dump(), "Save changes", with_password=False)
        if values is not None:
            edit_form: dict = values  # narrowed for the lambda below
            submit(
                key,
                lambda: users.update_user(actor, chosen.id, validate(UserUpdate, edit_form)),
                success=f"Changes to {plain(edit_form['full_name'])} have been saved.",
            )

        st.markdown("**Account status**")
        status_errors = form_errors(f"status_{chosen.id}")
        if chosen.is_active:
            st.caption("Deactivated users keep their history but cannot sign in.")
            if st.button("Deactivate this user", key=f"deactivate_{chosen.id}"):
                submit(
                    f"status_{chosen.id}",
                    lambda: users.set_active(actor, chosen.id, False),
                    success=f"{plain(chosen.full_name)} has been deactivated.",
                )
        else:
            if st.button("Reactivate this user", key=f"reactivate_{chosen.id}"):
                users.set_active(actor, chosen.id, True)
                flash(f"{plain(chosen.full_name)} has been reactivated.")
                st.rerun()
        field_error(status_errors, "is_active")

        open_sessions = sessions.session_count_of(actor, chosen.id)
        st.markdown("**Sessions**")
        st.caption(
            f"Signed in on {open_sessions} device{'s' if open_sessions != 1 else ''}. Ending them signs "
            "the person out everywhere at their next click; they can sign in again unless deactivated."
        )
        if open_sessions and st.button("End all their sessions", key=f"end_sessions_{chosen.id}"):
            submit(
                None,
                lambda: sessions.end_sessions_of(actor, chosen.id),
                success=f"Signed {plain(chosen.full_name)} out everywhere.",
            )

        with st.form(f"password_{chosen.id}", clear_on_submit=True):
            st.markdown("**Set a new password**")
            st.caption("This also unlocks the account if it was locked after failed sign-ins.")
            new_password = text_input("New password", type="password", max_chars=PASSWORD_MAX)
            field_error(form_errors(f"password_{chosen.id}"), "password")
            if st.form_submit_button("Set password"):
                submit(
                    f"password_{chosen.id}",
                    lambda: users.set_password(actor, chosen.id, new_password),
                    success=f"A new password has been set for {plain(chosen.full_name)}.",
                )

        if chosen.id != actor.id:
            st.markdown("**Erase private entries**")
            if chosen.is_active:
                st.caption(
                    "For someone who has left: once they are deactivated, you can delete their own journal notes, "
                    "debriefs, the shares they made and their requests to talk. Everything else is kept, with their name."
                )
            else:
                due = erasure.preview(actor, chosen.id)
                st.markdown(
                    f"{plain(chosen.full_name)} has **{due.notes}** journal note{'s' if due.notes != 1 else ''}, "
                    f"**{due.debriefs}** debrief{'s' if due.debriefs != 1 else ''}, **{due.shares}** share{'s' if due.shares != 1 else ''} "
                    f"of them and **{due.requests}** request{'s' if due.requests != 1 else ''} to talk. "
                    f"{due.shares_to_them_stopped} colleague{'s' if due.shares_to_them_stopped != 1 else ''}' entries are still shared with them."
                )
                st.caption(
                    "Erasing deletes those entries and stops the shares with them, permanently. It keeps the audits they did "
                    "and the audits of their cases, observations, supervision records, actions and the audit trail. "
                    "Nobody, administrators included, can read the entries: the portal only counts them."
                )
                erase_errors = form_errors(f"erase_{chosen.id}")
                with st.form(f"erase_{chosen.id}", clear_on_submit=True):
                    st.markdown(f"To confirm, type **{plain(chosen.email)}** in the box below.")
                    typed = text_input("Their email address, to confirm", max_chars=EMAIL_MAX)
                    field_error(erase_errors, "confirm")
                    if st.form_submit_button("Erase private entries", type="primary"):
                        submit(
                            f"erase_{chosen.id}",
                            lambda: erasure.erase_private_entries(actor, chosen.id, typed),
                            success=lambda done: (
                                f"Erased {plain(chosen.full_name)}'s private entries: {done.notes} journal note{'s' if done.notes != 1 else ''} "
                                f"and {done.debriefs} debrief{'s' if done.debriefs != 1 else ''}."
                            ),
                        )
