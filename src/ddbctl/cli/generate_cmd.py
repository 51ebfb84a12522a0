"""``ddbctl generate TARGET``: CloudFormation, Terraform, an IAM policy or the app's table-config from spec files."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ConfigError
from ..generate import cloudformation, iam, table_config, terraform
from ..generate.source import Source, check_destination, load_source, write_output
from ..hints import command
from ..permissions import OPERATIONS
from .base import DdbctlGroup
from .options import dir_option, out_option
from .state import CliState, CommandFailed, pass_state, reported_errors


def _source(state: CliState, directory: Path | None, *destinations: Path | None) -> Source:
    """The spec files, after checking that every output file can be written (nothing is written otherwise)."""
    for destination in destinations:
        if destination is not None:
            check_destination(destination)
    settings = state.settings()
    return load_source(settings, directory or settings.schema_dir)


def emit(state: CliState, text: str, out: Path | None) -> None:
    """The generated text on stdout, or written to ``out`` (with a note on stderr)."""
    if out is None:
        click.echo(text, nl=False)
        return
    write_output(text, out)
    state.note(f"wrote {out}")


@click.group(cls=DdbctlGroup)
def generate() -> None:
    """Generate CloudFormation, Terraform, an IAM policy or the app's table-config from the spec files.

    Every target reads the same validated spec files (--dir) and settings (environment, prefix,
    region), sends nothing to AWS, and writes the same bytes for the same files: stdout, or --out FILE.
    """


@generate.command("cloudformation")
@dir_option()
@out_option
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True,
              help="Template format.")
@click.option("--parameterized", is_flag=True,
              help="Take Environment and Prefix parameters and derive the table names from them (the seed's "
              "getTableName, with a condition for production) instead of the selected environment's names.")
@click.option("--import", "import_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              metavar="FILE",
              help="Also write the resources-to-import JSON for adopting the environment's live tables: "
              "aws cloudformation create-change-set --change-set-type IMPORT --resources-to-import file://FILE.")
@pass_state
def cloudformation_command(state: CliState, directory: Path | None, out: Path | None, fmt: str, parameterized: bool,
                           import_file: Path | None) -> None:
    """A CloudFormation template: one AWS::DynamoDB::Table per spec file.

    Each table carries keys, indexes, billing and throughput, stream, SSE, class, deletion protection,
    TTL, PITR and tags (plus Environment and ManagedBy), with DeletionPolicy and UpdateReplacePolicy
    Retain. Names are the selected environment's (-e), or with --parameterized derived from the
    Environment parameter (default production). Passes cfn-lint.
    """
    with reported_errors(state):
        source = _source(state, directory, out, import_file)
        text = cloudformation.render(cloudformation.template(source, parameterized=parameterized),
                                     "json" if fmt == "json" else "yaml")
        if import_file is not None:
            write_output(cloudformation.render_import(cloudformation.import_resources(source)), import_file)
            state.note(f"wrote {import_file} (tables of environment {source.environment})")
        emit(state, text, out)


@generate.command("terraform")
@dir_option()
@out_option
@click.option("--no-import", "no_import", is_flag=True,
              help="Leave out the import blocks (for an environment whose tables do not exist yet).")
@pass_state
def terraform_command(state: CliState, directory: Path | None, out: Path | None, no_import: bool) -> None:
    """Terraform HCL: one aws_dynamodb_table per spec file, with import blocks.

    Variables environment and prefix (defaulting to the selected settings) and the naming rule as
    local.stem; each table has lifecycle.prevent_destroy. The import blocks adopt existing tables
    (Terraform 1.6+); leave them out with --no-import for a new environment.
    """
    with reported_errors(state):
        emit(state, terraform.render_document(_source(state, directory, out), imports=not no_import), out)


@generate.command("table-config")
@dir_option()
@out_option
@click.option("--lang", "language", type=click.Choice(table_config.LANGUAGES), default="js", show_default=True,
              help="js: CommonJS (module.exports), ts: a typed ES module, python: a module.")
@pass_state
def table_config_command(state: CliState, directory: Path | None, out: Path | None, language: str) -> None:
    """The app's table-config (the seed's lambda/shared/table-config.js) with a constant per table and index.

    getTableName(tableSuffix) reads ENVIRONMENT (default production) and TABLE_PREFIX (default: the
    selected prefix) exactly like the seed's function, an empty value counting as unset. TABLES and
    INDEXES are keyed by the camelCase of the names: TABLES.companyUsers, INDEXES.companies.byEmail;
    two names with one camelCase are refused.
    """
    with reported_errors(state):
        source = _source(state, directory, out)
        lang: table_config.Language = "ts" if language == "ts" else "python" if language == "python" else "js"
        emit(state, table_config.render(table_config.config(source), lang), out)


def _command_list(_: click.Context, __: click.Parameter, values: tuple[str, ...]) -> list[str]:
    """``export,plan`` and ``"restore  --native"`` (a flag variant, quoted; runs of spaces are one)."""
    return [" ".join(name.split()) for value in values for name in value.split(",") if name.strip()]


@generate.command("iam-policy")
@dir_option()
@out_option
@click.option("--for", "for_commands", multiple=True, callback=_command_list, metavar="COMMAND,...",
              help="The ddbctl commands the policy is for, flag variants quoted (\"restore --snapshot\") "
              f"[default: all: {', '.join(sorted(OPERATIONS))}].")
@click.option("--account", metavar="ID", help="AWS account id in the ARNs [default: *].")
@click.option("--bucket", metavar="s3://BUCKET/PREFIX", help="S3 location for commands that read or write S3.")
@click.option("--kms-key", "kms_keys", multiple=True, metavar="KEY",
              help="Another KMS key (ARN, id or alias) the commands use; the spec files' keys are always included.")
@click.option("--deny-other-environments", is_flag=True,
              help="Production only: add a Deny for the known environments' tables, which production's pattern "
              "{prefix}-* also matches (an explicit Deny also overrides other policies of the identity).")
@click.option("--check", "check_file", type=click.Path(path_type=Path, dir_okay=False), metavar="POLICY.json",
              help="Check an existing policy instead: which commands it cannot run and the missing actions "
              "(exit 1 if any).")
@pass_state
def iam_policy_command(state: CliState, directory: Path | None, out: Path | None, for_commands: list[str],
                       account: str | None, bucket: str | None, kms_keys: tuple[str, ...],
                       deny_other_environments: bool, check_file: Path | None) -> None:
    """The least-privilege IAM policy for ddbctl commands in the selected environment.

    Exactly the actions each command sends (proven by the tests against the local server's
    operation log), on the environment's tables arn:aws:dynamodb:REGION:ACCOUNT:table/{stem}*
    (production: {prefix}-*, which also matches other environments' tables: see
    --deny-other-environments), ListTables on *, and the spec files' customer KMS keys for commands
    that create or change tables.
    """
    with reported_errors(state):
        source = _source(state, directory, out)
        names = iam.commands(for_commands)
        scope = iam.scope_for(source, account=account, bucket=bucket, kms_keys=kms_keys)
        if check_file is None:
            emit(state, iam.render(iam.policy(names, scope, deny_other_environments=deny_other_environments)), out)
            return
        try:
            text = check_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read policy {check_file}: {getattr(exc, 'strerror', None) or exc}") from exc
        results = iam.check(iam.read_policy(text, str(check_file)), names, source, scope)
        _print_check(state, results, check_file)
        lacking = [result.command for result in results if not result.ok]
        if lacking:
            raise CommandFailed(f"the policy cannot run {len(lacking)} command(s): {', '.join(lacking)}",
                                code="PolicyLacks", hint="grant the missing actions listed, or write the policy with "
                                f"{command(state.settings(), 'generate', 'iam-policy')}")


def _print_check(state: CliState, results: list[iam.CommandCheck], path: Path) -> None:
    if state.json:
        state.emit_json({"policy": str(path), "commands": {
            r.command: {"ok": r.ok, "missing": [{"action": m.action, "resource": m.resource} for m in r.missing]}
            for r in results}})
        return
    for result in results:
        if result.ok:
            click.echo(f"ok      {result.command}")
            continue
        by_action: dict[str, list[str]] = {}
        for missing in result.missing:
            by_action.setdefault(missing.action, []).append(missing.resource)
        click.echo(f"MISSING {result.command}: cannot run without {', '.join(sorted(by_action))}")
        for action, resources in sorted(by_action.items()):
            more = f" and {len(resources) - 1} more" if len(resources) > 1 else ""
            click.echo(f"    {action} on {resources[0]}{more}")
