"""Tensor.index_reduce(reduce="prod") on float16/bfloat16 fails an internal assert on CPU;
float32 gives the product NumPy gives (2 * 3 * 3 = 18 into row 0)."""
import sys

import numpy as np
import torch

expected = np.array([[18.0], [2.0]])
for dtype in (torch.float16, torch.bfloat16):
    x = torch.full((2, 1), 2.0, dtype=dtype)
    try:
        got = x.index_reduce(0, torch.tensor([0, 0]), torch.full((2, 1), 3.0, dtype=dtype), "prod")
    except RuntimeError as exc:
        print(f"torch {torch.__version__}: index_reduce(prod) on {dtype} raises: {str(exc).splitlines()[0]}")
        sys.exit(1)
    if not np.array_equal(got.float().numpy(), expected):
        print(f"torch {torch.__version__}: index_reduce(prod) on {dtype} = {got.tolist()}, numpy: {expected.tolist()}")
        sys.exit(1)
print(f"torch {torch.__version__}: index_reduce(prod) works on float16 and bfloat16")
sys.exit(0)
