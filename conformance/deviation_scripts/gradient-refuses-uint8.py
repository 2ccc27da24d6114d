"""torch.gradient raises for a uint8 tensor; numpy.gradient of a uint8 array returns float64 differences."""
import sys

import numpy as np
import torch

x = torch.tensor([0, 3, 1], dtype=torch.uint8)
expected = np.gradient(x.numpy())
try:
    (got,) = torch.gradient(x)
except RuntimeError as exc:
    print(f"torch {torch.__version__}: gradient raises: {exc}")
    sys.exit(1)
print(f"torch {torch.__version__}: gradient = {got.numpy()}; numpy: {expected}")
sys.exit(0 if np.allclose(got.numpy(), expected) else 1)
