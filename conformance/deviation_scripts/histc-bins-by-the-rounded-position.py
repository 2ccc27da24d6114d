"""torch.histc puts -1e-288 into the bin [0, 2) of 4 bins over [-4, 4]; numpy.histogram into [-2, 0)."""
import sys

import numpy as np
import torch

got = torch.histc(torch.tensor([-1e-288], dtype=torch.float64), bins=4, min=-4, max=4).tolist()
expected = np.histogram(np.array([-1e-288]), bins=4, range=(-4, 4))[0].astype(float).tolist()
print(f"torch {torch.__version__}: histc = {got}; numpy.histogram: {expected}")
sys.exit(0 if got == expected else 1)
