"""What every generator starts from: the validated spec files and the settings, and where text goes."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..errors import ConfigError, Inexpressible
from ..ops.session import load_desired
from ..spec.convert import MANAGED_BY, MANAGED_TAGS
from ..spec.model import OnDemandThroughput, TableSpec

_WORD = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class Source:
    """The spec files of a directory (by logical name, sorted) under one environment and prefix."""

    settings: Settings
    specs: tuple[TableSpec, ...]

    @property
    def environment(self) -> str:
        return self.settings.environment

    @property
    def prefix(self) -> str:
        return self.settings.prefix

    def physical(self, logical: str) -> str:
        return self.settings.namespace.physical(logical)

    def effective(self) -> tuple[TableSpec, ...]:
        """Each spec as ``create`` makes it: the seed's defaults where the file is silent, lists sorted."""
        return tuple(spec.with_defaults().canonical() for spec in self.specs)


def load_source(settings: Settings, directory: Path | None = None) -> Source:
    """The spec files of ``directory`` (default: the schema directory), checked like every command does."""
    desired = load_desired(directory or settings.schema_dir, settings)
    return Source(settings, tuple(desired[name] for name in sorted(desired)))


def on_demand_limits(throughput: OnDemandThroughput | None) -> dict[str, int] | None:
    """The maximum request units that are set, in request shape; -1 means "no maximum", like leaving it out."""
    if throughput is None:
        return None
    limits = {key: value for key, value in throughput.to_request().items() if isinstance(value, int) and value > 0}
    return limits or None


def user_tags(spec: TableSpec) -> dict[str, str]:
    """The file's tags without the ones ddbctl derives (Environment, ManagedBy), sorted by key."""
    return {key: value for key, value in sorted(spec.tag_map.items()) if key not in MANAGED_TAGS}


def managed_tags(environment: str) -> dict[str, str]:
    return {"Environment": environment, "ManagedBy": MANAGED_BY}


def camel_words(name: str) -> list[str]:
    """The alphanumeric words of a name: ``company-users.v2`` -> ``["company", "users", "v2"]``."""
    return _WORD.findall(name)


def unique_identifiers(names: Iterable[str], make: dict[str, str], what: str, rule: str) -> dict[str, str]:
    """``make`` ({name: identifier}) checked for collisions: two names may not map to one identifier."""
    seen: dict[str, str] = {}
    for name in names:
        identifier = make[name]
        if identifier in seen:
            raise Inexpressible(
                f"{what} {seen[identifier]!r} and {name!r} both become {identifier!r} ({rule})",
                hint="rename one of them in its spec file",
            )
        seen[identifier] = name
    return make


def write_output(text: str, out: Path | None) -> None:
    """Nothing for stdout (``out`` None: the caller prints); else write ``out`` atomically.

    The text goes to a temporary file in the same directory, is flushed to disk and renamed over
    ``out``: a reader never sees half a file, and a failed run leaves the old file as it was.
    """
    if out is None:
        return
    directory = check_destination(out)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from exc
    try:
        # mkstemp makes the file private (0600); an output file gets the usual mode, or keeps its own.
        os.chmod(temporary, out.stat().st_mode & 0o7777 if out.exists() else 0o644)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, out)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from exc


def check_destination(out: Path) -> Path:
    """The directory ``out`` will be written in; ConfigError (exit 2) when it cannot be a file there."""
    directory = out.parent if str(out.parent) else Path()
    if out.is_dir():
        raise ConfigError(f"cannot write {out}: it is a directory", hint="name a file to write")
    if not directory.is_dir():
        raise ConfigError(f"cannot write {out}: directory {directory} does not exist",
                          hint="create the directory first, or write to stdout")
    if not os.access(directory, os.W_OK):
        raise ConfigError(f"cannot write {out}: directory {directory} is not writable")
    return directory
