"""How a live feed's sends are watched (ledger.http.sse): a send the server does not take within
`max_lag_s` ends the stream, "dropped", never sooner; a revocation gives up a send under way; a
cancel from elsewhere (the client left) goes on as a cancel. And the gauge of the bytes the
streams hold is at most `GAUGE_EVERY_S` behind them."""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client import REGISTRY

from ledger.http import sse
from ledger.http.sse import DROPPED, REVOKED, Held, Outbox

BODY = {"type": "http.response.body", "body": b"id: 1\n\n", "more_body": True}


async def _never_taken(_message: object) -> None:
    await asyncio.Event().wait()


async def _deliver(box: Outbox, send, times: int = 1) -> None:
    with box.watching():
        for _ in range(times):
            await box.deliver(send, BODY)


async def test_a_send_not_taken_within_max_lag_ends_the_stream_dropped_and_no_sooner():
    box = Outbox(max_lag_s=0.3)
    started = time.monotonic()
    await asyncio.wait_for(_deliver(box, _never_taken), 5)
    assert box.ended == DROPPED
    assert 0.3 <= time.monotonic() - started < 2.0


async def test_sends_taken_in_time_never_end_the_stream_however_long_it_sends():
    box = Outbox(max_lag_s=0.2)

    async def slowish(_message: object) -> None:
        await asyncio.sleep(0.05)

    # Twelve sends of 50 ms: 0.6 s in all, three times the lag allowed for one.
    await _deliver(box, slowish, times=12)
    assert box.ended is None


async def test_a_revocation_gives_up_the_send_under_way():
    box = Outbox(max_lag_s=30)
    sending = asyncio.ensure_future(_deliver(box, _never_taken))
    await asyncio.sleep(0.05)
    box.end(REVOKED)
    await asyncio.wait_for(sending, 1)  # (returns: the stream goes on to its last message)
    assert box.ended == REVOKED


async def test_a_cancel_from_elsewhere_goes_on_as_a_cancel():
    box = Outbox(max_lag_s=30)
    sending = asyncio.ensure_future(_deliver(box, _never_taken))
    await asyncio.sleep(0.05)
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    assert box.ended is None


def _gauge() -> float | None:
    return REGISTRY.get_sample_value("ledger_stream_buffered_bytes")


async def test_the_held_gauge_is_at_most_a_moment_behind(monkeypatch):
    monkeypatch.setattr(sse, "GAUGE_EVERY_S", 0.05)
    held = Held()
    held.add(100)
    held.add(50)
    held.add(-100)
    await asyncio.sleep(0.2)
    assert _gauge() == 50
    held.add(30)
    held.add(-80)
    await asyncio.sleep(0.2)
    assert _gauge() == 0
    held.reached(70)
    held.reached(20)
    assert held.peak == 70 and REGISTRY.get_sample_value("ledger_stream_buffered_bytes_peak") >= 70
