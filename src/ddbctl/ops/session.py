"""What every operation starts from: settings resolved to a namespace and a connected client."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..aws import Dynamo
from ..config import Settings
from ..naming import Namespace
from ..spec.files import load_dir
from ..spec.model import TableSpec


@dataclass
class Context:
    settings: Settings
    dynamo: Dynamo

    @property
    def namespace(self) -> Namespace:
        return self.settings.namespace


def connect(settings: Settings, *, concurrency: int = 8, probe: bool = True) -> Context:
    """A client for ``settings``; with ``probe``, one fast read that fails early on credentials or endpoint."""
    dynamo = Dynamo(settings, pool_size=max(10, concurrency * 2))
    if probe:
        dynamo.probe()
    return Context(settings, dynamo)


def load_desired(directory: Path, settings: Settings) -> dict[str, TableSpec]:
    """The spec files of ``directory`` by logical name; SpecError (before any API call) if any is invalid."""
    return {item.spec.table_name: item.spec for item in load_dir(directory, settings.namespace)}
