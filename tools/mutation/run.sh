#!/usr/bin/env bash
# Mutation testing of ddbctl's core modules with mutmut 3 (pip install 'mutmut>=3.8'); not part of CI.
#
#   tools/mutation/run.sh [GROUP...]     GROUP: naming spec changes plan execute (default: these five)
#                                        or items exportfmt restore_state (data/)
#   cd $MUTATION_DIR/<group> && DDBCTL_MUTATION=1 PYTHONPATH=$PWD/mutants/src mutmut run NAME...
#                                        re-runs the named mutants (e.g. survivors, after adding tests)
#
# Each group mutates its module(s) in a scratch copy of the tree ($MUTATION_DIR/<group>, default
# /tmp/ddbctl-mutation) and runs only the tests listed for it below: the module's fast unit/property
# tests plus the integration tests that reach it (mutmut then runs, per mutant, only the tests that
# called the mutated function). Property tests run a few examples each there (DDBCTL_MUTATION=1, see
# tests/examples.py). It is CPU-heavy: it runs at the lowest priority with one worker unless
# MUTATION_CHILDREN says otherwise. Results: tools/mutation/score.py prints the score per group and
# the surviving mutants; `cd $MUTATION_DIR/<group> && mutmut show <name>` shows one.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
scratch="${MUTATION_DIR:-/tmp/ddbctl-mutation}"
children="${MUTATION_CHILDREN:-1}"

tests_for() {
  case "$1" in
    naming) echo "tests/unit/test_naming.py tests/unit/test_config.py tests/unit/test_spec_files.py" ;;
    spec) echo "tests/unit tests/cli/test_tables_cli.py" ;;
    changes) echo "tests/unit/test_changes.py tests/unit/test_planner.py tests/unit/test_planner_properties.py
                   tests/integration/test_apply_properties.py" ;;
    plan) echo "tests/unit/test_planner.py tests/unit/test_planner_properties.py" ;;
    # The server-backed property and create/export reach every executor path that a plan takes;
    # test_execute_paths.py and test_effects.py its own retries, waits and messages (on a virtual clock
    # and server holds); test_apply.py's real waits (minutes per surviving mutant) are left out.
    execute) echo "tests/unit/test_execute_state.py tests/integration/test_execute_paths.py
                   tests/integration/test_effects.py tests/integration/test_apply_properties.py
                   tests/integration/test_export_create.py" ;;
    # Data plane: the pure modules' fast unit/property tests (tests/data), plus the writer's units for items.
    items) echo "tests/data tests/unit/test_load.py" ;;
    exportfmt | restore_state) echo "tests/data" ;;
    # spec/ one module at a time, with the spec tests only (a quick pass: the spec group's selection
    # runs every unit test that loads a spec, minutes per surviving rules.py mutant on a loaded machine).
    spec-rules) echo "tests/unit/test_spec_rules.py tests/unit/test_spec_files.py tests/unit/test_spec_details.py" ;;
    spec-model) echo "tests/unit/test_spec_files.py tests/unit/test_spec_details.py tests/unit/test_planner.py" ;;
    *) echo "unknown group $1 (naming spec spec-rules spec-model changes plan execute items exportfmt restore_state)" >&2; return 2 ;;
  esac
}

modules_for() {
  case "$1" in
    naming) echo "src/ddbctl/naming.py" ;;
    spec) echo "src/ddbctl/spec/*" ;;
    items | exportfmt | restore_state) echo "src/ddbctl/data/$1.py" ;;
    spec-*) echo "src/ddbctl/spec/${1#spec-}.py" ;;
    *) echo "src/ddbctl/$1.py" ;;
  esac
}

run_group() {
  local group="$1" dir="$scratch/$1"
  local tests modules
  tests="${MUTATION_TESTS:-$(tests_for "$group")}"  # MUTATION_TESTS: another selection, e.g. a quick first pass
  modules="$(modules_for "$group")"
  mkdir -p "$dir"
  # A fresh copy of the code and tests; mutmut keeps its results in $dir/mutants between runs, and
  # regenerates only the files it mutates: refresh the others and the tests there too.
  rm -rf "$dir/src" "$dir/tests"
  cp -r "$root/src" "$root/tests" "$root/pyproject.toml" "$dir/"
  if [ -d "$dir/mutants/src" ]; then
    (cd "$root" && find src -name '*.py' -not -path '*/__pycache__/*') | while read -r file; do
      mutated=""
      for pattern in $modules; do
        # shellcheck disable=SC2254  # the module list holds glob patterns (src/ddbctl/spec/*)
        case "$file" in $pattern) mutated=1 ;; esac
      done
      [ -n "$mutated" ] || cp "$root/$file" "$dir/mutants/$file"
    done
    rm -rf "$dir/mutants/tests" && cp -r "$root/tests" "$dir/mutants/tests"
  fi
  # PYTHONPATH's mutants/src must exist when Python starts: an entry missing then is skipped for good
  # (sys.path_importer_cache), ddbctl is imported unmutated from the editable install, and a first run
  # finds "no test case for any mutant".
  mkdir -p "$dir/mutants/src"
  {
    echo "[mutmut]"
    echo "source_paths = src"
    echo "only_mutate = $modules"
    # One argument per line: a line is one argv element.
    # The stats run executes every selected test under mutmut's trampolines: slower than pytest's 300 s.
    printf 'pytest_add_cli_args =\n    -p\n    no:cacheprovider\n    --timeout=1800\n'
    echo "pytest_add_cli_args_test_selection ="
    for t in $tests; do echo "    $t"; done
    echo "timeout_multiplier = 5.0"
    echo "timeout_constant = 30.0"
  } > "$dir/setup.cfg"
  # mutmut reads [tool.mutmut] of pyproject.toml first: the copy has none, so setup.cfg is used.
  (cd "$dir" && DDBCTL_MUTATION=1 PYTHONPATH="$dir/mutants/src" \
    nice -n 19 mutmut run --max-children "$children" >"$dir/run.log" 2>&1) || echo "mutmut run $group: see $dir/run.log" >&2
  (cd "$dir" && mutmut export-cicd-stats >/dev/null 2>&1 && mutmut results --all true >"$dir/results.txt" 2>&1) || true
}

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(naming spec changes plan execute)
for group in "${groups[@]}"; do
  tests_for "$group" >/dev/null
  run_group "$group"
done
python3 "$root/tools/mutation/score.py" "$scratch" "${groups[@]}"
