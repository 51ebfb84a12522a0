"""Resource-based policies of tables and streams: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy
and CreateTable's ResourcePolicy, in both modes.

moto keeps policies by the last segment of the ARN (so a stream's policy lands on a "table" named after
the stream label) and checks none of DynamoDB's rules; these are answered here instead. As on DynamoDB:
the RevisionId is the change's epoch milliseconds; an equivalent document put again is a no-op keeping its
RevisionId; ExpectedRevisionId (or ``NO_POLICY``) must match, else PolicyNotFoundException; a document is at
most 20,480 bytes, whitespace included; Get returns the document minified. In the AWS-like mode, after each
change a different Put or a Delete of that resource's policy is refused for ``resource_policy_lock_seconds``
(ResourceInUseException while the change applies, the first 2/15 of it, then ThrottlingException), and
DeleteTable is refused while a change of its table's policy applies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .native import iso_time
from .surface_timing import Timing
from .wire import (
    DynamoError,
    DynamoRequest,
    TableKey,
    resource_in_use,
    resource_not_found,
    table_not_found,
    validation_error,
)

MAX_POLICY_BYTES = 20480
NO_POLICY = "NO_POLICY"
_INVALID = "One or more parameter values were invalid:"
_APPLY_SHARE = 2 / 15  # DynamoDB: ResourceInUseException for about 2 s of its 15 s lock, throttling after
_QUOTE = "\u2019"  # DynamoDB's messages use typographic quotes here
_ALTERNATIVES = {"Principal": "NotPrincipal", "Action": "NotAction", "Resource": "NotResource"}

# (region, table, stream label or None): the table's policy slot, or one of its streams'.
Slot = tuple[str, str, str | None]


@dataclass
class StoredPolicy:
    document: Any  # parsed
    revision: str


@dataclass
class SlotState:
    policy: StoredPolicy | None
    changed_at: float  # the server clock (monotonic) of the last change
    changed_wall_ms: int
    removed_revision: str | None = None  # what an idempotent Delete echoes after a real one


def check_document(policy: Any) -> Any:
    """The parsed policy document, or the ValidationException DynamoDB answers for it."""
    if not isinstance(policy, str):
        raise _invalid_document("This policy contains invalid Json")
    if len(policy.encode()) > MAX_POLICY_BYTES:
        raise validation_error(f"{_INVALID} Maximum policy size of {MAX_POLICY_BYTES} bytes exceeded")
    try:
        document = json.loads(policy)
    except ValueError:
        raise _invalid_document("This policy contains invalid Json") from None
    if document is None:
        raise _invalid_document("This text appears not to be a policy")
    if not isinstance(document, dict):
        raise _invalid_document("This policy contains invalid Json")
    if not document:
        raise _invalid_document("Syntax error at position (1,3)")
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise _invalid_document("Could not parse the policy: Statement is empty!")
    for statement in statements:
        if not isinstance(statement, dict):
            raise _invalid_document("This policy contains invalid Json")
        for required in ("Effect", "Principal", "Action", "Resource"):
            if required not in statement and _ALTERNATIVES.get(required) not in statement:
                raise _invalid_document(f"Missing required field {required}")
        if str(statement["Effect"]).lower() not in ("allow", "deny"):
            raise _invalid_document(f"Invalid effect: {statement['Effect']}")
    return document


def _invalid_document(reason: str) -> DynamoError:
    return validation_error(f"{_INVALID} Invalid policy document: {reason}")


class ResourcePolicies:
    """The policies of one server's account. Not thread-safe: the server serializes requests."""

    def __init__(self, timing: Timing, account_id: str, describe: Callable[[TableKey], dict[str, Any] | None]) -> None:
        self.timing = timing
        self.account_id = account_id
        self.describe = describe  # the table's description, None if it does not exist
        self._slots: dict[Slot, SlotState] = {}

    def reset(self) -> None:
        self._slots.clear()

    # -- requests ------------------------------------------------------------------------------------

    def put(self, request: DynamoRequest) -> dict[str, Any]:
        slot = self._slot(request)
        document = check_document(request.payload.get("Policy"))
        state = self._slots.get(slot)
        current = state.policy if state else None
        self._check_expected(slot, request.payload.get("ExpectedRevisionId"), current)
        if current is not None and current.document == document:
            return {"RevisionId": current.revision}  # an equivalent document: no change, no lock
        self._check_unlocked(slot, state, "ExpectedRevisionId" in request.payload)
        revision = self._store(slot, StoredPolicy(document, ""))
        return {"RevisionId": revision}

    def get(self, request: DynamoRequest) -> dict[str, Any]:
        slot = self._slot(request)
        state = self._slots.get(slot)
        if state is None or state.policy is None:
            raise _policy_not_found(str(request.payload.get("ResourceArn")))
        minified = json.dumps(state.policy.document, separators=(",", ":"))
        return {"Policy": minified, "RevisionId": state.policy.revision}

    def delete(self, request: DynamoRequest) -> dict[str, Any]:
        slot = self._slot(request)
        state = self._slots.get(slot)
        current = state.policy if state else None
        expected = request.payload.get("ExpectedRevisionId")
        self._check_expected(slot, expected, current)
        if current is None or state is None:
            return {"RevisionId": state.removed_revision} if state and state.removed_revision else {}
        self._check_unlocked(slot, state, expected is not None)
        self._slots[slot] = SlotState(None, self.timing.now(), _millis(self.timing.wall_clock()), current.revision)
        return {"RevisionId": current.revision}

    # -- the table's life ----------------------------------------------------------------------------

    def created(self, key: TableKey, document: Any) -> None:
        """CreateTable's ResourcePolicy (already checked with check_document)."""
        self._store((key[0], key[1], None), StoredPolicy(document, ""), locks=False)

    def table_deleted(self, key: TableKey) -> None:
        for slot in [slot for slot in self._slots if slot[:2] == key]:
            del self._slots[slot]

    def update_pending(self, key: TableKey) -> bool:
        """Whether a change of the table's policy is still being applied (DeleteTable waits for it)."""
        state = self._slots.get((key[0], key[1], None))
        return state is not None and self._applying(key, state)

    # -- rules ---------------------------------------------------------------------------------------

    def _slot(self, request: DynamoRequest) -> Slot:
        """The table or stream a ResourceArn names, checked as DynamoDB checks it."""
        arn = str(request.payload.get("ResourceArn", ""))
        if not arn.startswith("arn:"):
            raise validation_error(f"{_INVALID} ARNs must start with 'arn:': {arn}")
        parts = arn.split(":", 5)
        if len(parts) < 6 or parts[2] != "dynamodb" or not parts[5].startswith("table/"):
            raise validation_error(f"{_INVALID} Provided Arn is not a DynamoDB resource arn: {arn}")
        if parts[4] != self.account_id:
            owner = f"resource owner{_QUOTE}s account"
            raise validation_error(f"This action is only supported by accounts that match the {owner}.")
        if parts[3] != request.region or parts[1] != "aws":
            raise validation_error(f"{_INVALID} Invalid resource Arn: {arn}")
        resource = parts[5].split("/")
        if len(resource) == 2:
            label = None
        elif len(resource) == 4 and resource[2] == "stream":
            label = resource[3]
        elif len(resource) >= 3 and resource[2] == "index":
            raise validation_error(
                f"{_INVALID} Invalid resource arn provided, only table or stream is accepted. Provided resource {arn}"
            )
        else:
            raise validation_error(f"{_INVALID} Provided Arn is not a DynamoDB resource arn: {arn}")
        key = (request.region, resource[1])
        table = self.describe(key)
        if table is None:
            raise table_not_found(key[1])
        if label is not None and table.get("LatestStreamArn") != arn:
            raise resource_not_found(f"Requested resource not found: Stream: {label} not found for Table: {key[1]}")
        return (key[0], key[1], label)

    def _check_expected(self, slot: Slot, expected: Any, current: StoredPolicy | None) -> None:
        if expected is None:
            return
        if current is None and expected != NO_POLICY:
            raise DynamoError(
                "PolicyNotFoundException",
                "Resource-based policy not found for the provided ResourceArn: Requested update for policy with "
                f"revision id {expected}, but table {slot[1]} has no associated policy.",
            )
        if current is not None and expected == NO_POLICY:
            raise DynamoError(
                "PolicyNotFoundException",
                "Resource-based policy not found for the provided ResourceArn: Requested policy update expecting "
                f"none to be present for table {slot[1]}, but a policy exists with revision id {current.revision}.",
            )
        if current is not None and expected != current.revision:
            raise DynamoError(
                "PolicyNotFoundException",
                "Resource-based policy not found for the provided ResourceArn: Requested update for policy with "
                f"revision id {expected}, but the policy associated to target table {slot[1]} has revision id "
                f"{current.revision}.",
            )

    def _check_unlocked(self, slot: Slot, state: SlotState | None, conditional: bool) -> None:
        """A change of the same policy is refused while the last one applies, then throttled until the lock ends."""
        if state is None:
            return
        lock = self.timing.seconds("resource_policy_lock_seconds")
        key = (slot[0], slot[1])
        if not self.timing.pending(key, None, state.changed_at + lock):
            return
        kind, name = ("Stream", slot[2]) if slot[2] else ("Table", slot[1])
        if conditional or self._applying(key, state):
            raise resource_in_use(
                f"Attempt to change a resource which is still in use: {kind} is pending previous resource-based "
                f"policy update: {name}"
            )
        lock_ms = round(lock * 1000)
        raise DynamoError(
            "ThrottlingException",
            f"Resource-based policy for {kind.lower()} {name} modified within the previous {lock_ms} milliseconds. "
            f"Please try again after {iso_time((state.changed_wall_ms + lock_ms) / 1000)}.",
        )

    def _applying(self, key: TableKey, state: SlotState) -> bool:
        lock = self.timing.seconds("resource_policy_lock_seconds")
        return self.timing.pending(key, None, state.changed_at + lock * _APPLY_SHARE)

    def _store(self, slot: Slot, policy: StoredPolicy, locks: bool = True) -> str:
        wall_ms = _millis(self.timing.wall_clock())
        previous = self._slots.get(slot)
        if previous is not None and int(previous.changed_wall_ms) >= wall_ms:
            wall_ms = previous.changed_wall_ms + 1  # revisions strictly increase, even within a millisecond
        policy.revision = str(wall_ms)
        # A policy set at creation does not lock: the table is CREATING anyway.
        changed_at = self.timing.now() if locks else float("-inf")
        self._slots[slot] = SlotState(policy, changed_at, wall_ms)
        return policy.revision


def _policy_not_found(arn: str) -> DynamoError:
    message = f"Resource-based policy not found for the provided ResourceArn: {arn}"
    return DynamoError("PolicyNotFoundException", message)


def _millis(wall: float) -> int:
    return int(wall * 1000)
