"""torch.searchsorted([nan], 0.0) is 1; NumPy orders NaN after every number and gives 0."""
import sys

import numpy as np
import torch

got = torch.searchsorted(torch.tensor([float("nan")]), torch.tensor([0.0])).item()
expected = int(np.searchsorted(np.array([np.nan]), 0.0))
print(f"torch {torch.__version__}: searchsorted([nan], 0.0) = {got}; numpy: {expected}")
sys.exit(0 if got == expected else 1)
