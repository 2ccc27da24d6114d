"""Which of torch's public API a run exercises, and which of it a run checks.

The universe is torch's public overridable API as
:func:`torch.overrides.get_testing_overrides` lists it, grouped into op
*families*: ``torch.add``, ``Tensor.add`` and ``Tensor.add_`` are one family
``torch.add``; an in-place operator ``__iadd__`` belongs to ``__add__``;
reflected operators (``__radd__``, ``__rsub__``) are families of their own,
because a scalar on the left takes another code path. Private names (one
leading underscore) and attribute getters (``Tensor.shape``) are left out.
The counted namespaces are :data:`NAMESPACES`; ``torch.functional`` (where
``torch.einsum``, ``torch.unique`` ... live) counts as ``torch``.

While a test's call phase runs, a :class:`Tracker` (a
:class:`torch.overrides.TorchFunctionMode`) sees every public torch call,
top-level only (the mode is off inside the call it dispatches, so ops that
an op calls internally are not counted). It remembers, for each tensor a
call returns, the call that *produced* it and its *lineage*: every family
on the way from the test's inputs to it.

Definition: a family is **checked against a reference** in a test when the
test passed :func:`torchconform.oracle.assert_matches` (directly or through
the oracle's helpers) a tensor that

* the family produced (the last public call that returned it), or
* has the family in its lineage, *and* the test declares the family as the
  op under test: its ``op`` parameter (an op record's ``name`` or a string)
  or a ``pytest.mark.checks(...)`` marker names it.

The comparison counts when it was made, whatever its outcome: a failing or
known-deviation comparison checked the family and found a difference. A
family is **only called** when the test called it without either, e.g.
``Tensor.to`` in a strategy feeds every compared value but neither
produces it nor is declared; comparisons made outside the oracle (bare
``assert``, ``numpy.testing``) check nothing by this measure. A family is
**untouched** when no test called it.

Derivative orders: a test marked ``pytest.mark.derivatives("reverse",
"second", ...)`` (orders from :data:`ORDERS`) says which derivatives of its
declared op it compares with a reference. Every family it declares and
called gets those orders when the test made at least one comparison through
the oracle. Lineage cannot tell: a gradient read from ``x.grad`` or returned
by a ``torch.func`` transform comes out of the autograd engine, not out of a
public call, so no family is in its lineage.

The JSON field (see :func:`field`) keeps the sets, not counts, so results of
several runs merge by set union (:func:`merge`); :func:`summary` derives the
counts.
"""

from __future__ import annotations

import functools
import types
from typing import Any, Iterable

import torch
from torch.overrides import TorchFunctionMode, get_testing_overrides, resolve_name
from torch.utils.weak import WeakIdKeyDictionary

from torchconform.coveragefield import ORDERS, SCHEMA, STATES, merge, summary  # noqa: F401  (re-exported)
from torchconform.coveragefield import field as _field

#: The namespaces counted, in the order reports show them.
NAMESPACES = ("torch", "torch.nn.functional", "torch.special", "torch.linalg", "torch.fft")
#: Where each source module's functions count.
_NAMESPACE_OF = {
    "torch": "torch", "torch.Tensor": "torch", "torch.functional": "torch",
    "torch.nn.functional": "torch.nn.functional", "torch.special": "torch.special",
    "torch.linalg": "torch.linalg", "torch.fft": "torch.fft",
}
#: The user_properties key carrying a test's sets from an xdist worker.
PROPERTY = "torchconform.coverage"


def _family_name(qualified: str | None, dunders: frozenset[str] = frozenset()) -> str | None:
    """``"torch.Tensor.add_"`` -> ``"torch.add"``; None outside :data:`NAMESPACES` or private."""
    if not qualified:
        return None
    module, _, name = qualified.rpartition(".")
    namespace = _NAMESPACE_OF.get(module)
    if namespace is None or (name.startswith("_") and not name.startswith("__")):
        return None
    if name.startswith("__i") and "__" + name[3:] in dunders:
        name = "__" + name[3:]
    elif name.endswith("_") and not name.endswith("__"):
        name = name[:-1]
    return f"{namespace}.{name}"


@functools.cache
def _families() -> dict[Any, str]:
    """Every overridable function of the counted namespaces -> its family."""
    names = {f: resolve_name(f) for f in get_testing_overrides()}
    dunders = frozenset(n.rpartition(".")[2] for n in names.values() if n and n.rpartition(".")[2].startswith("__"))
    out = {}
    for func, qualified in names.items():
        family = _family_name(qualified, dunders)
        if family is not None:
            out[func] = family
    return out


def api() -> dict[str, list[str]]:
    """The families of this torch, by namespace (sorted)."""
    by_ns: dict[str, set[str]] = {ns: set() for ns in NAMESPACES}
    for family in _families().values():
        by_ns[namespace_of(family)].add(family)
    return {ns: sorted(names) for ns, names in by_ns.items()}


def namespace_of(family: str) -> str:
    """The namespace of an API family: ``"torch.linalg"`` for ``"torch.linalg.norm"``."""
    return family.rpartition(".")[0]


@functools.cache
def _universe() -> frozenset[str]:
    return frozenset(_families().values())


def family_of(func: Any) -> str | None:
    """The family of a function ``__torch_function__`` dispatched, or None when it is not counted."""
    try:
        family = _families().get(func)
    except TypeError:  # an unhashable callable
        return None
    # Aliased builtins compare equal (torch.mm == torch.spmm), so the lookup
    # may name the alias; the function's own name says which one was called.
    own = getattr(func, "__name__", None)
    if family and own and isinstance(func, types.BuiltinFunctionType) and namespace_of(family) == "torch":
        alias = _family_name(f"torch.{own}")
        if alias in _universe():
            return alias
    return family


def matches(declared: str, family: str) -> bool:
    """Whether a declared op name names ``family``: the family itself, without
    ``torch.`` (``"linalg.svd"``), or its bare name (``"svd"``)."""
    return declared in (family, family.removeprefix("torch."), family.rpartition(".")[2])


def declared(item: Any) -> list[str]:
    """The op names a pytest item declares as under test: its ``op``
    parameter (a string or an object with a ``name``) and the arguments of
    its ``checks`` markers."""
    names = []
    op = getattr(getattr(item, "callspec", None), "params", {}).get("op")
    name = op if isinstance(op, str) else getattr(op, "name", None)
    if isinstance(name, str):
        names.append(name)
    for mark in item.iter_markers("checks"):
        names.extend(str(a) for a in mark.args)
    return names


def derivative_orders(item: Any) -> list[str]:
    """The derivative orders a pytest item's ``derivatives`` markers name, in
    :data:`ORDERS` order. ``ValueError`` naming any order not in :data:`ORDERS`."""
    named = {str(a) for mark in item.iter_markers("derivatives") for a in mark.args}
    unknown = named - set(ORDERS)
    if unknown:
        raise ValueError(f"unknown derivative order(s) {', '.join(sorted(unknown))} in pytest.mark.derivatives: "
                         f"choose from {', '.join(ORDERS)}")
    return [order for order in ORDERS if order in named]


def _tensors(value: Any) -> Iterable[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v)


class Tracker(TorchFunctionMode):
    """Records the public torch calls made while it is active, and the
    producer and lineage of every tensor they return (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.called: set[str] = set()
        self._origin: WeakIdKeyDictionary = WeakIdKeyDictionary()  # tensor -> (producer, lineage)
        self._compared: list[tuple[str | None, frozenset[str]]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        family = family_of(func)
        if family is not None:
            self.called.add(family)
        result = func(*args, **kwargs)
        lineage = set()
        for t in _tensors((args, kwargs)):
            lineage |= self._origin.get(t, (None, frozenset()))[1]
        if family is not None:
            lineage.add(family)
        origin = (family, frozenset(lineage))
        for t in _tensors(result):
            self._origin[t] = origin
        return result

    def compared(self, actual: Any) -> None:
        """Note that ``actual`` was compared with a reference. A value that is
        not a tensor (already converted to NumPy) has no producer or lineage:
        it checks no family, but counts as a comparison for :meth:`derivatives`."""
        origin = self._origin.get(actual) if isinstance(actual, torch.Tensor) else None
        self._compared.append(origin or (None, frozenset()))

    def checked(self, declared: Iterable[str]) -> set[str]:
        """The families this test checked, given the op names it declares."""
        declared = list(declared)
        out = set()
        for producer, lineage in self._compared:
            if producer is not None:
                out.add(producer)
            out.update(f for f in lineage if any(matches(d, f) for d in declared))
        return out

    def derivatives(self, declared: Iterable[str], orders: Iterable[str]) -> dict[str, set[str]]:
        """Per order in ``orders``: the called families the test declares,
        when it compared anything with a reference (else none)."""
        declared = list(declared)
        families = {f for f in self.called if any(matches(d, f) for d in declared)} if self._compared else set()
        return {order: set(families) for order in orders}

    def result(self, declared: Iterable[str], orders: Iterable[str] = ()) -> dict[str, Any]:
        """The test's sets as plain lists (they cross the xdist wire): called,
        checked, and the families per derivative order (see :meth:`derivatives`)."""
        declared = list(declared)
        return {"called": sorted(self.called), "checked": sorted(self.checked(declared)),
                "derivatives": {o: sorted(f) for o, f in self.derivatives(declared, orders).items()}}


_active: list[Tracker] = []


def compared(actual: Any) -> None:
    """Tell the active tracker (if any) that ``actual`` met a reference; the
    oracle calls this. Outside a tracked test it does nothing."""
    if _active:
        _active[-1].compared(actual)


class tracking:
    """Context manager: a :class:`Tracker` active for the block, as the one
    :func:`compared` reports to."""

    def __enter__(self) -> Tracker:
        self.tracker = Tracker()
        self.tracker.__enter__()
        _active.append(self.tracker)
        return self.tracker

    def __exit__(self, *exc: Any) -> None:
        _active.remove(self.tracker)
        self.tracker.__exit__(*exc)


class Accumulator:
    """Unions of the per-test sets of a run (on the xdist controller)."""

    def __init__(self) -> None:
        self.called: set[str] = set()
        self.checked: set[str] = set()
        self.derivatives: dict[str, set[str]] = {order: set() for order in ORDERS}

    def add(self, per_test: dict[str, Any] | None) -> None:
        """Adds one test's :meth:`Tracker.result` (None: it recorded none)."""
        if per_test:
            self.called.update(per_test.get("called", ()))
            self.checked.update(per_test.get("checked", ()))
            for order, families in (per_test.get("derivatives") or {}).items():
                self.derivatives[order].update(families)

    def field(self) -> dict[str, Any]:
        """The run's ``coverage`` field (:func:`field`) over this torch's API."""
        return field(self.called, self.checked, derivatives=self.derivatives)


def field(called: Iterable[str], checked: Iterable[str], universe: dict[str, list[str]] | None = None,
          derivatives: dict[str, Iterable[str]] | None = None) -> dict[str, Any]:
    """The ``coverage`` field of a conformance JSON over this torch's API
    (see :func:`torchconform.coveragefield.field`)."""
    return _field(called, checked, universe if universe is not None else api(), derivatives)


