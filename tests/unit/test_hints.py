"""The one builder of suggested commands keeps every non-default setting (docs/settings.md)."""

from __future__ import annotations

from ddbctl.config import load_settings
from ddbctl.hints import command


def test_defaults_add_no_flags() -> None:
    settings = load_settings({}, environ={})
    assert command(settings, "apply", "--yes") == "`ddbctl apply --yes`"


def test_every_non_default_setting_is_kept() -> None:
    settings = load_settings({"environment": "staging", "prefix": "acme", "region": "eu-west-1",
                              "profile": "ops", "endpoint_url": "http://localhost:4566"}, environ={})
    assert command(settings, "apply", "--yes") == (
        "`ddbctl -e staging --prefix acme --region eu-west-1 --profile ops "
        "--endpoint-url http://localhost:4566 apply --yes`")


def test_local_is_kept_as_local_and_a_custom_local_port_too() -> None:
    assert command(load_settings({"local": True}, environ={}), "plan") == "`ddbctl --local plan`"
    custom = load_settings({"local": True, "endpoint_url": "http://127.0.0.1:9000"}, environ={})
    assert command(custom, "plan") == "`ddbctl --local --endpoint-url http://127.0.0.1:9000 plan`"


def test_settings_from_environment_variables_are_spelled_as_flags() -> None:
    settings = load_settings({}, environ={"ENVIRONMENT": "dev", "TABLE_PREFIX": "my-app"})
    assert command(settings, "restore", "--from", "backups/a b") == (
        "`ddbctl -e dev --prefix my-app restore --from 'backups/a b'`")
