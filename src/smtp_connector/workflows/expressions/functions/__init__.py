"""The expression language's functions, one module per group, all in one registry.

Importing this package imports every group module, so ``REGISTRY`` is complete.
"""

from smtp_connector.workflows.expressions.functions import (
    collections,
    conversion,
    dates,
    encodings,
    logic,
    math,
    objects,
    string_search,
    strings,
    uri,
    workflow,
)

__all__ = [
    "collections",
    "conversion",
    "dates",
    "encodings",
    "logic",
    "math",
    "objects",
    "string_search",
    "strings",
    "uri",
    "workflow",
]
