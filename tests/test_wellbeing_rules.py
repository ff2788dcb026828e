"""Private wellbeing patterns in a practitioner's own debriefs, and the team view."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.reflection import Need
from qa.reflection.emotions import ALL_WORDS
from qa.reflection.wellbeing_rules import (
    DEFAULT_THRESHOLD,
    MIN_PEOPLE,
    NOT_ENOUGH,
    SUSTAINED_DAYS,
    DebriefPoint,
    TeamWellbeing,
    load_by_week,
    settings_linked_to_high_intensity,
    should_signpost,
    sustained_high,
    team_wellbeing,
    top_feelings,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday


def ago(days=0, hours=0, seconds=0):
    return NOW - timedelta(days=days, hours=hours, seconds=seconds)


def pt(when, intensity, feelings=(), setting=None):
    return DebriefPoint(created_at=when, intensity=intensity, feelings=tuple(feelings), setting=setting)


def test_constants():
    assert DEFAULT_THRESHOLD == 7
    assert SUSTAINED_DAYS == 14
    assert MIN_PEOPLE == 5
    assert NOT_ENOUGH == "Not enough responses to show."


# --- sustained_high -----------------------------------------------------------


def test_sustained_high_two_weeks_of_high_debriefs():
    points = [pt(ago(13), 8), pt(ago(9), 7), pt(ago(4), 9), pt(ago(0), 7)]
    assert sustained_high(points, NOW)


def test_sustained_high_exactly_14_days_is_inside_the_window():
    points = [pt(ago(14), 7), pt(ago(0), 7)]
    assert sustained_high(points, NOW)


def test_just_over_14_days_ago_falls_outside():
    # The older one drops out, leaving a single debrief: not enough.
    points = [pt(ago(14, seconds=1), 9), pt(ago(0), 9)]
    assert not sustained_high(points, NOW)


def test_one_low_debrief_breaks_it():
    points = [pt(ago(13), 8), pt(ago(9), 6), pt(ago(4), 9), pt(ago(0), 8)]
    assert not sustained_high(points, NOW)


def test_a_low_debrief_before_the_window_does_not_count():
    points = [pt(ago(20), 2), pt(ago(10), 8), pt(ago(1), 8)]
    assert sustained_high(points, NOW)


def test_single_debrief_not_enough():
    assert not sustained_high([pt(ago(3), 10)], NOW)


def test_empty_input():
    assert not sustained_high([], NOW)
    assert not should_signpost(Need.NOTHING, [], NOW, DEFAULT_THRESHOLD)
    assert load_by_week([]) == []
    assert top_feelings([]) == []
    assert settings_linked_to_high_intensity([], DEFAULT_THRESHOLD) == []
    assert team_wellbeing({}) is None


def test_cluster_on_a_few_days_is_not_sustained():
    # Spread of 6 days 23 hours is under days // 2 == 7.
    points = [pt(ago(7, hours=-1), 9), pt(ago(3), 9), pt(ago(0), 9)]
    assert not sustained_high(points, NOW)
    # Exactly 7 days apart is enough.
    assert sustained_high([pt(ago(7), 9), pt(ago(0), 9)], NOW)


def test_threshold_and_days_parameters():
    points = [pt(ago(6), 5), pt(ago(3), 5), pt(ago(0), 6)]
    assert not sustained_high(points, NOW)
    assert not sustained_high(points, NOW, threshold=5)  # 6-day spread is under 14 // 2
    assert sustained_high(points, NOW, threshold=5, days=12)  # 6-day spread is enough for 12 // 2
    assert sustained_high(
        points, NOW, threshold=5, days=6
    )  # window 6 days, spread 6 >= 3  # window 6 days, spread 6 >= 3
    assert not sustained_high(points, NOW, threshold=5, days=2)  # only one inside a 2-day window
    with pytest.raises(ValueError):
        sustained_high(points, NOW, days=0)


def test_future_debriefs_are_ignored():
    points = [pt(ago(10), 8), pt(NOW + timedelta(days=1), 2), pt(ago(0), 8)]
    assert sustained_high(points, NOW)


def test_naive_times_are_taken_as_utc():
    naive_now = NOW.replace(tzinfo=None)
    points = [pt(ago(10).replace(tzinfo=None), 8), pt(ago(1), 8)]
    assert sustained_high(points, naive_now)


# --- should_signpost ----------------------------------------------------------


def test_signpost_when_specialist_support_asked_for():
    assert should_signpost(Need.SPECIALIST, [], NOW, DEFAULT_THRESHOLD)
    assert should_signpost("specialist support", [pt(ago(1), 1)], NOW, DEFAULT_THRESHOLD)


def test_signpost_when_sustained_high():
    points = [pt(ago(12), 8), pt(ago(2), 8)]
    assert should_signpost(Need.NOTHING, points, NOW, DEFAULT_THRESHOLD)
    assert should_signpost(Need.COLLEAGUE, points, NOW, DEFAULT_THRESHOLD)


def test_no_signpost_otherwise():
    points = [pt(ago(12), 8), pt(ago(2), 5)]
    for need in Need:
        if need is not Need.SPECIALIST:
            assert not should_signpost(need, points, NOW, DEFAULT_THRESHOLD)
    assert not should_signpost(None, points, NOW, DEFAULT_THRESHOLD)
    assert should_signpost(Need.NOTHING, points, NOW, 5)


# --- load_by_week -------------------------------------------------------------


def test_load_by_week_groups_from_monday():
    points = [
        pt(datetime(2026, 11, 23, 9, tzinfo=UTC), 4),  # Monday
        pt(datetime(2026, 11, 29, 23, tzinfo=UTC), 9),  # Sunday, same week
        pt(datetime(2026, 11, 30, 0, 30, tzinfo=UTC), 6),  # next Monday
        pt(datetime(2026, 11, 11, 12, tzinfo=UTC), 3),  # Wednesday two weeks before
    ]
    assert load_by_week(points) == [
        (date(2026, 11, 9), 1, 3.0),
        (date(2026, 11, 23), 2, 6.5),
        (date(2026, 11, 30), 1, 6.0),
    ]
    first = load_by_week(points)[0]
    assert first.week_start.weekday() == 0
    assert first.debriefs == 1 and first.mean_intensity == 3.0


# --- top_feelings -------------------------------------------------------------


def test_top_feelings_counts_and_orders():
    points = [
        pt(ago(1), 5, ["drained", "anxious", "relieved"]),
        pt(ago(2), 5, ["drained", "anxious"]),
        pt(ago(3), 5, ["drained", "sad"]),
        pt(ago(4), 5, ["angry"]),
    ]
    assert top_feelings(points, n=3) == [("drained", 3), ("anxious", 2), ("angry", 1)]


def test_top_feelings_ties_follow_vocabulary_order():
    words = ["relieved", "sad", "angry", "anxious", "drained", "proud"]
    points = [pt(ago(1), 5, words)]
    expected = sorted(words, key=ALL_WORDS.index)
    assert [w for w, _ in top_feelings(points, n=6)] == expected
    assert [w for w, _ in top_feelings(points)] == expected[:5]


def test_top_feelings_counts_a_word_once_per_debrief_and_unknown_words_last():
    points = [pt(ago(1), 5, ["anxious", "anxious", "zebra"]), pt(ago(2), 5, ["apple"])]
    assert top_feelings(points) == [("anxious", 1), ("apple", 1), ("zebra", 1)]
    assert top_feelings(points, n=0) == []


# --- settings_linked_to_high_intensity ----------------------------------------


def test_settings_linked_to_high_intensity():
    points = [
        pt(ago(1), 8, setting="home visit"),
        pt(ago(2), 9, setting="home visit"),
        pt(ago(3), 3, setting="home visit"),
        pt(ago(4), 7, setting="prison"),
        pt(ago(5), 2, setting="prison"),
        pt(ago(6), 9, setting="court"),  # only one: left out
        pt(ago(7), 2, setting="office"),
        pt(ago(8), 3, setting="office"),
        pt(ago(9), 10, setting=None),
        pt(ago(10), 10, setting=None),
        pt(ago(11), 8, setting="telephone or video"),
        pt(ago(12), 8, setting="telephone or video"),
        pt(ago(13), 1, setting="telephone or video"),
    ]
    rows = settings_linked_to_high_intensity(points, DEFAULT_THRESHOLD)
    assert rows == [
        ("home visit", 2, 3, pytest.approx(2 / 3)),
        ("telephone or video", 2, 3, pytest.approx(2 / 3)),
        ("prison", 1, 2, 0.5),
        ("office", 0, 2, 0.0),
    ]
    assert rows[0].share == pytest.approx(2 / 3)


def test_settings_sort_by_count_when_share_ties():
    points = [pt(ago(i), 8, setting="prison") for i in range(2)] + [pt(ago(i), 8, setting="court") for i in range(4)]
    rows = settings_linked_to_high_intensity(points, DEFAULT_THRESHOLD)
    assert [r.setting for r in rows] == ["court", "prison"]
    assert rows[0] == ("court", 4, 4, 1.0)


# --- team_wellbeing -----------------------------------------------------------


def _team(people):
    return {pid: [pt(ago(pid), pid % 11, ["drained", "anxious"][: 1 + pid % 2])] for pid in range(1, people + 1)}


def test_team_suppressed_at_four_people():
    assert team_wellbeing(_team(4)) is None


def test_team_shown_at_five_people():
    result = team_wellbeing(_team(5))
    assert isinstance(result, TeamWellbeing)
    assert result.people == 5
    assert result.debriefs == 5
    assert result.mean_intensity == 3.0  # (1 + 2 + 3 + 4 + 5) / 5
    assert result.top_feelings == (("drained", 5), ("anxious", 3))  # people 1, 3 and 5 said anxious


def test_people_without_debriefs_do_not_count():
    team = _team(4)
    team[99] = []
    assert team_wellbeing(team) is None


def test_team_totals_across_several_debriefs_each():
    team = {pid: [pt(ago(1), 2, ["calm"]), pt(ago(2), 8, ["drained"])] for pid in range(5)}
    result = team_wellbeing(team)
    assert (result.debriefs, result.people, result.mean_intensity) == (10, 5, 5.0)
    assert result.top_feelings == (("drained", 5), ("calm", 5))


def test_min_people_can_be_raised_not_lowered():
    assert team_wellbeing(_team(5), min_people=6) is None
    assert team_wellbeing(_team(6), min_people=6).people == 6
    with pytest.raises(ValueError):
        team_wellbeing(_team(4), min_people=4)


points_strategy = st.lists(
    st.builds(
        DebriefPoint,
        created_at=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)),
        intensity=st.integers(min_value=0, max_value=10),
        feelings=st.lists(st.sampled_from(ALL_WORDS), max_size=4).map(tuple),
        setting=st.none() | st.sampled_from(["office", "home visit", "prison"]),
    ),
    max_size=6,
)


@given(
    team=st.dictionaries(st.integers(min_value=1, max_value=10_000), points_strategy, max_size=12),
    min_people=st.integers(min_value=MIN_PEOPLE, max_value=9),
)
def test_team_wellbeing_property(team, min_people):
    result = team_wellbeing(team, min_people=min_people)
    contributors = sum(1 for points in team.values() if points)
    if contributors < MIN_PEOPLE or contributors < min_people:
        assert result is None
        return
    assert result is not None
    assert result.people == contributors >= MIN_PEOPLE
    intensities = [p.intensity for points in team.values() for p in points]
    assert result.debriefs == len(intensities)
    assert min(intensities) <= result.mean_intensity <= max(intensities)
    assert len(result.top_feelings) <= 5
