"""The policy document: the default plan, round trips, and every kind of refusal."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

from ledger.domain.plan import (
    DEFAULT_POLICY,
    Calendar,
    PolicyInvalid,
    Target,
    parse_policy,
    policy_to_dict,
    required_roles,
    target_of,
)


def doc() -> dict[str, Any]:
    """The default plan plus one business-hours calendar used by sev4's resolve target."""
    d = policy_to_dict(DEFAULT_POLICY)
    d["calendars"] = {
        "istanbul-office": {
            "timezone": "Europe/Istanbul",
            "weekly": {"mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]], "sat": []},
            "holidays": ["2026-10-29"],
        }
    }
    d["severities"]["sev4"]["targets"]["resolve"] = {"seconds": 86400, "calendar": "istanbul-office"}
    return d


def errors_of(d: dict[str, Any] | bytes) -> list[str]:
    with pytest.raises(PolicyInvalid) as info:
        parse_policy(d, version=1)
    assert isinstance(info.value, ValueError)
    return info.value.errors


def test_default_policy_is_the_product_table() -> None:
    assert parse_policy(policy_to_dict(DEFAULT_POLICY), version=0) == DEFAULT_POLICY
    assert DEFAULT_POLICY.version == 0
    assert DEFAULT_POLICY.calendars == {}
    assert target_of(DEFAULT_POLICY, "sev1", "acknowledge") == Target(seconds=300)
    assert target_of(DEFAULT_POLICY, "sev2", "update") == Target(seconds=4 * 3600)
    assert target_of(DEFAULT_POLICY, "sev3", "update") is None
    assert target_of(DEFAULT_POLICY, "sev4", "update") is None
    assert target_of(DEFAULT_POLICY, "sev4", "resolve") == Target(seconds=14 * 86400)
    assert required_roles(DEFAULT_POLICY, "sev4") == ["social_responder"]
    assert "customer_support" in DEFAULT_POLICY.roles
    assert len(DEFAULT_POLICY.roles) == 6


def test_document_round_trips_with_the_given_version() -> None:
    policy = parse_policy(msgspec.json.encode(doc()), version=3)
    assert policy.version == 3
    assert policy.calendars["istanbul-office"] == Calendar(
        timezone="Europe/Istanbul",
        weekly={"mon": [("09:00", "18:00")], "tue": [("09:00", "18:00")], "sat": []},
        holidays=["2026-10-29"],
    )
    out = policy_to_dict(policy)
    assert out["version"] == 3
    assert out["calendars"]["istanbul-office"]["weekly"]["mon"] == [["09:00", "18:00"]]
    assert out["severities"]["sev3"]["targets"]["update"] is None
    assert parse_policy(out, version=3) == policy


def test_24_00_end_and_adjacent_intervals_are_fine() -> None:
    d = doc()
    d["calendars"]["istanbul-office"]["weekly"]["fri"] = [["00:00", "12:00"], ["12:00", "24:00"]]
    parse_policy(d, version=1)


def test_not_json() -> None:
    assert "not valid JSON" in errors_of(b"{nope")[0]


def test_unknown_top_level_field() -> None:
    d = doc()
    d["colour"] = "red"
    assert "colour" in errors_of(d)[0]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("severities", "sev1"), "escalate_to"),
        (("severities", "sev1", "targets", "acknowledge"), "grace"),
        (("calendars", "istanbul-office"), "owner"),
    ],
)
def test_unknown_nested_field(path: tuple[str, ...], field: str) -> None:
    d = doc()
    node = d
    for key in path:
        node = node[key]
    node[field] = 1
    assert field in errors_of(d)[0]


def test_unknown_required_role() -> None:
    d = doc()
    d["severities"]["sev2"]["required_roles"].append("astrologer")
    assert errors_of(d) == ["severities.sev2.required_roles: unknown role 'astrologer'"]


@pytest.mark.parametrize("seconds", [0, -5])
def test_non_positive_target(seconds: int) -> None:
    d = doc()
    d["severities"]["sev1"]["targets"]["resolve"]["seconds"] = seconds
    assert errors_of(d) == [f"severities.sev1.targets.resolve.seconds: must be positive, got {seconds}"]


def test_unknown_calendar_name() -> None:
    d = doc()
    d["severities"]["sev1"]["targets"]["resolve"]["calendar"] = "mars-office"
    assert errors_of(d) == ["severities.sev1.targets.resolve.calendar: unknown calendar 'mars-office'"]


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "", "../etc/passwd", "Europe/"])
def test_invalid_time_zone(tz: str) -> None:
    d = doc()
    d["calendars"]["istanbul-office"]["timezone"] = tz
    assert errors_of(d) == [f"calendars.istanbul-office.timezone: unknown IANA time zone {tz!r}"]


@pytest.mark.parametrize(
    "interval",
    [["9:00", "18:00"], ["09:60", "18:00"], ["24:00", "24:00"], ["09:00", "25:00"], ["0900", "1800"]],
)
def test_malformed_hhmm(interval: list[str]) -> None:
    d = doc()
    d["calendars"]["istanbul-office"]["weekly"]["mon"] = [interval]
    (error,) = errors_of(d)
    assert error.startswith("calendars.istanbul-office.weekly.mon: malformed interval")


@pytest.mark.parametrize("interval", [["18:00", "09:00"], ["09:00", "09:00"]])
def test_interval_must_start_before_it_ends(interval: list[str]) -> None:
    d = doc()
    d["calendars"]["istanbul-office"]["weekly"]["mon"] = [interval]
    assert "must start before it ends" in errors_of(d)[0]


def test_overlapping_intervals() -> None:
    d = doc()
    d["calendars"]["istanbul-office"]["weekly"]["mon"] = [["13:00", "18:00"], ["09:00", "13:30"]]
    assert errors_of(d) == ["calendars.istanbul-office.weekly.mon: overlapping intervals"]


def test_interval_with_three_bounds_is_refused_structurally() -> None:
    d = doc()
    d["calendars"]["istanbul-office"]["weekly"]["mon"] = [["09:00", "12:00", "18:00"]]
    assert "weekly" in errors_of(d)[0]


def test_unknown_weekday() -> None:
    d = doc()
    d["calendars"]["istanbul-office"]["weekly"]["monday"] = [["09:00", "18:00"]]
    assert errors_of(d) == ["calendars.istanbul-office.weekly: unknown weekday 'monday' (use mon..sun)"]


def test_calendar_without_opening_hours() -> None:
    d = doc()
    d["calendars"]["istanbul-office"]["weekly"] = {"sat": [], "sun": []}
    assert errors_of(d) == ["calendars.istanbul-office.weekly: the calendar has no opening hours at all"]


@pytest.mark.parametrize("holiday", ["2026-02-30", "20261029", "2026-10-29T00:00", "tomorrow"])
def test_bad_holiday(holiday: str) -> None:
    d = doc()
    d["calendars"]["istanbul-office"]["holidays"] = [holiday]
    assert errors_of(d) == [f"calendars.istanbul-office.holidays: invalid date {holiday!r} (YYYY-MM-DD)"]


def test_missing_severity() -> None:
    d = doc()
    del d["severities"]["sev3"]
    assert errors_of(d) == ["severities: missing sev3"]


def test_unknown_severity() -> None:
    d = doc()
    d["severities"]["sev5"] = copy.deepcopy(d["severities"]["sev4"])
    assert errors_of(d) == ["severities: unknown severity 'sev5'"]


def test_missing_metric() -> None:
    d = doc()
    del d["severities"]["sev2"]["targets"]["update"]
    assert errors_of(d) == ["severities.sev2.targets: missing update (give a target or null)"]


def test_unknown_metric() -> None:
    d = doc()
    d["severities"]["sev2"]["targets"]["sentiment"] = {"seconds": 60, "calendar": None}
    assert errors_of(d) == ["severities.sev2.targets.sentiment: unknown metric 'sentiment'"]


def test_target_must_be_an_object_or_null() -> None:
    d = doc()
    d["severities"]["sev2"]["targets"]["update"] = 3600
    assert "targets" in errors_of(d)[0]


def test_duplicate_role() -> None:
    d = doc()
    d["roles"].append("legal")
    assert errors_of(d) == ["roles: duplicate role 'legal'"]


def test_duplicate_required_role() -> None:
    d = doc()
    d["severities"]["sev4"]["required_roles"].append("social_responder")
    assert errors_of(d) == ["severities.sev4.required_roles: duplicate role 'social_responder'"]


@pytest.mark.parametrize("role", ["Legal", "1st_line", "pr-team", "", "a" * 65, "lead "])
def test_bad_role_name(role: str) -> None:
    d = doc()
    d["roles"].append(role)
    assert errors_of(d)[0].startswith(f"roles: invalid role name {role!r}")


def test_every_problem_is_reported_at_once() -> None:
    d = doc()
    d["roles"].append("Bad")
    d["severities"]["sev1"]["targets"]["acknowledge"]["seconds"] = 0
    d["calendars"]["istanbul-office"]["timezone"] = "Nowhere/City"
    del d["severities"]["sev2"]
    assert len(errors_of(d)) == 4
