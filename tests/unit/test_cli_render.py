"""Plan rendering and progress, pure: the footer agrees with the body, the drift note, heartbeats, rates."""

from __future__ import annotations

import io
import re

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from ddbctl.changes import (
    Change,
    CreateTable,
    DeleteIndex,
    DeleteTable,
    TagTable,
    UntagTable,
    UpdateDeletionProtection,
    UpdateTTL,
)
from ddbctl.cli.progress import Progress, elapsed_text
from ddbctl.cli.render import plan_summary, print_plan, undoes_live_state
from ddbctl.cli.state import CliState
from ddbctl.execute import TableState
from ddbctl.plan import Plan, Status, TablePlan
from ddbctl.spec.model import TableSpec, Tag

SPEC = TableSpec.model_validate({"TableName": "t", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                 "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
ARN = "arn:aws:dynamodb:us-east-1:1:table/x"


def state(json: bool = False) -> tuple[CliState, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return (CliState(output="json" if json else "text", out=Console(file=out, width=300),
                     err=Console(file=err, width=300)), out, err)


def update_steps(physical: str) -> st.SearchStrategy[list[Change]]:
    return st.lists(st.sampled_from([
        TagTable(physical, arn=ARN, tags=(Tag(Key="a", Value="b"),)),
        UntagTable(physical, arn=ARN, keys=("x",)),
        DeleteIndex(physical, index_name="by-x"),
        UpdateDeletionProtection(physical, enabled=False),
        UpdateTTL(physical, enabled=True, attribute_name="ttl"),
    ]), max_size=3)


@st.composite
def table_plans(draw: st.DrawFn, number: int) -> TablePlan:
    physical = f"p-t{number}"
    kind = draw(st.sampled_from(["create", "update", "delete", "unmanaged", "refused", "unchanged", "exists"]))
    if kind == "create":
        return TablePlan(f"t{number}", physical, Status.CREATE, None, (CreateTable(physical, spec=SPEC),))
    if kind == "delete":
        return TablePlan(f"t{number}", physical, Status.UPDATE, SPEC, (DeleteTable(physical),))
    if kind == "unmanaged":
        held = draw(st.booleans())
        return TablePlan(f"t{number}", physical, Status.UNMANAGED, SPEC, held=(DeleteTable(physical),) if held else ())
    if kind == "refused":
        return TablePlan(f"t{number}", physical, Status.REFUSED, SPEC, reason="key schema differs")
    if kind in ("unchanged", "exists"):
        return TablePlan(f"t{number}", physical, Status(kind), SPEC)
    changes, held = draw(update_steps(physical)), draw(update_steps(physical))
    if not (changes or held):
        return TablePlan(f"t{number}", physical, Status.UNCHANGED, SPEC)
    return TablePlan(f"t{number}", physical, Status.UPDATE, SPEC, tuple(changes), tuple(held))


plans = st.integers(0, 8).flatmap(lambda n: st.tuples(*[table_plans(i) for i in range(n)]))

FOOTER = re.compile(r"Plan: (\d+) to create, (\d+) to update, (\d+) to delete, (\d+) held, (\d+) refused; "
                    r"(\d+) change\(s\)")


@given(plans)
def test_the_footer_counts_what_the_body_shows(tables: tuple[TablePlan, ...]) -> None:
    plan = Plan(tables, "staging")
    cli, out, _ = state()
    print_plan(cli, plan)
    body = out.getvalue().splitlines()
    footer = plan_summary(plan)
    heads = [line for line in body if not line.startswith(" ")]
    if plan.converged:
        assert footer.startswith("No changes")
        assert not [h for h in heads if not h.startswith("?")]
        return
    match = FOOTER.match(footer)
    assert match is not None, footer
    create, update, delete, held, refused, changes = map(int, match.groups())
    assert create == sum(h.startswith("+ ") for h in heads)
    assert update == sum(h.startswith("~ ") and h.endswith("(update)") for h in heads)
    assert delete == sum(h.startswith("- ") for h in heads)
    assert held == sum(h.startswith("~ ") and h.endswith("(held)") for h in heads)
    assert refused == sum(h.startswith("! ") for h in heads)
    assert changes == sum(bool(re.match(r"    \d+\. ", line)) for line in body)
    held_steps = sum(line.startswith("    held: ") for line in body)
    assert (f"; {held_steps} step(s) held" in footer) == bool(held_steps)
    unmanaged = sum(h.startswith("? ") for h in heads)
    assert (f"; {unmanaged} live table(s) without a spec file" in footer) == bool(unmanaged)


def test_the_drift_note_only_for_steps_that_undo_live_state() -> None:
    asked = TablePlan("t", "p", Status.UPDATE, SPEC, (TagTable("p", arn=ARN, tags=(Tag(Key="a", Value="b"),)),))
    assert not undoes_live_state(asked)
    renamed = TablePlan("t", "p", Status.UPDATE, SPEC, (UpdateTTL("p", enabled=False, attribute_name="old"),
                                                        UpdateTTL("p", enabled=True, attribute_name="new")))
    assert not undoes_live_state(renamed)
    recreated = TablePlan("t", "p", Status.UPDATE, SPEC, (DeleteIndex("p", index_name="i", recreate=True),))
    assert not undoes_live_state(recreated)
    for step in (UntagTable("p", arn=ARN, keys=("x",)), DeleteIndex("p", index_name="i"),
                 UpdateTTL("p", enabled=False, attribute_name="old"), UpdateDeletionProtection("p", enabled=False)):
        assert undoes_live_state(TablePlan("t", "p", Status.UPDATE, SPEC, (step,)))
        assert undoes_live_state(TablePlan("t", "p", Status.UPDATE, SPEC, held=(step,)))
    assert not undoes_live_state(TablePlan("t", "p", Status.CREATE, None, (CreateTable("p", spec=SPEC),)))


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_without_a_terminal_a_line_per_change_and_a_heartbeat_for_tables_still_waiting() -> None:
    cli, _, err = state()
    clock = FakeClock()
    progress = Progress(cli, heartbeat=30, clock=clock, live=False)
    progress.waiting("p-a", TableState("p-a", "CREATING"))
    progress.waiting("p-b", TableState("p-b", "CREATING"))
    clock.now += 10
    progress.waiting("p-a", TableState("p-a", "CREATING"))  # no change: no line
    progress.tick()  # nothing silent for 30 s yet
    clock.now += 20
    progress.waiting("p-b", TableState("p-b", "ACTIVE", (("by-x", "CREATING", True),)))
    progress.tick()  # p-a silent for 30 s: a heartbeat; p-b just printed
    progress.rows["p-b"].finish("updated")
    clock.now += 45
    progress.tick()  # p-a again; p-b is done
    assert err.getvalue().splitlines() == [
        "  … p-a: CREATING 0.0s",
        "  … p-b: CREATING 0.0s",
        "  … p-b: ACTIVE, index by-x CREATING backfilling 30.0s",
        "  … p-a: still CREATING 30.0s",
        "  … p-a: still CREATING 75.0s",
    ]


def test_json_mode_prints_no_progress_at_all() -> None:
    cli, out, err = state(json=True)
    with Progress(cli, heartbeat=0.01) as progress:
        progress.waiting("p-a", TableState("p-a", "CREATING"))
        progress.row("p-b", step="scan").update(items=5, total=10)
        progress.tick()
    assert out.getvalue() == "" and err.getvalue() == ""


def test_data_rows_show_items_rate_and_eta() -> None:
    cli, _, err = state()
    clock = FakeClock()
    progress = Progress(cli, clock=clock, live=False)
    row = progress.row("p-a", step="scan")
    clock.now += 10
    row.update(items=500, total=2000, state="segment 1/4")
    assert row.rate(clock.now) == 50
    assert row.eta(clock.now) == 30
    rendered = io.StringIO()
    Console(file=rendered, width=100).print(progress)
    text = rendered.getvalue()
    assert "500/2000" in text and "50" in text and "30s" in text and "10s" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert err.getvalue().splitlines() == ["→ p-a: scan", "  … p-a: segment 1/4, 500 of 2000 items 10.0s"]


def test_elapsed_text_changes_every_second_in_the_first_hour() -> None:
    assert [elapsed_text(s) for s in (0, 9.9, 60, 125, 3599, 3725)] == ["0s", "9s", "1m00s", "2m05s", "59m59s",
                                                                         "1h02m"]
