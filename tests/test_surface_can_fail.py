"""Proof that the new op families' checks can fail: a torch op is patched
the way a real bug would break it, the real Hypothesis test runs, and it
must fail with a message naming the op."""

import pytest
import torch

import conformance.test_forms_agree as forms_tests
import conformance.test_indexing as indexing_tests
import conformance.test_linalg as linalg_tests
import conformance.test_math as math_tests
import conformance.test_order_statistics as order_tests
import conformance.test_scalar_operands as scalar_tests
from torchconform.ops import TABLE
from torchconform.results import mentions_falsifying_example

pytestmark = pytest.mark.area("math")


def failure_of(check, **kwargs) -> str:
    """Run a conformance test function; it must fail. Returns its message with
    Hypothesis' notes (of every distinct failure, when Hypothesis found several)."""
    with pytest.raises((AssertionError, ExceptionGroup)) as info:
        check(**kwargs)
    errors = list(info.value.exceptions) if isinstance(info.value, ExceptionGroup) else [info.value]
    assert all(isinstance(e, AssertionError) for e in errors), errors
    return "\n".join(line for e in errors for line in [str(e), *getattr(e, "__notes__", [])])


def wrap(monkeypatch, owner, name, wrong):
    original = getattr(owner, name)
    monkeypatch.setattr(owner, name, lambda *args, **kwargs: wrong(original, *args, **kwargs))


def test_an_exclusive_cumsum_is_caught(monkeypatch):
    # The scan a kernel gets wrong by one position: each output leaves out its own element.
    wrap(monkeypatch, torch, "cumsum", lambda cumsum, x, dim, **kw: cumsum(x, dim, **kw) - x)
    message = failure_of(order_tests.test_order_op_matches_numpy, op=TABLE["cumsum"], dtype=torch.int64,
                         device="cpu")
    assert "cumsum: torch.cumsum(x, dim=dim) [int64, forward, exact]" in message
    assert mentions_falsifying_example(message)


def test_a_sort_that_is_not_stable_is_caught(monkeypatch):
    def unstable(sort, x, dim=-1, descending=False, stable=False):
        # Ties come out in reverse input order: sort the flipped input and map the indices back.
        result = sort(x.flip(dim), dim=dim, descending=descending, stable=True)
        return torch.return_types.sort((result.values, x.shape[dim] - 1 - result.indices))

    wrap(monkeypatch, torch, "sort", unstable)
    message = failure_of(order_tests.test_order_op_matches_numpy, op=TABLE["sort_stable_indices"],
                         dtype=torch.int64, device="cpu")
    assert "sort_stable_indices" in message and mentions_falsifying_example(message)


def test_a_scatter_reduce_ignoring_include_self_is_caught(monkeypatch):
    wrap(monkeypatch, torch, "scatter_reduce",
         lambda scatter_reduce, x, dim, index, src, reduce, include_self=True:
         scatter_reduce(x, dim, index, src, reduce, include_self=True))
    message = failure_of(indexing_tests.test_indexing_row_matches_numpy, op=TABLE["scatter_reduce"],
                         dtype=torch.int64, device="cpu")
    assert "scatter_reduce" in message and "'include_self': False" in message


def test_a_reflected_subtraction_with_swapped_operands_is_caught(monkeypatch):
    monkeypatch.setattr(torch.Tensor, "__rsub__", lambda self, other: self - other)
    message = failure_of(scalar_tests.test_python_scalar_operand_matches_numpy, op_name="sub", side="left",
                         scalar_kind="int", device="cpu")
    assert "sub x" in message and mentions_falsifying_example(message)


def test_an_lgamma_off_by_one_part_in_a_thousand_is_caught(monkeypatch):
    wrap(monkeypatch, torch, "lgamma", lambda lgamma, x, **kw: lgamma(x, **kw) * (1 + 1e-3))
    message = failure_of(math_tests.test_op_matches_numpy, op=TABLE["lgamma"], dtype=torch.float64, device="cpu")
    assert "lgamma: torch.lgamma(x) [float64" in message and "--- standalone repro script ---" in message


def test_a_flip_that_depends_on_the_layout_is_caught(monkeypatch):
    wrap(monkeypatch, torch, "flip",
         lambda flip, x, dims: flip(x, dims) if x.is_contiguous() else flip(x, dims[:-1]))
    message = failure_of(forms_tests.test_result_does_not_depend_on_layout_or_threads, op=TABLE["flip"],
                         device="cpu")
    assert "flip: drawn layout vs contiguous copy" in message


def test_a_reflected_addition_that_subtracts_is_caught_through_its_own_dunder(monkeypatch):
    # The check calls Tensor.__radd__ itself (through handle_torch_function), not add: breaking the
    # dunder alone must be seen, both with a Python scalar and with a tensor on the left.
    monkeypatch.setattr(torch.Tensor, "__radd__", lambda self, other: torch.add(self, other) + 1)
    message = failure_of(scalar_tests.test_python_scalar_operand_matches_numpy, op_name="add", side="left",
                         scalar_kind="int", device="cpu")
    assert "add x" in message and mentions_falsifying_example(message)
    message = failure_of(math_tests.test_op_matches_numpy, op=TABLE["__radd__"], dtype=torch.int64, device="cpu")
    assert "__radd__: torch.overrides.handle_torch_function(torch.Tensor.__radd__" in message


def test_an_addmm_that_ignores_beta_is_caught(monkeypatch):
    wrap(monkeypatch, torch, "addmm", lambda addmm, m, a, b, beta=1, alpha=1: addmm(m, a, b, alpha=alpha))
    message = failure_of(linalg_tests.test_scaled_product_matches_numpy, op="addmm", device="cpu")
    assert "addmm(input, a, b, beta=" in message and mentions_falsifying_example(message)


def test_a_byte_cast_to_the_wrong_dtype_is_caught(monkeypatch):
    monkeypatch.setattr(torch.Tensor, "byte", lambda self: self.to(torch.int16))
    message = failure_of(math_tests.test_op_matches_numpy, op=TABLE["byte"], dtype=torch.float32, device="cpu")
    assert "byte" in message and "uint8" in message
