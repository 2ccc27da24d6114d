"""torch.angle(-0.0) is 0; NumPy's angle (arctan2(0, -0.0)) and C99 carg give pi."""
import sys

import numpy as np
import torch

got = torch.angle(torch.tensor([-0.0], dtype=torch.float64)).item()
expected = float(np.angle(np.array([-0.0]))[0])
print(f"torch {torch.__version__}: angle(-0.0) = {got}; numpy: {expected}")
sys.exit(0 if got == expected else 1)
