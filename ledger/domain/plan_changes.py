"""A change of the tenant's plan: the document checked, and the policy_changed event that records it.

Pure, like the decider: the plan in force is the latest one recorded, so the version it takes is
the one after the current version, which the shell reads and the append checks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ledger.domain import identity
from ledger.domain.commands import ChangePolicy
from ledger.domain.errors import InvalidValue
from ledger.domain.plan import Policy, PolicyInvalid, parse_policy, policy_to_dict
from schemas.api import Name
from schemas.events import NewEvent, PolicyChanged


def checked_plan(document: dict[str, Any], version: int) -> Policy:
    """`document` as the plan at `version`, or InvalidValue listing every problem it has: how a
    plan from outside is refused, whether it is to replace the plan or to be tried (what-if)."""
    try:
        return parse_policy(document, version)
    except PolicyInvalid as exc:
        raise InvalidValue(
            "the policy is invalid: " + "; ".join(exc.errors), errors=[{"message": e} for e in exc.errors]
        ) from exc


def decide_policy(cmd: ChangePolicy, current_version: int, now: datetime) -> list[NewEvent]:
    """The policy_changed event that makes `cmd.document` the plan after `current_version`, or
    InvalidValue listing every problem of the document. The plan takes effect when it is
    recorded (the version in force is the latest recorded), so it occurred `now`."""
    try:
        actor = identity.name(msgspec.convert(cmd.actor, Name), "actor")
    except msgspec.ValidationError as exc:
        raise InvalidValue(f"actor: {exc}", field="actor") from exc
    version = current_version + 1
    policy = checked_plan(cmd.document, version)
    return [NewEvent(data=PolicyChanged(version=version, policy=policy_to_dict(policy)), occurred_at=now, actor=actor)]
