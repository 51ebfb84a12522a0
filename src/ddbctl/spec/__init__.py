"""Table specs: the model, DynamoDB's rules, conversions to and from the API, and files."""

from .convert import create_table_request, spec_from_description, with_managed_tags, without_managed_tags
from .files import SUMMARY_FILE, SpecFile, dump_spec, load_dir, parse_spec, read_spec, write_spec
from .model import GlobalSecondaryIndex, LocalSecondaryIndex, TableSpec

__all__ = [
    "SUMMARY_FILE",
    "GlobalSecondaryIndex",
    "LocalSecondaryIndex",
    "SpecFile",
    "TableSpec",
    "create_table_request",
    "dump_spec",
    "load_dir",
    "parse_spec",
    "read_spec",
    "spec_from_description",
    "with_managed_tags",
    "without_managed_tags",
    "write_spec",
]
