"""Views versus copies (and the ``*_copy`` twins of the views), checked through shared writes.

For each op the same operation on a NumPy array is the reference: NumPy's
basic slicing, ``transpose``, ``reshape`` of a contiguous array and
``broadcast_to`` return views; ``reshape`` of a non-contiguous array, fancy
indexing and ``take`` return copies. Each table row also asserts that NumPy
aliases (or copies) as the row says, so the table cannot drift from its
oracle. Then a write into the input must show in a view and not in a copy,
and a write into a view must show in the input exactly where NumPy's does.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import index_strategies as ix
from torchconform.oracle import assert_matches
from torchconform.strategies import shapes

pytestmark = pytest.mark.area("views")


def row(name, torch_fn, numpy_fn, *, base="contiguous", writable=True, dtype=torch.float64):
    return pytest.param(torch_fn, numpy_fn, base, writable, dtype, id=name)


ALIASING = [
    row("view", lambda t: t.view(4, 6), lambda a: a.reshape(4, 6)),
    row("view-minus-one", lambda t: t.view(-1), lambda a: a.reshape(-1)),
    row("reshape-of-contiguous", lambda t: t.reshape(6, 4), lambda a: a.reshape(6, 4)),
    row("transpose", lambda t: t.transpose(0, 2), lambda a: a.swapaxes(0, 2)),
    row("t", lambda t: t[0].t(), lambda a: a[0].T),
    row("permute", lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    row("slice-with-step", lambda t: t[:, 1:, ::2], lambda a: a[:, 1:, ::2]),
    row("integer-index", lambda t: t[1, -1], lambda a: a[1, -1]),
    row("narrow", lambda t: t.narrow(2, 1, 2), lambda a: a[:, :, 1:3]),
    row("unsqueeze", lambda t: t.unsqueeze(-1), lambda a: a[..., None]),
    row("squeeze", lambda t: t[:1].squeeze(0), lambda a: a[:1].squeeze(0)),
    row("flatten-of-contiguous", lambda t: t.flatten(), lambda a: a.reshape(-1)),
    row("chunk-piece", lambda t: t.chunk(2, dim=2)[1], lambda a: np.array_split(a, 2, axis=2)[1]),
    row("split-piece", lambda t: t.split([1, 2], dim=1)[1], lambda a: np.split(a, [1], axis=1)[1]),
    # einsum's diagonal is a writable view; ndarray.diagonal is read-only.
    row("diagonal", lambda t: t[..., :3].diagonal(dim1=1, dim2=2), lambda a: np.einsum("ijj->ij", a[..., :3])),
    # Writing through a stride-0 view is refused (several elements share a
    # cell), so expand is only read through.
    row("expand", lambda t: t[:, :1].expand(2, 5, 4), lambda a: np.broadcast_to(a[:, :1], (2, 5, 4)),
        writable=False),
]

COPYING = [
    row("reshape-of-transposed", lambda t: t.reshape(-1), lambda a: a.reshape(-1), base="transposed"),
    row("flatten-of-transposed", lambda t: t.flatten(), lambda a: a.reshape(-1), base="transposed"),
    row("contiguous-of-transposed", lambda t: t.contiguous(), lambda a: np.ascontiguousarray(a), base="transposed"),
    row("index-select", lambda t: t.index_select(1, torch.tensor([2, 0], device=t.device)),
        lambda a: np.take(a, [2, 0], axis=1)),
    row("integer-array-index", lambda t: t[[0, 1], [2, 0]], lambda a: a[[0, 1], [2, 0]]),
    row("boolean-mask", lambda t: t[t > 5], lambda a: a[a > 5]),
    row("masked-select", lambda t: torch.masked_select(t, t > 5), lambda a: a[a > 5]),
    row("clone", lambda t: t.clone(), lambda a: a.copy()),
]

# The ``*_copy`` ops (the functionalised twins of the view ops): each must give
# the values of NumPy's view and share nothing with its input, which the
# copying test checks through writes. Their reference is NumPy's view,
# materialised; ``view(dtype)`` reinterprets the bytes as NumPy's ``view`` does.
VIEW_COPIES = [
    row("alias_copy", torch.alias_copy, np.copy),
    row("detach_copy", torch.detach_copy, np.copy),
    row("as_strided_copy", lambda t: torch.as_strided_copy(t, (3, 2), (4, 1), 1),
        lambda a: a.ravel()[1 + 4 * np.arange(3)[:, None] + np.arange(2)]),
    row("diagonal_copy", lambda t: torch.diagonal_copy(t[..., :3], 1, 1, 2),
        lambda a: np.diagonal(a[..., :3], 1, 1, 2).copy()),
    row("expand_copy", lambda t: torch.expand_copy(t[:, :1], (2, 5, 4)),
        lambda a: np.broadcast_to(a[:, :1], (2, 5, 4)).copy()),
    row("narrow_copy", lambda t: torch.narrow_copy(t, 2, 1, 2), lambda a: a[:, :, 1:3].copy()),
    row("permute_copy", lambda t: torch.permute_copy(t, (2, 0, 1)), lambda a: a.transpose(2, 0, 1).copy()),
    row("permute_copy-of-transposed", lambda t: torch.permute_copy(t, (1, 2, 0)),
        lambda a: a.transpose(1, 2, 0).copy(), base="transposed"),
    row("select_copy", lambda t: torch.select_copy(t, 1, -1), lambda a: a[:, -1].copy()),
    row("slice_copy", lambda t: torch.slice_copy(t, 2, 1, 4, 2), lambda a: a[:, :, 1:4:2].copy()),
    row("split_copy", lambda t: torch.split_copy(t, 3, 2)[1], lambda a: a[:, :, 3:].copy()),
    row("split_with_sizes_copy", lambda t: torch.split_with_sizes_copy(t, [1, 2], 1)[1], lambda a: a[:, 1:].copy()),
    row("squeeze_copy", lambda t: torch.squeeze_copy(t[:1], 0), lambda a: a[:1].squeeze(0).copy()),
    row("t_copy", lambda t: torch.t_copy(t[1]), lambda a: a[1].T.copy()),
    row("transpose_copy", lambda t: torch.transpose_copy(t, 0, 2), lambda a: a.swapaxes(0, 2).copy()),
    row("transpose_copy-of-transposed", lambda t: torch.transpose_copy(t, 1, 2), lambda a: a.swapaxes(1, 2).copy(),
        base="transposed"),
    row("unbind_copy", lambda t: torch.unbind_copy(t, 2)[3], lambda a: a[:, :, 3].copy()),
    row("unfold_copy", lambda t: torch.unfold_copy(t, 2, 2, 1),
        lambda a: np.lib.stride_tricks.sliding_window_view(a, 2, axis=2).copy()),
    row("unsqueeze_copy", lambda t: torch.unsqueeze_copy(t, 1), lambda a: a[:, None].copy()),
    row("view_copy", lambda t: torch.view_copy(t, (4, 6)), lambda a: a.reshape(4, 6).copy()),
    row("view_as_complex_copy", lambda t: torch.view_as_complex_copy(t.view(2, 3, 2, 2)),
        lambda a: a.view(np.complex128).copy(), dtype=torch.complex128),
    row("view_as_real_copy", lambda t: torch.view_as_real_copy(t.view(torch.complex128)),
        lambda a: a.reshape(2, 3, 2, 2).copy()),
]


def make_base(device, layout):
    """A (2, 3, 4) float64 tensor of distinct values 0..23, and its NumPy twin
    in the same layout (transposed: a permuted view of a (4, 3, 2) array)."""
    values = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    if layout == "transposed":
        storage = np.ascontiguousarray(values.transpose(2, 1, 0))
        return torch.from_numpy(storage.copy()).to(device).permute(2, 1, 0), storage.transpose(2, 1, 0)
    return torch.from_numpy(values.copy()).to(device), values


@pytest.mark.capability("aliasing")
@pytest.mark.parametrize("torch_fn, numpy_fn, base, writable, dtype", ALIASING)
def test_view_ops_alias_their_input(torch_fn, numpy_fn, base, writable, dtype, device):
    t, a = make_base(device, base)
    view, a_view = torch_fn(t), numpy_fn(a)
    assert np.shares_memory(a_view, a), "table error: NumPy copies here, so it cannot be the oracle of a view"
    assert view.untyped_storage().data_ptr() == t.untyped_storage().data_ptr(), "result does not share storage"
    t.add_(100)
    a += 100
    assert_matches(view, a_view, dtype, what="view after a write into its input")
    if writable:
        view.mul_(-1)
        a_view *= -1
        assert_matches(t, a, torch.float64, what="input after a write through its view")


@pytest.mark.capability("aliasing")
@pytest.mark.parametrize("torch_fn, numpy_fn, base, writable, dtype", COPYING + VIEW_COPIES)
def test_copying_ops_do_not_alias_their_input(torch_fn, numpy_fn, base, writable, dtype, device):
    t, a = make_base(device, base)
    copy, a_copy = torch_fn(t), numpy_fn(a)
    assert not np.shares_memory(a_copy, a), "table error: NumPy aliases here, so it cannot be the oracle of a copy"
    before = a.copy()
    t.add_(100)
    assert_matches(copy, a_copy, dtype, what="copy after a write into its input")
    t.sub_(100)
    copy.mul_(-1)
    assert_matches(t, before, torch.float64, what="input after a write into its copy")


@pytest.mark.capability("aliasing")
@given(data=st.data())
def test_basic_index_is_a_view_like_numpy(device, data):
    # Writes a marker through every basic-indexed view NumPy would share.
    shape = data.draw(shapes(min_dims=1), label="shape")
    index = data.draw(ix.basic_indices(shape), label="index")
    a = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    t = torch.from_numpy(a.copy()).to(device)
    view, a_view = t[index], a[index]
    if not isinstance(a_view, np.ndarray):  # a NumPy scalar, not a view: torch gives a 0-d view
        a_view = a[index + (Ellipsis,) if isinstance(index, tuple) else (index, Ellipsis)]
    view.fill_(-1)
    a_view[...] = -1
    assert_matches(t, a, torch.int64, what=f"input after x[{index!r}].fill_(-1)")


def test_views_share_the_version_counter(device):
    # Autograd's in-place checks rely on a view and its base counting writes together.
    t = torch.zeros(3, 4, device=device)
    v = t[1:]
    before = v._version
    t.add_(1)
    assert v._version > before, "a write into the base must bump its views' version"
    assert v._base is t
