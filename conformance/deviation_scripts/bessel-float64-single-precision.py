"""torch.special.bessel_j0/j1/y0/y1 in float64 are accurate to ~1e-8..1e-6 only."""
import sys

import numpy as np
import scipy.special as sc
import torch

x = np.linspace(0.01, 20.0, 2001)
worst = 0.0
for name, reference in [("bessel_j0", sc.j0), ("bessel_j1", sc.j1), ("bessel_y0", sc.y0), ("bessel_y1", sc.y1)]:
    got = getattr(torch.special, name)(torch.from_numpy(x)).numpy()
    error = np.max(np.abs(got - reference(x)))
    worst = max(worst, error)
    print(f"torch {torch.__version__}: {name} float64 largest absolute error vs SciPy on (0, 20]: {error:.3g}")
print(f"bessel_y1(5.0): torch {torch.special.bessel_y1(torch.tensor(5.0, dtype=torch.float64)).item()!r}, "
      f"SciPy {sc.y1(5.0)!r}")
sys.exit(1 if worst > 1e-12 else 0)
