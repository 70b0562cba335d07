"""The ten tenants' sides measured in turn: the order of the rounds and the figures from them."""

from __future__ import annotations

import asyncio

import pytest

from tests.benchmark import client, rounds
from tests.benchmark.tenants import against_earlier_parts


def test_each_side_is_first_as_often_as_second_so_a_steady_drift_falls_on_both():
    measured = rounds.order(("alone", "ten"), 4)
    assert [side for _, side in measured] == ["alone", "ten", "ten", "alone", "alone", "ten", "ten", "alone"]
    assert [r for r, _ in measured] == [0, 0, 1, 1, 2, 2, 3, 3]
    # A machine slowing by one unit per slot: both sides' slots add up to the same time.
    slots = {side: sum(i for i, (_, s) in enumerate(measured) if s == side) for side in ("alone", "ten")}
    assert slots["alone"] == slots["ten"]
    # (alternating A B, A B would not: B always one slot later)
    assert sum(range(1, 8, 2)) != sum(range(0, 8, 2))


def test_requests_are_split_over_the_rounds_as_evenly_as_they_go():
    assert rounds.shares(100, 4) == [25, 25, 25, 25]
    assert rounds.shares(10, 4) == [3, 3, 2, 2]
    assert sum(rounds.shares(7, 3)) == 7


def test_a_side_s_throughput_is_all_its_requests_over_all_its_seconds_not_the_mean_of_its_rates():
    measured = [
        {"round": 0, "side": "empty", "requests": 1000, "seconds": 1.0, "errors": {}},
        {"round": 0, "side": "ten", "requests": 9999, "seconds": 1.0, "errors": {}},
        {"round": 1, "side": "empty", "requests": 3000, "seconds": 3.0, "errors": {503: 2}},
        {"round": 2, "side": "empty", "requests": 500, "seconds": 1.0, "errors": {503: 1}},
    ]
    figures = rounds.summed(measured, "empty")
    assert figures["per_second"] == 900.0  # 4,500 in 5 s (the rates' mean would be 833.3)
    assert figures["rounds"] == 3 and figures["requests"] == 4500 and figures["errors"] == {"503": 3}
    assert rounds.summed(measured, "ten")["per_second"] == 9999.0


async def test_alternate_measures_the_sides_in_turn_and_labels_each_figure():
    calls = []

    async def measure(r: int, side: str) -> dict:
        calls.append((r, side))
        return {"per_second": float(len(calls))}

    measured = await rounds.alternate(("empty", "ten"), 2, measure)
    assert calls == [(0, "empty"), (0, "ten"), (1, "ten"), (1, "empty")]
    assert measured[2] == {"round": 1, "side": "ten", "per_second": 3.0}


def test_each_round_s_quotient_divides_one_side_by_the_other_taken_right_after_it():
    measured = [
        {"round": 0, "side": "empty", "per_second": 1000.0},
        {"round": 0, "side": "ten", "per_second": 900.0},
        {"round": 1, "side": "ten", "per_second": 400.0},  # (a machine at half speed: both sides slower)
        {"round": 1, "side": "empty", "per_second": 500.0},
    ]
    assert rounds.quotient_each_round(measured, "ten", "empty") == [0.9, 0.8]


def test_latencies_of_a_side_give_the_p99_by_nearest_rank():
    figures = client.latency_figures([i / 1000 for i in range(1, 101)])  # 1..100 ms
    assert figures == {"requests": 100, "p50_ms": 51.0, "p99_ms": 99.0}


async def test_requests_timed_one_at_a_time_are_each_timed_and_stop_at_the_deadline():
    statuses = iter([200, 201, 204])
    running = 0

    async def call() -> int:
        nonlocal running
        running += 1
        assert running == 1  # (never two at once)
        await asyncio.sleep(0.01)
        running -= 1
        return next(statuses)

    latencies = await client.one_at_a_time(call, 3)
    assert len(latencies) == 3 and all(s >= 0.01 for s in latencies)
    assert await client.one_at_a_time(call, 3, seconds=-1) == []  # (none started past the deadline)


async def test_a_request_timed_one_at_a_time_must_succeed():
    async def refused() -> int:
        return 409

    with pytest.raises(AssertionError):
        await client.one_at_a_time(refused, 1)


def test_the_ten_tenants_against_the_earlier_parts_figures_is_kept_beside_not_instead():
    results = {
        "service": {
            "reports": {"sla": {"p99_ms": 100.0}},
            "reports_ten_tenants": {"sla": {"p99_ms": 130.0}},
            "append": {"per_second": 1000.0},
            "append_ten_tenants": {"per_second": 800.0},
        },
        "baselines": {"post_insert": {"per_second": 2000.0}, "post_insert_ten_tenants": {"per_second": 2000.0}},
    }
    assert against_earlier_parts(results) == {"report_p99_vs_alone": 1.3, "append_ratio_vs_empty": 0.8}
