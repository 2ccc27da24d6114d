"""torch.kron raises "view size is not compatible" when an input has a size-1 dim whose stride is not the
one a contiguous tensor would have (a transposed (2, 1) tensor, a slice); NumPy's kron takes any layout."""
import sys

import numpy as np
import torch

x = torch.arange(2.0).reshape(1, 2).t()                                # shape (2, 1), strides (1, 2)
y = torch.arange(8.0).as_strided((2, 1), (3, 2), 1)                    # shape (2, 1), strides (3, 2)
expected = np.kron(x.numpy(), y.numpy())
try:
    got = torch.kron(x, y).numpy()
except RuntimeError as exc:
    print(f"torch {torch.__version__}: kron raises: {exc}")
    sys.exit(1)
print(f"torch {torch.__version__}: kron = {got.ravel()}; numpy: {expected.ravel()}")
sys.exit(0 if np.array_equal(got, expected) else 1)
