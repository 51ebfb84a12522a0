"""``table-summary.txt``: one line per table and the totals, for people (not parsed back)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from ..aws import LiveTable
from ..ownership import live_spec

COLUMNS = ("table", "status", "items", "size", "keys", "gsis", "lsis", "billing", "ttl", "pitr", "sse",
           "stream", "class", "del-prot")


def summary_rows(tables: Mapping[str, LiveTable]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for logical, live in sorted(tables.items()):
        spec = live_spec(logical, live)
        ttl = spec.time_to_live_specification
        pitr = spec.point_in_time_recovery_specification
        sse = spec.sse_specification
        stream = spec.stream_specification
        rows.append((
            live.physical_name,
            live.status,
            str(live.table.get("ItemCount", 0)),
            human_bytes(int(live.table.get("TableSizeBytes", 0))),
            "+".join(f"{k.attribute_name}:{spec.attribute_types[k.attribute_name]}" for k in spec.key_schema),
            ",".join(i.index_name for i in spec.gsis) or "-",
            ",".join(i.index_name for i in spec.lsis) or "-",
            "on-demand" if spec.billing_mode == "PAY_PER_REQUEST" else _provisioned(spec.provisioned_throughput),
            ttl.attribute_name or "on" if ttl and ttl.enabled else "off",
            "on" if pitr and pitr.point_in_time_recovery_enabled else "off",
            "KMS" if sse and sse.enabled else "AWS owned",
            stream.stream_view_type or "on" if stream and stream.stream_enabled else "off",
            "IA" if spec.table_class == "STANDARD_INFREQUENT_ACCESS" else "standard",
            "on" if spec.deletion_protection_enabled else "off",
        ))
    return rows


def render_summary(tables: Mapping[str, LiveTable], environment: str) -> str:
    rows = summary_rows(tables)
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    lines = [f"DynamoDB tables, environment {environment}", ""]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
              for row in [COLUMNS, *rows]]
    lines += ["", _totals(tables)]
    return "\n".join(lines) + "\n"


def render_summary_wrapped(tables: Mapping[str, LiveTable], environment: str, width: int = 100) -> str:
    """The same facts as :func:`render_summary`, a block per table wrapped to ``width`` columns."""
    rows = summary_rows(tables)
    lines = [f"DynamoDB tables, environment {environment}", ""]
    for row in rows:
        cell = dict(zip(COLUMNS, row, strict=True))
        lines.append(f"{cell['table']}  {cell['status']}, {cell['items']} items, {cell['size']}, {cell['billing']}")
        details = "; ".join(f"{_LONG.get(name, name)} {cell[name]}" for name in COLUMNS[4:] if name != "billing")
        lines += textwrap.wrap(details, width, initial_indent="    ", subsequent_indent="    ",
                               break_on_hyphens=False)
    lines += ["", _totals(tables)]
    return "\n".join(lines) + "\n"


_LONG = {"gsis": "GSIs", "lsis": "LSIs", "ttl": "TTL", "pitr": "PITR", "sse": "SSE", "del-prot": "deletion protection"}


def _totals(tables: Mapping[str, LiveTable]) -> str:
    items = sum(int(t.table.get("ItemCount", 0)) for t in tables.values())
    size = sum(int(t.table.get("TableSizeBytes", 0)) for t in tables.values())
    gsis = sum(len(t.table.get("GlobalSecondaryIndexes") or []) for t in tables.values())
    return f"Total: {len(tables)} tables, {gsis} GSIs, {items} items, {human_bytes(size)}"


def human_bytes(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}"


def _provisioned(throughput: object) -> str:
    read = getattr(throughput, "read_capacity_units", "?")
    write = getattr(throughput, "write_capacity_units", "?")
    return f"provisioned {read}R/{write}W"
