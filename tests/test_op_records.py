"""Every op-table record is complete and consistent, and a record that is not
is refused when it is built: no name-keyed side table, no silent fallback."""

import re

import numpy as np
import pytest
import torch
from hypothesis import find

from torchconform import deviations, gradcheck
from torchconform.ops import FINITE_DIFFERENCES, TABLE, Derivatives, Deviates, Domain, Op, Smooth, row
from torchconform.ops.gradient import FiniteDifferences
from torchconform.strategies import Drawn

pytestmark = pytest.mark.area("ops")

ROWS = pytest.mark.parametrize("op", list(TABLE.values()), ids=lambda op: op.name)
SHIPPED = {d.id for d in deviations.load()}


@ROWS
def test_every_expression_is_compiled_when_the_row_is_built(op):
    forms = {"torch": op.torch, "numpy": op.numpy, "inplace": op.inplace, "out": op.out, "scale": op.scale,
             **{f"deviation:{d.id}": d.where for d in op.deviations + ((op.crash,) if op.crash else ())}}
    assert set(op._code) == {which for which, source in forms.items() if source is not None}


@ROWS
def test_a_differentiable_row_names_its_gradient_reference(op):
    if op.differentiable:
        assert op.grad is FINITE_DIFFERENCES or callable(op.grad), f"{op.name}: grad={op.grad!r}"
        assert "float" in op.kinds
        assert len(op.gradient_domain.domains) <= op.arity, f"{op.name}: more gradient domains than inputs"
    else:
        assert op.smooth is None and op.derivatives is None


@ROWS
def test_a_named_deviation_exists_in_deviations_toml(op):
    for named in op.deviations + ((op.crash,) if op.crash else ()):
        assert named.id in SHIPPED, f"op {op.name} names an unknown deviation {named.id!r}"


@ROWS
def test_flags_fit_the_row(op):
    if op.returns_index:
        assert op.out_dtype == "long" and not op.differentiable, f"{op.name}: an index is int64, not differentiable"
    if op.nan_propagating:
        assert "float" in op.kinds


def test_the_op_a_deviation_entry_names_is_a_row_that_names_it():
    # deviations.toml says which op a deviation is about; where that op is a
    # row naming a deviation, both sides must agree.
    naming = {}
    for op in TABLE.values():
        for named in op.deviations + ((op.crash,) if op.crash else ()):
            naming.setdefault(named.id, set()).add(op.name)
    for entry in deviations.load():
        if entry.id in naming:
            assert entry.op in naming[entry.id], f"{entry.id}: op {entry.op!r} in the TOML, rows {naming[entry.id]}"


def test_a_deviation_a_gradient_domain_names_exists():
    named = {op.gradient_domain.full_first for op in TABLE.values()} - {None}
    assert named and named <= SHIPPED


def test_rows_have_unique_names_and_lookup_refuses_unknown_ones():
    assert [op.name for op in TABLE.values()] == list(TABLE)
    assert row("sin") is TABLE["sin"]
    with pytest.raises(KeyError, match="no op-table row is named 'sinn'"):
        row("sinn")


def test_a_row_that_chose_finite_differences_is_checked_against_them():
    case = gradcheck.op_case(row("atan"), [_drawn([0.5, -1.0])], {}, torch.float64)
    assert case.kind == "finite_difference" and case.vjp is FINITE_DIFFERENCES
    closed = gradcheck.op_case(row("sin"), [_drawn([0.5, -1.0])], {}, torch.float64)
    assert closed.kind == "gradient"
    np.testing.assert_allclose(closed.reference(np.ones(2))[0].value, np.cos([0.5, -1.0]))


def test_a_row_without_a_gradient_has_no_gradient_case():
    with pytest.raises(ValueError, match="'sign' has no gradient reference"):
        gradcheck.op_case(row("sign"), [_drawn([0.5])], {}, torch.float64)


def _drawn(values):
    array = np.array(values, dtype=np.float64)
    return Drawn(torch.from_numpy(array.copy()), array, "contiguous")


@pytest.mark.parametrize("fields, message", [
    ({"kinds": ("float", "half")}, "kinds="),
    ({"out_dtype": "long_"}, "out_dtype='long_'"),
    ({"factor": "specail"}, "factor='specail'"),
    ({"nonzero": ("y",)}, "nonzero=('y',)"),
    ({"arity": 4}, "arity=4"),
    ({"domain": (1, -1)}, "domain=(1, -1)"),
    ({"grad": "vjp.sin"}, "grad='vjp.sin'"),
    ({"kinds": ("int",), "grad": FINITE_DIFFERENCES}, "needs the float kind"),
    ({"smooth": Smooth()}, "row without a gradient"),
    ({"arity": 2, "grad": FINITE_DIFFERENCES, "derivatives": Derivatives((np.cos,))}, "unary rows only"),
    ({"deviation": ("sign-of-nan-is-zero", "np.isnan(x)")}, "Deviates"),
])
def test_a_bad_record_is_refused_naming_the_op_and_the_field(fields, message):
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        Op("bad", "torch.sin(x)", "np.sin(x)", **fields)
    assert "op 'bad'" in str(raised.value)


def test_an_expression_that_does_not_compile_fails_when_the_row_is_built():
    with pytest.raises(SyntaxError, match="op bad:numpy"):
        Op("bad", "torch.sin(x)", "np.sin(x", grad=FINITE_DIFFERENCES)
    with pytest.raises(SyntaxError, match="op bad:deviation"):
        Op("bad", "torch.sign(x)", "np.sign(x)", deviation=Deviates("sign-of-nan-is-zero", "np.isnan(x"))


def test_gradient_facts_refuse_bad_values():
    with pytest.raises(ValueError, match="lower bound exceeds"):
        Domain((1.0, -1.0))
    with pytest.raises(ValueError, match="2 scales for 1 forms"):
        Derivatives((np.cos,), (np.abs, np.abs))
    assert isinstance(FINITE_DIFFERENCES, FiniteDifferences) and repr(FINITE_DIFFERENCES) == "FINITE_DIFFERENCES"


def test_the_default_gradient_domain_is_the_row_domain_within_minus_three_three():
    assert row("add_alpha").gradient_domain == Smooth((Domain((-3.0, 3.0)),))
    assert row("sin").gradient_domain == Smooth()
    assert row("log").gradient_domain.domain(0).bounds == (0.1, 5.0)


@pytest.mark.parametrize("op", [op for op in TABLE.values() if op.params], ids=lambda op: op.name)
def test_params_receive_a_tuple_of_shapes_one_per_input(op):
    shapes = ((2, 3),) * op.arity
    params = find(op.params(shapes, torch.float32), lambda p: True)
    assert isinstance(params, dict)
