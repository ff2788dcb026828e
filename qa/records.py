"""What a service returns when it points at a record: its kind and its id.

Services never name a screen; the UI layer (pages/_registry.py) turns a
:class:`RecordRef` into a link.

:class:`RecordKind` holds every kind of record the access log knows
(``db.access_log.RecordKind``, same names and values) and the further things a
work queue points at (qa/worklist.py): an audit event, a person's supervision
or observation to arrange, a request to talk, a user account to fix, a PDU's
coverage and cadence, and a setting. tests/test_worklist.py checks that the
access log's kinds are all here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["RecordKind", "RecordRef"]


class RecordKind(StrEnum):
    # The access log's kinds (db/access_log.py).
    OBSERVATION = "observation"
    CASE_AUDIT = "case_audit"
    FEEDBACK_SHEET = "feedback_sheet"
    SHARED_NOTE = "shared_note"
    SHARED_DEBRIEF = "shared_debrief"
    SUPERVISION_SESSION = "supervision_session"
    DEVELOPMENT = "development"
    # What the home pages' work queues point at as well.
    AUDIT_EVENT = "audit_event"
    SUPERVISEE = "supervisee"  # preparing supervision with this person (a user id)
    OBSERVATION_TO_PLAN = "observation_to_plan"  # a practitioner due an observation (a user id)
    SUPPORT_REQUEST = "support_request"
    USER = "user"  # an account for an administrator to look at
    PDU_OBSERVATION_COVERAGE = "pdu_observation_coverage"  # a PDU id
    PDU_SUPERVISION_CADENCE = "pdu_supervision_cadence"  # a PDU id
    SETTINGS = "settings"  # the portal's settings (id 0: there is one set)
    SUPPORT_CONTACTS = "support_contacts"  # the support contacts list (id 0)


@dataclass(frozen=True)
class RecordRef:
    kind: RecordKind
    id: int
