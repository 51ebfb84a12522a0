"""Hypothesis strategies for DynamoDB items in wire form (N as str, B as bytes), every type."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# DynamoDB strings are UTF-8: no lone surrogates.
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12)
NAMES = st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=8)


@st.composite
def numbers(draw: st.DrawFn) -> str:
    """A number string of 1 to 38 significant digits, as DynamoDB accepts, in several spellings."""
    digits = draw(st.text(alphabet="0123456789", min_size=1, max_size=38))
    sign = draw(st.sampled_from(["", "-"]))
    style = draw(st.sampled_from(["int", "point", "exp"]))
    if style == "int":
        return sign + (digits.lstrip("0") or "0")
    if style == "point":
        cut = draw(st.integers(0, len(digits)))
        return f"{sign}{digits[:cut] or '0'}.{digits[cut:] or '0'}"
    exponent = draw(st.integers(-100, 90))
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def _unique_numbers(members: list[str]) -> list[str]:
    from ddbctl.data.items import _canonical_number  # noqa: PLC0415

    seen: dict[str, str] = {}
    for member in members:
        seen.setdefault(_canonical_number(member), member)
    return list(seen.values())


SCALARS: st.SearchStrategy[dict[str, Any]] = st.one_of(
    TEXT.map(lambda s: {"S": s}),
    numbers().map(lambda n: {"N": n}),
    st.binary(max_size=24).map(lambda b: {"B": b}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
    st.sets(TEXT, min_size=1, max_size=4).map(lambda s: {"SS": sorted(s)}),
    st.lists(numbers(), min_size=1, max_size=4).map(lambda n: {"NS": _unique_numbers(n)}),
    st.sets(st.binary(min_size=1, max_size=8), min_size=1, max_size=4).map(lambda s: {"BS": sorted(s)}),
)

VALUES: st.SearchStrategy[dict[str, Any]] = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.dictionaries(NAMES, inner, max_size=4).map(lambda m: {"M": m}),
        st.lists(inner, max_size=4).map(lambda items: {"L": items}),
    ),
    max_leaves=12,
)

ITEMS: st.SearchStrategy[dict[str, Any]] = st.dictionaries(NAMES, VALUES, min_size=1, max_size=6)
