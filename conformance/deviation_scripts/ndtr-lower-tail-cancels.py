"""torch.special.ndtr in float32 loses the lower tail (cancellation)."""
import sys

import numpy as np
import scipy.special as sc
import torch

x = [-4.0, -6.0]
got = torch.special.ndtr(torch.tensor(x, dtype=torch.float32)).numpy()
want = sc.ndtr(np.array(x)).astype(np.float32)
print(f"torch {torch.__version__}: ndtr({x}) float32 = {got.tolist()}; SciPy (float64, rounded) = {want.tolist()}")
sys.exit(0 if np.allclose(got, want, rtol=1e-5, atol=0) else 1)
