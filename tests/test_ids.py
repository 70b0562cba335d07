"""The stored keys' generator (ledger/store/ids.py): UUIDv7 layout, strictly increasing ids from one
generator whatever its clock does, and the millisecond each id carries."""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import datetime

from ledger.store.ids import TimeOrderedIds, new_id, wall_ms
from tests.conftest import detect_body


class SteppedClock:
    """A clock in Unix milliseconds that only moves when told to."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def ms_of(u: uuid.UUID) -> int:
    return u.int >> 80


def test_layout_is_rfc_9562_version_7() -> None:
    for u in (new_id() for _ in range(1000)):
        assert u.version == 7
        assert u.variant == uuid.RFC_4122  # (the 0b10 variant RFC 9562 keeps)
        assert str(u)[14] == "7"
        assert str(u)[19] in "89ab"


def test_carries_the_clock_millisecond() -> None:
    before = wall_ms()
    u = new_id()
    after = wall_ms()
    assert before <= ms_of(u) <= after
    clock = SteppedClock(1_700_000_000_123)
    assert ms_of(TimeOrderedIds(clock)()) == 1_700_000_000_123


def test_increases_within_one_millisecond() -> None:
    make = TimeOrderedIds(SteppedClock(1_800_000_000_000))
    ids = [make() for _ in range(50_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert {ms_of(u) for u in ids} == {1_800_000_000_000}


def test_increases_when_the_clock_steps_back() -> None:
    clock = SteppedClock(1_800_000_000_000)
    make = TimeOrderedIds(clock)
    ids = []
    for step in (0, 5, -3_600_000, 1, -1, 0, 2, -10):  # an NTP step of an hour back among small moves
        clock.ms += step
        ids += [make() for _ in range(100)]
    assert all(a < b for a, b in itertools.pairwise(ids))
    assert ms_of(ids[-1]) == 1_800_000_000_005  # held at the latest instant seen, until the clock passes it


def test_moves_to_the_next_millisecond_when_the_counter_runs_out() -> None:
    # Every draw at its maximum: the counter starts at 2**41 - 1 and has 2**41 steps to go; a
    # stuck clock and ever-maximal draws still give increasing ids, the millisecond moving on.
    make = TimeOrderedIds(SteppedClock(1_800_000_000_000), random_bits=lambda n: (1 << n) - 1)
    a = make()
    make._counter = (1 << 42) - 3  # (two steps below the top, rather than 2**41 calls)
    b, c, d = make(), make(), make()
    assert a < b < c < d
    assert (ms_of(a), ms_of(b), ms_of(c), ms_of(d)) == (1_800_000_000_000,) * 3 + (1_800_000_000_001,)


def test_random_parts_differ_between_generators() -> None:
    # Two processes making ids in the same millisecond: the counter's start and the tail are random.
    clock = SteppedClock(1_800_000_000_000)
    ids = {TimeOrderedIds(clock)() for _ in range(10_000)}
    assert len(ids) == 10_000


def test_seeded_random_bits_repeat() -> None:
    # What the bulk loader relies on: the same seed and clock write the same ids.
    def run() -> list[uuid.UUID]:
        rng = random.Random(7)
        make = TimeOrderedIds(SteppedClock(1_800_000_000_000), random_bits=rng.getrandbits)
        return [make() for _ in range(10)]

    assert run() == run()


async def test_the_service_stores_time_ordered_ids(app_client, tenant):
    # Incidents and events made through the API carry version 7 ids, each made when its row was
    # recorded; within one process they increase in the order they were made.
    r = await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())
    assert r.status_code == 201, r.text
    iid = uuid.UUID(r.json()["id"])
    for text in ("one", "two", "three"):
        r = await app_client.post(
            f"/v1/incidents/{iid}/notes", json={"text": text, "actor": "ayse"}, headers=tenant.auth()
        )
        assert r.status_code == 201, r.text
    events = (await app_client.get(f"/v1/incidents/{iid}/events", headers=tenant.auth("read"))).json()["items"]
    ids = [uuid.UUID(e["id"]) for e in events]
    assert iid.version == 7 and {u.version for u in ids} == {7}
    assert iid < ids[0] and ids == sorted(ids) and len(ids) == 4
    for e, u in zip(events, ids, strict=True):
        recorded_ms = int(datetime.fromisoformat(e["recorded_at"]).timestamp() * 1000)
        assert abs(ms_of(u) - recorded_ms) < 60_000  # (the app's and the database's clocks agree)


def test_subscriptions_made_in_one_millisecond_get_their_own_delivery_locks() -> None:
    # The delivery worker's advisory lock key comes from the id: the first half of a v7 id is its
    # millisecond and counter, the same for ids made together; the key takes the random half.
    from ledger.webhooks.delivery import _lock_key

    make = TimeOrderedIds(SteppedClock(1_800_000_000_000))
    ids = [make() for _ in range(1000)]
    assert len({u.bytes[:8] for u in ids}) < 10  # (what the first half alone would have given)
    assert len({_lock_key(u) for u in ids}) == 1000
