"""The chain's timestamp spelling: the fast formatter must agree with strftime and with PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.events import rfc3339

_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-9, minutes=-30))])


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=_ZONES))
def test_the_spelling_is_strftimes(value: datetime):
    assert rfc3339(value) == value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def test_the_spelling_is_what_ledger_append_hashes(pool):
    values = [
        datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5))),
        datetime(2030, 7, 1, 0, 0, 0, 1, tzinfo=UTC),
    ]
    for value in values:
        spelled = await pool.fetchval(
            """SELECT to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""", value
        )
        assert rfc3339(value) == spelled
