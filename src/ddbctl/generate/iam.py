"""``generate iam-policy``: the least-privilege IAM policy for ddbctl commands, and ``--check`` of an existing one.

The actions come from :data:`ddbctl.permissions.OPERATIONS` (what each command sends, proven against
the local server's operation log), mapped to IAM actions and scoped to the environment's resources:
``arn:aws:dynamodb:REGION:ACCOUNT:table/{stem}*`` where ``stem`` is ``{prefix}-{env}-`` (production:
``{prefix}-``), plus ``/index/*``, ``/stream/*``, ``/backup/*``, ``/export/*``, ``/import/*`` for the
operations that act on those, ``*`` for the listing operations that have no resource, S3 bucket and
prefix for S3 operations, and the tables' customer KMS keys for operations that create or change
tables (``kms:ViaService`` DynamoDB only).

Production's pattern ``{prefix}-*`` also matches other environments' tables (``{prefix}-staging-x``):
IAM has no condition key for a table name, so a production policy's statements say so in their Sid,
and ``deny_other_environments`` adds an explicit Deny for the known environments' patterns (an explicit
Deny also overrides any other policy of the same identity that grants those tables).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from ..naming import PRODUCTION, Namespace
from ..permissions import OPERATIONS
from .source import Source

Json = dict[str, Any]

VERSION = "2012-10-17"
_WORDS = re.compile(r"[A-Za-z0-9]+")
_ACCOUNT = re.compile(r"^[0-9]{12}$")
SAMPLE_ACCOUNT = "123456789012"  # --check: stands for an unknown account in the ARNs it tests

# Resource kinds an operation acts on (AWS Service Authorization Reference, "Actions defined by Amazon
# DynamoDB"). "*": the operation has no resource type and needs Resource "*".
_DYNAMODB_RESOURCES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("ListTables", "ListBackups", "ListExports", "ListImports", "ListStreams", "DescribeLimits",
                     "DescribeEndpoints"), ("*",)),
    **dict.fromkeys((
        "DescribeTable", "CreateTable", "UpdateTable", "DeleteTable", "DescribeTimeToLive", "UpdateTimeToLive",
        "DescribeContinuousBackups", "UpdateContinuousBackups", "ListTagsOfResource", "TagResource",
        "UntagResource", "GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchGetItem", "BatchWriteItem",
        "ConditionCheckItem", "CreateBackup", "ExportTableToPointInTime", "RestoreTableToPointInTime",
        "DescribeContributorInsights", "UpdateContributorInsights"), ("table",)),
    "Query": ("table", "index"),
    "Scan": ("table", "index"),
    "DescribeStream": ("stream",),
    "GetRecords": ("stream",),
    "GetShardIterator": ("stream",),
    "DescribeBackup": ("backup",),
    "DeleteBackup": ("backup",),
    "RestoreTableFromBackup": ("backup", "table"),
    "DescribeExport": ("export",),
    "ImportTable": ("table", "import"),
    "DescribeImport": ("import",),
}
# S3 operation -> (IAM action, resource kind).
_S3_ACTIONS: dict[str, tuple[str, str]] = {
    "s3:GetObject": ("s3:GetObject", "object"),
    "s3:HeadObject": ("s3:GetObject", "object"),
    "s3:PutObject": ("s3:PutObject", "object"),
    "s3:CreateMultipartUpload": ("s3:PutObject", "object"),
    "s3:UploadPart": ("s3:PutObject", "object"),
    "s3:CompleteMultipartUpload": ("s3:PutObject", "object"),
    "s3:AbortMultipartUpload": ("s3:AbortMultipartUpload", "object"),
    "s3:DeleteObject": ("s3:DeleteObject", "object"),
    "s3:DeleteObjects": ("s3:DeleteObject", "object"),
    "s3:CopyObject": ("s3:PutObject", "object"),
    "s3:ListObjectsV2": ("s3:ListBucket", "bucket"),
    "s3:ListObjects": ("s3:ListBucket", "bucket"),
    "s3:HeadBucket": ("s3:ListBucket", "bucket"),
    "s3:ListBucket": ("s3:ListBucket", "bucket"),  # as the local server logs them: by IAM action
    "s3:GetBucketLocation": ("s3:GetBucketLocation", "bucket"),
}
# Permissions DynamoDB checks beyond the operation's own action (developer guide: restores write the
# items into the new table; exports write and imports read S3).
_IMPLIED: dict[str, tuple[tuple[str, str], ...]] = {
    **{op: tuple((f"dynamodb:{item}", "table") for item in (
        "BatchWriteItem", "DeleteItem", "GetItem", "PutItem", "Query", "Scan", "UpdateItem"))
       for op in ("RestoreTableFromBackup", "RestoreTableToPointInTime")},
    "ExportTableToPointInTime": (("s3:PutObject", "object"), ("s3:AbortMultipartUpload", "object"),
                                 ("s3:PutObjectAcl", "object")),
    "ImportTable": (("s3:GetObject", "object"), ("s3:ListBucket", "bucket")),
    # CreateTable with Tags (ddbctl always tags: Environment, ManagedBy) is authorized for TagResource too.
    "CreateTable": (("dynamodb:TagResource", "table"),),
}
# Operations that create or change a table's encryption: the caller's key permissions for DynamoDB.
_KEY_USERS = frozenset({"CreateTable", "UpdateTable", "RestoreTableFromBackup", "RestoreTableToPointInTime",
                        "ImportTable"})
_KMS_ACTIONS = ("kms:CreateGrant", "kms:DescribeKey")


@dataclass(frozen=True)
class Scope:
    """Where the policy applies: region, account, the environment's names, S3 bucket and prefix, KMS keys."""

    namespace: Namespace
    region: str = "*"
    account: str = "*"
    bucket: str | None = None
    bucket_prefix: str = ""
    kms_keys: tuple[str, ...] = ()
    other_environments: tuple[str, ...] = field(default=())

    def table_arn(self, rest: str = "") -> str:
        """The environment's tables (``rest``: ``/index/*`` and the like, below each table)."""
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.namespace.stem}*{rest}"

    def resources(self, kind: str) -> list[str]:
        if kind == "*":
            return ["*"]
        if kind == "table":
            return [self.table_arn()]
        if kind in ("index", "stream", "backup", "export", "import"):
            return [self.table_arn(f"/{kind}/*")]
        bucket = self.bucket or "*"
        if kind == "bucket":
            return [f"arn:aws:s3:::{bucket}"]
        if kind == "object":
            return [f"arn:aws:s3:::{bucket}/{self.bucket_prefix}*"]
        raise ValueError(kind)


def scope_for(source: Source, *, account: str | None = None, bucket: str | None = None,
              kms_keys: Iterable[str] = ()) -> Scope:
    """The scope of the selected environment; S3 from ``s3://bucket/prefix`` (or a bare bucket name)."""
    if account is not None and not _ACCOUNT.fullmatch(account):
        raise ConfigError(f"invalid --account {account!r}: an AWS account id is 12 digits")
    bad_keys = [key for key in kms_keys if not key or any(ch.isspace() or ch in "\"*?" for ch in key)]
    if bad_keys:
        raise ConfigError(f"invalid --kms-key {bad_keys[0]!r}", hint="give a key ARN, key id or alias/NAME")
    name, prefix = _bucket(bucket) if bucket else (None, "")
    keys = set(kms_keys) | {
        spec.sse_specification.kms_master_key_id for spec in source.specs
        if spec.sse_specification is not None and spec.sse_specification.kms_master_key_id}
    namespace = source.settings.namespace
    others = tuple(env for env in namespace.known_environments if env not in (PRODUCTION, source.environment))
    return Scope(namespace, source.settings.region, account or "*", name, prefix, tuple(sorted(keys)), others)


def commands(selected: Sequence[str] | None) -> list[str]:
    """The commands asked for (default: all), checked against the operations table."""
    if not selected:
        return sorted(OPERATIONS)
    unknown = sorted(set(selected) - set(OPERATIONS))
    if unknown:
        raise ConfigError(f"unknown command(s) for --for: {', '.join(unknown)}",
                          hint=f"choose from {', '.join(sorted(OPERATIONS))}")
    return sorted(set(selected))


def permissions(command_names: Iterable[str]) -> dict[str, set[str]]:
    """{IAM action: the resource kinds it needs} for ``command_names`` (kinds: see ``Scope.resources``)."""
    needed: dict[str, set[str]] = {}
    for command in command_names:
        for operation in sorted(OPERATIONS[command]):
            if operation.startswith("s3:"):
                grants = [_s3(operation)]
            else:
                grants = [(f"dynamodb:{operation}", kind) for kind in _dynamodb_kinds(operation)]
                grants += _IMPLIED.get(operation, ())
            for action, kind in grants:
                needed.setdefault(action, set()).add(kind)
    return needed


def kms_operations(command_names: Iterable[str]) -> bool:
    return any(OPERATIONS[command] & _KEY_USERS for command in command_names)


def policy(command_names: Sequence[str], scope: Scope, *, deny_other_environments: bool = False) -> Json:
    """The policy document: one statement per distinct set of resources, actions sorted."""
    by_resources: dict[tuple[str, ...], list[str]] = {}
    for action, kinds in sorted(permissions(command_names).items()):
        resources = tuple(sorted(resource for kind in kinds for resource in scope.resources(kind)))
        by_resources.setdefault(resources, []).append(action)
    statements: list[Json] = []
    for grouped, actions in sorted(by_resources.items(), key=lambda item: _statement_order(item[0])):
        statements.append({"Sid": _sid(grouped, scope), "Effect": "Allow", "Action": sorted(actions),
                           "Resource": _one_or_list(list(grouped))})
    if scope.kms_keys and kms_operations(command_names):
        statements.extend(_kms_statements(scope))
    if deny_other_environments and scope.namespace.environment == PRODUCTION and scope.other_environments:
        patterns = [f"arn:aws:dynamodb:{scope.region}:{scope.account}:table/{scope.namespace.prefix}-{env}-*"
                    for env in scope.other_environments]
        statements.append({"Sid": "DenyOtherEnvironmentsTables", "Effect": "Deny", "Action": "dynamodb:*",
                           "Resource": [r for p in patterns for r in (p, f"{p}/*")]})
    return {"Version": VERSION, "Statement": statements}


def render(document: Json) -> str:
    return json.dumps(document, indent=2) + "\n"


# -- check ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Missing:
    action: str
    resource: str


@dataclass(frozen=True)
class CommandCheck:
    command: str
    missing: tuple[Missing, ...]

    @property
    def ok(self) -> bool:
        return not self.missing


def check(existing: Json, command_names: Sequence[str], source: Source, scope: Scope) -> list[CommandCheck]:
    """Which of ``command_names`` ``existing`` cannot run on the spec files' tables, and the actions it lacks.

    Each needed action is tried on concrete ARNs: every table of the spec files in the environment
    (and one of its indexes, streams, ...), ``*`` for the listing operations. Allow and Deny statements
    with Action/NotAction and Resource/NotResource are evaluated; Conditions are assumed to hold.
    """
    statements = _statements(existing)
    region = scope.region if scope.region != "*" else "us-east-1"
    account = scope.account if scope.account != "*" else SAMPLE_ACCOUNT
    tables = [source.physical(spec.table_name) for spec in source.specs]
    results = []
    for command in command_names:
        missing = [
            Missing(action, sample)
            for action, kinds in sorted(permissions([command]).items())
            for kind in sorted(kinds)
            for sample in _samples(kind, scope, region, account, tables)
            if not _allowed(statements, action, sample)
        ]
        results.append(CommandCheck(command, tuple(missing)))
    return results


def read_policy(text: str, path: str) -> Json:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if isinstance(document, dict) and isinstance(document.get("PolicyDocument"), dict):
        document = document["PolicyDocument"]  # aws iam get-policy-version output
    if not isinstance(document, dict) or "Statement" not in document:
        raise ConfigError(f"{path}: not an IAM policy document (no Statement)",
                          hint='expected {"Version": "2012-10-17", "Statement": [...]}')
    _statements(document, path)
    return document


# -- internals -----------------------------------------------------------------------------------------


def _dynamodb_kinds(operation: str) -> tuple[str, ...]:
    try:
        return _DYNAMODB_RESOURCES[operation]
    except KeyError:
        raise ConfigError(f"no IAM resource mapping for DynamoDB operation {operation}",
                          hint="add it to ddbctl.generate.iam._DYNAMODB_RESOURCES") from None


def _s3(operation: str) -> tuple[str, str]:
    try:
        return _S3_ACTIONS[operation]
    except KeyError:
        raise ConfigError(f"no IAM action mapping for S3 operation {operation}",
                          hint="add it to ddbctl.generate.iam._S3_ACTIONS") from None


def _bucket(location: str) -> tuple[str, str]:
    rest = location.removeprefix("s3://")
    name, _, prefix = rest.partition("/")
    if not name or any(ch in name for ch in "*?"):
        raise ConfigError(f"invalid --bucket {location!r}", hint="use s3://BUCKET/PREFIX or BUCKET")
    return name, prefix


def _statement_order(resources: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    return (0 if resources == ("*",) else 1, resources)


_SUB_RESOURCES = ("index", "stream", "backup", "export", "import")


def _kind_of(resource: str) -> str:
    return next((kind for kind in _SUB_RESOURCES if resource.endswith(f"/{kind}/*")), "table")


def _sid(resources: tuple[str, ...], scope: Scope) -> str:
    """A statement id that says what it covers (Sids are alphanumeric only)."""
    if resources == ("*",):
        return "ActionsWithoutResourceLevelPermissions"
    if resources[0].startswith("arn:aws:s3:::"):
        return "BackupBucket" if "/" not in resources[0].removeprefix("arn:aws:s3:::") else "BackupObjects"
    words = [{"index": "Indexes", "table": "Tables"}.get(kind, kind.capitalize() + "s")
             for kind in dict.fromkeys(_kind_of(r) for r in resources)]
    environment = "".join(part.capitalize() for part in _WORDS.findall(scope.namespace.environment))
    sid = f"{environment}{''.join(words)}"
    if scope.namespace.environment == PRODUCTION:
        sid += "PatternAlsoMatchesOtherEnvironments"
    return sid


def _kms_statements(scope: Scope) -> list[Json]:
    via = {"kms:ViaService": f"dynamodb.{scope.region}.amazonaws.com"}
    condition_op = "StringLike" if "*" in scope.region else "StringEquals"
    keys = [k for k in scope.kms_keys if not _is_alias(k)]
    aliases = sorted(_alias_name(k) for k in scope.kms_keys if _is_alias(k))
    statements: list[Json] = []
    if keys:
        statements.append({"Sid": "TableEncryptionKeys", "Effect": "Allow", "Action": list(_KMS_ACTIONS),
                           "Resource": _one_or_list([_key_arn(k, scope) for k in keys]),
                           "Condition": {condition_op: via}})
    if aliases:
        statements.append({"Sid": "TableEncryptionKeysByAlias", "Effect": "Allow", "Action": list(_KMS_ACTIONS),
                           "Resource": f"arn:aws:kms:{scope.region}:{scope.account}:key/*",
                           "Condition": {condition_op: via,
                                         "ForAnyValue:StringEquals": {"kms:ResourceAliases": aliases}}})
    return statements


def _one_or_list(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values


def _is_alias(key: str) -> bool:
    return key.startswith("alias/") or ":alias/" in key


def _alias_name(key: str) -> str:
    return "alias/" + key.split("alias/", 1)[1]


def _key_arn(key: str, scope: Scope) -> str:
    return key if key.startswith("arn:") else f"arn:aws:kms:{scope.region}:{scope.account}:key/{key}"


def _samples(kind: str, scope: Scope, region: str, account: str, tables: Sequence[str]) -> list[str]:
    """Concrete resources standing for ``kind`` in ``--check``: each table of the spec files, or ``*``."""
    if kind == "*":
        return ["*"]
    bucket = scope.bucket or "bucket"
    if kind == "bucket":
        return [f"arn:aws:s3:::{bucket}"]
    if kind == "object":
        return [f"arn:aws:s3:::{bucket}/{scope.bucket_prefix}object"]
    sub = "" if kind == "table" else f"/{kind}/name"
    return [f"arn:aws:dynamodb:{region}:{account}:table/{table}{sub}" for table in tables]


def _statements(document: Mapping[str, Any], path: str = "policy") -> list[Json]:
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise ConfigError(f"{path}: Statement must be an object or a list of objects")
    return statements


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _glob(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one character; nothing else is special."""
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _any(patterns: Any, value: str, *, ignore_case: bool) -> bool:
    return any(_glob(p, ignore_case=ignore_case).fullmatch(value) for p in _as_list(patterns))


def _matches(statement: Json, action: str, resource: str) -> bool:
    if "Action" in statement:
        action_ok = _any(statement["Action"], action, ignore_case=True)
    else:
        action_ok = "NotAction" in statement and not _any(statement["NotAction"], action, ignore_case=True)
    if "Resource" in statement:
        resource_ok = _any(statement["Resource"], resource, ignore_case=False)
    else:
        resource_ok = "NotResource" in statement and not _any(statement["NotResource"], resource, ignore_case=False)
    return action_ok and resource_ok


def allows(document: Json, action: str, resource: str) -> bool:
    """Whether the policy ``document`` allows ``action`` on ``resource`` (Conditions assumed to hold)."""
    return _allowed(_statements(document), action, resource)


def _allowed(statements: Sequence[Json], action: str, resource: str) -> bool:
    matching = [s for s in statements if _matches(s, action, resource)]
    if any(s.get("Effect") == "Deny" for s in matching):
        return False
    return any(s.get("Effect") == "Allow" for s in matching)
