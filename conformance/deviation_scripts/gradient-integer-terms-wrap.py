"""torch.gradient of an int8 tensor wraps its difference terms in int8; numpy.gradient computes in float64."""
import sys

import numpy as np
import torch

x = torch.tensor([100, -100, 100], dtype=torch.int8)
(got,) = torch.gradient(x)
expected = np.gradient(x.numpy())
print(f"torch {torch.__version__}: gradient = {got.numpy()}; numpy: {expected}")
sys.exit(0 if np.allclose(got.numpy(), expected) else 1)
