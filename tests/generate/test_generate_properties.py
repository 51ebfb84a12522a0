"""Property tests: for any valid spec (the planner's strategies), CloudFormation and Terraform carry every
attribute, and Terraform refuses exactly the KMS keys it cannot express."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddbctl import table_name
from ddbctl.config import load_settings
from ddbctl.errors import Inexpressible
from ddbctl.generate import cloudformation, terraform
from ddbctl.generate.source import Source
from ddbctl.spec.model import TableSpec

from ..unit.test_planner_properties import file_specs, shapes
from .test_cloudformation import check_table_properties
from .test_terraform import check_table, parse, tables_of

SOME = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPECS = shapes().flatmap(file_specs)


def source_of(spec: TableSpec, environment: str) -> Source:
    return Source(load_settings({"environment": environment, "prefix": "app"}, environ={}), (spec,))


@SOME
@given(spec=SPECS, environment=st.sampled_from(("production", "staging")))
def test_cloudformation_carries_every_attribute(spec: TableSpec, environment: str) -> None:
    document = yaml.safe_load(cloudformation.render(cloudformation.template(source_of(spec, environment))))
    (resource,) = document["Resources"].values()
    check_table_properties(resource["Properties"], spec, table_name(spec.table_name, environment, "app"), environment)


@SOME
@given(spec=SPECS)
def test_terraform_carries_every_attribute_or_refuses_a_key_that_is_not_an_arn(spec: TableSpec) -> None:
    sse = spec.sse_specification
    key = sse.kms_master_key_id if sse is not None else None
    if key is not None and not key.startswith("arn:"):
        with pytest.raises(Inexpressible, match="not a key ARN"):
            terraform.render_document(source_of(spec, "staging"))
        return
    (body,) = tables_of(parse(terraform.render_document(source_of(spec, "staging")))).values()
    check_table(body, spec)
