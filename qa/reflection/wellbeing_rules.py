"""Gentle, private patterns in a practitioner's own debriefs, and the only team view.

Everything here works on plain data (:class:`DebriefPoint`) that the caller
builds from the practitioner's *own* debriefs. Nothing here reads the
database, and nothing here is ever meant for performance views: the
per-person functions are for the author's own "how have I been doing" page,
and :func:`team_wellbeing` is the only team-level figure, shown only when at
least :data:`MIN_PEOPLE` people contributed.

Times: ``created_at`` and ``now`` may be timezone-aware or naive; a naive
value is taken to be UTC (which is how the portal stores times). Weeks are
worked out on the UTC date and start on Monday.

Pure module: no database, no Streamlit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from db.reflection import Need
from qa.reflection.emotions import ALL_WORDS

DEFAULT_THRESHOLD = 7
SUSTAINED_DAYS = 14
MIN_PEOPLE = 5
NOT_ENOUGH = "Not enough responses to show."
TOP_FEELINGS = 5


@dataclass(frozen=True, slots=True)
class DebriefPoint:
    """What these rules need from one debrief: no free text, no case details."""

    created_at: datetime
    intensity: int
    feelings: tuple[str, ...] = ()
    setting: str | None = None


class WeekLoad(NamedTuple):
    week_start: date  # a Monday
    debriefs: int
    mean_intensity: float


class FeelingCount(NamedTuple):
    word: str
    times: int  # not `count`, which would hide tuple.count


class SettingLink(NamedTuple):
    setting: str
    high_count: int
    total: int
    share: float  # high_count / total, from 0.0 to 1.0


@dataclass(frozen=True, slots=True)
class TeamWellbeing:
    """Team totals only. There is deliberately no field that could hold a per-person value."""

    debriefs: int
    people: int
    mean_intensity: float
    top_feelings: tuple[FeelingCount, ...]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _mean(values: Sequence[int]) -> float:
    return sum(values) / len(values)


def _vocabulary_rank(word: str) -> tuple[int, int, str]:
    # Known words keep the vocabulary's order; anything else goes after them, alphabetically.
    try:
        return (0, ALL_WORDS.index(word), "")
    except ValueError:
        return (1, 0, word)


def sustained_high(
    points: Iterable[DebriefPoint],
    now: datetime,
    threshold: int = DEFAULT_THRESHOLD,
    days: int = SUSTAINED_DAYS,
) -> bool:
    """Has the practitioner's debrief intensity stayed high for a while?

    This is what "intensity stays at 7 or above for two weeks" means here.
    Look only at the debriefs from the last ``days`` days (from exactly
    ``days`` days before ``now`` up to ``now``; anything older, or later
    than ``now``, is ignored). The answer is yes only when all three hold:

    1. there are at least 2 of those debriefs;
    2. every one of them is rated at ``threshold`` or above (a single lower
       one means things have not stayed high, so the answer is no); and
    3. the first and last of them are at least ``days // 2`` days apart, so
       that a cluster of hard debriefs on one or two days does not count as
       "sustained".

    With the defaults: two or more debriefs in the last 14 days, all rated 7
    or more, spread across at least 7 days.
    """
    if days < 1:
        raise ValueError("days must be at least 1.")
    end = _utc(now)
    start = end - timedelta(days=days)
    recent = sorted(
        (point for point in points if start <= _utc(point.created_at) <= end),
        key=lambda point: _utc(point.created_at),
    )
    if len(recent) < 2:
        return False
    if any(point.intensity < threshold for point in recent):
        return False
    spread = _utc(recent[-1].created_at) - _utc(recent[0].created_at)
    return spread >= timedelta(days=days // 2)


def should_signpost(
    need: Need | str | None,
    points: Iterable[DebriefPoint],
    now: datetime,
    threshold: int = DEFAULT_THRESHOLD,
) -> bool:
    """Should the portal gently point the practitioner towards support?

    Yes when they asked for specialist support in this debrief, or when
    :func:`sustained_high` holds for their debriefs (with ``threshold`` and
    :data:`SUSTAINED_DAYS`).
    """
    if need == Need.SPECIALIST:
        return True
    return sustained_high(points, now, threshold=threshold, days=SUSTAINED_DAYS)


def week_start(moment: datetime) -> date:
    """The Monday (UTC date) of the week ``moment`` falls in."""
    day = _utc(moment).date()
    return day - timedelta(days=day.weekday())


def load_by_week(points: Iterable[DebriefPoint]) -> list[WeekLoad]:
    """Debriefs per week and their mean intensity, oldest week first.

    Only weeks with at least one debrief are listed (no zero rows are made up
    for quiet weeks). Each row is ``(week_start, debriefs, mean_intensity)``.
    """
    by_week: dict[date, list[int]] = {}
    for point in points:
        by_week.setdefault(week_start(point.created_at), []).append(point.intensity)
    return [WeekLoad(week, len(values), _mean(values)) for week, values in sorted(by_week.items())]


def _count_feelings(points: Iterable[DebriefPoint]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for point in points:
        # A word counts once per debrief, as it does in the debrief_feeling table.
        counts.update(set(point.feelings))
    return counts


def _top(counts: Counter[str], n: int) -> list[FeelingCount]:
    if n <= 0:
        return []
    ranked = sorted(counts.items(), key=lambda item: (-item[1], _vocabulary_rank(item[0])))
    return [FeelingCount(word, count) for word, count in ranked[:n]]


def top_feelings(points: Iterable[DebriefPoint], n: int = TOP_FEELINGS) -> list[FeelingCount]:
    """The ``n`` feelings named most often, as ``(word, count)``, most frequent first.

    Each word counts at most once per debrief. Ties are broken by the order
    of :data:`qa.reflection.emotions.ALL_WORDS`; any word not in the vocabulary comes
    after the known words it ties with, alphabetically.
    """
    return _top(_count_feelings(points), n)


def settings_linked_to_high_intensity(
    points: Iterable[DebriefPoint],
    threshold: int = DEFAULT_THRESHOLD,
) -> list[SettingLink]:
    """For each setting, how many debriefs were rated at ``threshold`` or above.

    Rows are ``(setting, high_count, total, share)`` where ``share`` is
    ``high_count / total``. Only settings with at least 2 debriefs are listed
    (one debrief says little), debriefs with no setting are left out, and a
    setting is listed even if none of its debriefs were high (share 0.0) so
    the comparison is fair. Sorted by share, then high count, then total
    (all largest first), then by setting name.
    """
    by_setting: dict[str, list[int]] = {}
    for point in points:
        if point.setting is None:
            continue
        by_setting.setdefault(str(point.setting), []).append(point.intensity)
    rows = []
    for setting, values in by_setting.items():
        if len(values) < 2:
            continue
        high = sum(1 for value in values if value >= threshold)
        rows.append(SettingLink(setting, high, len(values), high / len(values)))
    rows.sort(key=lambda row: (-row.share, -row.high_count, -row.total, row.setting))
    return rows


def team_wellbeing(
    per_person: Mapping[int, Sequence[DebriefPoint]],
    min_people: int = MIN_PEOPLE,
) -> TeamWellbeing | None:
    """Team totals from everyone's debriefs, or None when too few people took part.

    ``per_person`` maps a person's id to their debriefs for the period. Only
    people with at least one debrief count as having contributed. When fewer
    than ``min_people`` contributed the answer is None, which the page shows
    as :data:`NOT_ENOUGH`. ``min_people`` can be raised but never set below
    :data:`MIN_PEOPLE` (ValueError), because the portal promises that team
    figures only ever come from groups of at least five.

    The result holds the number of debriefs, the number of people, the mean
    intensity across all debriefs and the top five feelings; never anything
    about one person.
    """
    if min_people < MIN_PEOPLE:
        raise ValueError(f"Team figures need at least {MIN_PEOPLE} people; min_people cannot be lower.")
    contributions = [list(points) for points in per_person.values() if points]
    if len(contributions) < min_people:
        return None
    all_points = [point for points in contributions for point in points]
    return TeamWellbeing(
        debriefs=len(all_points),
        people=len(contributions),
        mean_intensity=_mean([point.intensity for point in all_points]),
        top_feelings=tuple(_top(_count_feelings(all_points), TOP_FEELINGS)),
    )
