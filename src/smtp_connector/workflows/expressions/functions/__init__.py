"""The expression language's functions, one module per group, all in one registry.

Importing this package imports every group module, so ``REGISTRY`` is complete.
"""

from smtp_connector.workflows.expressions.functions import dates, logic, workflow

# ---------------------------------------------------------------------------------------------
# Group modules from the other branches: add one import line each when they are merged.
#   strings, collections, conversion, math, uri, objects
# ---------------------------------------------------------------------------------------------

__all__ = ["dates", "logic", "workflow"]
