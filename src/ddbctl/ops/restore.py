"""``restore``: a backup's tables into the selected environment, created first when missing.

Order of work, so that a bad backup or a refused target never costs a write:
1. read the source (ddbctl backup, bare export or dynamodump) and the target tables;
2. refuse tables the environment does not own, key schemas that contradict an existing table, and
   (unless ``overwrite``) tables that already hold items;
3. read every data file once (MD5, gzip, JSON, each item's key attributes and types): BackupError
   naming file and line before anything is written;
4. create missing tables through the CREATE-scope plan and the executor;
5. write with ``data.load`` (resumable per file and line, see ``data.restore_state``);
6. count each table (Scan, Select=COUNT) against the backup; with ``verify`` compare every item's
   checksum too (an order-independent sum over the table and over the backup).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ..aws import Dynamo, LiveTable
from ..config import Settings
from ..data.items import Item, item_checksum, item_size
from ..data.load import RETRYABLE_CODES, Loader, LoadOptions, Tracker, Write, item_key, request_bytes, write_units
from ..data.restore_state import RestoreState, TableStart, default_state_dir
from ..data.sources import RestoreSource, SourceTable, load_spec, open_source, read_items
from ..data.store import open_store
from ..errors import AwsError, BackupError, ConfigError, DdbctlError, RestoreIncomplete, UnsafeChange
from ..execute import Events, ExecOptions, Outcome, execute
from ..naming import Namespace
from ..ownership import live_spec, resolve_table_name, survey
from ..plan import PlanOptions, Scope, make_plan
from ..spec.model import TableSpec
from .session import Context, connect, load_desired

CHECKSUM_MODULUS = 2**256
BATCH_GET_KEYS = 100  # BatchGetItem's limit per call
LOAD_ATTEMPTS = 2


@dataclass(frozen=True)
class RestoreOptions:
    tables: tuple[str, ...] = ()  # logical or physical names; empty: every table of the backup
    spec_dir: Path | None = None  # the team's spec files: they win over the backup's
    overwrite: bool = False
    verify: bool = False
    write_rate: float | None = None
    concurrency: int = 8
    max_wait: float = ExecOptions.max_wait
    state_dir: Path | None = None


@dataclass
class TableRestore:
    logical: str
    physical: str
    expected: int = 0  # items in the backup
    written: int = 0  # acknowledged in this run
    created: bool = False
    empty_at_start: bool = True
    count: int | None = None  # items in the table at the end
    checksums_match: bool | None = None  # None: not verified

    @property
    def count_ok(self) -> bool:
        if self.count is None:
            return False
        return self.count == self.expected if self.empty_at_start else self.count >= self.expected


@dataclass
class RestoreResult:
    source: str
    kind: str
    state_dir: Path
    tables: list[TableRestore] = field(default_factory=list)
    resumed: bool = False

    @property
    def ok(self) -> bool:
        return all(t.count_ok and t.checksums_match is not False for t in self.tables)


@dataclass
class _Expected:
    """What the backup holds for one table: item count and the sum of item checksums."""

    count: int = 0
    checksum_sum: int = 0


@dataclass(frozen=True)
class _KeyRule:
    """The target's key attributes: the table's (required) and the indexes' (typed when present)."""

    key_names: tuple[str, ...]
    types: dict[str, str]

    @classmethod
    def of(cls, spec: TableSpec) -> _KeyRule:
        keys = tuple(k.attribute_name for k in sorted(spec.key_schema, key=lambda k: k.key_type))
        return cls(keys, dict(spec.attribute_types))

    def problem(self, item: Item) -> str | None:
        for name in self.key_names:
            if name not in item:
                return f"missing key attribute {name!r}"
        for name, kind in self.types.items():
            value = item.get(name)
            if value is None:
                continue
            ((actual, inner),) = value.items()
            if actual != kind:
                return f"key attribute {name!r} is of type {actual}, the table's key needs {kind}"
            if kind in ("S", "B") and not inner:
                return f"key attribute {name!r} is empty (keys may not be empty)"
        return None


def restore(
    settings: Settings,
    source_url: str,
    options: RestoreOptions | None = None,
    *,
    events: Events | None = None,
    on_written: Callable[[str, int], None] = lambda table, count: None,
    context: Context | None = None,
) -> RestoreResult:
    """Restore ``source_url`` into ``settings``' environment; see the module docstring for the order."""
    options = options or RestoreOptions()
    namespace = settings.namespace
    source = open_source(open_store(source_url, settings), namespace)
    selected = _select(source, namespace, options.tables)
    desired = _desired(source, selected, namespace, options.spec_dir, settings)
    target = f"{settings.endpoint_url or 'aws'}|{settings.region}|{namespace.stem}"
    state_dir = options.state_dir or default_state_dir(source.describe(), target)
    state, resumed = RestoreState.open(state_dir, source.fingerprint, target)
    result = RestoreResult(source.describe(), source.kind, state_dir, resumed=resumed)
    others = sorted(state.unwritten_tables() - set(selected))
    if others:
        raise ConfigError(f"{state_dir} holds unwritten items of table(s) {', '.join(others)}, not selected now",
                          hint="run the restore again with those tables too (or without --table)")

    context = context or connect(settings, concurrency=options.concurrency)
    dynamo = context.dynamo
    found = survey(dynamo, namespace, selected, concurrency=options.concurrency)
    for logical in selected:
        if logical in found.unowned or logical in found.foreign_tables:
            found.require_owned(logical)  # NotOwned: restore writes only into the environment's own tables
    live = dict(found.owned)
    rules = _check_keys(source, selected, desired, live, namespace)
    starts = _starts(dynamo, namespace, selected, live, state, options.overwrite)
    expected = {logical: _validate(source, selected[logical], rules[logical], options.verify) for logical in selected}
    for logical, table in selected.items():
        if table.item_count is not None and table.item_count != expected[logical].count:
            raise BackupError(f"{source.describe()}", None, f"table {logical}: the manifest promises "
                              f"{table.item_count} items, the data files hold {expected[logical].count}")

    missing = sorted(logical for logical in selected if logical not in live)
    if missing:
        _create(context, {logical: desired[logical] for logical in missing}, live, namespace, options, events)
    state.tables.update(starts)
    state.save()  # from here on, a re-run knows these tables were checked (and whether they were empty)

    outcomes = {logical: TableRestore(logical, namespace.physical(logical), expected[logical].count,
                                      created=logical in missing, empty_at_start=state.tables[logical].empty_at_start)
                for logical in selected}
    result.tables = list(outcomes.values())
    # The writers' client leaves throttling to the loader's own backoff, which has no attempt cap. Its
    # items were checked by the reader (from_file_item): botocore need not walk them again.
    writer = Dynamo(settings, max_attempts=LOAD_ATTEMPTS, pool_size=options.concurrency + 2, validate_params=False)
    _load(writer, source, selected, rules, namespace, state, options, outcomes, on_written)
    for outcome in result.tables:
        exact = outcome.empty_at_start and options.verify
        outcome.count, checksum_sum = _scan_table(dynamo, outcome.physical, exact)
        if exact:
            outcome.checksums_match = (outcome.count == expected[outcome.logical].count
                                       and checksum_sum == expected[outcome.logical].checksum_sum)
        elif options.verify:  # the table held other items before: look up each of the backup's
            outcome.checksums_match = _verify_by_key(dynamo, source, selected[outcome.logical], outcome.physical,
                                                     rules[outcome.logical])
    if result.ok:
        state.remove()
    return result


# -- selection, specs and checks (no writes) ------------------------------------------------------------


def _select(source: RestoreSource, namespace: Namespace, names: Sequence[str]) -> dict[str, SourceTable]:
    if not names:
        if "" in source.tables:
            raise ConfigError(f"the export at {source.describe()} does not name its table (no tableArn)",
                              hint="name the target table with --table")
        return dict(source.tables)
    if source.kind == "export" and len(source.tables) == 1 and len(names) == 1:
        # A bare export does not know the team's logical name for sure: --table names the target.
        (only,) = source.tables.values()
        logical = resolve_table_name(names[0], namespace)
        return {logical: SourceTable(logical, only.physical, None, only.files, only.item_count)}
    selected: dict[str, SourceTable] = {}
    for name in names:
        logical = resolve_table_name(name, namespace)
        table = source.tables.get(logical) or next(
            (t for t in source.tables.values() if name == t.physical), None)
        if table is None:
            raise ConfigError(f"table {name!r} is not in the backup {source.describe()}",
                              hint=f"the backup holds: {', '.join(sorted(source.tables)) or 'no tables'}")
        selected[table.logical] = table
    return selected


def _desired(source: RestoreSource, selected: dict[str, SourceTable], namespace: Namespace,
             spec_dir: Path | None, settings: Settings) -> dict[str, TableSpec]:
    """The spec each table is created from: --dir's files win, then the backup's own."""
    team = load_desired(spec_dir, settings) if spec_dir is not None else {}
    desired: dict[str, TableSpec] = {}
    for logical, table in selected.items():
        spec = team.get(logical) or load_spec(source, table, namespace)
        if spec is not None:
            desired[logical] = spec
    return desired


def _check_keys(source: RestoreSource, selected: dict[str, SourceTable], desired: dict[str, TableSpec],
                live: dict[str, LiveTable], namespace: Namespace) -> dict[str, _KeyRule]:
    """Each table's key rule (the live table's, else the spec it will be created from)."""
    rules: dict[str, _KeyRule] = {}
    for logical, table in selected.items():
        backup_spec = load_spec(source, table, namespace)
        if logical in live:
            target = live_spec(logical, live[logical])
            if backup_spec is not None and _key_signature(backup_spec) != _key_signature(target):
                raise BackupError(
                    source.store.location(table.spec_key or ""), None,
                    f"the backup's key schema ({_key_text(backup_spec)}) contradicts the existing table "
                    f"{live[logical].physical_name} ({_key_text(target)}); nothing was written")
        elif logical in desired:
            target = desired[logical]
        else:
            raise ConfigError(f"table {logical} does not exist and the backup has no spec for it",
                              hint="pass --dir with the team's spec files, or create the table first")
        rules[logical] = _KeyRule.of(target)
    return rules


def _key_signature(spec: TableSpec) -> tuple[tuple[str, str, str], ...]:
    types = spec.attribute_types
    return tuple(sorted((k.key_type, k.attribute_name, types.get(k.attribute_name, "?")) for k in spec.key_schema))


def _key_text(spec: TableSpec) -> str:
    return ", ".join(f"{name} {kind} {key_type}" for key_type, name, kind in _key_signature(spec))


def _validate(source: RestoreSource, table: SourceTable, rule: _KeyRule, checksums: bool) -> _Expected:
    """Read every data file of a table once: BackupError (file, line) on the first bad item; the item
    count, and with ``checksums`` the sum of the item checksums."""
    expected = _Expected()
    for file in table.files:
        count = 0
        for line, item in read_items(source, file):
            problem = rule.problem(item)
            if problem is not None:
                raise BackupError(source.store.location(file.key), line, problem)
            count += 1
            if checksums:
                expected.checksum_sum = (expected.checksum_sum + _checksum_value(item)) % CHECKSUM_MODULUS
        if file.item_count is not None and count != file.item_count:
            raise BackupError(source.store.location(file.key), None,
                              f"the manifest promises {file.item_count} items, the file holds {count}")
        expected.count += count
    return expected


def _starts(dynamo: Dynamo, namespace: Namespace, selected: dict[str, SourceTable], live: dict[str, LiveTable],
            state: RestoreState, overwrite: bool) -> dict[str, TableStart]:
    """Per table, whether it is empty now (a resumed table keeps what the first run saw); refuse a
    non-empty one without ``overwrite``."""
    starts: dict[str, TableStart] = {}
    for logical in selected:
        if logical in state.tables:
            starts[logical] = state.tables[logical]
            continue
        empty = logical not in live or _is_empty(dynamo, namespace.physical(logical))
        if not empty and not overwrite:
            raise UnsafeChange(f"table {namespace.physical(logical)} already holds items",
                               hint="pass --overwrite to put the backup's items over them (nothing is deleted); "
                               "nothing was written")
        starts[logical] = TableStart(empty)
    return starts


def _is_empty(dynamo: Dynamo, physical: str) -> bool:
    page = _retrying(dynamo, "Scan", {"TableName": physical, "Limit": 1, "Select": "COUNT"})
    return not page.get("Count") and not page.get("LastEvaluatedKey")


def _create(context: Context, missing: dict[str, TableSpec], live: dict[str, LiveTable], namespace: Namespace,
            options: RestoreOptions, events: Events | None) -> None:
    plan = make_plan(missing, {}, namespace, options=PlanOptions(scope=Scope.CREATE))
    report = execute(plan, context.dynamo, ExecOptions(concurrency=options.concurrency, max_wait=options.max_wait,
                                                       recheck=False), events)
    if not report.ok:
        failed = report.by(Outcome.FAILED)
        detail = "; ".join(f"{r.physical}: {r.error.message if r.error else 'failed'}" for r in failed)
        raise DdbctlError(f"could not create the missing tables: {detail}",
                          hint="nothing was written; fix the cause and run the same command again")


# -- writing ------------------------------------------------------------------------------------------------


def _load(dynamo: Dynamo, source: RestoreSource, selected: dict[str, SourceTable], rules: dict[str, _KeyRule],
          namespace: Namespace, state: RestoreState, options: RestoreOptions,
          outcomes: dict[str, TableRestore], on_written: Callable[[str, int], None]) -> None:
    """Write the unwritten items a previous run saved, then the backup's files, each from its checkpoint."""
    logical_of = {namespace.physical(logical): logical for logical in selected}
    saved: list[Path] = []

    def written(physical: str, count: int) -> None:
        outcomes[logical_of[physical]].written += count
        on_written(logical_of[physical], count)

    def write(logical: str, item: Item, where: str, line: int) -> Write:
        names = rules[logical].key_names
        size = item_size(item)
        return Write(namespace.physical(logical), item, names, item_key(item, names), request_bytes(item, size),
                     write_units(size), where, line)

    def leftovers(tracker: Tracker) -> Iterator[Write]:
        for name in list(state.unwritten):
            done, complete = state.progress(name)
            if not complete:
                for line, logical, item in state.read_unwritten(name):
                    if line > done and logical in selected:
                        yield write(logical, item, name, line)
            tracker.finished(name)

    def backup(tracker: Tracker) -> Iterator[Write]:
        for logical, table in selected.items():
            for file in table.files:
                done, complete = state.progress(file.key)
                if not complete:
                    for line, item in read_items(source, file):
                        if line > done:
                            yield write(logical, item, file.key, line)
                tracker.finished(file.key)

    def save(items: Sequence[Write]) -> None:
        saved.append(state.save_unwritten([(logical_of[w.table], w.item) for w in items]))

    unwritten = 0
    for writes in (leftovers, backup):  # leftovers first: an older version of a key never lands last
        tracker = Tracker({key: done for key, (done, _) in state.files.items()})
        loader = Loader(dynamo, tracker, LoadOptions(concurrency=options.concurrency, write_rate=options.write_rate,
                                                     deadline=options.max_wait),
                        save_unwritten=save, checkpoint=partial(_checkpoint, state, tracker), on_written=written)
        unwritten += loader.run(writes(tracker)).unwritten
        if unwritten:
            raise RestoreIncomplete(unwritten, [str(path) for path in saved])


def _checkpoint(state: RestoreState, tracker: Tracker) -> None:
    state.update(tracker.snapshot())
    state.save()


# -- verification ----------------------------------------------------------------------------------------


def _scan_table(dynamo: Dynamo, physical: str, checksums: bool) -> tuple[int, int]:
    """(item count, checksum sum) of a table; the sum only when ``checksums`` (else a COUNT scan)."""
    params: dict[str, Any] = {"TableName": physical, "ConsistentRead": True}
    if not checksums:
        params["Select"] = "COUNT"
    count, total = 0, 0
    while True:
        page = _retrying(dynamo, "Scan", params)
        count += int(page.get("Count", 0))
        for item in page.get("Items", []) if checksums else ():
            total = (total + _checksum_value(item)) % CHECKSUM_MODULUS
        start = page.get("LastEvaluatedKey")
        if not start:
            return count, total
        params["ExclusiveStartKey"] = start


def _verify_by_key(dynamo: Dynamo, source: RestoreSource, table: SourceTable, physical: str, rule: _KeyRule) -> bool:
    """Every item of the backup is in the table, equal (BatchGetItem by key, 100 at a time)."""
    batch: dict[Any, Item] = {}
    for file in table.files:
        for _, item in read_items(source, file):
            batch[item_key(item, rule.key_names)] = item  # a later line of the same key wins
            if len(batch) == BATCH_GET_KEYS:
                if not _same_items(dynamo, physical, rule, batch):
                    return False
                batch = {}
    return not batch or _same_items(dynamo, physical, rule, batch)


def _same_items(dynamo: Dynamo, physical: str, rule: _KeyRule, expected: dict[Any, Item]) -> bool:
    keys = [{name: item[name] for name in rule.key_names} for item in expected.values()]
    found: dict[Any, Item] = {}
    attempt = 0
    while keys:
        request = {physical: {"Keys": keys, "ConsistentRead": True}}
        page = _retrying(dynamo, "BatchGetItem", {"RequestItems": request})
        for item in page.get("Responses", {}).get(physical, []):
            found[item_key(item, rule.key_names)] = item
        keys = (page.get("UnprocessedKeys") or {}).get(physical, {}).get("Keys", [])
        if keys:
            attempt += 1
            time.sleep(random.uniform(0, min(5.0, 0.05 * 2**attempt)))
    return all(key in found and item_checksum(found[key]) == item_checksum(item) for key, item in expected.items())


def _checksum_value(item: Item) -> int:
    return int.from_bytes(hashlib.sha256(item_checksum(item).encode()).digest(), "big")


def _retrying(dynamo: Dynamo, operation: str, params: dict[str, Any], attempts: int = 20) -> dict[str, Any]:
    """A read that rides out throttling and 5xx beyond botocore's own retries."""
    for attempt in range(attempts):
        try:
            return dynamo.call(operation, params)
        except AwsError as exc:
            if exc.code not in RETRYABLE_CODES or attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0, min(5.0, 0.1 * 2**attempt)))
    raise AssertionError("unreachable")
