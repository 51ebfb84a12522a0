"""``generate cloudformation``: one ``AWS::DynamoDB::Table`` per spec file, as YAML or JSON.

The template is built as data (intrinsic functions in their long form, ``Fn::If``/``Fn::Sub``/``Ref``,
which YAML and JSON spell the same way) and rendered by PyYAML or json. Names are concrete for the
selected environment, or with ``parameterized`` derived from an ``Environment`` and a ``Prefix``
parameter exactly as the seed's ``getTableName`` does (production has no environment segment).
"""

from __future__ import annotations

import json
from typing import Any, Literal

import yaml

from ..errors import Inexpressible
from ..naming import NAME_PATTERN, PRODUCTION
from ..spec.model import GlobalSecondaryIndex, LocalSecondaryIndex, Projection, TableSpec
from .source import Source, camel_words, managed_tags, on_demand_limits, unique_identifiers, user_tags

Json = dict[str, Any]
Format = Literal["yaml", "json"]

TABLE_TYPE = "AWS::DynamoDB::Table"
PRODUCTION_CONDITION = "IsProduction"
MAX_RESOURCES = 500  # CloudFormation's limit per template

INDEX_NOTE = (
    "CloudFormation applies at most one global secondary index creation or deletion per table in one stack "
    "update, and it completes an update before a new index has finished backfilling: until then queries "
    "fail with 'Cannot read from backfilling global secondary index'. `ddbctl apply` has no such limit: "
    "it builds any number of indexes one after another in one run and waits until each is ACTIVE."
)
RETAIN_NOTE = (
    "Every table has DeletionPolicy and UpdateReplacePolicy Retain: deleting the stack or replacing a "
    "resource never deletes a table or its data."
)


def logical_ids(source: Source) -> dict[str, str]:
    """{logical table name: CloudFormation logical ID}: ``company-users`` -> ``CompanyUsersTable``."""
    made = {spec.table_name: _pascal(spec.table_name) + "Table" for spec in source.specs}
    return unique_identifiers(made, made, "tables", "CloudFormation logical IDs are alphanumeric only")


def template(source: Source, *, parameterized: bool = False) -> Json:
    """The template as data: one retained table per spec, in logical-name order."""
    if len(source.specs) > MAX_RESOURCES:
        raise Inexpressible(f"{len(source.specs)} tables: a CloudFormation template holds at most {MAX_RESOURCES} "
                            "resources", hint="split the spec files into several directories, one stack each")
    ids = logical_ids(source)
    document: Json = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": _description(source, parameterized),
        "Metadata": {"ddbctl": {"Generator": "ddbctl generate cloudformation", "Indexes": INDEX_NOTE,
                                "Retention": RETAIN_NOTE}},
    }
    if parameterized:
        document["Parameters"] = {
            "Environment": {
                "Type": "String",
                "Default": PRODUCTION,
                "AllowedPattern": NAME_PATTERN.pattern,
                "Description": "Environment: production names tables {Prefix}-{name}, any other "
                "{Prefix}-{Environment}-{name}.",
            },
            "Prefix": {
                "Type": "String",
                "Default": source.prefix,
                "AllowedPattern": NAME_PATTERN.pattern,
                "Description": "Table name prefix.",
            },
        }
        document["Conditions"] = {PRODUCTION_CONDITION: {"Fn::Equals": [{"Ref": "Environment"}, PRODUCTION]}}
    document["Resources"] = {
        ids[spec.table_name]: {
            "Type": TABLE_TYPE,
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": table_properties(source, spec, parameterized=parameterized),
        }
        for spec in source.effective()
    }
    return document


def table_properties(source: Source, spec: TableSpec, *, parameterized: bool = False) -> Json:
    """The ``Properties`` of one table (``spec`` with defaults filled in)."""
    properties: Json = {
        "TableName": _parameterized_name(spec.table_name) if parameterized else source.physical(spec.table_name),
        "AttributeDefinitions": [d.to_request() for d in spec.attribute_definitions],
        "KeySchema": [k.to_request() for k in spec.key_schema],
        "BillingMode": spec.billing_mode,
    }
    if spec.provisioned_throughput is not None:
        properties["ProvisionedThroughput"] = spec.provisioned_throughput.to_request()
    if (limits := on_demand_limits(spec.on_demand_throughput)) is not None:
        properties["OnDemandThroughput"] = limits
    if spec.gsis:
        properties["GlobalSecondaryIndexes"] = [_gsi(index) for index in spec.gsis]
    if spec.lsis:
        properties["LocalSecondaryIndexes"] = [_lsi(index) for index in spec.lsis]
    stream = spec.stream_specification
    if stream is not None and stream.stream_enabled:
        properties["StreamSpecification"] = {"StreamViewType": stream.stream_view_type}
    properties["SSESpecification"] = _sse(spec)
    properties["TableClass"] = spec.table_class
    properties["DeletionProtectionEnabled"] = bool(spec.deletion_protection_enabled)
    ttl = spec.time_to_live_specification
    if ttl is not None and ttl.enabled:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl.attribute_name, "Enabled": True}
    pitr = spec.point_in_time_recovery_specification
    if pitr is not None:
        properties["PointInTimeRecoverySpecification"] = pitr.to_request()
    tags: dict[str, Any] = {**user_tags(spec), **managed_tags(source.environment)}
    if parameterized:
        tags["Environment"] = {"Ref": "Environment"}
    properties["Tags"] = [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
    return properties


def import_resources(source: Source) -> list[Json]:
    """The resources-to-import list for an IMPORT change set adopting the environment's live tables."""
    ids = logical_ids(source)
    return [
        {
            "ResourceType": TABLE_TYPE,
            "LogicalResourceId": ids[spec.table_name],
            "ResourceIdentifier": {"TableName": source.physical(spec.table_name)},
        }
        for spec in source.specs
    ]


def render(document: Json, fmt: Format = "yaml") -> str:
    """The template as text: YAML with the notes as leading comments, or JSON (notes in Metadata)."""
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    notes = ["Generated by `ddbctl generate cloudformation` from the spec files: edit those, not this file.",
             "", *_wrap(INDEX_NOTE), "", *_wrap(RETAIN_NOTE)]
    header = "".join(f"# {line}".rstrip() + "\n" for line in notes)
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=120)
    return header + body


def render_import(resources: list[Json]) -> str:
    return json.dumps(resources, indent=2, ensure_ascii=False) + "\n"


# -- parts ---------------------------------------------------------------------------------------------


def _gsi(index: GlobalSecondaryIndex) -> Json:
    result: Json = {
        "IndexName": index.index_name,
        "KeySchema": [k.to_request() for k in index.key_schema],
        "Projection": _projection(index.projection),
    }
    if index.provisioned_throughput is not None:
        result["ProvisionedThroughput"] = index.provisioned_throughput.to_request()
    if (limits := on_demand_limits(index.on_demand_throughput)) is not None:
        result["OnDemandThroughput"] = limits
    return result


def _lsi(index: LocalSecondaryIndex) -> Json:
    return {
        "IndexName": index.index_name,
        "KeySchema": [k.to_request() for k in index.key_schema],
        "Projection": _projection(index.projection),
    }


def _projection(projection: Projection) -> Json:
    return projection.canonical().to_request()


def _sse(spec: TableSpec) -> Json:
    sse = spec.sse_specification
    if sse is None or not sse.enabled:
        return {"SSEEnabled": False}
    result: Json = {"SSEEnabled": True}
    if sse.sse_type is not None:
        result["SSEType"] = sse.sse_type
    if sse.kms_master_key_id is not None:
        result["SSEType"] = "KMS"
        result["KMSMasterKeyId"] = sse.kms_master_key_id
    return result


def _parameterized_name(logical: str) -> Json:
    return {"Fn::If": [PRODUCTION_CONDITION, {"Fn::Sub": f"${{Prefix}}-{logical}"},
                       {"Fn::Sub": f"${{Prefix}}-${{Environment}}-{logical}"}]}


def _description(source: Source, parameterized: bool) -> str:
    where = "the Environment parameter" if parameterized else f"environment {source.environment}"
    return (f"DynamoDB tables ({len(source.specs)}) of prefix {source.prefix} for {where}, "
            "generated by ddbctl from the spec files")


def _pascal(name: str) -> str:
    return "".join(word[0].upper() + word[1:] for word in camel_words(name))


def _wrap(text: str, width: int = 100) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, as CloudFormation examples write them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)
