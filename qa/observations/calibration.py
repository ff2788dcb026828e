"""Observer calibration: how far two observers agree when they rate the same session.

For each skill area we compare the pairs of ratings from sessions observed
twice: weighted Cohen's kappa (quadratic weights, since the scale is ordered)
and the share of ratings that match exactly or within one point.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from db.engine import session_scope
from db.ids import id_of
from db.observations import Observation, ObservationRating, ObservationStatus
from db.organisation import Team, User
from qa.access.actor import Actor
from qa.access.policy import Action, PduScope, require
from qa.audits.agreement import exact_and_adjacent, weighted_kappa
from qa.observations import framework as skills_framework

SCALE = [1, 2, 3, 4]
SHARED = [ObservationStatus.SHARED, ObservationStatus.ACKNOWLEDGED]
#: Agreement is judged only from this many double-rated sessions (pairs of ratings) upwards.
MIN_PAIRS = 5
TOO_FEW = f"Too few double-rated sessions to judge agreement (at least {MIN_PAIRS} needed)"
NO_KAPPA = (
    "Kappa cannot be worked out: both observers gave one and the same rating every time, "
    "so chance alone could explain the agreement. Read the exact agreement instead."
)


@dataclass(frozen=True)
class DomainAgreement:
    domain_key: str
    domain_title: str
    pairs: int
    weighted_kappa: float | None
    exact: float | None
    adjacent: float | None

    @property
    def judged(self) -> bool:
        """Enough pairs of ratings to judge agreement at all."""
        return self.pairs >= MIN_PAIRS

    @property
    def shown_kappa(self) -> float | None:
        """The kappa to show: None when there are too few pairs or it cannot be worked out (see :attr:`why_not`)."""
        return self.weighted_kappa if self.judged else None

    @property
    def in_brief(self) -> str | None:
        """A few words for a table cell in place of the kappa; None when it is shown."""
        if not self.judged:
            return f"Too few sessions ({self.pairs} of {MIN_PAIRS})"
        if self.weighted_kappa is None:
            return "Same rating every time"
        return None

    @property
    def why_not(self) -> str | None:
        """Why no kappa is shown for this skill area, in plain words; None when it is shown."""
        if not self.judged:
            return f"{TOO_FEW}: {self.pairs} so far."
        if self.weighted_kappa is None:
            return NO_KAPPA
        return None


@dataclass
class CalibrationReport:
    sessions: int
    domains: list[DomainAgreement]

    @property
    def too_few(self) -> str | None:
        """The plain message when no skill area has enough double-rated sessions; None otherwise."""
        if any(d.judged for d in self.domains):
            return None
        return f"{TOO_FEW}. {self.sessions} session{'s' if self.sessions != 1 else ''} rated twice so far."


def _ratings(session: Session, observation_id: int) -> dict[str, int]:
    return {
        r.domain_key: r.rating
        for r in session.exec(select(ObservationRating).where(ObservationRating.observation_id == observation_id))
        if r.rating is not None
    }


def calibration_report(actor: Actor, pdu_id: int) -> CalibrationReport:
    require(actor, Action.VIEW_CALIBRATION, PduScope(pdu_id))
    with session_scope() as session:
        seconds = session.exec(
            select(Observation)
            .join(User, col(Observation.practitioner_id) == col(User.id))
            .join(Team, col(User.team_id) == col(Team.id))
            .where(
                col(Team.pdu_id) == pdu_id,
                col(Observation.calibration_of_id).is_not(None),
                col(Observation.status).in_(SHARED),
            )
        ).all()
        _row, framework = skills_framework.latest(session)
        by_domain: dict[str, tuple[list[int], list[int]]] = {d.key: ([], []) for d in framework.domains}
        sessions = 0
        for second in seconds:
            first = session.get(Observation, second.calibration_of_id)
            if first is None or first.status not in SHARED:
                continue
            sessions += 1
            a, b = _ratings(session, id_of(first)), _ratings(session, id_of(second))
            for key in by_domain:
                if key in a and key in b:
                    by_domain[key][0].append(a[key])
                    by_domain[key][1].append(b[key])
    domains = []
    for domain in framework.domains:
        firsts, seconds_ = by_domain[domain.key]
        both = exact_and_adjacent(firsts, seconds_, SCALE) if firsts else None
        domains.append(
            DomainAgreement(
                domain.key,
                domain.title,
                len(firsts),
                weighted_kappa(firsts, seconds_, SCALE, weights="quadratic") if firsts else None,
                both[0] if both else None,
                both[1] if both else None,
            )
        )
    return CalibrationReport(sessions, domains)
