"""Tutorial claims about tensors: creation, dtypes, manipulation and the NumPy
bridge, each printed value or statement of the seeds checked on this torch.

Expected values are the numbers the seeds print (or NumPy on the seeds'
printed inputs). Where a seed is out of date the test asserts what torch does
today; torchconform/claims/claims.toml records the difference.
"""

import numpy as np
import pytest
import torch

from torchconform import dtypes
from torchconform.oracle import assert_matches

pytestmark = [pytest.mark.area("claims"), pytest.mark.capability("seed_claim")]

claim = pytest.mark.seed_claim


def f32(values) -> np.ndarray:
    """The seed's printed numbers, as the float32 a tensor holds them."""
    return np.asarray(values, dtype=np.float32)


def on(device, values, dtype=torch.float32) -> torch.Tensor:
    return torch.tensor(np.asarray(values), dtype=dtype, device=device)


def same_memory(a: torch.Tensor, b) -> bool:
    return a.untyped_storage().data_ptr() == (b.untyped_storage().data_ptr() if isinstance(b, torch.Tensor)
                                               else b.__array_interface__["data"][0])


# --------------------------------------------------------------------------- 002 blitz: tensors


@claim("blitz-tensor-from-data-infers-int64")
def test_tensor_from_nested_list_infers_int64(device):
    x_data = torch.tensor([[1, 2], [3, 4]], device=device)
    assert x_data.dtype == torch.int64
    assert_matches(x_data, np.array([[1, 2], [3, 4]]), torch.int64)


@claim("blitz-ones-like-keeps-int-dtype")
def test_ones_like_keeps_shape_and_dtype(device):
    x_ones = torch.ones_like(torch.tensor([[1, 2], [3, 4]], device=device))
    assert_matches(x_ones, np.ones((2, 2), dtype=np.int64), torch.int64)


@claim("blitz-rand-like-dtype-override")
def test_rand_like_with_dtype_gives_floats_in_unit_interval(device):
    x_rand = torch.rand_like(torch.tensor([[1, 2], [3, 4]], device=device), dtype=torch.float)
    assert x_rand.dtype == torch.float32 and x_rand.shape == (2, 2)
    values = dtypes.tensor_to_numpy(x_rand)
    assert np.all((values >= 0) & (values < 1)), values


@claim("blitz-rand-ones-zeros-shape")
def test_rand_ones_zeros_of_a_shape_tuple(device):
    shape = (2, 3,)
    rand_tensor = torch.rand(shape, device=device)
    assert rand_tensor.shape == (2, 3) and rand_tensor.dtype == torch.float32
    assert_matches(torch.ones(shape, device=device), np.ones((2, 3), dtype=np.float32), torch.float32)
    assert_matches(torch.zeros(shape, device=device), np.zeros((2, 3), dtype=np.float32), torch.float32)


@claim("blitz-tensor-attributes")
def test_tensor_attributes_print_as_in_the_seed(device):
    tensor = torch.rand(3, 4)
    assert f"Shape of tensor: {tensor.shape}" == "Shape of tensor: torch.Size([3, 4])"
    assert f"Datatype of tensor: {tensor.dtype}" == "Datatype of tensor: torch.float32"
    assert f"Device tensor is stored on: {tensor.device}" == "Device tensor is stored on: cpu"
    assert str(tensor.to(device).device) == str(torch.device(device, 0) if device == "cuda" else torch.device(device))


def _blitz_tensor(device) -> torch.Tensor:
    tensor = torch.ones(4, 4, device=device)
    tensor[:, 1] = 0
    return tensor


ONES_COLUMN_ZERO = f32([[1, 0, 1, 1]] * 4)


@claim("blitz-index-slice-assign")
def test_slice_assignment_zeroes_a_column(device):
    assert_matches(_blitz_tensor(device), ONES_COLUMN_ZERO, torch.float32)


@claim("blitz-cat-dim1")
def test_cat_along_dim1(device):
    tensor = _blitz_tensor(device)
    assert_matches(torch.cat([tensor, tensor, tensor], dim=1), f32([[1, 0, 1, 1] * 3] * 4), torch.float32)


@claim("blitz-mul-elementwise")
def test_mul_and_star_are_elementwise(device):
    tensor = _blitz_tensor(device)
    assert_matches(tensor.mul(tensor), ONES_COLUMN_ZERO, torch.float32)
    assert_matches(tensor * tensor, ONES_COLUMN_ZERO, torch.float32)


@claim("blitz-matmul-transpose")
def test_matmul_with_transpose_gives_threes(device):
    tensor = _blitz_tensor(device)
    threes = np.full((4, 4), 3, dtype=np.float32)
    assert_matches(tensor.matmul(tensor.T), threes, torch.float32, op="matmul")
    assert_matches(tensor @ tensor.T, threes, torch.float32, op="matmul")


@claim("blitz-add-inplace")
def test_add_underscore_changes_the_tensor_in_place(device):
    tensor = _blitz_tensor(device)
    result = tensor.add_(5)
    assert result is tensor
    assert_matches(tensor, ONES_COLUMN_ZERO.astype(np.float64) + 5, torch.float32)


@claim("blitz-t-and-copy-inplace")
def test_t_underscore_and_copy_underscore_change_x(device):
    x = on(device, np.arange(6).reshape(2, 3))
    assert x.t_() is x and x.shape == (3, 2)
    assert_matches(x, np.arange(6.0).reshape(2, 3).T, torch.float32)
    y = on(device, np.full((3, 2), 7.0))
    assert x.copy_(y) is x
    assert_matches(x, np.full((3, 2), 7.0), torch.float32)


def _bridge_or_raise(t: torch.Tensor):
    """.numpy() shares memory with a CPU tensor; other devices must copy to
    CPU first, and .numpy() refuses (documented: "cannot convert")."""
    if t.device.type != "cpu":
        with pytest.raises(TypeError):
            t.numpy()
        return None
    return t.numpy()


@claim("blitz-tensor-to-numpy-shares-memory")
def test_tensor_numpy_reflects_in_place_changes(device):
    t = torch.ones(5, device=device)
    n = _bridge_or_raise(t)
    if n is None:
        return
    assert str(t) == "tensor([1., 1., 1., 1., 1.])" and str(n) == "[1. 1. 1. 1. 1.]"
    t.add_(1)
    assert str(t) == "tensor([2., 2., 2., 2., 2.])" and str(n) == "[2. 2. 2. 2. 2.]"


@claim("blitz-from-numpy-shares-memory")
def test_from_numpy_reflects_numpy_changes(device):
    n = np.ones(5)
    t = torch.from_numpy(n)
    np.add(n, 1, out=n)
    assert str(t) == "tensor([2., 2., 2., 2., 2.], dtype=torch.float64)"
    assert str(n) == "[2. 2. 2. 2. 2.]"
    # the bridge is CPU-only: on another device a copy is made and stops sharing
    moved = t.to(device)
    assert moved.dtype == torch.float64
    assert same_memory(moved, n) == (device == "cpu")


# --------------------------------------------------------------------------- 003 course: creation


@claim("course-tensor-keeps-float64")
def test_tensor_from_ndarray_keeps_float64(device):
    arr = np.ones((3, 3))
    assert str(arr.dtype) == "float64"
    t = torch.tensor(arr, device=device)
    assert t.dtype == torch.float64
    assert_matches(t, arr, torch.float64)
    assert not same_memory(t, arr)  # torch.tensor always copies


@claim("course-from-numpy-shares-both-ways")
def test_from_numpy_shares_memory_both_ways(device):
    arr = np.array([[1, 2, 3], [4, 5, 6]])
    t = torch.from_numpy(arr)
    assert t.dtype == torch.int64
    arr[0, 0] = 0
    assert t.tolist() == [[0, 2, 3], [4, 5, 6]]
    # the seed's "修改tensor" step modifies arr again; modifying t is shown too
    arr[1, 1] = -10
    assert t.tolist() == [[0, 2, 3], [4, -10, 6]]
    t[0, 1] = 9
    assert arr.tolist() == [[0, 9, 3], [4, -10, 6]]
    assert_matches(t.to(device), arr, torch.int64)


@claim("course-zeros-out-same-object")
def test_zeros_with_out_resizes_keeps_dtype_returns_out(device):
    out_t = torch.tensor([1], device=device)
    t = torch.zeros((3, 3), out=out_t, device=device)
    assert t is out_t and id(t) == id(out_t)
    assert out_t.dtype == torch.int64 and out_t.shape == (3, 3)
    assert_matches(out_t, np.zeros((3, 3), dtype=np.int64), torch.int64)


@claim("course-zeros-ones-like")
def test_zeros_like_and_ones_like_follow_input_shape(device):
    t = torch.empty(2, 3, device=device)
    assert_matches(torch.zeros_like(t), np.zeros((2, 3), dtype=np.float32), torch.float32)
    assert_matches(torch.ones_like(t), np.ones((2, 3), dtype=np.float32), torch.float32)


@claim("course-full-int-fill-dtype")
def test_full_with_int_fill_value_is_int64(device):
    t = torch.full((3, 3), 8, device=device)
    assert t.dtype == torch.int64, "torch.full infers its dtype from fill_value"
    assert_matches(t, np.full((3, 3), 8, dtype=np.int64), torch.int64)
    # the seed's printed floats need a float fill value (or dtype=)
    assert_matches(torch.full((3, 3), 8.0, device=device), np.full((3, 3), 8.0, dtype=np.float32), torch.float32)


@claim("course-arange")
def test_arange_is_half_open(device):
    assert_matches(torch.arange(2, 10, 2, device=device), np.arange(2, 10, 2), torch.int64)


@claim("course-linspace-values")
def test_linspace_printed_values(device):
    t = torch.linspace(2, 10, 7, device=device)
    assert_matches(t, np.linspace(2, 10, 7), torch.float32, op="linspace")
    printed = [2.0000, 3.3333, 4.6667, 6.0000, 7.3333, 8.6667, 10.0000]
    assert np.round(dtypes.tensor_to_numpy(t).astype(np.float64), 4).tolist() == printed


@claim("course-linspace-logspace-steps-required")
def test_linspace_and_logspace_require_steps(device):
    with pytest.raises(TypeError):
        torch.linspace(2, 10, device=device)
    with pytest.raises(TypeError):
        torch.logspace(0, 2, device=device)
    assert_matches(torch.logspace(0, 2, 3, device=device), np.logspace(0, 2, 3), torch.float32, op="logspace")


@claim("course-eye-square-default")
def test_eye_is_square_by_default(device):
    assert_matches(torch.eye(3, device=device), np.eye(3, dtype=np.float32), torch.float32)
    assert_matches(torch.eye(2, 3, device=device), np.eye(2, 3, dtype=np.float32), torch.float32)


@claim("course-normal-four-forms")
def test_normal_tensor_and_scalar_forms(device):
    mean = torch.arange(1, 5, dtype=torch.float, device=device)
    std = torch.arange(1, 5, dtype=torch.float, device=device)
    assert str(mean.cpu()) == "tensor([1., 2., 3., 4.])"
    forms = {
        "tensor/tensor": torch.normal(mean, std),
        "scalar/scalar": torch.normal(0., 1., size=(4,), device=device),
        "tensor/scalar": torch.normal(mean, 1),
        "scalar/tensor": torch.normal(0., std),
    }
    for name, t in forms.items():
        assert t.shape == (4,) and t.dtype == torch.float32 and t.device == mean.device, name
    # a zero std returns the mean exactly: element i uses mean[i]
    assert_matches(torch.normal(mean, torch.zeros_like(std)), np.arange(1.0, 5.0), torch.float32)
    assert_matches(torch.normal(mean, 0.0), np.arange(1.0, 5.0), torch.float32)
    with pytest.raises(TypeError):
        torch.normal(0., 1.)  # scalar/scalar needs size=


@claim("course-randn-shapes")
def test_randn_shapes(device):
    assert torch.randn(4, device=device).shape == (4,)
    assert torch.randn(2, 3, device=device).shape == (2, 3)


@claim("course-rand-randint-ranges")
def test_rand_and_randint_ranges(device):
    torch.manual_seed(0)
    u = dtypes.tensor_to_numpy(torch.rand(1000, device=device))
    assert u.min() >= 0 and u.max() < 1
    r = dtypes.tensor_to_numpy(torch.randint(3, 7, (1000,), device=device))
    assert set(np.unique(r).tolist()) == {3, 4, 5, 6}
    like = torch.randint_like(torch.zeros(50, dtype=torch.int64, device=device), 2, 4)
    assert like.dtype == torch.int64 and set(np.unique(dtypes.tensor_to_numpy(like)).tolist()) <= {2, 3}


@claim("course-rand-like-int-raises")
def test_rand_like_and_randn_like_on_int_tensor_need_dtype(device):
    ints = torch.ones(2, 2, dtype=torch.int64, device=device)
    for fn in (torch.rand_like, torch.randn_like):
        with pytest.raises(RuntimeError):  # NotImplementedError is a RuntimeError
            fn(ints)
        assert fn(ints, dtype=torch.float32).dtype == torch.float32


@claim("course-randperm")
def test_randperm_is_a_permutation(device):
    t = torch.randperm(8, device=device)
    assert t.dtype == torch.int64
    assert sorted(dtypes.tensor_to_numpy(t).tolist()) == list(range(8))


@claim("course-bernoulli")
def test_bernoulli_uses_input_as_probability(device):
    p = on(device, [0.0, 1.0, 1.0, 0.0])
    assert_matches(torch.bernoulli(p), np.array([0.0, 1.0, 1.0, 0.0]), torch.float32)


# --------------------------------------------------------------------------- 003 course: manipulation

CAT_T = [[-0.6851, 0.0099, -1.4586], [0.2965, 0.4991, -0.4938]]
STACK_T = [[0.6266, 0.8918, 0.6165], [1.1646, -1.8152, -0.7309]]


@claim("course-cat-printed")
def test_cat_printed_values(device):
    t = on(device, CAT_T)
    t1 = torch.cat([t, t], dim=0)
    t2 = torch.cat([t, t], dim=1)
    assert f"shape: {t1.shape}" == "shape: torch.Size([4, 3])"
    assert f"shape: {t2.shape}" == "shape: torch.Size([2, 6])"
    assert_matches(t1, f32(CAT_T + CAT_T), torch.float32)
    assert_matches(t2, f32([row + row for row in CAT_T]), torch.float32)


@claim("course-stack-printed")
def test_stack_adds_a_dimension(device):
    t1 = torch.stack([on(device, STACK_T)] * 2, dim=0)
    assert f"shape: {t1.shape}" == "shape: torch.Size([2, 2, 3])"
    assert_matches(t1, f32([STACK_T, STACK_T]), torch.float32)


@claim("course-chunk-ceil")
def test_chunk_sizes_round_up(device):
    pieces = torch.chunk(torch.ones((2, 7), device=device), dim=1, chunks=3)
    assert [tuple(p.shape) for p in pieces] == [(2, 3), (2, 3), (2, 1)]  # 7/3 rounded up is 3


@claim("course-chunk-fewer-pieces")
def test_chunk_can_return_fewer_pieces_than_asked(device):
    pieces = torch.chunk(torch.ones(6, device=device), 4)
    assert [p.numel() for p in pieces] == [2, 2, 2]


@claim("course-split-sections")
def test_split_by_sizes_and_sum_rule(device):
    a = torch.ones((2, 7), device=device)
    assert [tuple(p.shape) for p in torch.split(a, [2, 4, 1], dim=1)] == [(2, 2), (2, 4), (2, 1)]
    with pytest.raises(RuntimeError, match="sum exactly"):
        torch.split(a, [2, 4], dim=1)


@claim("course-index-select-printed")
def test_index_select_printed(device):
    t = on(device, [[1, 2, 8], [2, 3, 0], [0, 2, 0]], torch.int64)
    idx = torch.tensor([0, 2], dtype=torch.long, device=device)
    assert_matches(torch.index_select(t, dim=0, index=idx), np.array([[1, 2, 8], [0, 2, 0]]), torch.int64)


@claim("course-masked-select-printed")
def test_masked_select_printed(device):
    t = on(device, [[2, 5, 0], [5, 8, 5], [2, 8, 5]], torch.int64)
    mask = t.le(5)
    assert_matches(mask, np.array([[True, True, True], [True, False, True], [True, False, True]]), torch.bool)
    selected = torch.masked_select(t, mask)
    assert selected.dim() == 1
    assert_matches(selected, np.array([2, 5, 0, 5, 5, 2, 5]), torch.int64)


@claim("course-reshape-printed")
def test_reshape_printed_and_shares_memory(device):
    t = on(device, [2, 0, 7, 5, 6, 4, 3, 1], torch.int64)
    t_reshape = torch.reshape(t, (2, 4))
    assert_matches(t_reshape, np.array([[2, 0, 7, 5], [6, 4, 3, 1]]), torch.int64)
    assert same_memory(t_reshape, t)  # contiguous input: a view
    assert torch.reshape(t, (-1, 2)).shape == (4, 2)


TRANSPOSE_T = [[[0.8657, 0.5869, 0.1105, 0.4381], [0.7276, 0.6606, 0.3778, 0.3643], [0.6180, 0.6693, 0.9983, 0.4252]],
               [[0.3526, 0.6365, 0.6643, 0.5310], [0.4653, 0.5056, 0.1065, 0.7873], [0.6175, 0.6650, 0.1325, 0.5837]]]
TRANSPOSED = [[[0.8657, 0.7276, 0.6180], [0.5869, 0.6606, 0.6693], [0.1105, 0.3778, 0.9983], [0.4381, 0.3643, 0.4252]],
              [[0.3526, 0.4653, 0.6175], [0.6365, 0.5056, 0.6650], [0.6643, 0.1065, 0.1325], [0.5310, 0.7873, 0.5837]]]


@claim("course-transpose-printed")
def test_transpose_printed_and_t_equivalence(device):
    t = on(device, TRANSPOSE_T)
    assert_matches(torch.transpose(t, dim0=1, dim1=2), f32(TRANSPOSED), torch.float32)
    m = on(device, CAT_T)
    assert_matches(torch.t(m), f32(CAT_T).T, torch.float32)
    assert_matches(torch.transpose(m, 0, 1), f32(CAT_T).T, torch.float32)


@claim("course-squeeze-shapes")
def test_squeeze_shapes(device):
    t = torch.rand((1, 2, 3, 1), device=device)
    printed = [str(s) for s in (t.shape, torch.squeeze(t).shape, torch.squeeze(t, dim=0).shape,
                                torch.squeeze(t, dim=1).shape)]
    assert printed == ["torch.Size([1, 2, 3, 1])", "torch.Size([2, 3])", "torch.Size([2, 3, 1])",
                       "torch.Size([1, 2, 3, 1])"]


@claim("course-unsqueeze-printed")
def test_unsqueeze_printed(device):
    t = torch.tensor([1, 2, 3, 4], device=device)
    assert_matches(torch.unsqueeze(t, 0), np.array([[1, 2, 3, 4]]), torch.int64)
    assert_matches(torch.unsqueeze(t, 1), np.array([[1], [2], [3], [4]]), torch.int64)


ADD_T0 = [[0.5570, -0.4743, 1.0113], [-1.2665, 0.1997, -0.6957], [-0.0714, -0.7002, -1.4687]]
ADD_PRINTED = [[10.5570, 9.5257, 11.0113], [8.7335, 10.1997, 9.3043], [9.9286, 9.2998, 8.5313]]


@claim("course-add-alpha-printed")
def test_add_with_alpha_printed(device):
    t_0 = on(device, ADD_T0)
    t_add = torch.add(t_0, torch.ones_like(t_0), alpha=10)
    assert_matches(t_add, f32(ADD_T0).astype(np.float64) + 10 * 1.0, torch.float32)
    assert np.round(dtypes.tensor_to_numpy(t_add).astype(np.float64), 4).tolist() == ADD_PRINTED


@claim("course-addcmul-addcdiv")
def test_addcmul_and_addcdiv_formulas(device):
    x, a, b = (np.array(v) for v in ([1.0, -2.0, 0.5], [3.0, 0.25, -1.0], [2.0, 4.0, 0.5]))
    tx, ta, tb = (on(device, v) for v in (x, a, b))
    x32, a32, b32 = (v.astype(np.float32).astype(np.float64) for v in (x, a, b))
    assert_matches(torch.addcmul(tx, ta, tb, value=0.5), x32 + 0.5 * a32 * b32, torch.float32,
                   scale=np.abs(x32) + np.abs(0.5 * a32 * b32))
    assert_matches(torch.addcdiv(tx, ta, tb, value=0.5), x32 + 0.5 * a32 / b32, torch.float32,
                   scale=np.abs(x32) + np.abs(0.5 * a32 / b32))


@claim("course-dtype-vs-tensor-type")
def test_dtype_is_float32_and_type_string_is_floattensor(device):
    t = torch.ones(2, device=device)
    assert t.dtype == torch.float32
    assert t.type() == ("torch.FloatTensor" if t.device.type == "cpu" else f"torch.{t.device.type}.FloatTensor")


# --------------------------------------------------------------------------- 004 tips


@claim("tips-tensor-constructor-uninitialised")
def test_tensor_constructor_allocates_without_drawing_random_numbers(device):
    state = torch.get_rng_state()
    t = torch.Tensor(5, 3).to(device)
    # random initialisation would advance the generator; torch.Tensor(5, 3) is torch.empty
    assert torch.equal(torch.get_rng_state(), state)
    assert t.shape == (5, 3) and t.dtype == torch.float32


@claim("tips-tensor-default-floattensor")
def test_tensor_constructor_defaults_to_floattensor(device):
    t = torch.Tensor([[1, 2], [3, 4]])
    assert t.type() == "torch.FloatTensor" and t.dtype == torch.float32
    assert_matches(t.to(device), np.array([[1.0, 2.0], [3.0, 4.0]]), torch.float32)


@claim("tips-broadcasting")
def test_broadcasting_matches_numpy(device):
    a = np.arange(3.0).reshape(3, 1)
    b = np.arange(4.0).reshape(1, 4)
    assert_matches(on(device, a) + on(device, b), a + b, torch.float32)
    assert_matches(on(device, a) * on(device, [2.0]), a * 2.0, torch.float32)


@claim("tips-python-style-indexing")
def test_python_style_indexing_and_assignment(device):
    values = np.arange(12.0).reshape(3, 4)
    t = on(device, values)
    assert_matches(t[-1], values[-1], torch.float32)
    assert_matches(t[1:3, ::2], values[1:3, ::2], torch.float32)
    t[0, 1:3] = 7
    values[0, 1:3] = 7
    assert_matches(t, values, torch.float32)


# --------------------------------------------------------------------------- 000 learning PyTorch: NumPy equivalents


@claim("lpe-tensor-numpy-equivalents")
def test_tensor_form_ops_equal_their_numpy_counterparts(device):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    tx, tw = on(device, x, torch.float64), on(device, w, torch.float64)
    h = x.dot(w)
    assert_matches(tx.mm(tw), h, torch.float64, op="matmul", scale=np.abs(x).dot(np.abs(w)))   # x.mm(w1) ~ x.dot(w1)
    th = tx.mm(tw)
    assert_matches(th.clamp(min=0), np.maximum(h, 0), torch.float64, op="matmul", scale=np.abs(x).dot(np.abs(w)))
    assert_matches(tx.t(), x.T, torch.float64)                                                    # .t() ~ .T
    g = th.clone()                                                                 # clone ~ copy
    g[th < 0] = 0
    assert torch.equal(th, tx.mm(tw)), "clone() must not alias its source"
    assert_matches(g, np.where(h < 0, 0.0, h), torch.float64, op="matmul", scale=np.abs(x).dot(np.abs(w)))


# ------------------------------------------------------------------- 003 course: layouts and the listed math functions


@claim("course-zeros-layout")
def test_zeros_with_a_sparse_layout(device):
    t = torch.zeros((2, 3), layout=torch.sparse_coo, device=device)
    assert t.layout == torch.sparse_coo and t.shape == (2, 3) and t._nnz() == 0
    assert torch.zeros(2, 3, device=device).layout == torch.strided
    assert_matches(t.to_dense(), np.zeros((2, 3), dtype=np.float32), torch.float32)


MATH = [  # the course's list: (name, NumPy counterpart, input domain, policy factor)
    ("log", np.log, (0.1, 5), None), ("log10", np.log10, (0.1, 5), None), ("log2", np.log2, (0.1, 5), None),
    ("exp", np.exp, (-3, 3), None), ("abs", np.abs, (-3, 3), None), ("acos", np.arccos, (-0.9, 0.9), "special"),
    ("cosh", np.cosh, (-3, 3), "special"), ("cos", np.cos, (-3, 3), None), ("asin", np.arcsin, (-0.9, 0.9), "special"),
    ("atan", np.arctan, (-3, 3), "special"),
]


@claim("course-math-functions-listed")
def test_listed_math_functions_match_numpy(device):
    rng = np.random.default_rng(4)
    for name, reference, (lo, hi), factor in MATH:
        x = rng.uniform(lo, hi, 6)
        out = torch.empty(6, dtype=torch.float64, device=device)
        result = getattr(torch, name)(on(device, x, torch.float64), out=out)  # the listed out= form
        assert result is out, name
        assert_matches(out, reference(x), torch.float64, op=factor, what=f"torch.{name}")
    a, b = rng.uniform(-3, 3, 6), rng.uniform(-3, 3, 6)
    assert_matches(torch.atan2(on(device, a, torch.float64), on(device, b, torch.float64)), np.arctan2(a, b), torch.float64,
                   op="special", what="torch.atan2")
    base, exponent = rng.uniform(0.5, 2, 6), rng.uniform(-2, 2, 6)
    assert_matches(torch.pow(on(device, base, torch.float64), on(device, exponent, torch.float64)),
                   np.power(base, exponent), torch.float64, op="pow", what="torch.pow")
    for name, reference in (("sub", np.subtract), ("div", np.divide), ("mul", np.multiply)):
        assert_matches(getattr(torch, name)(on(device, a, torch.float64), on(device, b, torch.float64)),
                       reference(a, b), torch.float64, what=f"torch.{name}")
