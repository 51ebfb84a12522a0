"""The live side of a plan: the environment's owned tables as DynamoDB describes them.

The selection (name rule and Environment tag) is ``ddbctl.ownership``'s; this module keeps the names
the planner and executor use.
"""

from __future__ import annotations

from .ownership import Survey, live_spec, survey

LiveState = Survey
read_live = survey

__all__ = ["LiveState", "live_spec", "read_live"]
