"""Business-hours arithmetic, with every expected value worked out by hand in the comments."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.calendar import add_business_seconds, elapsed_seconds
from schemas.policy import Calendar

H = 3600

OFFICE = [("09:00", "18:00")]
WEEKDAYS_9_18 = {d: OFFICE for d in ("mon", "tue", "wed", "thu", "fri")}


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def cal(
    tz: str = "UTC", weekly: dict[str, list[tuple[str, str]]] | None = None, holidays: list[str] | None = None
) -> Calendar:
    return Calendar(timezone=tz, weekly=WEEKDAYS_9_18 if weekly is None else weekly, holidays=holidays or [])


# 2026-01-02 is a Friday, 2026-01-05 the following Monday.


def test_around_the_clock_counts_wall_seconds_floored() -> None:
    # 1 h 0.999999 s -> 3601 s floored.
    assert elapsed_seconds(None, utc(2026, 1, 1, 10), utc(2026, 1, 1, 11, 0, 1, 999_999)) == 3601
    assert add_business_seconds(None, utc(2026, 1, 1, 10), 90) == utc(2026, 1, 1, 10, 1, 30)


def test_empty_or_negative_range_is_zero() -> None:
    assert elapsed_seconds(cal(), utc(2026, 1, 5, 12), utc(2026, 1, 5, 12)) == 0
    assert elapsed_seconds(cal(), utc(2026, 1, 5, 12), utc(2026, 1, 5, 10)) == 0
    assert elapsed_seconds(None, utc(2026, 1, 5, 12), utc(2026, 1, 5, 10)) == 0


def test_weekend_is_skipped() -> None:
    # Fri 17:00 + 2 h: 1 h until Fri 18:00, the weekend is closed, 1 h from Mon 09:00 -> Mon 10:00.
    assert add_business_seconds(cal(), utc(2026, 1, 2, 17), 2 * H) == utc(2026, 1, 5, 10)
    assert elapsed_seconds(cal(), utc(2026, 1, 2, 17), utc(2026, 1, 5, 10)) == 2 * H


def test_start_in_closed_time_waits_for_opening() -> None:
    # Sat 10:00 + 1 h -> Mon 09:00 + 1 h = Mon 10:00; Sat->Mon 09:00 has no open time.
    assert add_business_seconds(cal(), utc(2026, 1, 3, 10), H) == utc(2026, 1, 5, 10)
    assert elapsed_seconds(cal(), utc(2026, 1, 3, 10), utc(2026, 1, 5, 9)) == 0


def test_holiday_closes_the_whole_day() -> None:
    # Mon 2026-01-05 is a holiday: Fri 17:00 + 2 h -> Fri 18:00 (1 h), Tue 09:00 + 1 h = Tue 10:00.
    c = cal(holidays=["2026-01-05"])
    assert add_business_seconds(c, utc(2026, 1, 2, 17), 2 * H) == utc(2026, 1, 6, 10)
    assert elapsed_seconds(c, utc(2026, 1, 2, 17), utc(2026, 1, 6, 10)) == 2 * H


def test_holiday_is_a_local_date() -> None:
    # Tokyo is UTC+9. Fri 2026-01-02 17:00 JST = 08:00Z. 1 h to 18:00 JST; Mon 01-05 holiday;
    # Tue 09:00 JST + 1 h = Tue 10:00 JST = Tue 01:00Z.
    c = cal("Asia/Tokyo", holidays=["2026-01-05"])
    assert add_business_seconds(c, utc(2026, 1, 2, 8), 2 * H) == utc(2026, 1, 6, 1)


def test_budget_ending_at_closing_time_is_due_at_closing_time() -> None:
    # Fri 17:00 + 1 h = Fri 18:00 exactly, not Mon 09:00.
    assert add_business_seconds(cal(), utc(2026, 1, 2, 17), H) == utc(2026, 1, 2, 18)
    # One second more spills to Monday 09:00:01.
    assert add_business_seconds(cal(), utc(2026, 1, 2, 17), H + 1) == utc(2026, 1, 5, 9, 0, 1)


def test_zero_budget_is_due_at_start() -> None:
    assert add_business_seconds(cal(), utc(2026, 1, 3, 10), 0) == utc(2026, 1, 3, 10)


def test_multi_interval_days() -> None:
    # Mon 09-12 and 13-17. 11:00 + 2 h: 1 h to 12:00, lunch closed, 1 h from 13:00 -> 14:00.
    c = cal(weekly={"mon": [("09:00", "12:00"), ("13:00", "17:00")]})
    assert add_business_seconds(c, utc(2026, 1, 5, 11), 2 * H) == utc(2026, 1, 5, 14)
    assert elapsed_seconds(c, utc(2026, 1, 5, 11), utc(2026, 1, 5, 14)) == 2 * H
    # The whole Monday is 3 h + 4 h = 7 h.
    assert elapsed_seconds(c, utc(2026, 1, 5), utc(2026, 1, 6)) == 7 * H
    # Budget ending exactly at the lunch closing: 11:00 + 1 h = 12:00.
    assert add_business_seconds(c, utc(2026, 1, 5, 11), H) == utc(2026, 1, 5, 12)


def test_24_00_end_joins_the_next_day() -> None:
    # Sat 20:00-24:00, Sun 00:00-02:00 (2026-01-03 is a Saturday). Sat 23:00 + 2 h -> Sun 01:00.
    c = cal(weekly={"sat": [("20:00", "24:00")], "sun": [("00:00", "02:00")]})
    assert add_business_seconds(c, utc(2026, 1, 3, 23), 2 * H) == utc(2026, 1, 4, 1)
    # Budget ending exactly at 24:00 stays on Saturday: Sat 23:00 + 1 h = Sun 00:00.
    assert add_business_seconds(c, utc(2026, 1, 3, 23), H) == utc(2026, 1, 4, 0)
    assert elapsed_seconds(c, utc(2026, 1, 3), utc(2026, 1, 5)) == 6 * H


NIGHT = {"sun": [("00:00", "06:00")]}


def test_berlin_spring_forward_shortens_the_interval() -> None:
    # 2026-03-29: 02:00 CET -> 03:00 CEST. 00:00 CET = 03-28 23:00Z, 06:00 CEST = 04:00Z: 5 real hours.
    c = cal("Europe/Berlin", NIGHT)
    assert elapsed_seconds(c, utc(2026, 3, 28), utc(2026, 3, 30)) == 5 * H
    # 00:00 CET + 4 real hours = 03:00Z = 05:00 CEST.
    assert add_business_seconds(c, utc(2026, 3, 28, 23), 4 * H) == utc(2026, 3, 29, 3)
    # 5 h runs out exactly at closing time 06:00 CEST = 04:00Z.
    assert add_business_seconds(c, utc(2026, 3, 28, 23), 5 * H) == utc(2026, 3, 29, 4)


def test_berlin_nonexistent_opening_time_is_shifted_forward() -> None:
    # 02:30 does not exist on 2026-03-29: the clock first shows 02:30 or later at the jump,
    # 03:00 CEST = 01:00Z. Closing 04:00 CEST = 02:00Z, so the day has 1 h.
    c = cal("Europe/Berlin", {"sun": [("02:30", "04:00")]})
    assert elapsed_seconds(c, utc(2026, 3, 29), utc(2026, 3, 30)) == H
    assert add_business_seconds(c, utc(2026, 3, 29), 60) == utc(2026, 3, 29, 1, 1)
    # Closing inside the gap: 01:00 CET (00:00Z) to 02:30 -> 03:00 CEST (01:00Z) = 1 h, not 1.5 h.
    closing = cal("Europe/Berlin", {"sun": [("01:00", "02:30")]})
    assert elapsed_seconds(closing, utc(2026, 3, 29), utc(2026, 3, 30)) == H
    # An interval wholly inside the gap is empty: the next Sunday opens instead.
    gap = cal("Europe/Berlin", {"sun": [("02:00", "02:59")]})
    assert elapsed_seconds(gap, utc(2026, 3, 29), utc(2026, 3, 30)) == 0
    # 2026-04-05 02:00 CEST = 00:00Z.
    assert add_business_seconds(gap, utc(2026, 3, 28), 60) == utc(2026, 4, 5, 0, 1)


def test_berlin_fall_back_lengthens_the_interval() -> None:
    # 2026-10-25: 03:00 CEST -> 02:00 CET. 00:00 CEST = 10-24 22:00Z, 06:00 CET = 05:00Z: 7 real hours.
    c = cal("Europe/Berlin", NIGHT)
    assert elapsed_seconds(c, utc(2026, 10, 24), utc(2026, 10, 26)) == 7 * H
    # 00:00 CEST + 7 h = 05:00Z = 06:00 CET, closing time exactly.
    assert add_business_seconds(c, utc(2026, 10, 24, 22), 7 * H) == utc(2026, 10, 25, 5)


def test_berlin_ambiguous_opening_time_is_the_first_occurrence() -> None:
    # 02:30 happens twice on 2026-10-25; the first is 02:30 CEST = 00:30Z. 04:00 CET = 03:00Z: 2.5 h.
    c = cal("Europe/Berlin", {"sun": [("02:30", "04:00")]})
    assert elapsed_seconds(c, utc(2026, 10, 25), utc(2026, 10, 26)) == 9000
    assert add_business_seconds(c, utc(2026, 10, 25), 60) == utc(2026, 10, 25, 0, 31)


def test_new_york_spring_forward() -> None:
    # 2026-03-08: 02:00 EST -> 03:00 EDT. 00:00 EST = 05:00Z, 06:00 EDT = 10:00Z: 5 h.
    c = cal("America/New_York", NIGHT)
    assert elapsed_seconds(c, utc(2026, 3, 7), utc(2026, 3, 9)) == 5 * H
    # 00:00 EST + 3 h = 08:00Z = 04:00 EDT.
    assert add_business_seconds(c, utc(2026, 3, 8, 5), 3 * H) == utc(2026, 3, 8, 8)


def test_new_york_nonexistent_time() -> None:
    # 2026-03-08 02:15 does not exist in New York: it is the jump, 03:00 EDT = 07:00Z. To 04:00 EDT
    # (08:00Z) is 1 h.
    c = cal("America/New_York", {"sun": [("02:15", "04:00")]})
    assert elapsed_seconds(c, utc(2026, 3, 8), utc(2026, 3, 9)) == H


def test_new_york_fall_back() -> None:
    # 2026-11-01: 02:00 EDT -> 01:00 EST. 00:00 EDT = 04:00Z, 06:00 EST = 11:00Z: 7 h.
    c = cal("America/New_York", NIGHT)
    assert elapsed_seconds(c, utc(2026, 10, 31), utc(2026, 11, 2)) == 7 * H
    # 00:00 EDT + 6 h = 10:00Z = 05:00 EST.
    assert add_business_seconds(c, utc(2026, 11, 1, 4), 6 * H) == utc(2026, 11, 1, 10)


def test_office_hours_across_a_dst_weekend() -> None:
    # Berlin Mon-Fri 09-18. Fri 2026-03-27 17:00 CET = 16:00Z; 1 h to 18:00 CET; the clocks
    # change on Sunday; Mon 09:00 CEST = 07:00Z + 1 h = 08:00Z.
    c = cal("Europe/Berlin")
    assert add_business_seconds(c, utc(2026, 3, 27, 16), 2 * H) == utc(2026, 3, 30, 8)
    assert elapsed_seconds(c, utc(2026, 3, 27, 16), utc(2026, 3, 30, 8)) == 2 * H


def test_fourteen_days_of_office_hours_is_fast() -> None:
    # 14 d = 1,209,600 s = 37 days of 9 h (1,198,800 s) + 3 h. Business day 1 is Mon 2026-01-05,
    # day 36 is Mon 02-23, day 38 Wed 02-25: due Wed 2026-02-25 12:00Z.
    started = time.perf_counter()
    due = add_business_seconds(cal(), utc(2026, 1, 5, 9), 14 * 86400)
    assert due == utc(2026, 2, 25, 12)
    assert elapsed_seconds(cal(), utc(2026, 1, 5, 9), due) == 14 * 86400
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_add_then_elapsed_round_trips(tz: str) -> None:
    c = cal(tz, {**WEEKDAYS_9_18, "sun": [("00:00", "06:00")], "sat": [("20:00", "24:00")]}, ["2026-03-30"])
    start = utc(2026, 3, 26, 13, 17, 5, 250_000)
    for seconds in (1, 59, 3600, 9 * H, 9 * H + 1, 30 * H, 100_000, 500_000):
        due = add_business_seconds(c, start, seconds)
        assert elapsed_seconds(c, start, due) == seconds
        assert elapsed_seconds(c, start, due - timedelta(microseconds=1)) == seconds - 1


def test_calendar_without_opening_hours_raises() -> None:
    with pytest.raises(ValueError, match="no opening hours"):
        add_business_seconds(cal(weekly={"sat": []}), utc(2026, 1, 5), 60)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        elapsed_seconds(None, datetime(2026, 1, 1), utc(2026, 1, 2))


DST_WEEKLY = {
    **WEEKDAYS_9_18,
    "sat": [("01:30", "02:30"), ("20:00", "24:00")],
    "sun": [("00:00", "02:15"), ("02:45", "06:00")],
}


@settings(max_examples=300, deadline=None)
@given(
    tz=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]),
    start=st.datetimes(min_value=datetime(2026, 3, 1), max_value=datetime(2026, 11, 30), timezones=st.just(UTC)),
    seconds=st.integers(min_value=0, max_value=40 * 86400),
    split=st.integers(min_value=0, max_value=40 * 86400),
)
def test_properties(tz: str, start: datetime, seconds: int, split: int) -> None:
    # Round trip, and additivity over a split point (whole seconds, so flooring cannot interfere).
    c = cal(tz, DST_WEEKLY, ["2026-05-01", "2026-10-05"])
    start = start.replace(microsecond=0)
    due = add_business_seconds(c, start, seconds)
    assert due >= start
    assert elapsed_seconds(c, start, due) == seconds
    middle = start + timedelta(seconds=min(split, seconds))
    end = start + timedelta(seconds=seconds)
    assert elapsed_seconds(c, start, end) == elapsed_seconds(c, start, middle) + elapsed_seconds(c, middle, end)


# Compiled calendars and their days are remembered between calls (by the Calendar object, which
# the cached policies hand back each time): every answer must still be the calendar's own.

WEEKDAYS_9_TO_18 = {d: [("09:00", "18:00")] for d in ("mon", "tue", "wed", "thu", "fri")}
MONDAY = datetime(2026, 3, 16, tzinfo=UTC)  # (after the US, before the EU change to summer time)


def test_calendars_made_and_dropped_in_turn_each_answer_for_themselves() -> None:
    # Temporary objects: a freed Calendar's id can be handed to the next one.
    for _ in range(50):
        istanbul = add_business_seconds(Calendar("Europe/Istanbul", WEEKDAYS_9_TO_18), MONDAY, 3600)
        new_york = add_business_seconds(Calendar("America/New_York", WEEKDAYS_9_TO_18), MONDAY, 3600)
        assert istanbul == MONDAY.replace(hour=7)  # 09:00 +03 is 06:00 UTC, an hour later
        assert new_york == MONDAY.replace(hour=14)  # 09:00 EDT is 13:00 UTC


def test_many_calendars_then_the_first_again() -> None:
    first = Calendar("Europe/Istanbul", WEEKDAYS_9_TO_18, holidays=["2026-03-16"])
    assert add_business_seconds(first, MONDAY, 3600) == MONDAY.replace(day=17, hour=7)
    others = [Calendar("Europe/Istanbul", WEEKDAYS_9_TO_18, holidays=[f"2027-01-{d:02}"]) for d in range(1, 29)]
    others += [Calendar("Europe/Berlin", WEEKDAYS_9_TO_18, holidays=[f"2027-02-{d:02}"]) for d in range(1, 29)]
    others += [Calendar("Asia/Tokyo", WEEKDAYS_9_TO_18, holidays=[f"2027-03-{d:02}"]) for d in range(1, 29)]
    for cal in others:
        assert elapsed_seconds(cal, MONDAY, MONDAY + timedelta(days=1)) == 9 * 3600
    assert add_business_seconds(first, MONDAY, 3600) == MONDAY.replace(day=17, hour=7)
    assert elapsed_seconds(first, MONDAY, MONDAY + timedelta(days=2)) == 9 * 3600


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)),
    hours=st.integers(min_value=0, max_value=24 * 400),
)
def test_a_remembered_calendar_answers_as_a_fresh_one(start: datetime, hours: int) -> None:
    fresh = Calendar("Europe/Berlin", dict(WEEKDAYS_9_TO_18), holidays=["2026-12-25", "2027-01-01"])
    end = start + timedelta(hours=hours)
    assert elapsed_seconds(KEPT, start, end) == elapsed_seconds(fresh, start, end)
    assert add_business_seconds(KEPT, start, hours * 60) == add_business_seconds(fresh, start, hours * 60)


KEPT = Calendar("Europe/Berlin", WEEKDAYS_9_TO_18, holidays=["2026-12-25", "2027-01-01"])
