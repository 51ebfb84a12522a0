"""generate table-config: the generated JS, TS and Python run, and every name agrees with ddbctl.table_name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ddbctl import table_name
from ddbctl.config import load_settings
from ddbctl.errors import Inexpressible
from ddbctl.generate import table_config
from ddbctl.generate.source import Source, load_source
from ddbctl.naming import DEFAULT_PREFIX

from .specs import AUDIT, example_and_edges, write_specs
from .tools import LOCAL_TSC, require

# (ENVIRONMENT, TABLE_PREFIX) as the process sees them; None = unset, "" = set but empty (counts as unset).
VARIABLES: tuple[tuple[str | None, str | None], ...] = (
    (None, None), ("", ""), ("production", None), ("staging", None), ("dev", "my-app"), ("qa", ""),
)

JS_PRINT = "console.log(JSON.stringify({tables: m.TABLES, indexes: m.INDEXES, probe: m.getTableName('x-y')}));"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    directory = example_and_edges(tmp_path_factory.mktemp("tc") / "schemas")
    return load_source(load_settings({"environment": "staging"}, environ={}), directory)


def environ(environment: str | None, prefix: str | None) -> dict[str, str]:
    variables = {k: v for k, v in os.environ.items() if k not in ("ENVIRONMENT", "TABLE_PREFIX")}
    if environment is not None:
        variables["ENVIRONMENT"] = environment
    if prefix is not None:
        variables["TABLE_PREFIX"] = prefix
    return variables


def expected(source: Source, environment: str | None, prefix: str | None) -> dict[str, Any]:
    env = environment or "production"
    pre = prefix or DEFAULT_PREFIX
    config = table_config.config(source)
    return {
        "tables": {key: table_name(logical, env, pre) for key, logical in config.tables.items()},
        "indexes": config.indexes,
        "probe": table_name("x-y", env, pre),
    }


def check_keys(source: Source) -> None:
    config = table_config.config(source)
    assert config.tables["companyUsers"] == "company-users"
    assert config.tables["auditEvents"] == "audit.events"
    assert config.indexes["companies"] == {"byEmail": "by-email"}
    assert config.indexes["ledger"] == {"byAmount": "by-amount", "byBatch": "by-batch", "byPostedAt": "by_posted.at"}
    every_index = {(spec.table_name, i.index_name) for spec in source.specs for i in (*spec.gsis, *spec.lsis)}
    generated = {(config.tables[t], name) for t, indexes in config.indexes.items() for name in indexes.values()}
    assert generated == every_index


def run_js(node: str, module: Path, environment: str | None, prefix: str | None) -> Any:
    script = f"const m = require({json.dumps(str(module))}); {JS_PRINT}"
    result = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True,
                            env=environ(environment, prefix))
    return json.loads(result.stdout)


def test_keys_are_the_camel_case_of_every_table_and_index(source: Source) -> None:
    check_keys(source)


def test_javascript_runs_and_agrees_with_ddbctl(source: Source, tmp_path: Path) -> None:
    node = require("node", "the generated JavaScript is not executed")
    module = tmp_path / "table-config.js"
    module.write_text(table_config.render(table_config.config(source), "js"), encoding="utf-8")
    for environment, prefix in VARIABLES:
        assert run_js(node, module, environment, prefix) == expected(source, environment, prefix)


def test_typescript_type_checks_compiles_and_agrees_with_ddbctl(source: Source, tmp_path: Path) -> None:
    node = require("node", "the generated TypeScript is not executed")
    tsc = require("tsc", "the generated TypeScript is not type-checked (.ci/run installs it with npm)",
                  (LOCAL_TSC,))
    (tmp_path / "table-config.ts").write_text(table_config.render(table_config.config(source), "ts"),
                                              encoding="utf-8")
    # A consumer: the constants are typed (a missing key is a compile error) and read-only.
    (tmp_path / "consumer.ts").write_text(
        'import { TABLES, INDEXES, getTableName, type TableKey } from "./table-config";\n'
        "const companies: string = TABLES.companies;\n"
        'const byEmail: "by-email" = INDEXES.companies.byEmail;\n'
        'const key: TableKey = "companyUsers";\n'
        "// @ts-expect-error: no such table\n"
        "const missing = TABLES.nonexistent;\n"
        "// @ts-expect-error: read-only\n"
        'TABLES.companies = "x";\n'
        "export const used = [companies, byEmail, key, missing, getTableName(\"x\")];\n",
        encoding="utf-8")
    compiled = tmp_path / "out"
    result = subprocess.run(
        [tsc, "--strict", "--noUnusedLocals", "--target", "es2020", "--module", "commonjs", "--outDir", str(compiled),
         str(tmp_path / "table-config.ts"), str(tmp_path / "consumer.ts")],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    for environment, prefix in VARIABLES:
        assert run_js(node, compiled / "table-config.js", environment, prefix) == expected(source, environment, prefix)


def test_python_module_runs_and_agrees_with_ddbctl(source: Source, tmp_path: Path) -> None:
    (tmp_path / "table_config.py").write_text(table_config.render(table_config.config(source), "python"),
                                              encoding="utf-8")
    script = ("import json, table_config as m; print(json.dumps({'tables': dict(m.TABLES), "
              "'indexes': {k: dict(v) for k, v in m.INDEXES.items()}, 'probe': m.getTableName('x-y')}))")
    for environment, prefix in VARIABLES:
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                cwd=tmp_path, env=environ(environment, prefix))
        assert json.loads(result.stdout) == expected(source, environment, prefix)


def test_python_module_is_clean_for_mypy_strict(source: Source, tmp_path: Path) -> None:
    path = tmp_path / "table_config.py"
    path.write_text(table_config.render(table_config.config(source), "python"), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
                            capture_output=True, text=True, check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stdout


def test_the_default_prefix_is_the_selected_one(tmp_path: Path) -> None:
    directory = write_specs(tmp_path / "s", AUDIT)
    source = load_source(load_settings({"prefix": "acme"}, environ={}), directory)
    text = table_config.render(table_config.config(source), "js")
    assert 'process.env.TABLE_PREFIX || "acme"' in text
    assert 'process.env.ENVIRONMENT || "production"' in text


def test_index_names_that_collide_in_camel_case_are_refused(tmp_path: Path) -> None:
    twin = {**AUDIT["GlobalSecondaryIndexes"][0], "IndexName": "by-actor"}
    spec = {**AUDIT, "GlobalSecondaryIndexes": [*AUDIT["GlobalSecondaryIndexes"], twin]}
    source = load_source(load_settings({}, environ={}), write_specs(tmp_path / "s", spec))
    with pytest.raises(Inexpressible, match=r"indexes of table audit\.events 'by-actor' and 'byActor' both become"):
        table_config.config(source)
