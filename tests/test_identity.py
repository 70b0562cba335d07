"""Identities: names are NFC-normalised; bidi controls, zero-width characters and mixed-script
lookalikes are refused with a 422 naming the field and the character, on every write path."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from ledger.domain.commands import Assign, ChangePolicy, Detect, Reply, Unassign
from ledger.domain.errors import InvalidValue
from ledger.domain.identity import BIDI_CONTROLS, ZERO_WIDTH, name, names_checked
from ledger.domain.plan_changes import decide_policy
from ledger.domain.rules import decide, fold
from ledger.store.keys import Scope, create_key
from schemas.events import Channel, Event, Severity, Visibility
from tests.conftest import detect_body, new_tenant

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
INCIDENT = uuid.UUID(int=7)
CYRILLIC_A = "\u0430"
LOOKALIKE = CYRILLIC_A + "yse@brand.example"  # looks like ayse@brand.example
ROLES = frozenset({"incident_lead"})

FINE = [
    "ayse@brand.example",
    "ayşe",
    "Ay\u015fe Y\u0131lmaz",  # (a dotless i: Turkish)
    "ünïcode",
    "José María",
    "Nguyễn Văn A",
    "Łukasz",
    "Иван",
    "Иван Petrov",  # two words, each of one script
    "Ελένη",
    "محمد",
    "김철수",
    "山田たろう",  # Japanese mixes Han and Hiragana in one word
    "\u03a3\u03c9\u03ba\u03c1\u03ac\u03c4\u03b7\u03c21",  # Greek, with a digit
]


@pytest.mark.parametrize("value", FINE)
def test_single_script_names_and_latin_with_diacritics_are_kept(value):
    assert name(value, "actor") == value


def test_names_are_nfc_normalised():
    decomposed = "Jose\u0301"
    assert name(decomposed, "actor") == "Jos\u00e9" == unicodedata.normalize("NFC", decomposed)


@pytest.mark.parametrize("char", sorted(BIDI_CONTROLS | ZERO_WIDTH))
def test_bidi_controls_and_zero_width_characters_are_refused_naming_them(char):
    assert len(BIDI_CONTROLS) == 12 and len(ZERO_WIDTH) == 5
    with pytest.raises(InvalidValue) as refused:
        name(f"ay{char}se", "assignee")
    code = f"U+{ord(char):04X}"
    assert refused.value.extra == {"field": "assignee", "character": code}
    assert "assignee" in refused.value.detail and code in refused.value.detail


@pytest.mark.parametrize(
    ("value", "char"),
    [
        (LOOKALIKE, CYRILLIC_A),
        ("p\u0430ypal", CYRILLIC_A),
        ("pa\u03c1a", "\u03c1"),  # a Greek rho among Latin letters
        ("\u0418\u0432an", "a"),  # a Latin a among Cyrillic letters (tie broken by the first)
        ("Ivan " + "\u0440etrov", "\u0440"),  # the Cyrillic word of two looks Latin
    ],
)
def test_mixed_script_lookalikes_are_refused(value, char):
    with pytest.raises(InvalidValue) as refused:
        name(value, "actor")
    assert refused.value.extra["field"] == "actor"
    assert refused.value.extra["character"] in {f"U+{ord(c):04X}" for c in value if not c.isascii()} | {
        f"U+{ord(char):04X}"
    }


def _detected() -> list[Event]:
    cmd = Detect(incident_id=INCIDENT, actor="ops", title="t", severity=Severity.SEV2, channel=Channel.X)
    [new] = decide(cmd, None, NOW)
    return [
        Event(
            id=uuid.UUID(int=1),
            tenant_id="brand",
            incident_id=INCIDENT,
            version=1,
            position=1,
            occurred_at=new.occurred_at,
            recorded_at=NOW,
            actor=new.actor,
            recorded_by="k",
            data=new.data,
            prev_hash="0" * 64,
            hash="0" * 64,
        )
    ]


def test_the_decider_checks_every_name_a_command_carries():
    state = fold(_detected())
    for cmd, field in [
        (Assign(incident_id=INCIDENT, actor="ops", role="incident_lead", assignee=LOOKALIKE, known_roles=ROLES),
         "assignee"),
        (Assign(incident_id=INCIDENT, actor="o\u202eps", role="incident_lead", assignee="a", known_roles=ROLES),
         "actor"),
        (
            Reply(incident_id=INCIDENT, actor="ops", channel=Channel.X, text="t", visibility=Visibility.PRIVATE,
                  approved_by="le\u200bgal"),
            "approved_by",
        ),
        (
            Reply(incident_id=INCIDENT, actor="ops", channel=Channel.X, text="t", visibility=Visibility.PRIVATE,
                  drafted_by=LOOKALIKE),
            "drafted_by",
        ),
    ]:  # fmt: skip
        with pytest.raises(InvalidValue) as refused:
            decide(cmd, state, NOW)
        assert refused.value.extra["field"] == field


def test_the_decider_records_nfc_names_so_one_person_is_one_name():
    state = fold(_detected())
    composed, decomposed = "Jos\u00e9", "Jose\u0301"
    cmd = Assign(incident_id=INCIDENT, actor=decomposed, role="incident_lead", assignee=decomposed, known_roles=ROLES)
    [new] = decide(cmd, state, NOW)
    assert new.actor == composed and new.data.assignee == composed
    assert names_checked(cmd).assignee == composed
    unassign = Unassign(incident_id=INCIDENT, actor="ops", role="incident_lead", assignee=decomposed)
    assert names_checked(unassign).assignee == composed


def test_the_policy_actor_is_checked():
    with pytest.raises(InvalidValue) as refused:
        decide_policy(ChangePolicy(actor=LOOKALIKE, document={}), 0, NOW)
    assert refused.value.extra["field"] == "actor"


# Through the API: every write path.


def _refused(r, field: str, character: str) -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["type"] == "urn:crisis-ledger:problem:invalid-value"
    assert body["field"] == field and body["character"] == character
    assert field in body["detail"] and character in body["detail"]


async def test_every_write_path_refuses_lookalikes_and_controls(app_client, pool):
    tenant = await new_tenant(pool, "ids")
    h = tenant.auth()
    _refused(await app_client.post("/v1/incidents", json=detect_body(actor=LOOKALIKE), headers=h), "actor", "U+0430")
    signal = {"dedup_key": "k1", "title": "t", "severity": "sev2", "channel": "x", "actor": "bot\u202e"}
    _refused(await app_client.post("/v1/signals", json=signal, headers=h), "actor", "U+202E")
    plan = (await app_client.get("/v1/policy", headers=h)).json()
    r = await app_client.put("/v1/policy", json={**plan, "actor": "admin\ufeff"}, headers=tenant.auth("admin"))
    _refused(r, "actor", "U+FEFF")

    iid = (await app_client.post("/v1/incidents", json=detect_body(), headers=h)).json()["id"]
    r = await app_client.post(
        f"/v1/incidents/{iid}/assignments", json={"role": "incident_lead", "assignee": LOOKALIKE}, headers=h
    )
    _refused(r, "assignee", "U+0430")
    r = await app_client.post(
        f"/v1/incidents/{iid}/assignments", json={"role": "incident_lead", "assignee": "ay\u200bse"}, headers=h
    )
    _refused(r, "assignee", "U+200B")
    r = await app_client.post(
        f"/v1/incidents/{iid}/replies",
        json={"channel": "x", "text": "sorry", "visibility": "private", "approved_by": "le\u2066gal"},
        headers=h,
    )
    _refused(r, "approved_by", "U+2066")
    events = await pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", tenant.name)
    assert events == 1  # only the detection: every refusal wrote nothing


async def test_names_are_stored_nfc_and_count_as_one_person(app_client, pool):
    tenant = await new_tenant(pool, "nfc")
    h = tenant.auth()
    iid = (await app_client.post("/v1/incidents", json=detect_body(actor="ayşe"), headers=h)).json()["id"]
    composed, decomposed = "Jos\u00e9", "Jose\u0301"
    r = await app_client.post(
        f"/v1/incidents/{iid}/assignments", json={"role": "incident_lead", "assignee": decomposed}, headers=h
    )
    assert r.status_code == 201 and r.json()["data"]["assignee"] == composed
    r = await app_client.post(
        f"/v1/incidents/{iid}/assignments", json={"role": "incident_lead", "assignee": composed}, headers=h
    )
    assert r.status_code == 409  # the same person already holds it
    r = await app_client.delete(f"/v1/incidents/{iid}/assignments/incident_lead/{quote(decomposed)}", headers=h)
    assert r.status_code == 201 and r.json()["data"]["assignee"] == composed
    incident = (await app_client.get(f"/v1/incidents/{iid}", headers=h)).json()
    assert incident["assignments"] == []


async def test_key_names_are_checked_when_created(pool):
    async with pool.acquire() as conn:
        with pytest.raises(InvalidValue) as refused:
            await create_key(conn, f"keys-{uuid.uuid4().hex[:8]}", "ops\u202eadmin", Scope.READ)
    assert refused.value.extra == {"field": "name", "character": "U+202E"}
