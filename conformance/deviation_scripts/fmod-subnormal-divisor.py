"""The vectorised torch.fmod divides first, so fmod(1, 5e-324) is nan where the exact fmod (C, NumPy) is 0."""
import math
import sys

import numpy as np
import torch

y = 5e-324
got = torch.fmod(torch.ones(4, 2, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)).numpy()
one = torch.fmod(torch.ones(1, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)).item()  # the scalar path
want = np.full((4, 2), math.fmod(1.0, y))
print(f"torch {torch.__version__}: fmod(ones(4, 2), {y}) = {np.unique(got).tolist()} (one element: {one}); "
      f"math.fmod(1.0, {y}) = {want[0, 0]}, np.fmod gives {np.fmod(1.0, y)}")
sys.exit(0 if np.array_equal(got, want) else 1)
