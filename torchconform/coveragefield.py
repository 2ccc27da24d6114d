"""The ``coverage`` field of a conformance JSON, without torch: its layout,
how runs merge, and the per-namespace counts the page shows. Like
:mod:`torchconform.resultsfile` it sits below its writer
(:mod:`torchconform.coverage`, through the results plugin) and its reader
(:mod:`torchconform.report`), and needs only the standard library.

Layout (``torchconform.coverage/2``)::

    {"schema": "torchconform.coverage/2",
     "api": {"torch": [...], "torch.nn.functional": [...], ...},  # every family, by namespace
     "called": [...],    # families some test called (checked ones included)
     "checked": [...],   # families some test checked against a reference
     "derivatives": {"reverse": [...], "forward": [...], "second": [...], "third": [...]}}

``derivatives`` names, per derivative order (:data:`ORDERS`), the families
whose derivatives of that order some test compared with a reference. The
``/1`` layout lacks it; it is read as no derivative checked.

The sets, not counts, are stored, so results of several runs (or xdist
workers) merge by set union (:func:`merge`). What the states and orders
mean is defined in :mod:`torchconform.coverage`, which measures them.
"""

from __future__ import annotations

from typing import Any, Iterable

SCHEMA = "torchconform.coverage/2"
#: The layouts a reader accepts: this one and those it extends.
READABLE = (SCHEMA, "torchconform.coverage/1")
STATES = ("checked", "called", "untouched")
#: Derivative orders, as the ``derivatives`` marker names them: first order in
#: reverse mode (VJP) and in forward mode (JVP), second and third order (by
#: any mode: nested reverse, forward-over-reverse).
ORDERS = ("reverse", "forward", "second", "third")


def field(called: Iterable[str], checked: Iterable[str], universe: dict[str, list[str]],
          derivatives: dict[str, Iterable[str]] | None = None) -> dict[str, Any]:
    """The ``coverage`` field of a conformance JSON: the API universe (family
    names by namespace), the called/checked sets (a checked family is called
    too) and, per order of :data:`ORDERS`, the families whose derivatives
    were checked. ``ValueError`` for an order not in :data:`ORDERS`."""
    derivatives = derivatives or {}
    unknown = set(derivatives) - set(ORDERS)
    if unknown:
        raise ValueError(f"unknown derivative order(s) {sorted(unknown)}: choose from {', '.join(ORDERS)}")
    checked = set(checked)
    return {
        "schema": SCHEMA,
        "api": universe,
        "called": sorted(set(called) | checked),
        "checked": sorted(checked),
        "derivatives": {order: sorted(set(derivatives.get(order, ()))) for order in ORDERS},
    }


def merge(*fields: dict[str, Any] | None) -> dict[str, Any] | None:
    """Several runs' coverage fields (any :data:`READABLE` layout) as one:
    each set is the union (a run missing the field contributes nothing);
    None when none has one."""
    present = [f for f in fields if f]
    if not present:
        return None
    universe: dict[str, set[str]] = {}
    for f in present:
        for ns, names in f.get("api", {}).items():
            universe.setdefault(ns, set()).update(names)
    return field(
        set().union(*(f.get("called", ()) for f in present)),
        set().union(*(f.get("checked", ()) for f in present)),
        {ns: sorted(names) for ns, names in universe.items()},
        {order: set().union(*((f.get("derivatives") or {}).get(order, ()) for f in present)) for order in ORDERS},
    )


def summary(coverage: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """Per namespace: total, the families checked, only called and
    untouched (counts, percentages and the sorted lists), how many have each
    derivative order checked (``orders``) and every family with its state
    and orders (``families``, see :func:`family_rows`); a last row sums all
    namespaces. None when the run recorded no coverage."""
    if not coverage:
        return None
    checked, called = set(coverage.get("checked", ())), set(coverage.get("called", ()))
    derivatives = _derivatives(coverage)
    rows = []
    for ns, names in coverage.get("api", {}).items():
        lists = {
            "checked": [n for n in names if n in checked],
            "called": [n for n in names if n in called and n not in checked],
            "untouched": [n for n in names if n not in called and n not in checked],
        }
        rows.append(_row(ns, len(names), lists, family_rows(names, checked, called, derivatives)))
    total = sum(r["total"] for r in rows)
    rows.append(_row("all", total, {s: [n for r in rows for n in r["lists"][s]] for s in STATES},
                     [f for r in rows for f in r["families"]]))
    return rows


def _derivatives(coverage: dict[str, Any]) -> dict[str, set[str]]:
    found = coverage.get("derivatives") or {}
    return {order: set(found.get(order, ())) for order in ORDERS}


def family_rows(names: Iterable[str], checked: set[str], called: set[str],
                derivatives: dict[str, set[str]]) -> list[dict[str, Any]]:
    """One row per family: its name, state (one of :data:`STATES`) and, per
    order of :data:`ORDERS`, whether its derivatives of that order were checked."""
    return [{"family": n, "state": "checked" if n in checked else "called" if n in called else "untouched",
             "orders": {order: n in derivatives[order] for order in ORDERS}} for n in names]


def _row(namespace: str, total: int, lists: dict[str, list[str]], families: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {s: len(lists[s]) for s in STATES}
    percent = {s: (100.0 * counts[s] / total if total else 0.0) for s in STATES}
    orders = {order: sum(1 for f in families if f["orders"][order]) for order in ORDERS}
    return {"namespace": namespace, "total": total, "counts": counts, "percent": percent, "lists": lists,
            "orders": orders, "families": families}
