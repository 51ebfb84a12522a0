"""KMS keys of table encryption (SSE), written so that spec files work in another account.

DynamoDB reports the key of KMS encryption as an ARN, which names the account. The AWS managed key
(``alias/aws/dynamodb``) is what ``{"Enabled": true, "SSEType": "KMS"}`` means in every account, so
export writes it that way, without an ARN. A customer managed key is written by its alias where one
exists (``alias/orders-key``), which another account can define too. Telling them apart takes
``kms:DescribeKey`` (KeyManager) or ``kms:ListAliases`` (an ``alias/aws/`` alias); when neither is
permitted the ARN stays, unless ``portable`` asks to drop every ARN that cannot be made portable.

Planning reads a file's alias back as the key's ARN (when KMS answers), so an exported alias is no
difference from the live table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..aws import Dynamo
from ..spec.model import SSESpecification, TableSpec

AWS_MANAGED_PREFIX = "alias/aws/"


@dataclass(frozen=True)
class KeyInfo:
    """What KMS says about one key. ``managed``: True AWS managed, False customer managed, None unknown."""

    managed: bool | None
    alias: str | None = None  # the customer alias to write it as (the first, sorted)


def key_info(dynamo: Dynamo, key_id: str) -> KeyInfo:
    """Ask KMS (DescribeKey, ListAliases) about ``key_id``; calls that are refused count as unknown."""
    metadata = dynamo.describe_key(key_id)
    aliases = dynamo.key_aliases(key_id)
    own = [alias for alias in aliases or () if not alias.startswith(AWS_MANAGED_PREFIX)]
    return KeyInfo(classify(metadata.get("KeyManager") if metadata else None, aliases), own[0] if own else None)


def classify(key_manager: object, aliases: list[str] | None) -> bool | None:
    """Whether a key is AWS managed: by DescribeKey's KeyManager, else by an ``alias/aws/`` alias."""
    if key_manager == "AWS" or any(alias.startswith(AWS_MANAGED_PREFIX) for alias in aliases or ()):
        return True
    if key_manager == "CUSTOMER" or aliases is not None:
        return False  # AWS managed keys always have their alias/aws/... alias
    return None


def portable_key(spec: TableSpec, info: KeyInfo | None, *, portable: bool) -> tuple[TableSpec, str | None]:
    """``spec`` with its SSE key written portably, and a note when an ARN was dropped or kept unknowingly."""
    sse = spec.sse_specification
    key = sse.kms_master_key_id if sse is not None else None
    if sse is None or not sse.enabled or key is None or key.startswith("alias/") or info is None:
        return spec, None
    if info.managed:
        return _with_key(spec, sse, None), None
    if info.managed is False and info.alias:
        return _with_key(spec, sse, info.alias), None
    if portable:
        what = "a customer managed key without an alias" if info.managed is False else "a key KMS did not describe"
        return _with_key(spec, sse, None), (f"{spec.table_name}: encryption key {key} dropped ({what}): the file "
                                            "now asks for the AWS managed key; set KMSMasterKeyId by hand to keep it")
    if info.managed is None:
        return spec, (f"{spec.table_name}: encryption key {key} kept as an ARN: kms:DescribeKey and kms:ListAliases "
                      "were refused (--portable drops it)")
    return spec, None


def _with_key(spec: TableSpec, sse: SSESpecification, key: str | None) -> TableSpec:
    new = SSESpecification(enabled=True, sse_type=sse.sse_type or "KMS", kms_master_key_id=key)
    return spec.model_copy(update={"sse_specification": new})


def keys_of(specs: Mapping[str, TableSpec]) -> set[str]:
    """The KMS key ARNs the specs name."""
    return {sse.kms_master_key_id for spec in specs.values()
            if (sse := spec.sse_specification) is not None and sse.enabled and sse.kms_master_key_id
            and not sse.kms_master_key_id.startswith("alias/")}


def resolve_aliases(desired: Mapping[str, TableSpec], dynamo: Dynamo) -> dict[str, TableSpec]:
    """The files' specs with each KMS key alias replaced by its key's ARN, as DynamoDB reports it.

    Without it an exported alias would differ from the live table's ARN. An alias KMS does not resolve
    (refused, unknown) stays as written.
    """
    resolved: dict[str, str | None] = {}
    result = dict(desired)
    for name, spec in desired.items():
        sse = spec.sse_specification
        alias = sse.kms_master_key_id if sse is not None and sse.enabled else None
        if sse is None or alias is None or not alias.startswith("alias/"):
            continue
        if alias not in resolved:
            metadata = dynamo.describe_key(alias)
            resolved[alias] = str(metadata["Arn"]) if metadata and metadata.get("Arn") else None
        arn = resolved[alias]
        if arn is not None:
            result[name] = _with_key(spec, sse, arn)
    return result
