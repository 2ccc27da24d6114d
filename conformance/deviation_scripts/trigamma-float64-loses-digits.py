"""torch.polygamma(1, x) in float64 is accurate to about 5e-10 relative only."""
import sys

import numpy as np
import scipy.special as sc
import torch

x = np.linspace(0.1, 10.0, 1001)
got = torch.polygamma(1, torch.from_numpy(x)).numpy()
error = np.max(np.abs(got / sc.polygamma(1, x) - 1))
print(f"torch {torch.__version__}: polygamma(1, x) float64 largest relative error vs SciPy on [0.1, 10]: {error:.3g}")
print(f"polygamma(1, 1.0): torch {torch.polygamma(1, torch.tensor(1.0, dtype=torch.float64)).item()!r}, "
      f"pi**2/6 {np.pi ** 2 / 6!r}")
sys.exit(1 if error > 1e-13 else 0)
