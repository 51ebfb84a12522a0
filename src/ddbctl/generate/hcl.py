"""A small HCL (Terraform) writer: blocks, attributes and values as data, rendered the way ``terraform fmt`` does.

Values: ``str`` (a quoted literal: ``${`` and ``%{`` are escaped, so text is never interpolated),
``bool``, ``int``, lists of those (one line), ``dict`` (an object, one key per line), ``Expr`` (an
expression written as is: ``var.environment``) and ``Template`` (a quoted string mixing literal text
and ``${...}`` interpolations). Consecutive single-line attributes have their ``=`` aligned, as
``terraform fmt`` aligns them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

INDENT = "  "
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Expr:
    """An HCL expression written verbatim (a reference, a conditional, a function call)."""

    text: str


@dataclass(frozen=True)
class Template:
    """A quoted template: literal strings and ``Expr`` interpolations, in order."""

    parts: tuple[str | Expr, ...]


Value = str | bool | int | Expr | Template | Sequence["Value"] | dict[str, "Value"]


@dataclass(frozen=True)
class Attribute:
    name: str
    value: Value


@dataclass(frozen=True)
class Comment:
    text: str


@dataclass(frozen=True)
class Blank:
    """An empty line (ends a group of aligned attributes)."""


@dataclass(frozen=True)
class Block:
    type: str
    labels: tuple[str, ...] = ()
    body: tuple[Attribute | Block | Comment | Blank, ...] = field(default_factory=tuple)


Item = Attribute | Block | Comment | Blank


def render(items: Sequence[Item]) -> str:
    """A whole file: top-level items separated as written, one trailing newline."""
    return "".join(_lines(items, 0))


def quote(text: str) -> str:
    """An HCL string literal of ``text``: escapes, and ``${``/``%{`` doubled so nothing is interpolated."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
               .replace("\t", "\\t").replace("${", "$${").replace("%{", "%%{"))
    return f'"{escaped}"'


def key(name: str) -> str:
    """An object key: bare when it is an identifier, quoted otherwise."""
    return name if _IDENTIFIER.fullmatch(name) else quote(name)


def value_text(value: Value, depth: int = 0) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, Expr):
        return value.text
    if isinstance(value, Template):
        return '"' + "".join(f"${{{p.text}}}" if isinstance(p, Expr) else quote(p)[1:-1] for p in value.parts) + '"'
    if isinstance(value, dict):
        if not value:
            return "{}"
        width = max(len(key(k)) for k in value)
        inner = INDENT * (depth + 1)
        lines = [f"{inner}{key(k).ljust(width)} = {value_text(v, depth + 1)}\n" for k, v in value.items()]
        return "{\n" + "".join(lines) + INDENT * depth + "}"
    return "[" + ", ".join(value_text(v, depth) for v in value) + "]"


def _lines(items: Sequence[Item], depth: int) -> list[str]:
    indent = INDENT * depth
    lines: list[str] = []
    group: list[Attribute] = []

    def flush() -> None:
        single = [a for a in group if "\n" not in value_text(a.value, depth)]
        width = max((len(a.name) for a in single), default=0)
        for attribute in group:
            text = value_text(attribute.value, depth)
            # fmt aligns a run of one-line attributes; a multi-line one keeps its own single space.
            name = attribute.name.ljust(width) if "\n" not in text else attribute.name
            lines.append(f"{indent}{name} = {text}\n")
        group.clear()

    for item in items:
        if isinstance(item, Attribute):
            multiline = ("\n" in value_text(a.value, depth) for a in (*group[-1:], item))
            if group and any(multiline):
                flush()
            group.append(item)
            continue
        flush()
        if isinstance(item, Comment):
            lines.extend(f"{indent}# {line}".rstrip() + "\n" for line in item.text.splitlines() or [""])
        elif isinstance(item, Blank):
            lines.append("\n")
        else:
            labels = "".join(f" {quote(label)}" for label in item.labels)
            lines.append(f"{indent}{item.type}{labels} {{\n")
            lines.extend(_lines(item.body, depth + 1))
            lines.append(f"{indent}}}\n")
    flush()
    return lines
