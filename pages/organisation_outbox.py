"""Outbox, for administrators: notification emails waiting, failing or failed, the last error, and retry."""

import pandas as pd
import streamlit as st

from db.notifications import OutboxStatus
from pages._ui import current_actor, dataframe, first_error, plain, show_flash, submit, uk_time
from qa.notifications import outbox, sender

actor = current_actor()
st.title("Outbox", anchor=False)
show_flash()
st.markdown(
    "Notification emails are sent outside the portal by `python -m portal send-notifications` (from cron, or "
    "as a loop beside the portal). While the mail server is down they wait here and are tried again, further "
    "apart each time. **Send a test email** is on Settings."
)

summary = outbox.outbox_summary(actor)
if not summary.configured:
    st.warning(sender.NOT_CONFIGURED, icon=":material/mail_off:")

waiting, sending, failed, sent, skipped = st.columns(5)
waiting.metric("Waiting to send", summary.count(OutboxStatus.QUEUED))
sending.metric("Being sent now", summary.count(OutboxStatus.SENDING))
failed.metric("Failed", summary.count(OutboxStatus.FAILED))
sent.metric("Sent", summary.count(OutboxStatus.SENT))
skipped.metric(
    "Not emailed",
    summary.count(OutboxStatus.SKIPPED),
    help="The person turned this kind of email off, or has no active account with an email address.",
)
if summary.oldest_queued_at:
    st.caption(f"The oldest email waiting was written on {uk_time(summary.oldest_queued_at)}.")

st.header("Last error", anchor=False)
if summary.last_error:
    st.error(plain(summary.last_error), icon=":material/error:")
else:
    st.success("No email is failing.", icon=":material/check_circle:")

if summary.problems:
    st.header("Emails that need attention", anchor=False)
    dataframe(
        pd.DataFrame(
            [
                {
                    "What": p.what,
                    "For": p.to,
                    "State": "Failed" if p.status == OutboxStatus.FAILED else "Waiting to retry",
                    "Attempts": p.attempts,
                    "Next attempt": uk_time(p.next_attempt_at) if p.next_attempt_at else "",
                    "Error": p.last_error,
                }
                for p in summary.problems
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    if st.button("Retry now", type="primary", help="Failed emails go back in the queue; waiting retries are due now."):
        submit(
            None,
            lambda: outbox.retry_failed(actor),
            success=lambda n: f"{n} emails will be tried on the sender's next run.",
            on_error=first_error,
        )
