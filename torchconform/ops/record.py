"""The record of one op: everything the suite knows about it, in one place.

An :class:`Op` names a torch expression and a NumPy reference expression as
*source text* over the inputs ``x``, ``y``, ``z`` and drawn parameters.
Keeping them as text gives readable reports and lets a failure print a
standalone script that rebuilds the call with only torch and NumPy. The
NumPy side sees float64/complex128 (or exact integer) arrays and may use only
``np``, ``math``, ``scipy`` (``scipy.special``, ``scipy.integrate``, ``scipy.linalg``) and ``ref``
(:mod:`torchconform.references.forward`).

Next to the forward pair a record holds the op's gradient reference and
domain (:mod:`torchconform.ops.gradient`), its higher-order closed forms,
its property flags, its in-place and ``out=`` forms and the id of its known
deviation (whose reason lives in ``deviations.toml`` only). Every expression
is compiled, and every name checked, when the record is built: a typo fails
at import with the op's name, never as a silent default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.integrate
import scipy.linalg
import scipy.special
import torch

from torchconform.ops.gradient import Derivatives, FiniteDifferences, Smooth
from torchconform.references import forward
from torchconform.strategies import KINDS
from torchconform.tolerances import OP_FACTORS

FLOAT = ("float",)
REAL = ("int", "float")
NUMERIC = ("int", "float", "complex")
ALL = KINDS

#: What the result dtype is, from the (single) input dtype: a rule of the
#: table, so that dtype checks do not take the answer from torch.
OUT_DTYPES: dict[str, Callable[[torch.dtype], torch.dtype]] = {
    "same": lambda d: d,
    "bool": lambda d: torch.bool,
    # torch.all/any keep uint8 for uint8 input, for backward compatibility (torch.all docs).
    "logical": lambda d: torch.uint8 if d == torch.uint8 else torch.bool,
    "long": lambda d: torch.int64,
    # Integer and bool inputs go to the default float dtype (torch docs on
    # type promotion: "integral inputs are promoted to the default scalar type").
    "float": lambda d: d if d.is_floating_point or d.is_complex else torch.get_default_dtype(),
    # Sums and products of integers accumulate in int64 (torch.sum docs).
    "accumulate": lambda d: torch.int64 if not (d.is_floating_point or d.is_complex) else d,
    # float_power computes in double precision (torch.float_power docs).
    # A complex number from float parts (torch.complex, torch.polar).
    "complex": lambda d: {torch.float32: torch.complex64, torch.float64: torch.complex128}.get(d, d),
    "double": lambda d: torch.complex128 if d.is_complex else torch.float64,
    "real": lambda d: {torch.complex64: torch.float32, torch.complex128: torch.float64}.get(d, d),
    # Casts to a fixed dtype (Tensor.byte(), .half(), .cfloat(), ...).
    **{name: (lambda d, target=getattr(torch, name): target)
       for name in ("uint8", "int8", "int16", "int32", "float16", "bfloat16", "float64", "complex64", "complex128")},
}

_INPUTS = "xyz"


@dataclass(frozen=True)
class Deviates:
    """Where an op-table row meets one of its known deviations.

    id: the id of an entry in ``torchconform/deviations.toml`` (which holds
      the reason, the link and the strict-xfail example test).
    where: NumPy predicate (source text) over the inputs, the params,
      ``dtype`` (its name), ``tiny``, ``eps`` and ``huge`` (the dtype's
      smallest normal, epsilon and largest finite value) marking the elements
      where torch differs. They are left out of the value comparison and the
      report names the deviation.
    """

    id: str
    where: str


@dataclass(frozen=True)
class Op:
    """One row of the op table.

    name: id used in test ids and reports (unique in the table).
    torch / numpy: expressions (source text) over ``x``, ``y``, ``z`` and params.
    arity: number of tensor inputs (1 to 3).
    kinds: dtype kinds the op is checked on (bool, int, float, complex).
    domain: inclusive bounds of drawn float values (all inputs), None for anything; integers
      always span their dtype's range (integer arithmetic wraps alike in torch and NumPy).
    specials: draw nan/inf/-0.0/subnormals/extremes.
    nonzero: names of inputs drawn without 0 (integer division by zero raises in torch).
      Float inputs still meet 0: float division by zero is defined (inf/nan).
    scale: NumPy expression for the size of the op's terms (see tolerances).
    factor: name of the policy's op factor (a key of ``tolerances.OP_FACTORS``), if the op needs one.
    out_dtype: key of :data:`OUT_DTYPES`.
    params: function of (the tuple of input shapes, dtype) returning a strategy of keyword dicts.
    inplace / out: torch expressions for the in-place and ``out=`` forms (``out`` names the given tensor).
    grad: the gradient reference: a closed-form VJP from :mod:`torchconform.references.vjp`
      taking ``(g, *arrays, **params)`` and returning one ``Grad`` per input, or
      :data:`~torchconform.ops.gradient.FINITE_DIFFERENCES`; ``None`` for a row that is not differentiable.
    smooth: where the gradient is checked (:class:`~torchconform.ops.gradient.Smooth`);
      ``None`` means every input in [-3, 3] narrowed to ``domain``.
    derivatives: closed forms of the first derivatives of a unary row, for the higher-order checks.
    nan_propagating: a reduction whose value is NaN as soon as one reduced element is.
    returns_index: the result is an index (first index on ties, as NumPy's argmax/argmin).
    nonempty: inputs need at least one element in every dim (reductions that have no identity).
    min_dims: fewest dims of a drawn input (a reduction that requires a dim needs one; NumPy
      has no axis 0 on a 0-d array).
    deviation: the row's known deviation (:class:`Deviates`), or a tuple of them, if any.
    crash: inputs on which torch kills the process (SIGFPE), as a :class:`Deviates`: a case
      holding one is not run at all, and the report names the deviation.
    clustered: float inputs are often a large offset plus a small spread (see
      :func:`torchconform.strategies.tensors`), where cancellation shows.
    dtypes: names of the only dtypes torch implements the op for, when that is
      narrower than its kinds and documented (quantile: float32 and float64); None for all.

    Raises ``ValueError`` naming the op and the field for an unknown kind,
    out_dtype, factor or input name, a gradient on a row that cannot have one,
    and ``SyntaxError`` for an expression that does not compile.
    """

    name: str
    torch: str
    numpy: str
    arity: int = 1
    kinds: tuple[str, ...] = FLOAT
    domain: tuple[float, float] | None = None
    specials: bool = True
    nonzero: tuple[str, ...] = ()
    scale: str | None = None
    factor: str | None = None
    out_dtype: str = "same"
    params: Callable | None = None
    inplace: str | None = None
    out: str | None = None
    grad: Callable | FiniteDifferences | None = None
    smooth: Smooth | None = None
    derivatives: Derivatives | None = None
    nan_propagating: bool = False
    returns_index: bool = False
    nonempty: bool = False
    min_dims: int = 0
    deviation: Deviates | tuple[Deviates, ...] | None = None
    crash: Deviates | None = None
    clustered: bool = False
    dtypes: tuple[str, ...] | None = None
    _code: dict = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._validate()
        object.__setattr__(self, "_code", {})
        sources = {"torch": self.torch, "numpy": self.numpy, "inplace": self.inplace, "out": self.out,
                   "scale": self.scale, **{f"deviation:{d.id}": d.where for d in self.deviations},
                   **({f"deviation:{self.crash.id}": self.crash.where} if self.crash else {})}
        for which, source in sources.items():
            if source is not None:
                self._code[which] = compile(source, f"<op {self.name}:{which}>", "eval")

    def _validate(self) -> None:
        def bad(what: str) -> ValueError:
            return ValueError(f"op {self.name!r}: {what}")

        if self.arity not in (1, 2, 3):
            raise bad(f"arity={self.arity!r} must be 1, 2 or 3")
        if not self.kinds or set(self.kinds) - set(ALL):
            raise bad(f"kinds={self.kinds!r} must be a non-empty subset of {ALL}")
        if self.out_dtype not in OUT_DTYPES:
            raise bad(f"out_dtype={self.out_dtype!r} is not one of {sorted(OUT_DTYPES)}")
        if self.factor is not None and self.factor not in OP_FACTORS:
            raise bad(f"factor={self.factor!r} is not in tolerances.OP_FACTORS")
        if set(self.nonzero) - set(_INPUTS[:self.arity]):
            raise bad(f"nonzero={self.nonzero!r} names an input it does not have ({_INPUTS[:self.arity]})")
        if self.domain is not None and not self.domain[0] <= self.domain[1]:
            raise bad(f"domain={self.domain!r}: the lower bound exceeds the upper bound")
        if not (self.grad is None or isinstance(self.grad, FiniteDifferences) or callable(self.grad)):
            raise bad(f"grad={self.grad!r} must be a VJP, FINITE_DIFFERENCES or None")
        if self.grad is not None and "float" not in self.kinds:
            raise bad("a gradient needs the float kind")
        if self.grad is None and (self.smooth is not None or self.derivatives is not None):
            raise bad("smooth/derivatives given for a row without a gradient (grad=None)")
        if self.derivatives is not None and self.arity != 1:
            raise bad("derivatives are closed forms of unary rows only")
        if self.deviation is not None and not all(isinstance(d, Deviates) for d in self.deviations):
            raise bad(f"deviation={self.deviation!r} must be a Deviates(id, where) or a tuple of them")
        if self.crash is not None and not isinstance(self.crash, Deviates):
            raise bad(f"crash={self.crash!r} must be a Deviates(id, where)")

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def _repr_pretty_(self, printer, cycle) -> None:  # Hypothesis' falsifying-example printer
        printer.text(repr(self))

    @property
    def differentiable(self) -> bool:
        """Whether autograd tests check the row (it has a gradient reference)."""
        return self.grad is not None

    @property
    def gradient_domain(self) -> Smooth:
        """Where the row's gradient is checked: ``smooth``, or its own domain within [-3, 3]."""
        return self.smooth or Smooth.within(self.domain)

    def run_torch(self, *tensors: torch.Tensor, which: str = "torch", **params):
        """Evaluate the ``which`` form ("torch", "inplace" or "out") on ``tensors``
        (bound to ``x``, ``y``, ``z``) and ``params``; returns what torch returns."""
        names = dict(zip(_INPUTS, tensors))
        return eval(self._code[which], {"torch": torch, "math": math}, {**names, **params})

    def run_numpy(self, *arrays: np.ndarray, **params):
        """The NumPy reference on ``arrays`` (float64/complex128 or exact integer)
        and ``params``, with floating-point warnings silenced (nan/inf are values here)."""
        names = dict(zip(_INPUTS, arrays))
        with np.errstate(all="ignore"):
            return eval(self._code["numpy"], {"np": np, "math": math, "scipy": scipy, "ref": forward}, {**names, **params})

    @property
    def deviations(self) -> tuple[Deviates, ...]:
        """The row's deviations, however many (``deviation`` as a tuple)."""
        if self.deviation is None:
            return ()
        return (self.deviation,) if isinstance(self.deviation, Deviates) else tuple(self.deviation)

    def deviating(self, arrays, dtype_name: str, tiny: float, eps: float = 0.0, huge: float = math.inf,
                  int_min: int = 0, *, only: tuple[Deviates, ...] | None = None,
                  **params) -> dict[str, np.ndarray]:
        """Boolean mask (broadcastable to the result) of the elements each of
        the row's deviations (or those in ``only``) covers, by deviation id;
        ``tiny``, ``eps``, ``huge`` and ``int_min`` (the most negative value
        of an integer dtype, else 0) are the tested dtype's limits (see
        :class:`Deviates`)."""
        scope = {**dict(zip(_INPUTS, arrays)), **params, "dtype": dtype_name, "tiny": tiny, "eps": eps,
                 "huge": huge, "int_min": int_min}
        with np.errstate(all="ignore"):
            return {d.id: np.asarray(eval(self._code[f"deviation:{d.id}"], {"np": np}, scope))
                    for d in (self.deviations if only is None else only)}

    def error_scale(self, *arrays: np.ndarray, eps: float = 0.0, **params) -> np.ndarray | None:
        """The size of the op's terms at ``arrays`` (float64, broadcast to the
        result) from the ``scale`` expression (which may use the dtype's
        machine epsilon ``eps`` and :mod:`references.forward` as ``ref``), or
        ``None`` when the result's own magnitude is the scale (see
        :mod:`torchconform.tolerances`)."""
        if self.scale is None:
            return None
        names = dict(zip(_INPUTS, arrays))
        with np.errstate(all="ignore"):
            return eval(self._code["scale"], {"np": np, "math": math, "scipy": scipy, "ref": forward},
                        {**names, **params, "eps": eps})
