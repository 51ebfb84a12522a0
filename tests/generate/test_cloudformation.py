"""generate cloudformation: cfn-lint clean, and every table's properties match its spec file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.api import ManualArgs, lint

from ddbctl import table_name
from ddbctl.config import load_settings
from ddbctl.errors import Inexpressible
from ddbctl.generate import cloudformation
from ddbctl.generate.source import Source, load_source
from ddbctl.spec.model import TableSpec

from .specs import KMS_KEY_ARN, example_and_edges, limits, write_specs

ENVIRONMENTS = ("production", "staging", "qa")


@pytest.fixture(scope="module")
def spec_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return example_and_edges(tmp_path_factory.mktemp("cfn") / "schemas")


def source_for(directory: Path, environment: str = "staging", prefix: str = "construction-expenses") -> Source:
    return load_source(load_settings({"environment": environment, "prefix": prefix}, environ={}), directory)


def cfn_lint(text: str) -> list[str]:
    return [str(match) for match in lint(text, config=ManualArgs(regions=["us-east-1", "eu-west-1"]))]


@pytest.mark.parametrize(("fmt", "parameterized", "environment"), [
    ("yaml", False, "production"), ("json", False, "staging"), ("yaml", True, "staging"), ("json", True, "production"),
])
def test_template_passes_cfn_lint_without_errors_or_warnings(spec_dir: Path, fmt: str, parameterized: bool,
                                                            environment: str) -> None:
    source = source_for(spec_dir, environment)
    text = cloudformation.render(cloudformation.template(source, parameterized=parameterized),
                                 "json" if fmt == "json" else "yaml")
    assert cfn_lint(text) == []


def test_cfn_lint_is_a_real_check() -> None:
    """The linter used above does report a broken table (so an empty list means something)."""
    broken = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"T": {
        "Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "SOMETIMES", "KeySchema": []}}}}
    assert cfn_lint(json.dumps(broken))


def _resolve(value: Any, parameters: dict[str, str]) -> Any:
    """Evaluate the intrinsic functions the parameterized template uses, as CloudFormation would."""
    if isinstance(value, dict) and len(value) == 1:
        (function, argument), = value.items()
        if function == "Ref":
            return parameters[argument]
        if function == "Fn::Sub":
            text = argument
            for name, replacement in parameters.items():
                text = text.replace(f"${{{name}}}", replacement)
            return text
        if function == "Fn::If":
            condition, when_true, when_false = argument
            assert condition == "IsProduction"
            return _resolve(when_true if parameters["Environment"] == "production" else when_false, parameters)
    return value


def check_table_properties(properties: dict[str, Any], spec: TableSpec, physical: str, environment: str) -> None:
    effective = spec.with_defaults().canonical()
    assert properties["TableName"] == physical
    assert properties["AttributeDefinitions"] == [d.to_request() for d in effective.attribute_definitions]
    assert properties["KeySchema"] == [k.to_request() for k in spec.key_schema]
    assert properties["BillingMode"] == effective.billing_mode
    expected_throughput = spec.provisioned_throughput.to_request() if spec.provisioned_throughput else None
    assert properties.get("ProvisionedThroughput") == expected_throughput
    assert properties.get("OnDemandThroughput") == limits(spec.on_demand_throughput)
    gsis = {index["IndexName"]: index for index in properties.get("GlobalSecondaryIndexes", [])}
    assert set(gsis) == {index.index_name for index in spec.gsis}
    for index in spec.gsis:
        generated = gsis[index.index_name]
        assert generated["KeySchema"] == [k.to_request() for k in index.key_schema]
        assert generated["Projection"] == index.projection.canonical().to_request()
        assert generated.get("ProvisionedThroughput") == (
            index.provisioned_throughput.to_request() if index.provisioned_throughput else None)
        assert generated.get("OnDemandThroughput") == limits(index.on_demand_throughput)
    lsis = {index["IndexName"]: index for index in properties.get("LocalSecondaryIndexes", [])}
    assert lsis == {index.index_name: {"IndexName": index.index_name,
                                       "KeySchema": [k.to_request() for k in index.key_schema],
                                       "Projection": index.projection.canonical().to_request()}
                    for index in spec.lsis}
    stream = effective.stream_specification
    assert stream is not None
    assert properties.get("StreamSpecification") == (
        {"StreamViewType": stream.stream_view_type} if stream.stream_enabled else None)
    sse = effective.sse_specification
    assert sse is not None
    assert properties["SSESpecification"]["SSEEnabled"] is sse.enabled
    assert properties["SSESpecification"].get("KMSMasterKeyId") == sse.kms_master_key_id
    assert properties["TableClass"] == effective.table_class
    assert properties["DeletionProtectionEnabled"] is bool(spec.deletion_protection_enabled)
    ttl = effective.time_to_live_specification
    assert ttl is not None
    assert properties.get("TimeToLiveSpecification") == (
        {"AttributeName": ttl.attribute_name, "Enabled": True} if ttl.enabled else None)
    pitr = effective.point_in_time_recovery_specification
    assert pitr is not None
    assert properties["PointInTimeRecoverySpecification"] == pitr.to_request()
    tags = {tag["Key"]: tag["Value"] for tag in properties["Tags"]}
    assert tags == {**spec.tag_map, "Environment": environment, "ManagedBy": "ddbctl"}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_table_matches_its_spec_file_attribute_by_attribute(spec_dir: Path, environment: str) -> None:
    source = source_for(spec_dir, environment, prefix="acme")
    document = yaml.safe_load(cloudformation.render(cloudformation.template(source)))
    resources = document["Resources"]
    ids = cloudformation.logical_ids(source)
    assert set(resources) == set(ids.values())
    assert len(source.specs) == 15  # the 13 bundled tables and the two edge cases
    for spec in source.specs:
        resource = resources[ids[spec.table_name]]
        assert resource["Type"] == "AWS::DynamoDB::Table"
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
        physical = table_name(spec.table_name, environment, "acme")
        check_table_properties(resource["Properties"], spec, physical, environment)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_parameterized_names_follow_get_table_name_for_any_environment(spec_dir: Path, environment: str) -> None:
    source = source_for(spec_dir, "staging", prefix="acme")  # the selected environment does not matter here
    document = cloudformation.template(source, parameterized=True)
    assert document["Parameters"]["Environment"]["Default"] == "production"
    assert document["Parameters"]["Prefix"]["Default"] == "acme"
    parameters = {"Environment": environment, "Prefix": "other-prefix"}
    for spec in source.specs:
        properties = document["Resources"][cloudformation.logical_ids(source)[spec.table_name]]["Properties"]
        resolved = {**properties, "TableName": _resolve(properties["TableName"], parameters),
                    "Tags": [{**tag, "Value": _resolve(tag["Value"], parameters)} for tag in properties["Tags"]]}
        check_table_properties(resolved, spec, table_name(spec.table_name, environment, "other-prefix"), environment)


def test_yaml_and_json_are_the_same_document_and_the_notes_are_there(spec_dir: Path) -> None:
    source = source_for(spec_dir)
    document = cloudformation.template(source)
    as_yaml = cloudformation.render(document, "yaml")
    as_json = cloudformation.render(document, "json")
    assert yaml.safe_load(as_yaml) == json.loads(as_json) == document
    comments = " ".join(line[2:] for line in as_yaml.splitlines() if line.startswith("# "))
    assert "at most one global secondary index creation or deletion" in comments
    assert "backfilling" in comments and "`ddbctl apply` has no such limit" in comments
    notes = json.loads(as_json)["Metadata"]["ddbctl"]["Indexes"]
    assert "at most one global secondary index" in notes and "ddbctl apply" in notes


def test_output_is_deterministic(spec_dir: Path, tmp_path: Path) -> None:
    first = cloudformation.render(cloudformation.template(source_for(spec_dir), parameterized=True))
    # The same specs written in another order, with keys in another order, give the same bytes.
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in sorted(spec_dir.glob("*.json"), reverse=True):
        document = json.loads(path.read_text(encoding="utf-8"))
        (copy / path.name).write_text(json.dumps(dict(reversed(list(document.items())))), encoding="utf-8")
    assert cloudformation.render(cloudformation.template(source_for(copy), parameterized=True)) == first


def test_import_resources_name_the_environments_tables(spec_dir: Path) -> None:
    source = source_for(spec_dir, "qa")
    resources = json.loads(cloudformation.render_import(cloudformation.import_resources(source)))
    assert resources[0] == {"ResourceType": "AWS::DynamoDB::Table", "LogicalResourceId": "AuditEventsTable",
                            "ResourceIdentifier": {"TableName": "construction-expenses-qa-audit.events"}}
    assert [r["ResourceIdentifier"]["TableName"] for r in resources] == [
        table_name(spec.table_name, "qa") for spec in source.specs]
    template_ids = set(cloudformation.template(source)["Resources"])
    assert {r["LogicalResourceId"] for r in resources} == template_ids


def test_customer_kms_key_is_carried(spec_dir: Path) -> None:
    properties = cloudformation.template(source_for(spec_dir))["Resources"]["LedgerTable"]["Properties"]
    assert properties["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": KMS_KEY_ARN}


def test_names_that_collide_as_logical_ids_are_refused(tmp_path: Path) -> None:
    base = {"AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}
    directory = write_specs(tmp_path / "s", {**base, "TableName": "order-items"}, {**base, "TableName": "order_items"})
    with pytest.raises(Inexpressible, match="'order-items' and 'order_items' both become 'OrderItemsTable'"):
        cloudformation.template(source_for(directory))
