"""Contributor Insights: UpdateContributorInsights, DescribeContributorInsights, ListContributorInsights, in
both modes (moto implements none of them).

State is per table and per GSI. As on DynamoDB: a table or index that never had it reads DISABLED with no
other field; ENABLE creates the CloudWatch rules ``DynamoDBContributorInsights-{PKC,PKT[,SKC,SKT]}-<table>
[-<index>]-<epoch ms>`` (THROTTLED_KEYS mode: only the throttled-key rules), ENABLE without a mode means
ACCESSED_AND_THROTTLED_KEYS, a mode change is a new ENABLE, and ENABLE or DISABLE of the state a table is
already in answers that state and changes nothing; ListContributorInsights leaves DISABLED entries out. In
the AWS-like mode ENABLING and DISABLING last ``contributor_insights_seconds``, and a table or index that is
not ACTIVE refuses the update.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .surface_timing import Timing
from .wire import (
    DynamoRequest,
    TableKey,
    constraint,
    index_not_found,
    raise_constraint_problems,
    table_not_found,
    validation_error,
)

DEFAULT_MODE = "ACCESSED_AND_THROTTLED_KEYS"
MODES = ("THROTTLED_KEYS", "ACCESSED_AND_THROTTLED_KEYS")
ACTIONS = ("ENABLE", "DISABLE")
_DEFAULT_PAGE = 100
_NOT_VALID = "Table is not in a valid state to update Contributor Insights:"

# (region, table, index or None)
Target = tuple[str, str, str | None]


@dataclass
class InsightsState:
    enabled: bool  # what the last update asked for
    mode: str
    changed_at: float  # server clock of that update
    rules_ms: int  # the rules' creation timestamp (their names' suffix)
    updated_wall: float  # LastUpdateDateTime
    sort_key: bool  # whether the table's or index's key has a RANGE attribute (two more rules)


class ContributorInsights:
    """The Contributor Insights settings of one server's account; not thread-safe (requests are serialized)."""

    def __init__(self, timing: Timing, describe: Callable[[TableKey], dict[str, Any] | None]) -> None:
        self.timing = timing
        self.describe = describe
        self._states: dict[Target, InsightsState] = {}

    def reset(self) -> None:
        self._states.clear()

    def table_deleted(self, key: TableKey) -> None:
        for target in [target for target in self._states if target[:2] == key]:
            del self._states[target]

    def index_deleted(self, key: TableKey, index: str) -> None:
        self._states.pop((key[0], key[1], index), None)

    # -- requests ------------------------------------------------------------------------------------

    def update(self, request: DynamoRequest) -> dict[str, Any]:
        payload = request.payload
        action, mode = payload.get("ContributorInsightsAction"), payload.get("ContributorInsightsMode")
        problems = []
        if action not in ACTIONS:
            rule = f"satisfy enum value set: [{', '.join(ACTIONS)}]"
            problems.append(constraint(action, "contributorInsightsAction", rule))
        if mode is not None and mode not in MODES:
            rule = f"satisfy enum value set: [{', '.join(MODES)}]"
            problems.append(constraint(mode, "contributorInsightsMode", rule))
        raise_constraint_problems(problems)
        target, sort_key = self._target(request)
        key = (target[0], target[1])
        if self.timing.status(key) != "ACTIVE" and self.timing.status(key) != "UPDATING":
            raise validation_error(f"{_NOT_VALID} TableStatus must be ACTIVE")
        if target[2] is not None and self.timing.status(key, target[2]) != "ACTIVE":
            raise validation_error(f"{_NOT_VALID} IndexStatus must be ACTIVE")
        state = self._states.get(target)
        enable = action == "ENABLE"
        wanted_mode = (mode or DEFAULT_MODE) if enable else (state.mode if state else DEFAULT_MODE)
        if state is None and not enable:
            return self._answer(target, "DISABLED", None)
        if state is not None and state.enabled == enable and (not enable or state.mode == wanted_mode):
            return self._answer(target, self._status(target, state), state.mode)  # nothing to change
        now, wall = self.timing.now(), self.timing.wall_clock()
        rules_ms = state.rules_ms if state is not None and state.enabled and enable else int(wall * 1000)
        state = InsightsState(enable, wanted_mode, now, rules_ms, wall, sort_key)
        self._states[target] = state
        return self._answer(target, self._status(target, state), state.mode)

    def describe_insights(self, request: DynamoRequest) -> dict[str, Any]:
        target, _ = self._target(request)
        state = self._states.get(target)
        answer: dict[str, Any] = {"TableName": target[1]}
        if target[2] is not None:
            answer["IndexName"] = target[2]
        if state is None:
            answer["ContributorInsightsStatus"] = "DISABLED"
            return answer
        status = self._status(target, state)
        if status in ("ENABLING", "ENABLED"):
            answer["ContributorInsightsRuleList"] = self._rules(target, state)
        answer.update({
            "ContributorInsightsStatus": status,
            "LastUpdateDateTime": round(state.updated_wall, 3),
            "ContributorInsightsMode": state.mode,
        })
        return answer

    def list_insights(self, request: DynamoRequest) -> dict[str, Any]:
        payload = request.payload
        table = payload.get("TableName")
        if table is not None and self.describe((request.region, str(table))) is None:
            raise table_not_found(table)
        entries = []
        for target in sorted(self._states, key=lambda t: (t[1], t[2] is not None, t[2] or "")):
            if target[0] != request.region or (table is not None and target[1] != table):
                continue
            state = self._states[target]
            status = self._status(target, state)
            if status == "DISABLED":
                continue
            entry: dict[str, Any] = {"TableName": target[1]}
            if target[2] is not None:
                entry["IndexName"] = target[2]
            entry.update({"ContributorInsightsStatus": status, "ContributorInsightsMode": state.mode})
            entries.append(entry)
        start = int(payload["NextToken"]) if str(payload.get("NextToken", "")).isdigit() else 0
        size = int(payload.get("MaxResults") or _DEFAULT_PAGE)
        answer: dict[str, Any] = {"ContributorInsightsSummaries": entries[start:start + size]}
        if start + size < len(entries):
            answer["NextToken"] = str(start + size)
        return answer

    # -- helpers -------------------------------------------------------------------------------------

    def _target(self, request: DynamoRequest) -> tuple[Target, bool]:
        """The table (and index) a request names, checked; and whether its key has a RANGE attribute."""
        name, index = str(request.payload.get("TableName")), request.payload.get("IndexName")
        if index is not None and not 3 <= len(str(index)) <= 255:
            raise validation_error("IndexName must be at least 3 characters long and at most 255 characters long")
        table = self.describe((request.region, name))
        if table is None:
            raise table_not_found(name)
        schema = table.get("KeySchema") or []
        if index is not None:
            gsi = next((g for g in table.get("GlobalSecondaryIndexes") or [] if g.get("IndexName") == index), None)
            if gsi is None:
                raise index_not_found(index)
            schema = gsi.get("KeySchema") or []
        sort_key = any(element.get("KeyType") == "RANGE" for element in schema)
        return (request.region, name, None if index is None else str(index)), sort_key

    def _status(self, target: Target, state: InsightsState) -> str:
        seconds = self.timing.seconds("contributor_insights_seconds")
        changing = self.timing.pending((target[0], target[1]), target[2], state.changed_at + seconds)
        if state.enabled:
            return "ENABLING" if changing else "ENABLED"
        return "DISABLING" if changing else "DISABLED"

    def _rules(self, target: Target, state: InsightsState) -> list[str]:
        resource = target[1] if target[2] is None else f"{target[1]}-{target[2]}"
        kinds = ["PKC", "PKT"] + (["SKC", "SKT"] if state.sort_key else [])
        if state.mode == "THROTTLED_KEYS":
            kinds = [kind for kind in kinds if kind.endswith("T")]
        return [f"DynamoDBContributorInsights-{kind}-{resource}-{state.rules_ms}" for kind in kinds]

    @staticmethod
    def _answer(target: Target, status: str, mode: str | None) -> dict[str, Any]:
        answer: dict[str, Any] = {"TableName": target[1]}
        if target[2] is not None:
            answer["IndexName"] = target[2]
        answer["ContributorInsightsStatus"] = status
        if mode is not None:
            answer["ContributorInsightsMode"] = mode
        return answer

