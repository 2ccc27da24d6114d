"""torch.log1p of a complex with two subnormal parts is nan+nanj."""
import sys

import numpy as np
import torch

z = 1e-45 + 1e-45j
got = torch.log1p(torch.tensor([z], dtype=torch.complex64)).numpy()[0]
want = np.log1p(np.complex128(np.complex64(z)))
print(f"torch {torch.__version__}: log1p({z}) complex64 = {got}; NumPy complex128 = {want}")
sys.exit(1 if np.isnan(got.real) or np.isnan(got.imag) else 0)
