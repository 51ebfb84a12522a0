"""The HCL writer: literals that are never interpolated, quoted keys, fmt-style alignment."""

from __future__ import annotations

import hcl2
from hypothesis import given, settings
from hypothesis import strategies as st

from ddbctl.generate.hcl import Attribute, Blank, Block, Comment, Expr, Template, key, quote, render


def test_literals_escape_quotes_backslashes_and_interpolation() -> None:
    assert quote('a "b" \\ ${c} %{d}\n') == '"a \\"b\\" \\\\ $${c} %%{d}\\n"'


def test_keys_are_bare_identifiers_or_quoted() -> None:
    assert key("ManagedBy") == "ManagedBy"
    assert key("cost-center") == "cost-center"
    assert key("Cost Center") == '"Cost Center"'
    assert key("aws.tag") == '"aws.tag"'
    assert key("team\n") == '"team\\n"'  # a regex's $ matches before a final newline: not an identifier


def test_blocks_attributes_and_alignment_as_terraform_fmt_writes_them() -> None:
    text = render([
        Comment("two\nlines"),
        Block("resource", ("t", "n"), (
            Attribute("name", Template((Expr("local.stem"), "x"))),
            Attribute("read_capacity", 5),
            Attribute("enabled", True),
            Attribute("tags", {"A": "1", "Cost Center": Expr("var.x")}),
            Attribute("after", ["a", "b"]),
            Blank(),
            Block("lifecycle", (), (Attribute("prevent_destroy", True),)),
        )),
    ])
    assert text == (
        "# two\n# lines\n"
        'resource "t" "n" {\n'
        '  name          = "${local.stem}x"\n'
        "  read_capacity = 5\n"
        "  enabled       = true\n"
        "  tags = {\n"
        '    A             = "1"\n'
        '    "Cost Center" = var.x\n'
        "  }\n"
        '  after = ["a", "b"]\n'
        "\n"
        "  lifecycle {\n"
        "    prevent_destroy = true\n"
        "  }\n"
        "}\n"
    )


@settings(deadline=None, max_examples=60)  # the HCL parser takes ~50 ms a document
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40))
def test_any_text_is_one_string_literal_to_an_hcl_parser(text: str) -> None:
    parsed = hcl2.loads(render([Attribute("value", text)]))
    assert parsed["value"] == quote(text)
