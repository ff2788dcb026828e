"""One observation: self-rating before, the observer's record, then the practitioner's reply."""

import datetime as dt
import functools

import streamlit as st

from db.observations import (
    EVIDENCE_MAX,
    GOAL_MAX,
    NOTE_MAX,
    REASON_MAX,
    DevelopmentGoalCreate,
    GoalProgress,
    GoalStatus,
    InvitationResponse,
    InvitationStatus,
    ObservationMode,
    ObservationRecord,
    ObservationSetting,
    PractitionerReply,
    RatingInput,
)
from db.organisation import CASE_REF_MAX
from pages._edit_guard import changed_texts, opened_version, refused, saved, stale_panel
from pages._ui import (
    all_errors,
    current_actor,
    field_error,
    flash,
    form_errors,
    literal,
    plain,
    record_from_query,
    show_flash,
    show_text,
    submit,
    text_area,
    text_input,
    uk_time,
    who_can_see,
)
from qa.errors import StaleEdit
from qa.observations import workflow as observations
from qa.validation import validate

NOT_OBSERVED = "Not observed"

actor = current_actor()
observation_id, obs = record_from_query(
    "observation",
    "Observation",
    "Open an observation from **My observations** or **Observations I do**.",
    lambda record_id: observations.observation_detail(actor, record_id),
)

framework = obs.framework
scale = {p.value: p.label for p in framework.scale}
st.title(f"Observation of {plain(obs.practitioner_name)}", anchor=False)
show_flash()
st.markdown(
    f"Observer: **{plain(obs.observer_name)}** · {obs.observed_on:%d %b %Y} · {plain(obs.setting[0].upper() + obs.setting[1:])}, {obs.mode}"
    + (f" · {obs.duration_minutes} minutes" if obs.duration_minutes else "")
    + (f" · case {plain(obs.case_ref)}" if obs.case_ref else "")
    + f" · status: **{obs.status}**"
    + (f" ({obs.invitation})" if not obs.shared else "")
)
if obs.date_changed and obs.planned_on:
    st.caption(
        f"Planned for {obs.planned_on:%d %b %Y}; the observer recorded that it took place on {obs.observed_on:%d %b %Y}."
    )
if obs.calibration_of_id:
    st.caption("This is a second, independent rating of the same session, used to check observers agree.")
who_can_see(
    "the practitioner and the observer; once shared, also the practitioner's SPO and the PDU's "
    "quality-assurance leads. Every view by someone other than the practitioner is logged."
)


def rating_choice(value, not_observed):
    return NOT_OBSERVED if not_observed else value


ANSWERS = {
    InvitationStatus.ACCEPTED: "Accept",
    InvitationStatus.DECLINED: "Decline",
    InvitationStatus.NEW_DATE_PROPOSED: "Propose another date",
}
ANSWERED = {
    InvitationStatus.ACCEPTED: "Accepted. Your observer can now record the session.",
    InvitationStatus.DECLINED: "Declined. Your observer can see your answer; nothing about the session will be recorded.",
    InvitationStatus.NEW_DATE_PROPOSED: "Your other date has been sent. The observer can accept it.",
}


def invitation_form(detail: observations.ObservationDetail) -> None:
    errors = form_errors(f"invite:{obs.id}")
    with st.form(f"invite_{obs.id}"):
        choice = st.radio(
            "My answer", list(ANSWERS), format_func=ANSWERS.__getitem__, horizontal=True, key=f"answer_{detail.id}"
        )
        field_error(errors, "answer")
        reason = text_area(
            "If you decline: your reason (optional)", key=f"decline_reason_{obs.id}", max_chars=REASON_MAX
        )
        field_error(errors, "reason")
        proposed = st.date_input(
            "If you propose another date: the date",
            value=obs.proposed_on or max(obs.observed_on, dt.date.today()) + dt.timedelta(days=7),
            format="DD/MM/YYYY",
            key=f"proposed_{obs.id}",
        )
        field_error(errors, "proposed_on")
        if st.form_submit_button("Send my answer", type="primary"):
            submit(
                f"invite:{obs.id}",
                lambda: observations.respond_to_invitation(
                    actor,
                    obs.id,
                    validate(
                        InvitationResponse,
                        {
                            "answer": choice,
                            "reason": reason if choice == InvitationStatus.DECLINED else "",
                            "proposed_on": proposed if choice == InvitationStatus.NEW_DATE_PROPOSED else None,
                        },
                    ),
                    obs.version,
                ),
                success=ANSWERED[choice] if choice else "Saved.",
            )


# ------------------------------------------------------------ the invitation
if not obs.shared:
    if obs.can_respond:
        st.header("Your invitation", anchor=False)
        if obs.invitation == InvitationStatus.INVITED:
            st.markdown(
                f"**{plain(obs.observer_name)}** would like to observe this session on {obs.observed_on:%d %b %Y}. "
                "Nothing about it is recorded unless you accept."
            )
            invitation_form(obs)
        else:
            answer_text = f"You have {obs.invitation}"
            if obs.invitation == InvitationStatus.NEW_DATE_PROPOSED and obs.proposed_on:
                answer_text = f"You proposed {obs.proposed_on:%d %b %Y} instead"
            st.markdown(answer_text + ".")
            with st.expander("Change my answer"):
                invitation_form(obs)
    elif obs.invitation == InvitationStatus.INVITED:
        st.info(f"Waiting for {plain(obs.practitioner_name)} to accept, decline or propose another date.")
    elif obs.invitation == InvitationStatus.DECLINED:
        st.warning(f"{plain(obs.practitioner_name)} declined this observation.")
        if obs.decline_reason:
            st.markdown("**Their reason**")
            show_text(obs.decline_reason)
    if obs.can_accept_date and obs.proposed_on:
        st.info(
            f"{plain(obs.practitioner_name)} proposed {obs.proposed_on:%d %b %Y} instead of {obs.observed_on:%d %b %Y}."
        )
        if st.button("Accept the new date", key=f"accept_date_{obs.id}", type="primary"):
            submit(
                None,
                lambda: observations.accept_proposed_date(actor, obs.id, obs.version),
                success="New date accepted. The observation is now planned for that day.",
                on_error=all_errors,
            )

# ------------------------------------------------------------ my own view
if obs.can_self_assess:
    if obs.shared:
        st.header("My own view", anchor=False)
        st.caption(
            "Optional. You can still rate yourself on the same skill areas. A rating you add or change now is "
            "shown as given after reading the observer's."
        )
    else:
        st.header("Before the session: my own view", anchor=False)
        st.caption(
            "Optional. Rate yourself on the same skill areas and say what you most want feedback on. "
            "Your observer sees what you want feedback on straight away, and your ratings only after sharing theirs."
        )
    with st.form(f"self_{obs.id}"):
        wanted = obs.feedback_wanted
        if not obs.shared:
            wanted = text_area(
                "What would you most like feedback on?",
                value=obs.feedback_wanted,
                key=f"wanted_{obs.id}",
                max_chars=NOTE_MAX,
            )
        self_items = []
        for domain in framework.domains:
            current = obs.self_ratings.get(domain.key)
            options = [None, 1, 2, 3, 4]
            choice = st.select_slider(
                domain.title,
                options=options,
                value=current.rating if current and current.rating else None,
                format_func=lambda v: "Skip" if v is None else f"{v}: {scale[v]}",
                key=f"self_{obs.id}_{domain.key}",
                help=domain.focus,
            )
            self_items.append({"domain_key": domain.key, "rating": choice})
        if st.form_submit_button("Save my view", type="primary"):
            submit(
                None,
                lambda: observations.save_self_assessment(
                    actor, obs.id, [validate(RatingInput, r) for r in self_items], wanted
                ),
                success="Your view has been saved.",
                on_error=all_errors,
            )


def goal_form() -> None:
    """Propose a goal; it counts once the other person agrees."""
    other = obs.practitioner_name if actor.id == obs.observer_id else obs.observer_name
    goal_errors = form_errors(f"goal:{obs.id}")
    with st.form(f"goal_{obs.id}"):
        description = text_input("Propose a goal", key=f"goal_text_{obs.id}", max_chars=GOAL_MAX)
        field_error(goal_errors, "description")
        review = st.date_input(
            "Review by", value=dt.date.today() + dt.timedelta(days=90), format="DD/MM/YYYY", key=f"goal_date_{obs.id}"
        )
        field_error(goal_errors, "review_date")
        if st.form_submit_button("Propose goal"):
            submit(
                f"goal:{obs.id}",
                lambda: observations.add_goal(
                    actor, obs.id, validate(DevelopmentGoalCreate, {"description": description, "review_date": review})
                ),
                rerun=False,
            )
            st.session_state.pop(f"goal_text_{obs.id}", None)
            flash(f"Goal saved. It shows as proposed until {other} agrees it.")
            st.rerun()


# ------------------------------------------------------------- the observer's part
if obs.can_record:
    st.header("Record the observation", anchor=False)
    if obs.feedback_wanted:
        st.info(f"The practitioner would most like feedback on: {plain(obs.feedback_wanted)}")
    errors = form_errors(f"obs:{obs.id}")
    record_key = f"obs:{obs.id}"
    form_keys = [
        f"consent_{obs.id}",
        f"date_{obs.id}",
        f"datechange_{obs.id}",
        f"strengths_{obs.id}",
        f"devpoints_{obs.id}",
    ]
    form_keys += [f"{prefix}_{obs.id}_{d.key}" for d in framework.domains for prefix in ("r", "ev")]
    editing_from = opened_version(record_key, obs.version, form_keys)  # a save from an older version is refused
    with st.form(f"record_{obs.id}"):
        consent = st.checkbox(
            "The person on probation agreed to this session being observed", value=obs.consent, key=f"consent_{obs.id}"
        )
        field_error(errors, "consent")
        # The planned date, as planned: a different day is saved only when the observer says so.
        observed_on = st.date_input(
            "Date of the session", value=obs.observed_on, format="DD/MM/YYYY", key=f"date_{obs.id}"
        )
        date_changed = st.checkbox(
            f"The session took place on a different date from the one planned ({obs.observed_on:%d %b %Y})",
            key=f"datechange_{obs.id}",
        )
        field_error(errors, "observed_on")
        cols = st.columns(3)
        settings = list(ObservationSetting)
        setting = cols[0].selectbox(
            "Setting",
            settings,
            index=settings.index(ObservationSetting(obs.setting)),
            format_func=lambda s: s.value[0].upper() + s.value[1:],
        )
        modes = list(ObservationMode)
        mode = cols[1].selectbox(
            "Live or recorded",
            modes,
            index=modes.index(ObservationMode(obs.mode)),
            format_func=lambda m: m.value.capitalize(),
        )
        duration = cols[2].number_input(
            "Length (minutes)", min_value=1, max_value=480, value=obs.duration_minutes or 30
        )
        field_error(errors, "duration_minutes")
        case_ref = text_input(
            "Case reference (optional)",
            value=obs.case_ref or "",
            help="The CRN only. Never a name.",
            max_chars=CASE_REF_MAX,
        )
        field_error(errors, "case_ref")
        items = []
        typed_evidence: dict[str, str | None] = {}  # as typed, to list what differs after a stale save
        for domain in framework.domains:
            current = obs.ratings.get(domain.key)
            rating_options: list[int | str] = [1, 2, 3, 4, NOT_OBSERVED]
            initial = rating_choice(current.rating, current.not_observed) if current else None
            st.markdown(f"**{plain(domain.title)}**: {plain(domain.focus)}")
            with st.expander("What each point looks like"):
                for value, text in sorted(domain.descriptors.items()):
                    st.markdown(f"**{value} {plain(scale[int(value)])}**: {plain(text)}")
            picked = st.radio(
                domain.title,
                rating_options,
                index=rating_options.index(initial) if initial in rating_options else None,
                format_func=lambda v: v if v == NOT_OBSERVED else f"{v} {scale[v]}",
                horizontal=True,
                key=f"r_{obs.id}_{domain.key}",
                label_visibility="collapsed",
            )
            evidence = text_area(
                "Evidence",
                value=current.evidence if current else "",
                key=f"ev_{obs.id}_{domain.key}",
                height=68,
                label_visibility="collapsed",
                placeholder="What you saw and heard",
                max_chars=EVIDENCE_MAX,
            )
            typed_evidence[domain.key] = evidence
            items.append(
                {
                    "domain_key": domain.key,
                    "rating": None if picked in (None, NOT_OBSERVED) else picked,
                    "not_observed": picked == NOT_OBSERVED,
                    "evidence": evidence,
                }
            )
        field_error(errors, "ratings")
        strengths = text_area("Overall strengths", value=obs.strengths, key=f"strengths_{obs.id}", max_chars=NOTE_MAX)
        field_error(errors, "strengths")
        development = text_area(
            "Development points", value=obs.development_points, key=f"devpoints_{obs.id}", max_chars=NOTE_MAX
        )
        field_error(errors, "development_points")
        if errors:
            st.error("Not saved yet: " + " ".join(errors.values()), icon=":material/error:")
        save_col, share_col = st.columns(2)
        save = save_col.form_submit_button("Save")
        send = share_col.form_submit_button("Save and share with the practitioner", type="primary")
    if save or send:

        def save_and_share() -> None:
            version = observations.save_record(
                actor,
                obs.id,
                validate(
                    ObservationRecord,
                    {
                        "consent": consent,
                        "observed_on": observed_on,
                        "setting": setting,
                        "mode": mode,
                        "duration_minutes": duration,
                        "case_ref": case_ref,
                        "strengths": strengths,
                        "development_points": development,
                        "date_change_confirmed": date_changed,
                    },
                ),
                [validate(RatingInput, r) for r in items],
                editing_from,
            )
            saved(record_key, version)
            if send:
                observations.share(actor, obs.id)

        def keep_typed(exc: StaleEdit) -> None:
            pairs: list[tuple[str, str | None, str | None]] = [
                (
                    f"Your evidence for: {d.title}",
                    typed_evidence.get(d.key),
                    (saved_rating.evidence if (saved_rating := obs.ratings.get(d.key)) else ""),
                )
                for d in framework.domains  # one item per domain, as the form is drawn
            ]
            pairs += [
                ("Your overall strengths", strengths, obs.strengths),
                ("Your development points", development, obs.development_points),
            ]
            refused(record_key, str(exc), changed_texts(pairs))

        submit(
            f"obs:{obs.id}",
            save_and_share,
            success="Shared. The practitioner can now read it and reply." if send else "Saved.",
            on_stale=keep_typed,
        )
    stale_panel(record_key, form_keys)

    st.subheader("Development goals", anchor=False)
    for goal in obs.goals:
        st.markdown(
            f"- {plain(goal.description)} (review by {goal.review_date:%d %b %Y}) · {plain(goal.agreement_text)}"
        )
    if obs.can_propose_goal:
        goal_form()
    else:
        st.caption("Goals can be proposed once the session is saved with the person's consent.")

    if obs.calibration_of_id is None:
        with st.expander("Ask a second observer to rate this session too (calibration)"):
            st.caption(
                "They rate the same session on their own, without seeing your ratings. "
                "Quality-assurance leads compare the two to keep ratings consistent."
            )
            colleagues = dict(observations.colleagues_to_invite(actor))
            colleagues.pop(obs.practitioner_id, None)
            if colleagues:
                second = st.selectbox(
                    "Second observer",
                    list(colleagues),
                    format_func=lambda i: literal(colleagues[i]),
                    key=f"second_{obs.id}",
                )
                if st.button("Add second observer", key=f"add_second_{obs.id}"):
                    submit(
                        None,
                        lambda: observations.add_second_observer(actor, obs.id, second),
                        success="Second observer added. The session is in their list of observations to do.",
                        on_error=all_errors,
                        refusal_field="observer_id",
                    )

# ----------------------------------------------------------- after it is shared
if obs.shared:
    st.header("Ratings", anchor=False)
    for domain in framework.domains:
        given = obs.ratings.get(domain.key)
        own = obs.self_ratings.get(domain.key)
        rating = (
            NOT_OBSERVED
            if given and given.not_observed
            else (f"{given.rating} {scale[given.rating]}" if given and given.rating else "not rated")
        )
        line = f"**{plain(domain.title)}**: {rating}"
        if obs.self_ratings:
            line += f" · own rating: {f'{own.rating} {scale[own.rating]}' if own and own.rating else 'not given'}"
            if own and own.after_sharing:
                line += " (given after reading the observer's)"
        st.markdown(line)
        if given and given.evidence:
            show_text(given.evidence)
    st.subheader("Strengths", anchor=False)
    show_text(obs.strengths or "None recorded.")
    st.subheader("Development points", anchor=False)
    show_text(obs.development_points or "None recorded.")
    st.subheader("Development goals", anchor=False)
    if not obs.goals:
        st.caption("No goals yet.")
    for goal in obs.goals:
        with st.container(border=True):
            st.markdown(
                f"**{plain(goal.description)}** · review by {goal.review_date:%d %b %Y} · "
                + (goal.status if goal.agreed else plain(goal.agreement_text))
                + (" · :orange[due for review]" if goal.due_for_review else "")
            )
            if goal.progress:
                show_text(goal.progress)
            if goal.can_agree and st.button("Agree this goal", key=f"agree_goal_{goal.id}", type="primary"):
                submit(
                    None,
                    functools.partial(observations.agree_goal, actor, goal.id),
                    success="Goal agreed. It is now one of the open goals reviewed in supervision.",
                    on_error=all_errors,
                )
            if obs.can_update_goals and goal.agreed:
                with st.form(f"progress_{goal.id}"):
                    statuses = list(GoalStatus)
                    status = st.selectbox(
                        "Status",
                        statuses,
                        index=statuses.index(GoalStatus(goal.status)),
                        format_func=lambda s: s.value.capitalize(),
                        key=f"gs_{goal.id}",
                    )
                    progress = text_area("Progress", value=goal.progress, key=f"gp_{goal.id}", max_chars=NOTE_MAX)
                    if st.form_submit_button("Save progress"):
                        observations.update_goal(
                            actor, goal.id, validate(GoalProgress, {"status": status, "progress": progress})
                        )
                        flash("Progress saved.")
                        st.rerun()
    if obs.can_propose_goal:
        goal_form()

    st.header("Your reflection and reply" if obs.can_reply else "The practitioner's reflection and reply", anchor=False)
    if obs.can_reply:
        st.caption(
            "Only you write here. Your observer and SPO can read it, and nobody else can change it. Once you acknowledge, it is final."
        )
        reply_errors = form_errors(f"oreply:{obs.id}")
        with st.form(f"reply_{obs.id}"):
            reflection = text_area(
                "My reflection", value=obs.reflection or "", key=f"reflection_{obs.id}", max_chars=NOTE_MAX
            )
            field_error(reply_errors, "reflection")
            reply_text = text_area(
                "My reply to the observer", value=obs.reply or "", key=f"oreply_{obs.id}", max_chars=NOTE_MAX
            )
            field_error(reply_errors, "reply")
            save_col, ack_col = st.columns(2)
            save = save_col.form_submit_button("Save")
            ack = ack_col.form_submit_button("Save and acknowledge", type="primary")
        if save or ack:
            submit(
                f"oreply:{obs.id}",
                lambda: observations.reply(
                    actor,
                    obs.id,
                    validate(PractitionerReply, {"reflection": reflection, "reply": reply_text}),
                    acknowledge=ack,
                ),
                success="Acknowledged. Thank you." if ack else "Saved.",
            )
    else:
        st.markdown("**Reflection**")
        show_text(obs.reflection or "None yet.")
        st.markdown("**Reply**")
        show_text(obs.reply or "None yet.")
        if obs.acknowledged_at:
            st.caption(f"Acknowledged {uk_time(obs.acknowledged_at)}")
