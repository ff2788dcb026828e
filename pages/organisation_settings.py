"""Portal settings for administrators: the observation target, the skills framework, cadence, data retention,
sign-in, and a test email."""

import pandas as pd
import streamlit as st

from db.organisation import EMAIL_MAX, Grade
from pages import _registry as screens
from pages._ui import (
    all_errors,
    current_actor,
    field_error,
    flash,
    form_errors,
    literal,
    plain,
    show_flash,
    submit,
    table,
    text_input,
)
from portal.links import portal_links
from qa.access import auth, sessions
from qa.notifications import outbox as notification_outbox
from qa.notifications import sender as notification_sender
from qa.observations import coverage as observation_coverage
from qa.observations import framework as skills_framework
from qa.privacy import retention
from qa.supervision import cadence

actor = current_actor()
st.title("Settings", anchor=False)
show_flash()

st.header("Observation target", anchor=False)
errors = form_errors("target")
with st.form("target"):
    target = st.number_input(
        "Observations per practitioner per year",
        min_value=1,
        max_value=12,
        value=observation_coverage.target_per_year(),
    )
    field_error(errors, "target")
    if st.form_submit_button("Save target"):
        submit(
            "target",
            lambda: observation_coverage.set_target_per_year(actor, int(target)),
            success=f"The target is now {int(target)} a year.",
        )

st.header("Skills framework for observations", anchor=False)
current = skills_framework.current_for(actor)
st.markdown(f"In use: **{plain(current.title)}**, version {current.version}")
scale = {p.value: p.label for p in current.scale}
table(
    pd.DataFrame([{"Skill area": d.title, "Covers": d.focus} for d in current.domains]),
    hide_index=True,
    width="stretch",
)
st.caption("Scale: " + "; ".join(f"{v} {label}" for v, label in scale.items()))
upload = st.file_uploader("Load a new version (JSON)", type=["json"], key="framework_file")
if upload is not None and st.button("Load this version", type="primary"):
    framework_file = upload.getvalue()
    submit(
        None,
        lambda: skills_framework.load_framework(actor, framework_file),
        success="New version loaded. Observations already recorded keep the version they used.",
        on_error=all_errors,
    )

st.header("Supervision cadence", anchor=False)
st.caption("How often people should be supervised: 'due from' and 'overdue after', in weeks since the last session.")
keys = {g.value: f"{g.label}" for g in Grade} | {"new_starter": "New starters and NQOs"}
with st.form("cadence"):
    key = st.selectbox("Who", list(keys), format_func=lambda k: literal(keys[k]))
    weeks = cadence.weeks_for(key if key != "new_starter" else "PO", key == "new_starter")
    cols = st.columns(2)
    due_from = cols[0].number_input("Due from (weeks)", min_value=1, max_value=26, value=weeks[0])
    overdue_after = cols[1].number_input("Overdue after (weeks)", min_value=1, max_value=26, value=weeks[1])
    if st.form_submit_button("Save cadence"):
        submit(
            None,
            lambda: cadence.set_weeks(actor, key, int(due_from), int(overdue_after)),
            success=f"Saved: {keys[key]} are due from {int(due_from)} weeks and overdue after {int(overdue_after)}.",
            on_error=all_errors,
        )

st.header("Data retention", anchor=False)
st.markdown(
    "Debriefs and journal notes are private to their authors. By default the portal keeps them until the author "
    "deletes them. Set a period to delete older ones: debriefs by the date they were recorded, journal notes by the "
    "date they were last changed. Leave a box blank to keep everything of that kind."
)
periods = retention.current_settings(actor)
retention_errors = form_errors("retention")
with st.form("retention"):
    cols = st.columns(2)
    # Text boxes, not number boxes: a number box cannot be emptied again, and blank means "keep".
    with cols[0]:
        debrief_months = text_input(
            "Delete debriefs older than (months)",
            value=str(periods.debrief_months or ""),
            max_chars=3,
            placeholder="Keep (no limit)",
            help=f"A whole number from {retention.MONTHS_MIN} to {retention.MONTHS_MAX}. Blank keeps every debrief.",
        )
        field_error(retention_errors, "debrief_months")
    with cols[1]:
        note_months = text_input(
            "Delete journal notes not changed for (months)",
            value=str(periods.note_months or ""),
            max_chars=3,
            placeholder="Keep (no limit)",
            help=f"A whole number from {retention.MONTHS_MIN} to {retention.MONTHS_MAX}. Blank keeps every journal note.",
        )
        field_error(retention_errors, "note_months")
    if st.form_submit_button("Save retention periods"):
        submit(
            "retention",
            lambda: retention.set_retention(actor, debrief_months, note_months),
            success=lambda saved: f"Retention saved ({saved.describe()}). Nothing has been deleted yet.",
        )

if periods.debrief_months is None and periods.note_months is None:
    st.info("Retention is off: nothing is deleted automatically.")
else:
    due = retention.preview(actor)
    if due.debrief_cutoff:
        st.markdown(
            f"**{due.debriefs}** debrief{'s are' if due.debriefs != 1 else ' is'} older than {periods.debrief_months} "
            f"month{'s' if periods.debrief_months != 1 else ''} (recorded before {due.debrief_cutoff:%d %B %Y})."
        )
    if due.note_cutoff:
        st.markdown(
            f"**{due.notes}** journal note{'s have' if due.notes != 1 else ' has'} not been changed for {periods.note_months} "
            f"month{'s' if periods.note_months != 1 else ''} (since {due.note_cutoff:%d %B %Y})."
        )
    if due.total:
        apply_errors = form_errors("apply_retention")
        with st.form("apply_retention"):
            st.warning(
                "Deleting is permanent. The entries, their feelings and any shares of them cannot be brought back.",
                icon=":material/error:",
            )
            sure = st.checkbox(
                f"I understand that {due.total} {'entries' if due.total != 1 else 'entry'} will be deleted permanently"
            )
            field_error(apply_errors, "confirm")
            if st.form_submit_button("Delete them now", type="primary"):
                if not sure:
                    st.session_state["errors:apply_retention"] = {
                        "confirm": "Tick the box to confirm. Nothing has been deleted."
                    }
                    st.rerun()
                done = retention.apply_retention(actor)
                st.session_state.pop("errors:apply_retention", None)
                flash(
                    f"Deleted {done.debriefs} debrief{'s' if done.debriefs != 1 else ''} and "
                    f"{done.notes} journal note{'s' if done.notes != 1 else ''}."
                )
                st.rerun()
    else:
        st.success("Nothing is older than these periods.")
st.caption(
    "To keep to these periods without anyone pressing a button, run `python -m portal apply-retention` nightly "
    "(for example from cron). It does the same and is recorded in the audit trail."
)

st.header("Sign-in", anchor=False)
sso_on = auth.sso_only()
sso_ready = bool(st.session_state.get("sso_configured"))
if sso_on:
    st.markdown(
        "**Single sign-on only.** Portal passwords are turned off; everyone signs in with their organisation account."
    )
elif sso_ready:
    st.markdown("Staff can sign in with single sign-on or with a portal password.")
else:
    st.markdown("Staff sign in with a portal password. Single sign-on is not set up (see docs/OPERATIONS.md).")
sso_errors = form_errors("sso_only")
with st.form("sso_only"):
    only_sso = st.checkbox(
        "Single sign-on only: turn off portal passwords",
        value=sso_on,
        help="You can turn this on only while single sign-on is set up and you signed in with it yourself.",
    )
    field_error(sso_errors, "sso_only")
    if st.form_submit_button("Save sign-in setting"):
        submit(
            "sso_only",
            lambda: auth.set_sso_only(
                actor,
                only_sso,
                sso_configured=sso_ready,
                signed_in_with_sso=bool(st.session_state.get("signed_in_with_sso")),
            ),
            success=(
                "Single sign-on only is on: portal passwords are turned off."
                if only_sso
                else "Portal passwords are allowed."
            ),
        )
st.caption(
    "If single sign-on ever stops working, someone with access to the server can turn passwords back on "
    "with `python -m portal sso-only off`."
)

st.header("Email", anchor=False)
st.markdown(
    "Notification emails go through the mail server set in the portal's settings (see docs/OPERATIONS.md, "
    "Notification email). Send a test email to check that they work: if the mail server's name, port, "
    "password or security setting is wrong, this says what went wrong."
)
configured = notification_sender.mail_server()
if configured is None:
    st.warning(notification_sender.NOT_CONFIGURED, icon=":material/mail_off:")
else:
    st.markdown(
        f"Mail server: **{plain(configured.host)}** port {configured.port} ({configured.security}), "
        f"sending from **{plain(configured.sender)}**" + (f" as {plain(configured.user)}." if configured.user else ".")
    )
test_errors = form_errors("test_email")
with st.form("test_email"):
    test_to = text_input("Send a test email to", value=actor.email, max_chars=EMAIL_MAX)
    field_error(test_errors, "to")
    if st.form_submit_button("Send a test email"):
        submit("test_email", lambda: notification_outbox.send_test_email(actor, test_to, portal_links()), success=str)
screens.OUTBOX.link("See what is waiting in the Outbox")

st.header("Sessions", anchor=False)
st.markdown(
    "How long a signed-in session lasts. It ends after the idle time without a click, and in any case after "
    "the longest time since sign-in. Beyond the number of sessions one person may have at once, their least "
    "recently used session is signed out."
)
in_force = sessions.limits()
limit_errors = form_errors("session_limits")
with st.form("session_limits"):
    idle_minutes = st.number_input(
        "Idle time (minutes)", min_value=1, max_value=sessions.IDLE_MINUTES_MAX, value=in_force.idle_minutes
    )
    field_error(limit_errors, "idle_minutes")
    absolute_hours = st.number_input(
        "Longest a session lasts (hours)",
        min_value=1,
        max_value=sessions.ABSOLUTE_HOURS_MAX,
        value=in_force.absolute_hours,
    )
    field_error(limit_errors, "absolute_hours")
    per_person = st.number_input(
        "Sessions one person may have at once", min_value=1, max_value=sessions.CAP_MAX, value=in_force.per_person
    )
    field_error(limit_errors, "per_person")
    if st.form_submit_button("Save session limits"):
        submit(
            "session_limits",
            lambda: sessions.set_limits(actor, int(idle_minutes), int(absolute_hours), int(per_person)),
            success="Saved. New limits apply to every session from its next click.",
        )
