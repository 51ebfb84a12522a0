"""add-gsi's input: flags and the seed's environment variables to an IndexRequest, checked offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ddbctl.config import load_settings
from ddbctl.errors import ConfigError, SpecError
from ddbctl.naming import Namespace
from ddbctl.ops.gsi import add_gsi, index_differences, wait_command, wait_for
from ddbctl.ops.gsi_input import (
    GsiInput,
    IndexRequest,
    index_request,
    request_from_input,
    requests_from_spec,
    resolve_table,
)
from ddbctl.spec.model import GlobalSecondaryIndex, Projection, ProvisionedThroughput

SEED_ENV = {
    "TABLE_NAME": "construction-expenses-company-expenses",
    "INDEX_NAME": "by-company-and-date",
    "PARTITION_KEY": "companyId",
    "PARTITION_KEY_TYPE": "S",
    "SORT_KEY": "createdAt",
    "SORT_KEY_TYPE": "N",
}
FLAGS = GsiInput(table="companies", index="by-email", partition_key="email:S")
UNREACHABLE = "http://127.0.0.1:9"  # nothing listens there: a call would fail with EndpointError


def keys(request: IndexRequest) -> list[tuple[str, str, str]]:
    types = request.key_types
    return [(k.attribute_name, k.key_type, types[k.attribute_name]) for k in request.index.key_schema]


def problem(flags: GsiInput, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as excinfo:
        request_from_input(flags, environ or {})
    assert excinfo.value.hint == "no change was sent to DynamoDB"
    return excinfo.value.message


# -- what is read from where ---------------------------------------------------------------------------


def test_the_seed_variables_alone_define_the_index() -> None:
    request = request_from_input(GsiInput(), SEED_ENV)
    assert request.table == "construction-expenses-company-expenses"
    assert request.index_name == "by-company-and-date"
    assert keys(request) == [("companyId", "HASH", "S"), ("createdAt", "RANGE", "N")]
    assert request.index.projection == Projection(projection_type="ALL")
    assert request.index.provisioned_throughput is None


def test_flags_define_the_index_with_types_after_the_colon() -> None:
    request = request_from_input(GsiInput(table="t1x", index="by-x", partition_key="a:n", sort_key="b:B"), {})
    assert keys(request) == [("a", "HASH", "N"), ("b", "RANGE", "B")]


def test_flags_win_over_variables() -> None:
    request = request_from_input(GsiInput(table="companies", index="by-email"), SEED_ENV)
    assert (request.table, request.index_name) == ("companies", "by-email")
    assert keys(request)[0] == ("companyId", "HASH", "S")  # no key flag: the key variables still apply


def test_key_flags_replace_all_key_variables_so_a_stale_sort_key_is_ignored() -> None:
    request = request_from_input(GsiInput(partition_key="email:S"), SEED_ENV)
    assert keys(request) == [("email", "HASH", "S")]


def test_projection_flags_replace_both_projection_variables() -> None:
    environ = {**SEED_ENV, "PROJECTION_TYPE": "INCLUDE", "PROJECTION_ATTRIBUTES": "a,b"}
    assert request_from_input(GsiInput(), environ).index.projection.non_key_attributes == ("a", "b")
    flagged = request_from_input(GsiInput(projection="keys_only"), environ)
    assert flagged.index.projection == Projection(projection_type="KEYS_ONLY")


def test_include_attributes_are_trimmed_and_empty_entries_dropped() -> None:
    request = request_from_input(GsiInput(projection="INCLUDE", attributes=" total, ,status,"), SEED_ENV)
    assert request.index.projection.non_key_attributes == ("total", "status")


def test_an_attribute_name_may_contain_colons_when_the_type_is_given() -> None:
    assert keys(request_from_input(GsiInput(partition_key="a:b:S"), SEED_ENV))[0] == ("a:b", "HASH", "S")


def test_capacity_flags_become_the_index_throughput() -> None:
    request = request_from_input(GsiInput(read_capacity=5, write_capacity=2), SEED_ENV)
    assert request.index.provisioned_throughput == ProvisionedThroughput(read_capacity_units=5, write_capacity_units=2)


def test_empty_variables_count_as_unset() -> None:
    request = request_from_input(GsiInput(), {**SEED_ENV, "SORT_KEY": "", "PROJECTION_TYPE": " "})
    assert keys(request) == [("companyId", "HASH", "S")]
    assert request.index.projection.projection_type == "ALL"


# -- bad input: one clear message each ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "environ", "message"),
    [
        (GsiInput(partition_key="email"), SEED_ENV,
         "missing type for partition key 'email': write --partition-key email:S (the type is S (string), "
         "N (number) or B (binary))"),
        (GsiInput(), {**SEED_ENV, "PARTITION_KEY_TYPE": ""},
         "missing type for partition key 'companyId': set PARTITION_KEY_TYPE (the type is S (string), "
         "N (number) or B (binary))"),
        (GsiInput(partition_key="email:X"), SEED_ENV,
         "--partition-key: unknown type 'X' for partition key 'email': use S (string), N (number) or B (binary)"),
        (GsiInput(), {**SEED_ENV, "SORT_KEY_TYPE": "string"},
         "SORT_KEY_TYPE: unknown type 'STRING' for sort key 'createdAt': use S (string), N (number) or B (binary)"),
        (GsiInput(sort_key="createdAt:N"), SEED_ENV,
         "a sort key needs a partition key: pass --partition-key NAME:TYPE"),
        (GsiInput(), {**SEED_ENV, "PARTITION_KEY": ""},
         "a sort key needs a partition key: pass --partition-key NAME:TYPE or set PARTITION_KEY and "
         "PARTITION_KEY_TYPE"),
        (GsiInput(), {"TABLE_NAME": "t1x", "INDEX_NAME": "i1x"},
         "no partition key given: pass --partition-key NAME:TYPE or set PARTITION_KEY and PARTITION_KEY_TYPE"),
        (GsiInput(partition_key="a:S"), {}, "2 problems with the index request:\n"
         "  - no table given: pass --table NAME or set TABLE_NAME\n"
         "  - no index name given: pass --index NAME or set INDEX_NAME"),
        (GsiInput(projection="INCLUDE"), SEED_ENV,
         "projection INCLUDE needs the attributes to project: pass --attributes a,b or set PROJECTION_ATTRIBUTES"),
        (GsiInput(projection="ALL", attributes="a,b"), SEED_ENV,
         "attributes to project (--attributes, PROJECTION_ATTRIBUTES) are only for projection INCLUDE, not ALL"),
        (GsiInput(attributes="a"), SEED_ENV,
         "attributes to project (--attributes, PROJECTION_ATTRIBUTES) are only for projection INCLUDE, not ALL"),
        (GsiInput(projection="INCLUDE", attributes="a,b,a"), SEED_ENV,
         "attribute 'a' is listed more than once in the projection"),
        (GsiInput(projection="SOME"), SEED_ENV, "--projection: unknown projection 'SOME': use ALL, KEYS_ONLY or "
         "INCLUDE"),
        (GsiInput(), {**SEED_ENV, "PROJECTION_TYPE": "SOME"},
         "PROJECTION_TYPE: unknown projection 'SOME': use ALL, KEYS_ONLY or INCLUDE"),
        (GsiInput(), {**SEED_ENV, "PARTITION_KEY_TYPE": "X"},
         "PARTITION_KEY_TYPE: unknown type 'X' for partition key 'companyId': use S (string), N (number) or "
         "B (binary)"),
        (GsiInput(index="by email"), SEED_ENV,
         "index name 'by email' may contain only letters, digits, '_', '-' and '.'"),
        (GsiInput(index="ix"), SEED_ENV, "index name 'ix' must be 3-255 characters long (has 2)"),
        (GsiInput(partition_key="a:S", sort_key="a:N"), SEED_ENV,
         "the partition and sort keys must be different attributes (both are 'a')"),
        (GsiInput(), {**SEED_ENV, "PARTITION_KEY": "companyId:N"},
         "partition key 'companyId': PARTITION_KEY says type N but PARTITION_KEY_TYPE says S"),
        (GsiInput(partition_key=":S"), SEED_ENV, "partition key ':S' has no attribute name: write NAME:TYPE"),
        (GsiInput(read_capacity=5), SEED_ENV, "give both --read-capacity and --write-capacity, or neither"),
        (GsiInput(read_capacity=0, write_capacity=1), SEED_ENV,
         "--read-capacity and --write-capacity must be 1 to 9223372036854775807 (DynamoDB's range)"),
    ],
)
def test_bad_input_is_refused_with_a_message(flags: GsiInput, environ: dict[str, str], message: str) -> None:
    assert problem(flags, environ) == message


def test_every_problem_is_listed_at_once() -> None:
    message = problem(GsiInput(table="t1x", index="x", partition_key="a:Q", projection="INCLUDE"), {})
    assert message.splitlines() == [
        "3 problems with the index request:",
        "  - --partition-key: unknown type 'Q' for partition key 'a': use S (string), N (number) or B (binary)",
        "  - index name 'x' must be 3-255 characters long (has 1)",
        "  - projection INCLUDE needs the attributes to project: pass --attributes a,b or set PROJECTION_ATTRIBUTES",
    ]


# -- comparing an existing index ----------------------------------------------------------------------------


def live_index(
    projection: Projection | None = None, throughput: ProvisionedThroughput | None = None
) -> GlobalSecondaryIndex:
    request = index_request("t1x", "by-email", [("email", "S")], projection or Projection(projection_type="ALL"),
                            throughput)
    return request.index


def test_an_identical_index_has_no_differences() -> None:
    asked = index_request("t1x", "by-email", [("email", "S")], Projection(projection_type="ALL"))
    assert index_differences(live_index(), {"email": "S"}, asked) == []


def test_differences_name_keys_projection_and_throughput() -> None:
    asked = index_request("t1x", "by-email", [("email", "N"), ("at", "N")],
                          Projection(projection_type="INCLUDE", non_key_attributes=("b", "a")),
                          ProvisionedThroughput(read_capacity_units=2, write_capacity_units=3))
    live = live_index(throughput=ProvisionedThroughput(read_capacity_units=1, write_capacity_units=1))
    assert index_differences(live, {"email": "S"}, asked) == [
        "keys email:S (asked email:N+at:N)",
        "projection ALL (asked INCLUDE a,b)",
        "throughput 1R/1W (asked 2R/3W)",
    ]


def test_projected_attributes_in_another_order_still_match() -> None:
    projection = Projection(projection_type="INCLUDE", non_key_attributes=("a", "b"))
    asked = index_request("t1x", "by-email", [("email", "S")],
                          Projection(projection_type="INCLUDE", non_key_attributes=("b", "a")))
    assert index_differences(live_index(projection), {"email": "S"}, asked) == []


# -- names, commands, spec files ----------------------------------------------------------------------------


def test_table_argument_is_a_physical_name_of_the_environment_or_a_logical_name() -> None:
    staging = Namespace("staging", "construction-expenses")
    assert resolve_table("construction-expenses-staging-companies", staging) == (
        "companies", "construction-expenses-staging-companies")
    assert resolve_table("companies", staging) == ("companies", "construction-expenses-staging-companies")


def test_the_resume_command_names_the_environment_outside_production() -> None:
    production = Namespace("production", "construction-expenses")
    dev = Namespace("dev", "construction-expenses")
    assert wait_command("p-t", "by-x", production) == "ddbctl wait --table p-t --index by-x"
    assert wait_command("p-dev-t", None, dev) == "ddbctl -e dev wait --table p-dev-t"


def test_requests_from_a_spec_file_take_key_types_from_its_definitions(tmp_path: Path) -> None:
    spec = {
        "TableName": "companies",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
                                 {"AttributeName": "email", "AttributeType": "S"},
                                 {"AttributeName": "at", "AttributeType": "N"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [
            {"IndexName": "by-email", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
            {"IndexName": "by-date", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"},
                                                   {"AttributeName": "at", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}},
        ],
    }
    path = tmp_path / "companies.json"
    path.write_text(json.dumps(spec))
    requests = requests_from_spec(path, Namespace("production", "construction-expenses"))
    assert [(r.table, r.index_name, keys(r)) for r in requests] == [
        ("companies", "by-email", [("email", "HASH", "S")]),
        ("companies", "by-date", [("email", "HASH", "S"), ("at", "RANGE", "N")]),
    ]


def test_an_invalid_spec_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "companies.json"
    path.write_text('{"TableName": "companies"}')
    with pytest.raises(SpecError):
        requests_from_spec(path, Namespace("production", "construction-expenses"))


# -- nothing is sent for bad input ----------------------------------------------------------------------------


def test_add_gsi_refuses_an_invalid_table_name_before_any_call() -> None:
    settings = load_settings({"endpoint_url": UNREACHABLE}, environ={})
    request = request_from_input(GsiInput(table="bad name!", index="by-x", partition_key="x:S"), {})
    with pytest.raises(ConfigError) as excinfo:  # not EndpointError: no call was attempted
        add_gsi(settings, request)
    assert excinfo.value.message == (
        "invalid table 'bad name!': table name 'construction-expenses-bad name!' may contain only letters, "
        "digits, '_', '-' and '.'"
    )


def test_add_gsi_checks_a_hand_built_request_before_any_call() -> None:
    settings = load_settings({"endpoint_url": UNREACHABLE}, environ={})
    request = index_request("companies", "by-x", [("x", "S")], Projection(projection_type="INCLUDE"))
    with pytest.raises(ConfigError, match="projection INCLUDE needs the attributes"):
        add_gsi(settings, request)
    with pytest.raises(ConfigError, match="no index to add"):
        add_gsi(settings, [])


def test_wait_for_refuses_an_invalid_index_name_before_any_call() -> None:
    settings = load_settings({"endpoint_url": UNREACHABLE}, environ={})
    with pytest.raises(ConfigError, match="index name 'a b' may contain only"):
        wait_for(settings, "companies", "a b")


def test_a_spec_directory_gives_its_indexes_table_by_table_in_name_order(tmp_path: Path) -> None:
    def table(name: str, *indexes: str) -> dict[str, object]:
        return {
            "TableName": name,
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
                                     *({"AttributeName": i, "AttributeType": "S"} for i in indexes)],
            "GlobalSecondaryIndexes": [{"IndexName": f"by-{i}", "KeySchema": [{"AttributeName": i, "KeyType": "HASH"}],
                                        "Projection": {"ProjectionType": "ALL"}} for i in indexes],
        }

    for document in (table("works", "status"), table("companies", "owner", "email"), table("projects", "code")):
        (tmp_path / f"{document['TableName']}.json").write_text(json.dumps(document))
    requests = requests_from_spec(tmp_path, Namespace("production", "construction-expenses"))
    assert [(r.table, r.index.index_name) for r in requests] == [
        ("companies", "by-owner"), ("companies", "by-email"), ("projects", "by-code"), ("works", "by-status")]
