from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddbctl.errors import ConfigError
from ddbctl.naming import Namespace, name_problem, table_name
from ddbctl.ownership import resolve_table_name

from ..examples import examples

PREFIX = "construction-expenses"


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ("production", "construction-expenses-companies"),
        ("staging", "construction-expenses-staging-companies"),
        ("dev", "construction-expenses-dev-companies"),
    ],
)
def test_table_name_follows_the_seed_rule(environment: str, expected: str) -> None:
    assert table_name("companies", environment, PREFIX) == expected
    assert Namespace(environment, PREFIX).physical("companies") == expected


def test_production_never_selects_other_environments_or_prefixes() -> None:
    names = [
        "construction-expenses-companies",
        "construction-expenses-staging-companies",
        "construction-expenses-dev-companies",
        "construction-expenses-qa-companies",
        "other-app-companies",
        "construction-expenses",
        "construction-expensesX-companies",
    ]
    production = Namespace("production", PREFIX, ("production", "staging", "dev", "qa"))
    assert production.select(names) == {"companies": "construction-expenses-companies"}
    staging = Namespace("staging", PREFIX)
    assert staging.select(names) == {"companies": "construction-expenses-staging-companies"}


def test_a_logical_name_that_looks_like_an_environment_is_flagged() -> None:
    assert Namespace("production", PREFIX).clash("dev-tools") == "dev"
    assert Namespace("production", PREFIX).clash("developers") is None


logical_names = st.from_regex(r"[a-z][a-z0-9_.-]{0,30}", fullmatch=True).filter(
    lambda n: not n.startswith(("staging-", "dev-", "production-"))
)


@settings(max_examples=examples(100))
@given(logical=logical_names, environment=st.sampled_from(["production", "staging", "dev"]))
def test_logical_is_the_inverse_of_physical(logical: str, environment: str) -> None:
    namespace = Namespace(environment, PREFIX)
    assert namespace.logical(namespace.physical(logical)) == logical


@settings(max_examples=examples(100))
@given(logical=logical_names)
def test_an_environment_never_owns_another_environments_table(logical: str) -> None:
    staging = Namespace("staging", PREFIX).physical(logical)
    assert not Namespace("production", PREFIX).owns(staging)
    assert not Namespace("dev", PREFIX).owns(staging)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("ab", "3-255 characters"), ("a" * 256, "3-255 characters"), ("bad name", "may contain only"),
     ("tab/le", "may contain only")],
)
def test_name_rules(name: str, fragment: str) -> None:
    problem = name_problem(name)
    assert problem is not None and fragment in problem


def test_valid_names_pass() -> None:
    assert name_problem("construction-expenses-staging-company.users_v2") is None


def test_names_use_the_namespaces_own_prefix() -> None:
    assert Namespace("staging", "shop").physical("orders") == "shop-staging-orders"
    assert Namespace("production", "shop").physical("orders") == "shop-orders"
    assert Namespace("staging", "shop").logical("shop-staging-orders") == "orders"


def test_a_table_argument_resolves_from_a_physical_or_a_logical_name() -> None:
    staging = Namespace("staging", PREFIX)
    assert resolve_table_name(f"{PREFIX}-staging-orders", staging) == "orders"
    assert resolve_table_name("orders", staging) == "orders"
    with pytest.raises(ConfigError, match="did you mean -e dev"):  # another environment's: never taken as ours
        resolve_table_name(f"{PREFIX}-dev-orders", staging)


def test_name_lengths_are_checked_inclusively_and_the_message_says_what_and_how_long() -> None:
    assert name_problem("abc") is None and name_problem("a" * 255) is None
    assert name_problem("ab") == "table name 'ab' must be 3-255 characters long (has 2)"
    assert name_problem("a" * 256, "index name") == f"index name {'a' * 256!r} must be 3-255 characters long (has 256)"
    assert name_problem("bad name") == "table name 'bad name' may contain only letters, digits, '_', '-' and '.'"
    assert name_problem("orders\n") == "table name 'orders\\n' may contain only letters, digits, '_', '-' and '.'"
