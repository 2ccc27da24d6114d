"""torch.igamma/igammac in float64 are accurate to about 4e-10 for a > 20, x near a."""
import sys

import numpy as np
import scipy.special as sc
import torch

a, x = np.meshgrid(np.linspace(20.5, 50.0, 60), np.linspace(0.75, 1.25, 41), indexing="ij")
x = a * x
ta, tx = torch.from_numpy(a), torch.from_numpy(x)
lower = np.max(np.abs(torch.igamma(ta, tx).numpy() - sc.gammainc(a, x)))
upper = np.max(np.abs(torch.igammac(ta, tx).numpy() - sc.gammaincc(a, x)))
print(f"torch {torch.__version__}: float64 largest absolute error vs SciPy for 20 < a <= 50, |x - a| < 0.25 a: "
      f"igamma {lower:.3g}, igammac {upper:.3g}")
print(f"igamma(21, 21): torch {torch.igamma(torch.tensor(21.0, dtype=torch.float64), torch.tensor(21.0, dtype=torch.float64)).item()!r}, "
      f"SciPy {float(sc.gammainc(21.0, 21.0))!r}")
sys.exit(1 if max(lower, upper) > 1e-13 else 0)
