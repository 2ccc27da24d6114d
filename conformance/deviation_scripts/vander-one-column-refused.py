"""torch.linalg.vander(x, N=1) raises where numpy.vander(x, 1) is a column of ones."""
import sys

import numpy as np
import torch

print(f"numpy: {np.vander(np.array([1.0, 2.0]), 1, increasing=True).tolist()}")
try:
    print(f"torch {torch.__version__}: {torch.linalg.vander(torch.tensor([1.0, 2.0]), N=1).tolist()}")
except RuntimeError as exc:
    print(f"torch {torch.__version__}: vander(x, N=1) raised: {exc}")
    sys.exit(1)
