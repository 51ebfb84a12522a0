"""Settings: flags win over environment variables, which win over ``ddbctl.toml``, then the seed's defaults.

Environment variables are the seed scripts' own: ENVIRONMENT (production), TABLE_PREFIX
(construction-expenses), AWS_REGION (us-east-1), plus AWS_PROFILE and AWS_ENDPOINT_URL_DYNAMODB /
AWS_ENDPOINT_URL as boto3 reads them. The optional project file ``ddbctl.toml`` (in the working
directory, or named by ``--config``/DDBCTL_CONFIG) may hold ``environment``, ``prefix``, ``region``,
``profile``, ``endpoint_url``, ``schema_dir`` and ``environments`` (the list of known environments).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .naming import DEFAULT_ENVIRONMENTS, DEFAULT_PREFIX, PRODUCTION, Namespace, name_problem

DEFAULT_REGION = "us-east-1"
DEFAULT_SCHEMA_DIR = Path("infrastructure/schemas")
PROJECT_FILE = "ddbctl.toml"
LOCAL_ENDPOINT = "http://127.0.0.1:8000"
_PROJECT_KEYS = {"environment", "prefix", "region", "profile", "endpoint_url", "schema_dir", "environments"}


@dataclass(frozen=True)
class Settings:
    environment: str = PRODUCTION
    prefix: str = DEFAULT_PREFIX
    region: str = DEFAULT_REGION
    profile: str | None = None
    endpoint_url: str | None = None
    schema_dir: Path = DEFAULT_SCHEMA_DIR
    environments: tuple[str, ...] = DEFAULT_ENVIRONMENTS
    local: bool = False

    @property
    def namespace(self) -> Namespace:
        known = self.environments if self.environment in self.environments else (*self.environments, self.environment)
        return Namespace(self.environment, self.prefix, known)

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def load_settings(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Resolve settings from flags (None = not given), environment variables and the project file."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    environ = os.environ if environ is None else environ
    config_file = config_file or _project_file_path(environ)
    project = _read_project_file(config_file)
    from_env = {
        "environment": environ.get("ENVIRONMENT"),
        "prefix": environ.get("TABLE_PREFIX"),
        "region": environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"),
        "profile": environ.get("AWS_PROFILE"),
        "endpoint_url": environ.get("AWS_ENDPOINT_URL_DYNAMODB") or environ.get("AWS_ENDPOINT_URL"),
    }
    merged: dict[str, Any] = {**project, **{k: v for k, v in from_env.items() if v}, **flags}
    if merged.get("local"):
        # --local means `ddbctl local`'s server unless --endpoint-url names another one.
        merged["endpoint_url"] = flags.get("endpoint_url", LOCAL_ENDPOINT)
    if "schema_dir" in merged:
        merged["schema_dir"] = Path(merged["schema_dir"])
    if "environments" in merged:
        merged["environments"] = tuple(merged["environments"])
    settings = Settings(**merged)
    _check(settings, _sources(flags, from_env, project, config_file))
    return settings


_FLAGS = {"environment": "-e/--environment", "prefix": "--prefix", "endpoint_url": "--endpoint-url"}
_VARIABLES = {"environment": "ENVIRONMENT", "prefix": "TABLE_PREFIX",
              "endpoint_url": "AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL"}


def _sources(flags: Mapping[str, Any], from_env: Mapping[str, Any], project: Mapping[str, Any],
             config_file: Path | None) -> dict[str, str]:
    """Where each checked setting came from, as the user set it: the flag, the variable or the project file."""
    sources = {}
    for key, flag in _FLAGS.items():
        if flags.get(key) is not None:
            sources[key] = flag
        elif from_env.get(key):
            sources[key] = _VARIABLES[key]
        elif key in project:
            sources[key] = f"{key} in {config_file or PROJECT_FILE}"
    return sources


def _project_file_path(environ: Mapping[str, str]) -> Path | None:
    explicit = environ.get("DDBCTL_CONFIG")
    if explicit:
        return Path(explicit)
    candidate = Path(PROJECT_FILE)
    return candidate if candidate.is_file() else None


def _read_project_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read project file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    section = data.get("ddbctl", data)
    unknown = sorted(set(section) - _PROJECT_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}",
            hint=f"allowed: {', '.join(sorted(_PROJECT_KEYS))}",
        )
    environments = section.get("environments")
    if environments is not None and not (
        isinstance(environments, list) and all(isinstance(e, str) and e for e in environments)
    ):
        raise ConfigError(f"{path}: 'environments' must be a list of environment names")
    return dict(section)


def _check(settings: Settings, sources: Mapping[str, str]) -> None:
    for what, value in (("environment", settings.environment), ("prefix", settings.prefix)):
        if not value or name_problem(value + "-xyz", what) is not None:
            source = sources.get(what)
            where = f"{source}: " if source else ""
            raise ConfigError(
                f"{where}invalid {what} {value!r}: use letters, digits, '_', '-' and '.' only",
                hint=f"fix {source}" if source else "set it with --environment/--prefix or ENVIRONMENT/TABLE_PREFIX",
            )
    if settings.endpoint_url is not None and not settings.endpoint_url.startswith(("http://", "https://")):
        source = sources.get("endpoint_url")
        raise ConfigError(
            f"{source + ': ' if source else ''}invalid endpoint URL {settings.endpoint_url!r}: it must start with "
            "http:// or https://"
        )
