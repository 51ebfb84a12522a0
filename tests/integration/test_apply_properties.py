"""Applying plan(a, b) on the AWS-like server yields b, checked independently of ddbctl's model.

For generated pairs of spec files (a, b) with the same keys and LSIs: ddbctl's ``create`` makes
table ``a``, ddbctl's ``apply`` (with allow_destroy) takes it to ``b``, and plain boto3 reads the
table back (DescribeTable, DescribeTimeToLive, DescribeContinuousBackups, ListTagsOfResource). The
expected table is computed here from the two *file documents* and DynamoDB's response shapes, never
from ``ddbctl.plan`` (simulate, equivalent, normal_form) or ``ddbctl.spec.convert``: a wrong request
(a dropped field, a wrong flag) shows up as a difference, even if the planner's model agrees with it.

The server has no delays and no TTL cool-down, so one example takes a fraction of a second. Explicit
examples cover every change kind; the test asserts at the end that each kind was exercised.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, example, given, settings

from ddbctl.config import Settings
from ddbctl.local import AwsLikeOptions
from ddbctl.local.pytest_plugin import LocalDynamoDB, ServerPool
from ddbctl.ops.converge import apply_plan, plan_tables
from ddbctl.ops.create import create_tables
from ddbctl.ops.session import Context, connect
from ddbctl.spec.model import TableSpec

from ..examples import examples
from ..unit.test_planner_properties import pairs

ENVIRONMENT, PREFIX = "staging", "app"
PHYSICAL = f"{PREFIX}-{ENVIRONMENT}-orders"
# Every change is done as soon as it is asked for: nothing to wait for, no TTL cool-down.
INSTANT = AwsLikeOptions(
    table_create_seconds=0, table_update_seconds=0, table_delete_seconds=0, index_create_seconds=0,
    index_delete_seconds=0, ttl_cooldown_seconds=0, pitr_unavailable_seconds=0, seed=13,
)
MANAGED_TAGS = {"Environment": ENVIRONMENT, "ManagedBy": "ddbctl"}
# A liveness bound, not a timing assertion: every change shows on the first read here, so a request the
# server did not carry out (a wrong field) fails the example with EffectNotSeen instead of waiting 900 s.
MAX_WAIT = 20.0
CHANGE_KINDS = frozenset({
    "index created", "index deleted", "index recreated", "billing to provisioned", "billing to on-demand",
    "table throughput", "index throughput", "stream on", "stream off", "stream view", "table class",
    "deletion protection on", "deletion protection off", "sse on", "sse off", "sse key", "ttl on", "ttl off",
    "ttl rename", "pitr on", "pitr off", "tag added", "tag changed", "tag removed", "table limits", "index limits",
})
# Derandomized: the same examples on every run. No shrinking: it would replay hundreds of examples at
# half a second each; the first failing example is reported as it is.
EXAMPLES = settings(max_examples=examples(25), deadline=None, derandomize=True, database=None,
                    phases=(Phase.explicit, Phase.generate),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

Json = dict[str, Any]


# -- the expected table, from a file document ----------------------------------------------------------


def _units(throughput: Json | None) -> tuple[int, int] | None:
    if not throughput:
        return None
    return int(throughput["ReadCapacityUnits"]), int(throughput["WriteCapacityUnits"])


def _limits(limits: Json | None) -> Json | None:
    """On-demand limits as a dict of the ones set (DynamoDB shows an unset limit as -1 or leaves it out)."""
    kept = {k: v for k, v in (limits or {}).items() if isinstance(v, int) and v > 0}
    return kept or None


def _projection(projection: Json) -> tuple[str, tuple[str, ...]]:
    return projection["ProjectionType"], tuple(sorted(projection.get("NonKeyAttributes") or ()))


def _keys(key_schema: list[Json], types: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    return tuple((k["AttributeName"], k["KeyType"], types[k["AttributeName"]]) for k in key_schema)


def expected_table(document: Json, before: Json | None = None) -> Json:
    """What DynamoDB should show for the table of spec file ``document`` (the seed's defaults where
    the file is silent: on-demand, SSE and PITR on, TTL and stream off, STANDARD class).

    ``before`` is the live table's view (``observed_table``) when the table is updated rather than
    created: the details a file leaves open (the KMS key of enabled SSE, PITR's recovery period,
    on-demand limits when billing stays on-demand) keep their live values.
    """
    types = {d["AttributeName"]: d["AttributeType"] for d in document["AttributeDefinitions"]}
    provisioned = document.get("BillingMode") == "PROVISIONED"
    stays_on_demand = before is not None and not provisioned and before["billing"] == "PAY_PER_REQUEST"
    old_indexes = before["gsis"] if before else {}
    gsis = {}
    for index in document.get("GlobalSecondaryIndexes") or []:
        name = index["IndexName"]
        limits = _limits(index.get("OnDemandThroughput"))
        if limits is None and stays_on_demand and name in old_indexes:
            limits = old_indexes[name]["limits"]
        gsis[name] = {
            "keys": _keys(index["KeySchema"], types),
            "projection": _projection(index["Projection"]),
            "units": _units(index.get("ProvisionedThroughput")) if provisioned else None,
            "limits": None if provisioned else limits,
        }
    limits = _limits(document.get("OnDemandThroughput"))
    if limits is None and stays_on_demand and before is not None:
        limits = before["limits"]
    stream = document.get("StreamSpecification") or {"StreamEnabled": False}
    sse = document.get("SSESpecification") or {"Enabled": True}
    sse_key: str | None = None
    if sse["Enabled"]:
        sse_key = sse.get("KMSMasterKeyId") or "(aws managed)"
        if "KMSMasterKeyId" not in sse and before is not None and before["sse"] is not None:
            sse_key = before["sse"]  # enabled either way: the file leaves the key open
    ttl = document.get("TimeToLiveSpecification") or {"Enabled": False}
    pitr = document.get("PointInTimeRecoverySpecification") or {"PointInTimeRecoveryEnabled": True}
    period: int | None = None
    if pitr["PointInTimeRecoveryEnabled"]:
        period = pitr.get("RecoveryPeriodInDays")
        if period is None and before is not None and before["pitr"] is not None:
            period = before["pitr"]
        period = period or 35
    return {
        "keys": _keys(document["KeySchema"], types),
        "lsis": {i["IndexName"]: (_keys(i["KeySchema"], types), _projection(i["Projection"]))
                 for i in document.get("LocalSecondaryIndexes") or []},
        "billing": "PROVISIONED" if provisioned else "PAY_PER_REQUEST",
        "units": _units(document.get("ProvisionedThroughput")) if provisioned else None,
        "limits": None if provisioned else limits,
        "gsis": gsis,
        "stream": stream.get("StreamViewType") if stream["StreamEnabled"] else None,
        "class": document.get("TableClass") or "STANDARD",
        "deletion_protection": bool(document.get("DeletionProtectionEnabled")),
        "sse": sse_key,
        "ttl": ttl.get("AttributeName") if ttl["Enabled"] else None,
        "pitr": period,
        "tags": {**{t["Key"]: t["Value"] for t in document.get("Tags") or []}, **MANAGED_TAGS},
    }


# -- the live table, read with plain boto3 ---------------------------------------------------------------


def observed_table(client: Any, name: str) -> Json:
    """The table as DynamoDB's four describe calls show it, in ``expected_table``'s shape."""
    table = client.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE", table["TableStatus"]
    types = {d["AttributeName"]: d["AttributeType"] for d in table["AttributeDefinitions"]}
    billing = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    provisioned = billing == "PROVISIONED"
    gsis = {}
    for index in table.get("GlobalSecondaryIndexes") or []:
        assert index["IndexStatus"] == "ACTIVE", index
        gsis[index["IndexName"]] = {
            "keys": _keys(index["KeySchema"], types),
            "projection": _projection(index["Projection"]),
            "units": _units(index.get("ProvisionedThroughput")) if provisioned else None,
            "limits": None if provisioned else _limits(index.get("OnDemandThroughput")),
        }
    stream = table.get("StreamSpecification") or {"StreamEnabled": False}
    sse = table.get("SSEDescription") or {"Status": "DISABLED"}
    sse_key: str | None = None
    if sse["Status"] in ("ENABLED", "ENABLING", "UPDATING"):
        arn = sse.get("KMSMasterKeyArn") or ""
        sse_key = "alias/" + arn.split(":alias/", 1)[1] if ":alias/" in arn else "(aws managed)"
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    backups = client.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    pitr = backups["PointInTimeRecoveryDescription"]
    tags: dict[str, str] = {}
    for page in _tag_pages(client, table["TableArn"]):
        tags.update({t["Key"]: t["Value"] for t in page})
    return {
        "keys": _keys(table["KeySchema"], types),
        "lsis": {i["IndexName"]: (_keys(i["KeySchema"], types), _projection(i["Projection"]))
                 for i in table.get("LocalSecondaryIndexes") or []},
        "billing": billing,
        "units": _units(table.get("ProvisionedThroughput")) if provisioned else None,
        "limits": None if provisioned else _limits(table.get("OnDemandThroughput")),
        "gsis": gsis,
        "stream": stream.get("StreamViewType") if stream["StreamEnabled"] else None,
        "class": (table.get("TableClassSummary") or {}).get("TableClass", "STANDARD"),
        "deletion_protection": bool(table.get("DeletionProtectionEnabled")),
        "sse": sse_key,
        "ttl": ttl.get("AttributeName") if ttl["TimeToLiveStatus"] in ("ENABLED", "ENABLING") else None,
        "pitr": pitr.get("RecoveryPeriodInDays", 35) if pitr["PointInTimeRecoveryStatus"] == "ENABLED" else None,
        "tags": tags,
    }


def _tag_pages(client: Any, arn: str) -> list[list[Json]]:
    pages, token = [], None
    while True:
        page = client.list_tags_of_resource(ResourceArn=arn, **({"NextToken": token} if token else {}))
        pages.append(page.get("Tags") or [])
        token = page.get("NextToken")
        if not token:
            return pages


def change_kinds(before: Json, after: Json) -> set[str]:
    """The kinds of change between two table views (for the coverage check)."""
    kinds: set[str] = set()
    old, new = before["gsis"], after["gsis"]
    kinds.update({"index created"} if set(new) - set(old) else set())
    kinds.update({"index deleted"} if set(old) - set(new) else set())
    shared = set(old) & set(new)
    if any((old[n]["keys"], old[n]["projection"]) != (new[n]["keys"], new[n]["projection"]) for n in shared):
        kinds.add("index recreated")
    if before["billing"] != after["billing"]:
        kinds.add("billing to provisioned" if after["billing"] == "PROVISIONED" else "billing to on-demand")
    elif after["billing"] == "PROVISIONED":
        if before["units"] != after["units"]:
            kinds.add("table throughput")
        if any(old[n]["units"] != new[n]["units"] for n in shared):
            kinds.add("index throughput")
    else:  # on-demand both: the limits of the table and of each index
        if before["limits"] != after["limits"]:
            kinds.add("table limits")
        if any(old[n]["limits"] != new[n]["limits"] for n in shared):
            kinds.add("index limits")
    if before["stream"] != after["stream"]:
        kinds.add("stream on" if before["stream"] is None else "stream off" if after["stream"] is None
                  else "stream view")
    if before["class"] != after["class"]:
        kinds.add("table class")
    if before["deletion_protection"] != after["deletion_protection"]:
        kinds.add("deletion protection on" if after["deletion_protection"] else "deletion protection off")
    if before["sse"] != after["sse"]:
        kinds.add("sse on" if before["sse"] is None else "sse off" if after["sse"] is None else "sse key")
    if before["ttl"] != after["ttl"]:
        kinds.add("ttl on" if before["ttl"] is None else "ttl off" if after["ttl"] is None else "ttl rename")
    if (before["pitr"] is None) != (after["pitr"] is None):
        kinds.add("pitr on" if after["pitr"] is not None else "pitr off")
    old_tags, new_tags = before["tags"], after["tags"]
    kinds.update({"tag added"} if set(new_tags) - set(old_tags) else set())
    kinds.update({"tag removed"} if set(old_tags) - set(new_tags) else set())
    kinds.update({"tag changed"} if any(old_tags[k] != new_tags[k] for k in set(old_tags) & set(new_tags)) else set())
    return kinds


# -- driving ddbctl ------------------------------------------------------------------------------------------


@dataclass
class Rig:
    """One server, one ddbctl client and one spec directory for every example."""

    db: LocalDynamoDB
    settings: Settings
    context: Context
    directory: Path
    client: Any

    def write(self, spec: TableSpec) -> Json:
        document: Json = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
        self.directory.mkdir(exist_ok=True)
        (self.directory / "orders.json").write_text(json.dumps(document))
        return document

    def create(self, a: TableSpec) -> Json:
        document = self.write(a)
        report = create_tables(self.settings, self.directory, context=self.context, max_wait=MAX_WAIT).report
        assert report is not None and report.ok, report
        return document

    def apply(self, b: TableSpec) -> Json:
        document = self.write(b)
        plan = plan_tables(self.settings, self.directory, allow_destroy=True, context=self.context)
        assert plan.held == () and plan.refused == (), plan
        report = apply_plan(self.settings, plan, context=self.context, max_wait=MAX_WAIT)
        assert report.ok, [(r.physical, r.error) for r in report.results]
        return document


def spec(**fields: Any) -> TableSpec:
    """A spec file for ``orders``: key ``pk`` (S), indexes keyed on ``a`` (S) or ``b`` (N)."""
    types = {"pk": "S", "a": "S", "b": "N"}
    used = {k["AttributeName"] for index in [{"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]},
                                             *fields.get("GlobalSecondaryIndexes", [])] for k in index["KeySchema"]}
    return TableSpec.model_validate({
        "TableName": "orders", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": types[n]} for n in sorted(used)], **fields})


def index(name: str, key: str, units: int | None = None, projection: str = "ALL") -> Json:
    document: Json = {"IndexName": name, "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
                      "Projection": {"ProjectionType": projection}}
    if units:
        document["ProvisionedThroughput"] = {"ReadCapacityUnits": units, "WriteCapacityUnits": units}
    return document


def units(n: int) -> Json:
    return {"ReadCapacityUnits": n, "WriteCapacityUnits": n + 1}


# Between them, these cover every change kind in CHANGE_KINDS, whatever hypothesis generates.
PROVISIONED_A = spec(
    BillingMode="PROVISIONED", ProvisionedThroughput=units(1),
    GlobalSecondaryIndexes=[index("by-one", "a", 1), index("by-two", "b", 1), index("by-three", "a", 2)],
    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    SSESpecification={"Enabled": False}, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
    PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
    Tags=[{"Key": "team", "Value": "1"}, {"Key": "cost", "Value": "1"}],
)
ON_DEMAND_B = spec(
    GlobalSecondaryIndexes=[index("by-two", "b"), index("by-three", "a", projection="KEYS_ONLY"),
                            index("by-four", "a")],
    StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    TableClass="STANDARD_INFREQUENT_ACCESS", DeletionProtectionEnabled=True,
    SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/team"},
    TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
    PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7},
    Tags=[{"Key": "team", "Value": "2"}, {"Key": "owner", "Value": "1"}],
)
QUIET = spec(BillingMode="PROVISIONED", ProvisionedThroughput=units(1),
             GlobalSecondaryIndexes=[index("by-one", "a", 1)])
# by-two's key "b" is new to the table: its CreateIndex must define it.
BUSY = spec(BillingMode="PROVISIONED", ProvisionedThroughput=units(2),
            GlobalSecondaryIndexes=[index("by-one", "a", 3), index("by-two", "b", 2)],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/team"},
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
# On-demand both: the table's and an index's request limits change in one UpdateTable.
UNLIMITED = spec(GlobalSecondaryIndexes=[index("by-one", "a"), index("by-two", "b")])
LIMITED = spec(OnDemandThroughput={"MaxReadRequestUnits": 50, "MaxWriteRequestUnits": 60},
               GlobalSecondaryIndexes=[index("by-one", "a"), {**index("by-two", "b"), "OnDemandThroughput": {
                   "MaxReadRequestUnits": 7, "MaxWriteRequestUnits": 9}}])


def test_applying_a_plan_on_the_server_yields_the_second_file(
    local_servers: ServerPool, settings_for: Callable[..., Settings], tmp_path: Path
) -> None:
    db = local_servers.fresh(INSTANT)
    settings_ = settings_for(db, ENVIRONMENT, prefix=PREFIX)
    rig = Rig(db, settings_, connect(settings_), tmp_path / "schemas", db.client(max_attempts=3))
    covered: Counter[str] = Counter()

    @EXAMPLES
    @given(pairs())
    @example((PROVISIONED_A, ON_DEMAND_B))
    @example((ON_DEMAND_B, PROVISIONED_A))
    @example((QUIET, BUSY))
    @example((BUSY, QUIET))
    @example((UNLIMITED, LIMITED))
    def check(pair: tuple[TableSpec, TableSpec]) -> None:
        a, b = pair
        db.server.reset()
        created = expected_table(rig.create(a))
        before = observed_table(rig.client, PHYSICAL)
        assert before == created, "create"
        wanted = expected_table(rig.apply(b), before)
        after = observed_table(rig.client, PHYSICAL)
        assert after == wanted, "apply"
        covered.update(change_kinds(before, after))

    check()
    assert set(covered) == CHANGE_KINDS, f"never exercised: {sorted(CHANGE_KINDS - set(covered))}"
