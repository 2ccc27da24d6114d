"""The op table: one :class:`~torchconform.ops.record.Op` record per op.

Rows live by family: :mod:`.pointwise` (``UNARY``, ``BINARY``, ``TERNARY``)
and :mod:`.reductions` (``REDUCTIONS``), :mod:`.order` (``ORDER``: scans and order statistics), :mod:`.layout` (``SHAPE``, ``INDEXING``); :mod:`.record` defines the record and
:mod:`.gradient` its gradient facts. Tests iterate the lists (see
``conformance/test_math.py``); adding an op is adding a row, not a test.
"""

from __future__ import annotations

from torchconform.ops.layout import INDEXING, SHAPE
from torchconform.ops.order import ORDER
from torchconform.ops.gradient import FINITE_DIFFERENCES, Derivatives, Domain, Smooth
from torchconform.ops.pointwise import BINARY, TERNARY, UNARY
from torchconform.ops.record import ALL, FLOAT, NUMERIC, OUT_DTYPES, REAL, Deviates, Op
from torchconform.ops.reductions import REDUCTIONS

__all__ = ["ALL", "BINARY", "INDEXING", "ORDER", "SHAPE", "FINITE_DIFFERENCES", "FLOAT", "NUMERIC", "OUT_DTYPES", "REAL", "REDUCTIONS", "TABLE",
           "TERNARY", "UNARY", "Derivatives", "Deviates", "Domain", "Op", "Smooth", "row"]


def _by_name(rows: list[Op]) -> dict[str, Op]:
    table: dict[str, Op] = {}
    for op in rows:
        if op.name in table:
            raise ValueError(f"two op-table rows are named {op.name!r}")
        table[op.name] = op
    return table


#: Every row, by name.
TABLE: dict[str, Op] = _by_name(UNARY + BINARY + TERNARY + REDUCTIONS + ORDER + SHAPE + INDEXING)


def row(name: str) -> Op:
    """The row called ``name``. Raises ``KeyError`` naming the unknown name."""
    try:
        return TABLE[name]
    except KeyError:
        raise KeyError(f"no op-table row is named {name!r}") from None
