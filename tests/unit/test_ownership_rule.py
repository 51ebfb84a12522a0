"""The name rule of ownership (docs/environments.md): examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddbctl.naming import Namespace, environment_of, logical_problem, table_name

PREFIX = "construction-expenses"
KNOWN = ("production", "staging", "dev", "qa", "qa-eu")


def owners(physical: str, known: tuple[str, ...] = KNOWN) -> list[str]:
    return [env for env in dict.fromkeys(known) if Namespace(env, PREFIX, known).logical(physical) is not None]


@pytest.mark.parametrize(("physical", "owner"), [
    ("construction-expenses-companies", "production"),
    ("construction-expenses-staging-companies", "staging"),
    ("construction-expenses-qa-eu-companies", "qa-eu"),  # the longest environment wins, never qa's
    ("construction-expenses-qa-untagged", "qa"),
    ("construction-expenses-test-companies", "production"),  # fits by name; the tag decides ownership
    ("construction-expenses-v2-staging-companies", "production"),
    ("construction-expenses-companies-archive", "production"),
])
def test_the_owner_by_name(physical: str, owner: str) -> None:
    assert owners(physical) == [owner]


@pytest.mark.parametrize("physical", [
    "construction-expenses-staging",  # the remainder equals an environment
    "construction-expenses-Staging-companies",  # the environment part differs in case: nobody's
    "construction-expenses-STAGING-companies",
    "construction-expenses-production-companies",
    "construction-expenses-staging-dev-companies",  # staging's remainder starts with another environment
    "construction-expenses-",
    "construction-expenses",
    "other-app-companies",
])
def test_names_no_environment_owns(physical: str) -> None:
    assert owners(physical) == []


def test_a_logical_name_may_not_make_a_longer_environments_table() -> None:
    assert Namespace("qa", PREFIX, KNOWN).clash("eu-reports") == "qa-eu"
    assert Namespace("qa-eu", PREFIX, KNOWN).clash("reports") is None


def test_a_logical_name_may_not_look_like_an_environment() -> None:
    assert logical_problem("Staging-reports", KNOWN) is not None
    assert logical_problem("dev", KNOWN) is not None
    assert logical_problem("developers", KNOWN) is None
    assert logical_problem("bad name", KNOWN) is not None


environments = st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,4}){0,2}", fullmatch=True)
logicals = st.from_regex(r"[A-Za-z0-9_.][A-Za-z0-9_.-]{0,20}", fullmatch=True)
physicals = st.one_of(
    st.builds(lambda env, rest: f"{PREFIX}-{env}-{rest}", environments, logicals),
    st.builds(lambda rest: f"{PREFIX}-{rest}", logicals),
    st.from_regex(r"construction-expenses-[A-Za-z0-9_.-]{1,30}", fullmatch=True),
)


@given(physical=physicals, known=st.lists(environments, max_size=5).map(lambda e: ("production", *e)))
def test_no_physical_name_is_owned_by_two_environments(physical: str, known: tuple[str, ...]) -> None:
    assert len(owners(physical, known)) <= 1


@given(environment=environments, logical=logicals, extra=st.lists(environments, max_size=3))
def test_production_never_selects_another_known_environments_table(
    environment: str, logical: str, extra: list[str]
) -> None:
    known = ("production", "staging", "dev", environment, *extra)
    if environment == "production":
        return
    physical = table_name(logical, environment, PREFIX)
    assert Namespace("production", PREFIX, known).logical(physical) is None


@given(environment=environments, logical=logicals)
def test_a_valid_logical_name_round_trips(environment: str, logical: str) -> None:
    namespace = Namespace(environment, PREFIX, KNOWN)
    if logical_problem(logical, namespace.known_environments) is None and namespace.clash(logical) is None:
        physical = namespace.physical(logical)
        assert namespace.logical(physical) == logical
        assert environment_of(physical, PREFIX, namespace.known_environments) == environment
