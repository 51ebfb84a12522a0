"""Generators: the spec files as CloudFormation, Terraform, an IAM policy or the app's table-config.

Each target is one module: spec -> document (plain data) -> text. Generators never call AWS; they
read the same validated spec files and settings (environment, prefix, region) as every command.
"""

from .source import Source, load_source, write_output

__all__ = ["Source", "load_source", "write_output"]
