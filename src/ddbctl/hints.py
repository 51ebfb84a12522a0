"""Commands ddbctl suggests to the user, built in one place so that they keep the target they were run with.

A hint that says "run `ddbctl apply --yes`" after ``ddbctl -e staging apply`` would, pasted, apply to
production (the default environment). Every suggested command therefore carries each setting that
differs from its default: ``-e``, ``--prefix``, ``--region``, ``--profile`` and ``--endpoint-url`` /
``--local``. Use :func:`command` for every command a message or hint names.
"""

from __future__ import annotations

import shlex

from .config import DEFAULT_REGION, LOCAL_ENDPOINT, Settings
from .naming import DEFAULT_PREFIX, PRODUCTION


def target_flags(settings: Settings) -> list[str]:
    """The settings flags that select ``settings``' target, where they differ from the defaults."""
    flags: list[str] = []
    if settings.environment != PRODUCTION:
        flags += ["-e", settings.environment]
    if settings.prefix != DEFAULT_PREFIX:
        flags += ["--prefix", settings.prefix]
    if settings.region != DEFAULT_REGION:
        flags += ["--region", settings.region]
    if settings.profile:
        flags += ["--profile", settings.profile]
    if settings.local:
        flags.append("--local")
        if settings.endpoint_url not in (None, LOCAL_ENDPOINT):
            flags += ["--endpoint-url", str(settings.endpoint_url)]
    elif settings.endpoint_url:
        flags += ["--endpoint-url", settings.endpoint_url]
    return flags


def command(settings: Settings | None, *words: str) -> str:
    """```ddbctl -e staging apply --yes``` for ``command(settings, "apply", "--yes")``: the command line to
    suggest, in backquotes, with the target's settings flags first (each word quoted for a shell)."""
    flags = target_flags(settings) if settings is not None else []
    line = " ".join(shlex.quote(word) for word in ("ddbctl", *flags, *words))
    return f"`{line}`"
