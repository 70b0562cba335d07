"""The suite runs the service ahead of the calendar (tests/clock.py), so a test that builds its
times from a fixed date, or from the wall clock instead of the service's, fails on the day it is
written; and the rules that measure against "now" hold the same at instants around a year end and
the DST changes after the service's clock.

These instants are computed from the clock, never written down, so the module means the same on
any day it runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from ledger.domain.calendar import add_business_seconds, elapsed_seconds
from ledger.domain.commands import Acknowledge, Detect
from ledger.domain.errors import InvalidValue
from ledger.domain.plan import DEFAULT_POLICY, parse_policy, policy_to_dict
from ledger.domain.rules import MAX_BACKDATE_DETECTION, MAX_FUTURE, decide, fold
from projections.sla import sla_of
from schemas.events import Channel, Event, Severity
from tests import clock
from tests.conftest import detect_body, new_tenant


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year, month + 1, 1, tzinfo=UTC) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _instants() -> dict[str, datetime]:
    """The service's now, and the next year end and EU DST changes after it (half a minute before
    each, so a scenario of a few minutes crosses it)."""
    now = clock.now()
    year = now.year + 1
    return {
        "now": now,
        "year-end": datetime(year, 1, 1, tzinfo=UTC) - timedelta(seconds=30),
        "spring-forward": _last_sunday(year, 3).replace(hour=1) - timedelta(seconds=30),
        "fall-back": _last_sunday(year, 10).replace(hour=1) - timedelta(seconds=30),
    }


async def test_the_service_in_tests_runs_ahead_of_the_calendar(app_client, pool):
    """A time taken from the wall clock (or a fixed date of this week) is refused as a backdated
    detection whenever the shift is over the 7 days the rules allow: such a test fails at once."""
    tenant = await new_tenant(pool, "clock")
    wall = datetime.now(UTC) - timedelta(minutes=1)
    r = await app_client.post("/v1/incidents", json=detect_body(occurred_at=wall.isoformat()), headers=tenant.auth())
    if clock.SHIFT > MAX_BACKDATE_DETECTION:
        assert r.status_code == 422, r.text
        assert r.json()["detail"] == "a detection may be backdated by at most 7 days"
    else:  # (LEDGER_TEST_CLOCK_SHIFT_DAYS=0: the suite at the real time)
        assert r.status_code == 201, r.text
    at_clock = detect_body(occurred_at=(clock.now() - timedelta(minutes=1)).isoformat())
    r = await app_client.post("/v1/incidents", json=at_clock, headers=tenant.auth())
    assert r.status_code == 201, r.text


def _detect(at: datetime, now: datetime) -> list[Event]:
    cmd = Detect(
        incident_id=uuid.uuid4(), actor="a", occurred_at=at, title="t", severity=Severity.SEV2, channel=Channel.X
    )
    return [_recorded(cmd.incident_id, 1, new) for new in decide(cmd, None, now)]


def _recorded(incident_id: uuid.UUID, version: int, new) -> Event:
    return Event(
        id=uuid.uuid4(),
        tenant_id="t",
        incident_id=incident_id,
        version=version,
        position=version,
        occurred_at=new.occurred_at,
        recorded_at=new.occurred_at,
        actor=new.actor,
        recorded_by="k",
        data=new.data,
        prev_hash="0" * 64,
        hash="f" * 64,
    )


@pytest.mark.parametrize("name", ["now", "year-end", "spring-forward", "fall-back"])
def test_the_time_bounds_hold_at_any_instant(name):
    now = _instants()[name]
    assert _detect(now - MAX_BACKDATE_DETECTION, now)  # exactly 7 days back: allowed
    with pytest.raises(InvalidValue, match="backdated by at most 7 days"):
        _detect(now - MAX_BACKDATE_DETECTION - timedelta(microseconds=1), now)
    events = _detect(now - timedelta(minutes=3), now)
    state = fold(events)
    ack = Acknowledge(incident_id=state.id, actor="a", occurred_at=now + MAX_FUTURE)
    assert decide(ack, state, now)  # 60 s ahead: allowed
    with pytest.raises(InvalidValue):
        decide(Acknowledge(incident_id=state.id, actor="a", occurred_at=now + MAX_FUTURE + timedelta(seconds=1)),
               state, now)  # fmt: skip


@pytest.mark.parametrize("name", ["now", "year-end", "spring-forward", "fall-back"])
@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Europe/Istanbul"])
def test_a_business_hours_clock_counts_the_same_across_a_year_end_and_a_dst_change(name, zone):
    """A pending milestone falls due when its budget of open time runs out, and the open time
    spent plus the open time left is its target, whatever the instant and the zone's changes."""
    now = _instants()[name].replace(microsecond=0)  # (whole seconds: the sum below is exact; see its end)
    document = policy_to_dict(DEFAULT_POLICY)
    every_day = {day: [["00:30", "23:30"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    document["calendars"] = {"office": {"timezone": zone, "weekly": every_day}}
    document["severities"]["sev2"]["targets"]["resolve"] = {"seconds": 3 * 86400, "calendar": "office"}
    policy = parse_policy(document, version=1)
    detected_at = now - timedelta(days=2, hours=5)
    events = _detect(detected_at, now)
    resolve = sla_of(events, policy, now).resolve
    assert resolve is not None and resolve.status == "pending"
    office = policy.calendars["office"]
    assert resolve.due_at == add_business_seconds(office, detected_at, 3 * 86400)
    spent, left = elapsed_seconds(office, detected_at, now), elapsed_seconds(office, now, resolve.due_at)
    assert 0 < spent < 3 * 86400 and spent + left == 3 * 86400
    # Both are floored to whole seconds: a fraction of a second later, when the detection fell in
    # closed time (open time then starts at a whole second), the two fractions make the second the
    # floors drop; never more.
    later = now + timedelta(microseconds=400_000)
    spent, left = elapsed_seconds(office, detected_at, later), elapsed_seconds(office, later, resolve.due_at)
    assert spent + left in (3 * 86400 - 1, 3 * 86400)
