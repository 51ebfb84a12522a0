"""``export``: describe the environment's tables and write one spec file each plus table-summary.txt.

Read-only: it sends DescribeTable, DescribeTimeToLive, DescribeContinuousBackups and ListTagsOfResource
(plus ListTables when no table is named), never a mutating call. Only the tables the environment owns
are written (``ddbctl.ownership``); tables under its names that it does not own are listed instead, so
that ``plan`` right after ``export`` has nothing to do, whoever created the tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..aws import DEFAULT_CONCURRENCY
from ..config import Settings
from ..errors import ConfigError
from ..ownership import Survey, live_spec, resolve_table_name, survey
from ..spec.convert import without_managed_tags
from ..spec.files import SUMMARY_FILE, check_writable_dir, write_spec, write_text_file
from .kms_keys import key_info, keys_of, portable_key
from .session import Context, connect
from .summary import render_summary


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    files: tuple[Path, ...]
    summary: Path
    live: Survey
    stale: tuple[Path, ...]  # spec files in the directory whose table no longer exists (left in place)
    notes: tuple[str, ...] = ()  # encryption keys dropped or kept as ARNs (see ops.kms_keys)


def export_tables(
    settings: Settings,
    directory: Path | None = None,
    tables: Iterable[str] | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    context: Context | None = None,
    portable: bool = False,
) -> ExportResult:
    """Write the environment's tables (or just ``tables``, logical or physical names) as spec files.

    An AWS managed KMS key is written without its ARN, a customer managed one by its alias where it
    has one; with ``portable``, no key ARN at all (see :mod:`.kms_keys`).
    """
    directory = directory or settings.schema_dir
    check_writable_dir(directory)  # before any call: a directory it cannot write to is a settings problem
    context = context or connect(settings, concurrency=concurrency)
    namespace = context.namespace
    wanted = None if tables is None else [resolve_table_name(name, namespace) for name in tables]
    live = survey(context.dynamo, namespace, wanted, concurrency=concurrency)
    for logical in wanted or ():
        live.require_owned(logical)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create directory {directory}: {exc.strerror}") from exc
    specs = {logical: without_managed_tags(live_spec(logical, table)) for logical, table in live.tables.items()}
    keys = {key: key_info(context.dynamo, key) for key in sorted(keys_of(specs))}
    notes: list[str] = []
    for logical, spec in specs.items():
        sse = spec.sse_specification
        specs[logical], note = portable_key(spec, keys.get(sse.kms_master_key_id or "") if sse else None,
                                            portable=portable)
        notes += [note] if note else []
    files = tuple(write_spec(directory, spec) for spec in specs.values())
    summary = directory / SUMMARY_FILE
    write_text_file(summary, render_summary(live.tables, namespace.environment))
    not_owned = {f"{logical}.json" for logical in live.not_owned()}
    stale = () if wanted is not None else tuple(
        path for path in sorted(directory.glob("*.json")) if path not in files and path.name not in not_owned
    )
    return ExportResult(directory, files, summary, live, stale, tuple(notes))
