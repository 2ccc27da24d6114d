"""torch.special.airy_ai in float64 is accurate to about 3e-6 only for x < -2.09."""
import sys

import numpy as np
import scipy.special as sc
import torch

x = np.linspace(-10.0, -2.1, 800)
error = np.max(np.abs(torch.special.airy_ai(torch.from_numpy(x)).numpy() - sc.airy(x)[0]))
print(f"torch {torch.__version__}: airy_ai float64 largest absolute error vs SciPy on [-10, -2.1]: {error:.3g}")
print(f"airy_ai(-3.0): torch {torch.special.airy_ai(torch.tensor(-3.0, dtype=torch.float64)).item()!r}, "
      f"SciPy {float(sc.airy(-3.0)[0])!r}")
sys.exit(1 if error > 1e-13 else 0)
