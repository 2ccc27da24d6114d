"""torch.linspace(1.0, -0.0, 3) ends in +0.0; np.linspace sets the last element to stop exactly (-0.0)."""
import sys

import numpy as np
import torch

got = torch.linspace(1.0, -0.0, 3).numpy()
want = np.linspace(1.0, -0.0, 3)
print(f"torch {torch.__version__}")
print(f"torch.linspace(1.0, -0.0, 3): {got.tolist()}")
print(f"np.linspace(1.0, -0.0, 3):    {want.tolist()}")
sys.exit(0 if np.array_equal(got, want) and np.array_equal(np.signbit(got), np.signbit(want)) else 1)
