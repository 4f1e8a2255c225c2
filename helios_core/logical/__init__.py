"""The logical plan: what a query computes, before it is decided how.

A query goes through three stages here::

    sqlglot tree --bind--> logical plan --rules--> logical plan --lower--> physical operators

- **bind** (``helios_core.sql.planner.builder``): names are resolved against the catalog of
  the session's branch, expressions are typed and compiled, and each query block becomes
  logical nodes (``nodes.py``): scan, filter, project, join, aggregate, window, sort,
  distinct, limit, set operation, values, common table (CTE) and its scans.
- **rules** (``rules/``, one per module, applied in ``rules.RULES`` order): each is a plain
  function ``LogicalNode -> LogicalNode`` whose docstring shows a plan before and after;
  ``tests/logical`` runs a fixture file of cases per rule.
- **lower** (``helios_core.sql.planner.lowering``, next to the operators): each logical node becomes its operator of
  ``helios_core.sql.operators`` (a join with equality keys becomes a hash join, one
  without a nested loop; UNION ALL an append). Operators declare the ordering they need
  from their inputs and the ordering they keep (``Operator.ordering``), and lowering
  checks the first and uses the second to drop sorts that change nothing.

Sources that have no logical form of their own (table functions, catalog views, the work
table of a recursive CTE) are bound straight to their operator; they are leaves, and the
rules and lowering pass over them. DML statements plan their row sources (``INSERT ...
SELECT``, ``UPDATE ... FROM``) through the same path; the writes themselves are
``helios_core.sql.dml``.
"""

from __future__ import annotations

from helios_core.logical.display import display
from helios_core.logical.rules import RULES, optimize

__all__ = ["RULES", "display", "optimize"]
