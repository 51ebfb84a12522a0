from __future__ import annotations

from pathlib import Path

import pytest

from ddbctl.config import LOCAL_ENDPOINT, load_settings
from ddbctl.errors import ConfigError


def test_seed_defaults() -> None:
    settings = load_settings({}, environ={})
    assert (settings.environment, settings.prefix, settings.region) == (
        "production", "construction-expenses", "us-east-1")
    assert settings.schema_dir == Path("infrastructure/schemas")
    assert settings.endpoint_url is None


def test_environment_variables_then_flags_win() -> None:
    environ = {"ENVIRONMENT": "staging", "TABLE_PREFIX": "my-app", "AWS_REGION": "us-west-2",
               "AWS_ENDPOINT_URL_DYNAMODB": "http://localhost:9000"}
    settings = load_settings({}, environ=environ)
    assert (settings.environment, settings.prefix, settings.region, settings.endpoint_url) == (
        "staging", "my-app", "us-west-2", "http://localhost:9000")
    flagged = load_settings({"environment": "dev", "region": "eu-west-1"}, environ=environ)
    assert (flagged.environment, flagged.prefix, flagged.region) == ("dev", "my-app", "eu-west-1")


def test_project_file_is_weakest(tmp_path: Path) -> None:
    project = tmp_path / "ddbctl.toml"
    project.write_text('environment = "qa"\nprefix = "p"\nenvironments = ["production", "qa"]\n')
    settings = load_settings({}, environ={}, config_file=project)
    assert (settings.environment, settings.prefix) == ("qa", "p")
    # The name rule knows the seed's environments too: listing fewer never makes production take their tables.
    assert settings.namespace.known_environments == ("production", "staging", "dev", "qa")
    assert load_settings({}, environ={"ENVIRONMENT": "production"}, config_file=project).environment == "production"


def test_local_flag_targets_the_local_server_unless_an_endpoint_is_given() -> None:
    assert load_settings({"local": True}, environ={}).endpoint_url == LOCAL_ENDPOINT
    explicit = load_settings({"local": True, "endpoint_url": "http://127.0.0.1:9"}, environ={})
    assert explicit.endpoint_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [({"environment": "stag ing"}, "invalid environment"), ({"prefix": "a/b"}, "invalid prefix"),
     ({"endpoint_url": "localhost:8000"}, "must start with http"),
     # A regex's $ also matches before a final newline: the whole value must match.
     ({"environment": "staging\n"}, "invalid environment"), ({"prefix": "construction-expenses\n"}, "invalid prefix")],
)
def test_bad_settings_are_refused(flags: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_settings(flags, environ={})


def test_bad_project_file(tmp_path: Path) -> None:
    project = tmp_path / "ddbctl.toml"
    project.write_text('colour = "blue"\n')
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings({}, environ={}, config_file=project)
    project.write_text("environment = \n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings({}, environ={}, config_file=project)


@pytest.mark.parametrize(("value", "fragment"), [
    ("Prod", "did you mean 'production'?"), ("PRODUCTION", "did you mean 'production'?"),
    ("prod", "did you mean 'production'?"), ("stage", "did you mean 'staging'?"), ("-", "invalid environment '-'"),
    ("qa--eu", "double hyphen"), ("-qa", "leading"), ("qa_eu", "invalid environment"),
])
def test_environment_names_are_checked_with_a_hint(value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({}, environ={"ENVIRONMENT": value})
    assert fragment in str(raised.value) and "from ENVIRONMENT" in str(raised.value)


def test_well_formed_new_environments_are_accepted_without_a_list() -> None:
    for value in ("qa", "pr-123", "dev2", "stagingfoo"):
        assert load_settings({}, environ={"ENVIRONMENT": value}).environment == value
    assert load_settings({}, environ={"ENVIRONMENT": ""}).environment == "production"


def test_a_listed_environment_list_is_the_only_one_allowed(tmp_path: Path) -> None:
    project = tmp_path / "ddbctl.toml"
    project.write_text('environments = ["production", "staging", "prod"]\n')
    assert load_settings({"environment": "prod"}, environ={}, config_file=project).environment == "prod"
    with pytest.raises(ConfigError, match="unknown environment 'stagingfoo' \\(from -e/--environment\\)"):
        load_settings({"environment": "stagingfoo"}, environ={}, config_file=project)
    project.write_text('environments = ["production", "Bad"]\n')
    with pytest.raises(ConfigError, match="invalid environment 'Bad'"):
        load_settings({}, environ={}, config_file=project)


def test_a_deeply_nested_project_file_is_one_message(tmp_path: Path) -> None:
    project = tmp_path / "ddbctl.toml"
    project.write_text("environments = " + "[" * 200_000 + "]" * 200_000 + "\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_settings({}, environ={}, config_file=project)
