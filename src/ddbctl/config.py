"""Settings: flags win over environment variables, which win over ``ddbctl.toml``, then the seed's defaults.

Environment variables are the seed scripts' own: ENVIRONMENT (production), TABLE_PREFIX
(construction-expenses), AWS_REGION (us-east-1), plus AWS_PROFILE and AWS_ENDPOINT_URL_DYNAMODB /
AWS_ENDPOINT_URL as boto3 reads them. The optional project file ``ddbctl.toml`` (in the working
directory, or named by ``--config``/DDBCTL_CONFIG) may hold ``environment``, ``prefix``, ``region``,
``profile``, ``endpoint_url``, ``schema_dir`` and ``environments`` (the list of known environments).
"""

from __future__ import annotations

import difflib
import os
import re
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
# Environment names: lowercase letters and digits, single hyphens between (no leading, trailing or double one).
ENVIRONMENT_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PROJECT_KEYS = {"environment", "prefix", "region", "profile", "endpoint_url", "schema_dir", "environments"}


@dataclass(frozen=True)
class Settings:
    environment: str = PRODUCTION
    prefix: str = DEFAULT_PREFIX
    region: str = DEFAULT_REGION
    profile: str | None = None
    endpoint_url: str | None = None
    schema_dir: Path = DEFAULT_SCHEMA_DIR
    environments: tuple[str, ...] | None = None  # ddbctl.toml's list: then the only environments allowed
    local: bool = False
    # S3 (backups): AWS_ENDPOINT_URL_S3, else endpoint_url (see s3_endpoint_url)
    s3_endpoint: str | None = None

    @property
    def s3_endpoint_url(self) -> str | None:
        """Where S3 is: AWS_ENDPOINT_URL_S3, else the DynamoDB endpoint when one is set (the local server
        serves both), else AWS's (None)."""
        return self.s3_endpoint or self.endpoint_url

    @property
    def known_environments(self) -> tuple[str, ...]:
        """production, staging, dev, those ddbctl.toml lists and the selected one (the name rule's set)."""
        return tuple(dict.fromkeys((*DEFAULT_ENVIRONMENTS, *(self.environments or ()), self.environment)))

    @property
    def namespace(self) -> Namespace:
        return Namespace(self.environment, self.prefix, self.known_environments)

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
        "s3_endpoint": environ.get("AWS_ENDPOINT_URL_S3"),
    }
    from_env = {k: v for k, v in from_env.items() if v}  # ENVIRONMENT= (empty) keeps the default, as in the seed
    merged: dict[str, Any] = {**project, **from_env, **flags}
    if merged.get("local"):
        # --local means `ddbctl local`'s server unless --endpoint-url names another one.
        merged["endpoint_url"] = flags.get("endpoint_url", LOCAL_ENDPOINT)
    if "schema_dir" in merged:
        merged["schema_dir"] = Path(merged["schema_dir"])
    if "environments" in merged:
        merged["environments"] = tuple(merged["environments"])
    settings = Settings(**merged)
    _check(settings, _sources(flags, from_env, project, config_file or _project_file_path(environ)))
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
    except RecursionError as exc:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
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
    for environment in environments or ():
        check_environment_format(environment, f"{path}: environments")
    return dict(section)


def _check(settings: Settings, sources: Mapping[str, str]) -> None:
    check_environment(settings.environment, settings.environments, sources.get("environment", "--environment"))
    if not settings.prefix or name_problem(settings.prefix + "-xyz", "prefix") is not None:
        source = sources.get("prefix")
        raise ConfigError(
            f"{source + ': ' if source else ''}invalid prefix {settings.prefix!r}: use letters, digits, '_', '-' "
            "and '.' only",
            hint=f"fix {source}" if source else "set it with --prefix or TABLE_PREFIX",
        )
    if settings.endpoint_url is not None and not settings.endpoint_url.startswith(("http://", "https://")):
        source = sources.get("endpoint_url")
        raise ConfigError(
            f"{source + ': ' if source else ''}invalid endpoint URL {settings.endpoint_url!r}: it must start with "
            "http:// or https://"
        )


def check_environment(environment: str, allowed: tuple[str, ...] | None, source: str = "--environment") -> None:
    """ConfigError unless ``environment`` is a well-formed name (and listed in ``allowed``, when there is a list).

    ``source`` is where the user set it (``ENVIRONMENT``, ``--environment``), for the message.
    """
    candidates = allowed or DEFAULT_ENVIRONMENTS
    check_environment_format(environment, source, candidates)
    if allowed is not None and environment not in allowed:
        raise ConfigError(
            f"unknown environment {environment!r} (from {source}): ddbctl.toml lists {', '.join(allowed)}",
            hint=_suggestion(environment, candidates, listed=True),
        )
    mistaken = _abbreviates(environment, candidates)
    if allowed is None and mistaken is not None:
        raise ConfigError(
            f"environment {environment!r} (from {source}) looks like a short form of {mistaken!r}, but would "
            "select (or create) a table set of its own",
            hint=f"did you mean {mistaken!r}? To use {environment!r} as an environment of its own, list it in "
            "ddbctl.toml's environments",
        )


def check_environment_format(environment: str, source: str, candidates: tuple[str, ...] = DEFAULT_ENVIRONMENTS) -> None:
    if not ENVIRONMENT_PATTERN.fullmatch(environment):
        raise ConfigError(
            f"invalid environment {environment!r} (from {source}): an environment name is lowercase letters and "
            "digits, with single hyphens between them (no leading, trailing or double hyphen)",
            hint=_suggestion(environment, candidates),
        )


_SHORT_FORMS = {"prod": PRODUCTION, "prd": PRODUCTION, "live": PRODUCTION, "stage": "staging", "stg": "staging",
                "develop": "dev", "development": "dev"}


def _abbreviates(environment: str, known: tuple[str, ...]) -> str | None:
    """The known environment ``environment`` is a common short form or a truncation of (``prod``), if any."""
    if environment in known:
        return None
    if environment in _SHORT_FORMS and _SHORT_FORMS[environment] in known:
        return _SHORT_FORMS[environment]
    return next((env for env in known if len(environment) >= 3 and env.startswith(environment)), None)


def _suggestion(environment: str, candidates: tuple[str, ...], *, listed: bool = False) -> str:
    """``did you mean 'production'?`` for ``Prod``, ``PRODUCTION``, ``prod``, ``stagingfoo``; else the known names."""
    lowered = environment.lower().strip("-")
    close = [env for env in candidates if env == lowered]
    close = close or [env for env in candidates if lowered and env.startswith(lowered)]
    close = close or [env for env in candidates if lowered.startswith(env)]
    close = close or difflib.get_close_matches(lowered, candidates, n=1, cutoff=0.6)
    known = f"known environments: {', '.join(candidates)}"
    if listed:
        known += "; to add one, list it in ddbctl.toml's environments"
    return f"did you mean {close[0]!r}? ({known})" if close else known
