"""What every operation starts from: settings resolved to a namespace and a connected client."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..aws import DEFAULT_CONCURRENCY, MAX_ATTEMPTS, Dynamo, pool_size
from ..config import Settings
from ..naming import Namespace
from ..spec.files import load_dir
from ..spec.model import TableSpec


@dataclass
class Context:
    """Settings and the client, made on first use: an operation checks its files before any call."""

    settings: Settings
    concurrency: int = DEFAULT_CONCURRENCY
    probe: bool = True
    max_attempts: int = MAX_ATTEMPTS  # botocore's attempts per call (1: every re-send is ddbctl's own)

    @property
    def namespace(self) -> Namespace:
        return self.settings.namespace

    @cached_property
    def dynamo(self) -> Dynamo:
        """The client; with ``probe``, one fast read first that fails early on credentials or endpoint."""
        dynamo = Dynamo(self.settings, max_attempts=self.max_attempts, pool_size=pool_size(self.concurrency))
        if self.probe:
            dynamo.probe()
        return dynamo


def connect(settings: Settings, *, concurrency: int = DEFAULT_CONCURRENCY, probe: bool = True,
            max_attempts: int = MAX_ATTEMPTS) -> Context:
    """The context of an operation (or of several sharing one client); connects on first use."""
    return Context(settings, concurrency, probe, max_attempts)


def load_desired(directory: Path, settings: Settings) -> dict[str, TableSpec]:
    """The spec files of ``directory`` by logical name; SpecError (before any API call) if any is invalid."""
    return {item.spec.table_name: item.spec for item in load_dir(directory, settings.namespace)}
