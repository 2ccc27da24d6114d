"""Proof that the tensor conformance checks can fail: for each area
(creation, bridge, indexing, shape, views, linalg, promotion) a torch
function is patched to be subtly wrong, the conformance check is run
directly, and it must raise AssertionError whose message says what was
compared, and, for property tests, shows Hypothesis' shrunk example.
"""

import numpy as np
import pytest
import torch
from hypothesis import settings

from torchconform.results import mentions_falsifying_example

import conformance.test_creation as creation
import conformance.test_indexing as indexing
import conformance.test_linalg as linalg
import conformance.test_numpy_bridge as bridge
import conformance.test_promotion as promotion
import conformance.test_shape as shape
import conformance.test_views as views
from tests.can_fail import with_examples


@pytest.fixture(autouse=True)
def derandomized_profile():
    """The ci profile (derandomized): a proof of failure must not depend on luck."""
    previous = settings._current_profile
    settings.load_profile("ci")
    yield
    settings.load_profile(previous)


def failure_of(check, **kwargs) -> str:
    """Run a conformance check; it must fail with AssertionError (Hypothesis
    groups distinct failures). Returns the messages with the notes
    Hypothesis attaches (the falsifying example)."""
    with pytest.raises((AssertionError, BaseExceptionGroup)) as info:
        check(**kwargs)
    group = info.value
    leaves = list(group.exceptions) if isinstance(group, BaseExceptionGroup) else [group]
    assert all(isinstance(e, AssertionError) for e in leaves), f"not assertion failures: {leaves!r}"
    return "\n".join(line for e in leaves for line in (str(e), *getattr(e, "__notes__", [])))


def wrap(monkeypatch, owner, name, wrong):
    """Replace ``owner.name`` by ``wrong(original, *args, **kwargs)``."""
    original = getattr(owner, name)
    monkeypatch.setattr(owner, name, lambda *args, **kwargs: wrong(original, *args, **kwargs))


# -- creation ------------------------------------------------------------------------------------

def test_linspace_check_catches_a_wrong_last_point(monkeypatch):
    def wrong(original, start, end, steps, **kw):
        t = original(start, end, steps, **kw)
        if steps > 1:
            t[-1] = t[-1] + abs(end - start) / 4 + 1
        return t

    wrap(monkeypatch, torch, "linspace", wrong)
    message = failure_of(creation.test_linspace_matches_numpy, dtype=torch.float32, device="cpu")
    assert "linspace(" in message and mentions_falsifying_example(message)


def test_distribution_check_catches_a_biased_rand(monkeypatch):
    wrap(monkeypatch, torch, "rand", lambda original, *a, **kw: original(*a, **kw) ** 1.1)
    message = failure_of(creation.test_rand_is_uniform_on_the_unit_interval, form="rand",
                         dtype=torch.float32, device="cpu")
    assert "rand: goodness-of-fit p-value" in message and "against uniform" in message, message


def test_range_check_catches_randint_reaching_its_high_end(monkeypatch):
    wrap(monkeypatch, torch, "randint", lambda original, low, high, *a, **kw: original(low, high + 1, *a, **kw))
    message = failure_of(creation.test_random_creation_has_shape_dtype_and_range, name="randint", device="cpu")
    assert "randint gave values out of range" in message


def test_dtype_inference_check_catches_a_wrong_integer_dtype(monkeypatch):
    def wrong(original, value, *a, **kw):
        t = original(value, *a, **kw)
        return t.to(torch.int32) if t.dtype == torch.int64 else t

    wrap(monkeypatch, torch, "full", wrong)
    message = failure_of(creation.test_full_infers_dtype_from_fill_value_like_numpy, device="cpu")
    assert "torch.full(" in message and "torch.int32" in message


def test_manual_seed_check_catches_an_unseeded_generator(monkeypatch):
    monkeypatch.setattr(torch, "manual_seed", lambda seed: None)
    message = failure_of(creation.test_manual_seed_reproduces_the_draw, name="randn", device="cpu")
    assert "the same seed gave different draws" in message


# -- bridge --------------------------------------------------------------------------------------

def test_bridge_check_catches_a_copying_from_numpy(monkeypatch):
    wrap(monkeypatch, torch, "from_numpy", lambda original, a: original(np.array(a, copy=True)))
    message = failure_of(bridge.test_from_numpy_shares_memory_both_ways, device="cpu")
    assert "tensor after a write into its source array" in message or "strides" in message


def test_bridge_check_catches_torch_tensor_sharing_memory(monkeypatch):
    monkeypatch.setattr(torch, "tensor", lambda a, device=None: torch.as_tensor(a, device=device))
    message = failure_of(bridge.test_torch_tensor_copies_its_input, device="cpu")
    assert "torch.tensor(a) after a write into a" in message


# -- indexing ------------------------------------------------------------------------------------

def test_index_select_check_catches_a_reversed_index(monkeypatch):
    wrap(monkeypatch, torch, "index_select", lambda original, x, dim, index: original(x, dim, index.flip(0)))
    message = failure_of(with_examples(indexing.test_index_select_matches_numpy_take, 200), device="cpu")
    assert "index_select(dim=" in message and mentions_falsifying_example(message)


def test_masked_select_check_catches_an_inverted_mask(monkeypatch):
    wrap(monkeypatch, torch, "masked_select", lambda original, x, mask: original(x, ~mask))
    message = failure_of(indexing.test_masked_select_matches_numpy_boolean_index, device="cpu")
    assert "masked_select" in message


# -- shape ---------------------------------------------------------------------------------------

def test_cat_check_catches_a_dropped_input(monkeypatch):
    wrap(monkeypatch, torch, "cat", lambda original, ts, dim=0: original(list(ts)[:-1] or list(ts), dim=dim))
    message = failure_of(shape.test_cat_matches_numpy_concatenate, device="cpu")
    assert "cat(dim=" in message and "shape" in message


def test_chunk_check_catches_floor_sized_chunks(monkeypatch):
    def wrong(original, x, chunks, dim=0):
        size = max(1, x.shape[dim] // chunks)
        return torch.split(x, size, dim=dim)

    wrap(monkeypatch, torch, "chunk", wrong)
    message = failure_of(with_examples(shape.test_chunk_matches_ceil_sized_slices, 200), device="cpu")
    assert "chunk(" in message


def test_squeeze_check_catches_squeezing_the_wrong_dim(monkeypatch):
    wrap(monkeypatch, torch, "unsqueeze", lambda original, x, dim: original(x, 0))
    message = failure_of(shape.test_unsqueeze_matches_numpy_expand_dims, device="cpu")
    assert "unsqueeze(" in message


# -- views ---------------------------------------------------------------------------------------

def test_view_check_catches_a_copying_transpose(monkeypatch):
    wrap(monkeypatch, torch.Tensor, "transpose", lambda original, *a: original(*a).clone())
    message = failure_of(views.test_view_ops_alias_their_input, torch_fn=lambda t: t.transpose(0, 2),
                         numpy_fn=lambda a: a.swapaxes(0, 2), base="contiguous", writable=True, dtype=torch.float32,
                         device="cpu")
    assert "does not share storage" in message


def test_copy_check_catches_an_aliasing_index_select(monkeypatch):
    monkeypatch.setattr(torch.Tensor, "clone", lambda self, *a, **kw: self)
    message = failure_of(views.test_copying_ops_do_not_alias_their_input, torch_fn=lambda t: t.clone(),
                         numpy_fn=lambda a: a.copy(), base="contiguous", writable=True, dtype=torch.float32,
                         device="cpu")
    assert "copy after a write into its input" in message


# -- linalg --------------------------------------------------------------------------------------

def test_matmul_check_catches_a_small_relative_error(monkeypatch):
    # 1e-3 relative: far above float32's policy, below what a glance would see.
    wrap(monkeypatch, torch, "matmul", lambda original, a, b: original(a, b) * (1 + 1e-3) if a.dtype.is_floating_point
         else original(a, b) + 1)
    message = failure_of(linalg.test_matmul_matches_numpy_matmul, device="cpu")
    assert "matmul [" in message and mentions_falsifying_example(message)


def test_dot_check_catches_a_dropped_term(monkeypatch):
    wrap(monkeypatch, torch, "dot", lambda original, a, b: original(a[1:], b[1:]) if len(a) > 1 else original(a, b))
    message = failure_of(linalg.test_dot_matches_numpy_dot, device="cpu")
    assert "dot [" in message


# -- promotion -----------------------------------------------------------------------------------

def test_promotion_check_catches_a_wrong_result_type(monkeypatch):
    wrap(monkeypatch, torch, "result_type", lambda original, x, y: torch.int32 if original(x, y) == torch.int64
         else original(x, y))
    message = failure_of(promotion.test_tensor_promotion_matches_numpy_result_type, a=torch.int32, b=torch.int64,
                         device="cpu")
    assert "result_type for int32, int64: torch.int32, expected torch.int64" in message


def test_scalar_promotion_check_catches_widening_by_a_python_int(monkeypatch):
    wrap(monkeypatch, torch.Tensor, "__add__", lambda original, x, y: original(x.to(torch.int64), y)
         if isinstance(y, int) and x.dtype == torch.int8 else original(x, y))
    message = failure_of(promotion.test_python_scalar_promotion_matches_numpy, dtype=torch.int8, scalar=3,
                         device="cpu")
    assert "int8 tensor + 3: torch.int64, expected torch.int8" in message
