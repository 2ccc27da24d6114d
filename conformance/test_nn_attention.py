"""Attention against NumPy (issue 14, item 1):
``scaled_dot_product_attention`` with boolean and additive masks,
``is_causal``, ``scale`` and ``dropout_p=0`` over batched heads, and
``nn.MultiheadAttention`` self-attention (``batch_first``); values and VJPs
with respect to queries, keys, values and the module's parameters, through
the nn engine. References: :mod:`torchconform.references.attention`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st
from torch import nn

from torchconform import dtypes
from torchconform.nncheck import check, run
from torchconform.references import nn_expected as expected

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
seeds = st.integers(0, 2**32 - 1)


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.scaled_dot_product_attention")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(lead=st.lists(st.integers(1, 2), max_size=2), l=st.integers(1, 4), s=st.integers(1, 4), e=st.integers(1, 4),
       ev=st.integers(1, 4), mask=st.sampled_from([None, "bool", "float"]), is_causal=st.booleans(),
       scale=st.sampled_from([None, 0.3, 2.0]), seed=seeds)
def test_scaled_dot_product_attention_matches_numpy(dtype, device, lead, l, s, e, ev, mask, is_causal, scale, seed):
    rng = np.random.default_rng(seed)
    attn_mask = None
    if mask == "bool":
        attn_mask = rng.random((l, s)) < 0.7
        attn_mask[:, 0] = True  # every query attends somewhere (a fully masked row is NaN)
    elif mask == "float":
        attn_mask = rng.standard_normal((l, s))
    if is_causal and mask is not None:
        is_causal = False  # torch takes a mask or is_causal, not both
    arrays = [rng.standard_normal((*lead, l, e)), rng.standard_normal((*lead, s, e)),
              rng.standard_normal((*lead, s, ev))]

    def attend(q, k, v):
        m = None if attn_mask is None else torch.tensor(attn_mask, device=q.device,
                                                        dtype=None if mask == "bool" else q.dtype)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=m, dropout_p=0.0, is_causal=is_causal, scale=scale)

    r = run(attend, arrays, dtype, device, seed)
    rounded_mask = None if attn_mask is None or mask == "bool" else \
        attn_mask.astype(dtypes.to_numpy(dtype)).astype(np.float64)
    want = expected.scaled_dot_product_attention(*r.inputs, r.g, mask=attn_mask if mask == "bool" else rounded_mask,
                                                 is_causal=is_causal, scale=scale)
    check(r, want, dtype, op="matmul", grad_op="matmul", names=("q", "k", "v"),
          what=f"F.scaled_dot_product_attention(q {arrays[0].shape}, k {arrays[1].shape}, v {arrays[2].shape}, "
          f"mask={mask}, is_causal={is_causal}, scale={scale})")


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.multi_head_attention_forward")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(n=st.integers(1, 2), l=st.integers(1, 4), heads=st.integers(1, 2), head_dim=st.integers(1, 3), seed=seeds)
def test_multihead_self_attention_matches_numpy(dtype, device, n, l, heads, head_dim, seed):
    e = heads * head_dim
    rng = np.random.default_rng(seed)
    module = nn.MultiheadAttention(e, heads, batch_first=True).to(device, dtype)
    names = [name for name, _ in module.named_parameters()]
    arrays = [rng.standard_normal((n, l, e))] + [0.5 * rng.standard_normal(tuple(p.shape))
                                                  for p in module.parameters()]

    def attend(x, *params):
        return torch.func.functional_call(module, dict(zip(names, params)), (x, x, x),
                                          {"need_weights": False})[0]

    r = run(attend, arrays, dtype, device, seed)
    check(r, expected.multihead_self_attention(*r.inputs, r.g, heads=heads), dtype, op="matmul", grad_op="matmul",
          names=("x", *names), what=f"MultiheadAttention({e}, {heads}) on {(n, l, e)}")
