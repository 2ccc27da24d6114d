"""torch.nn.functional.lp_pool scales a ceil_mode window that runs past the input by kernel_size / taps."""
import sys

import numpy as np
import torch
import torch.nn.functional as F

x = np.array([1.0, 2.0, 3.0])
got = F.lp_pool1d(torch.tensor(x).reshape(1, 1, 3), 2.0, 2, 2, ceil_mode=True).reshape(-1).numpy()
# windows [1, 2] and [3] (ceil_mode): (sum x**p) ** (1/p), as the LPPool1d documentation defines it
want = np.array([np.sqrt(1 + 4), np.sqrt(9)])
print(f"torch {torch.__version__}: lp_pool1d([1, 2, 3], p=2, kernel 2, stride 2, ceil_mode=True) = {got}; "
      f"documented formula: {want}")
sys.exit(0 if np.allclose(got, want, rtol=1e-12, atol=0) else 1)
