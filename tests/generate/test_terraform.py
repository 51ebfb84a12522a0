"""generate terraform: parses (python-hcl2), `terraform fmt -check` accepts it, and matches the spec files."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from ddbctl.config import load_settings
from ddbctl.errors import Inexpressible
from ddbctl.generate import terraform
from ddbctl.generate.source import Source, load_source
from ddbctl.spec.model import TableSpec

from .specs import AUDIT, LEDGER, example_and_edges, limits, write_specs
from .tools import require


@pytest.fixture(scope="module")
def spec_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return example_and_edges(tmp_path_factory.mktemp("tf") / "schemas")


def source_for(directory: Path, environment: str = "staging", prefix: str = "construction-expenses") -> Source:
    return load_source(load_settings({"environment": environment, "prefix": prefix}, environ={}), directory)


def parse(text: str) -> dict[str, Any]:
    return dict(hcl2.loads(text))


def literal(value: Any) -> Any:
    """python-hcl2 keeps a string literal's quotes: the value as Terraform reads it."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("$${", "${").replace("\\\\", "\\")
    return value


def blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return list(body.get(name, []))


def tables_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for resource in document["resource"]:
        for kind, named in resource.items():
            assert literal(kind) == "aws_dynamodb_table"
            found.update({literal(name): body for name, body in named.items()})
    return found


def on_demand(body: dict[str, Any]) -> dict[str, int] | None:
    """The on_demand_throughput block in the request's names, or None when there is none."""
    found = blocks(body, "on_demand_throughput")
    assert len(found) <= 1
    names = {"max_read_request_units": "MaxReadRequestUnits", "max_write_request_units": "MaxWriteRequestUnits"}
    return {names[k]: v for k, v in found[0].items() if k in names} if found else None


def _keys(schema: Any) -> tuple[str, str | None]:
    names = [k.attribute_name for k in schema]
    return names[0], (names[1] if len(names) > 1 else None)


def check_table(body: dict[str, Any], spec: TableSpec) -> None:
    effective = spec.with_defaults().canonical()
    assert literal(body["name"]) == "${local.stem}" + spec.table_name
    assert literal(body["billing_mode"]) == effective.billing_mode
    hash_key, range_key = _keys(spec.key_schema)
    assert literal(body["hash_key"]) == hash_key
    assert literal(body.get("range_key")) == range_key
    throughput = spec.provisioned_throughput
    assert (body.get("read_capacity"), body.get("write_capacity")) == (
        (throughput.read_capacity_units, throughput.write_capacity_units) if throughput else (None, None))
    assert literal(body["table_class"]) == effective.table_class
    assert body["deletion_protection_enabled"] is bool(spec.deletion_protection_enabled)
    stream = effective.stream_specification
    assert stream is not None
    assert body["stream_enabled"] is stream.stream_enabled
    assert literal(body.get("stream_view_type")) == (stream.stream_view_type if stream.stream_enabled else None)
    assert {(literal(a["name"]), literal(a["type"])) for a in blocks(body, "attribute")} == {
        (d.attribute_name, d.attribute_type) for d in spec.attribute_definitions}
    assert on_demand(body) == limits(spec.on_demand_throughput)
    gsis = {literal(b["name"]): b for b in blocks(body, "global_secondary_index")}
    assert set(gsis) == {index.index_name for index in spec.gsis}
    for index in spec.gsis:
        block = gsis[index.index_name]
        index_hash, index_range = _keys(index.key_schema)
        assert (literal(block["hash_key"]), literal(block.get("range_key"))) == (index_hash, index_range)
        projection = index.projection.canonical()
        assert literal(block["projection_type"]) == projection.projection_type
        assert [literal(a) for a in block.get("non_key_attributes", [])] == list(projection.non_key_attributes or [])
        capacity = index.provisioned_throughput
        assert (block.get("read_capacity"), block.get("write_capacity")) == (
            (capacity.read_capacity_units, capacity.write_capacity_units) if capacity else (None, None))
        assert on_demand(block) == limits(index.on_demand_throughput)
    lsis = {literal(b["name"]): b for b in blocks(body, "local_secondary_index")}
    assert set(lsis) == {index.index_name for index in spec.lsis}
    for lsi in spec.lsis:
        projection = lsi.projection.canonical()
        assert literal(lsis[lsi.index_name]["range_key"]) == _keys(lsi.key_schema)[1]
        assert literal(lsis[lsi.index_name]["projection_type"]) == projection.projection_type
        assert [literal(a) for a in lsis[lsi.index_name].get("non_key_attributes", [])] == list(
            projection.non_key_attributes or [])
    sse = effective.sse_specification
    assert sse is not None
    (encryption,) = blocks(body, "server_side_encryption")
    assert encryption["enabled"] is sse.enabled
    assert literal(encryption.get("kms_key_arn")) == sse.kms_master_key_id
    ttl = effective.time_to_live_specification
    assert ttl is not None
    assert [(literal(b["attribute_name"]), b["enabled"]) for b in blocks(body, "ttl")] == (
        [(ttl.attribute_name, True)] if ttl.enabled else [])
    pitr = effective.point_in_time_recovery_specification
    assert pitr is not None
    (recovery,) = blocks(body, "point_in_time_recovery")
    assert recovery["enabled"] is pitr.point_in_time_recovery_enabled
    assert recovery.get("recovery_period_in_days") == pitr.recovery_period_in_days
    tags = {literal(k): literal(v) for k, v in body["tags"].items()}
    assert tags == {**spec.tag_map, "Environment": "${var.environment}", "ManagedBy": "ddbctl"}
    assert blocks(body, "lifecycle")[0]["prevent_destroy"] is True


def test_every_table_matches_its_spec_file_attribute_by_attribute(spec_dir: Path) -> None:
    source = source_for(spec_dir)
    document = parse(terraform.render_document(source))
    tables = tables_of(document)
    names = terraform.resource_names(source)
    assert set(tables) == set(names.values())
    assert len(source.specs) == 15
    for spec in source.specs:
        check_table(tables[names[spec.table_name]], spec)
    assert names["audit.events"] == "audit_events"


@pytest.mark.parametrize("environment", ["production", "staging", "qa"])
def test_variables_default_to_the_settings_and_the_stem_is_the_naming_rule(spec_dir: Path, environment: str) -> None:
    document = parse(terraform.render_document(source_for(spec_dir, environment, prefix="acme")))
    variables = {name: body for variable in document["variable"] for name, body in variable.items()}
    assert literal(variables['"environment"']["default"]) == environment
    assert literal(variables['"prefix"']["default"]) == "acme"
    (local,) = document["locals"]
    assert local["stem"] == ('${var.environment == "production" ? "${var.prefix}-" : '
                             '"${var.prefix}-${var.environment}-"}')


def test_import_blocks_adopt_every_table_by_its_name(spec_dir: Path) -> None:
    source = source_for(spec_dir)
    imports = parse(terraform.render_document(source))["import"]
    names = terraform.resource_names(source)
    assert [(i["to"], literal(i["id"])) for i in imports] == [
        (f"${{aws_dynamodb_table.{names[spec.table_name]}}}", "${local.stem}" + spec.table_name)
        for spec in source.specs]
    assert "import" not in parse(terraform.render_document(source, imports=False))


@pytest.mark.parametrize("imports", [True, False])
@pytest.mark.parametrize("environment", ["production", "dev"])
def test_terraform_fmt_accepts_the_output(spec_dir: Path, tmp_path: Path, environment: str, imports: bool) -> None:
    binary = require("terraform", "`terraform fmt -check` on the generated HCL is not run")
    path = tmp_path / "main.tf"
    path.write_text(terraform.render_document(source_for(spec_dir, environment), imports=imports), encoding="utf-8")
    result = subprocess.run([binary, "fmt", "-check", "-diff", "-no-color", str(path)], capture_output=True,
                            text=True, check=False, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                                         "TF_CLI_CONFIG_FILE": "/dev/null"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_output_is_deterministic(spec_dir: Path) -> None:
    assert terraform.render_document(source_for(spec_dir)) == terraform.render_document(source_for(spec_dir))


def test_a_kms_key_that_is_not_an_arn_is_refused(tmp_path: Path) -> None:
    aliased = {**LEDGER, "SSESpecification": {"Enabled": True, "KMSMasterKeyId": "alias/ledger"}}
    with pytest.raises(Inexpressible, match=r"table ledger: .*'alias/ledger' is not a key ARN.*kms_key_arn"):
        terraform.render_document(source_for(write_specs(tmp_path / "s", aliased, AUDIT)))


def test_names_that_collide_as_resource_names_are_refused(tmp_path: Path) -> None:
    other = {**AUDIT, "TableName": "audit_events"}
    with pytest.raises(Inexpressible, match=re.escape("'audit.events' and 'audit_events' both become 'audit_events'")):
        terraform.render_document(source_for(write_specs(tmp_path / "s", AUDIT, other)))
