"""ddbctl: manage Amazon DynamoDB tables as code, per environment.

The library API (no CLI needed)::

    from ddbctl import load_settings, export_tables, create_tables, table_name
    settings = load_settings({"environment": "staging"})
    create_tables(settings, Path("infrastructure/schemas"))
"""

from .config import Settings, load_settings
from .errors import DdbctlError, SpecError
from .naming import Namespace, table_name
from .ops.converge import apply_plan, plan_tables
from .ops.create import create_tables
from .ops.export import export_tables
from .ops.gsi import add_gsi, wait_for
from .spec.model import TableSpec

__version__ = "0.1.0"

__all__ = [
    "DdbctlError",
    "Namespace",
    "Settings",
    "SpecError",
    "TableSpec",
    "__version__",
    "add_gsi",
    "apply_plan",
    "create_tables",
    "export_tables",
    "load_settings",
    "plan_tables",
    "table_name",
    "wait_for",
]
