"""Application Auto Scaling of DynamoDB capacity, as the local server plays it.

The ``application-autoscaling`` API (RegisterScalableTarget, PutScalingPolicy, Describe*, Deregister*, ...)
is moto's, served on the same port in the server's own account. moto never scales anything; here a test
makes "the scaler changed the capacity" happen on demand: ``LocalServer.scale(resource_id, dimension,
capacity)`` (or ``POST /_ddbctl/autoscaling/scale``) sets the table's or index's provisioned capacity with
an UpdateTable, as the scaler does, within the registered target's MinCapacity..MaxCapacity. The global
tables code asks here whether a provisioned table's write capacity is auto scaled (DynamoDB requires it
before adding a replica).
"""

from __future__ import annotations

from typing import Any

NAMESPACE = "dynamodb"
DIMENSIONS = {
    ("table", "ReadCapacityUnits"): "dynamodb:table:ReadCapacityUnits",
    ("table", "WriteCapacityUnits"): "dynamodb:table:WriteCapacityUnits",
    ("index", "ReadCapacityUnits"): "dynamodb:index:ReadCapacityUnits",
    ("index", "WriteCapacityUnits"): "dynamodb:index:WriteCapacityUnits",
}


def _backend(account_id: str, region: str) -> Any:
    from moto.applicationautoscaling.models import applicationautoscaling_backends  # noqa: PLC0415 - heavy

    return applicationautoscaling_backends[account_id][region]


def resource_id(table: str, index: str | None = None) -> str:
    """Application Auto Scaling's ResourceId of a table (``table/T``) or a GSI (``table/T/index/I``)."""
    return f"table/{table}" if index is None else f"table/{table}/index/{index}"


def scalable_target(account_id: str, region: str, resource: str, dimension: str) -> Any | None:
    targets: dict[str, dict[str, Any]] = _backend(account_id, region).targets
    return targets.get(dimension, {}).get(resource)


def write_auto_scaled(account_id: str, region: str, resource: str, index: bool) -> bool:
    """Whether the table's (or index's) write capacity has a scalable target AND a scaling policy."""
    dimension = DIMENSIONS[("index" if index else "table", "WriteCapacityUnits")]
    if scalable_target(account_id, region, resource, dimension) is None:
        return False
    policies = _backend(account_id, region).policies.values()
    return any(p.resource_id == resource and p.scalable_dimension == dimension for p in policies)


def scaling_update(
    account_id: str, region: str, resource: str, dimension: str, capacity: int, table: dict[str, Any]
) -> dict[str, Any]:
    """The UpdateTable the scaler sends to set ``dimension`` of ``resource`` to ``capacity``.

    ``table`` is the table's current description. Raises ValueError when no target is registered for that
    resource and dimension, the capacity is outside its bounds, or the table (index) is not provisioned.
    """
    target = scalable_target(account_id, region, resource, dimension)
    if target is None:
        raise ValueError(f"no scalable target is registered for {resource} {dimension} in {region}")
    low, high = target.min_capacity, target.max_capacity
    if (low is not None and capacity < low) or (high is not None and capacity > high):
        raise ValueError(f"capacity {capacity} is outside the target's MinCapacity..MaxCapacity ({low}..{high})")
    if (table.get("BillingModeSummary") or {}).get("BillingMode") == "PAY_PER_REQUEST":
        raise ValueError(f"{table.get('TableName')} is on-demand: there is no provisioned capacity to scale")
    unit = dimension.rsplit(":", 1)[1]
    parts = resource.split("/")
    if len(parts) == 2:
        throughput = _capacity(table.get("ProvisionedThroughput"), unit, capacity)
        return {"TableName": table["TableName"], "ProvisionedThroughput": throughput}
    index = next((i for i in table.get("GlobalSecondaryIndexes") or [] if i.get("IndexName") == parts[3]), None)
    if index is None:
        raise ValueError(f"{table.get('TableName')} has no index {parts[3]}")
    throughput = _capacity(index.get("ProvisionedThroughput"), unit, capacity)
    update = {"Update": {"IndexName": parts[3], "ProvisionedThroughput": throughput}}
    return {"TableName": table["TableName"], "GlobalSecondaryIndexUpdates": [update]}


def _capacity(current: Any, unit: str, capacity: int) -> dict[str, int]:
    current = current if isinstance(current, dict) else {}
    throughput = {name: int(current.get(name) or 1) for name in ("ReadCapacityUnits", "WriteCapacityUnits")}
    throughput[unit] = capacity
    return throughput
