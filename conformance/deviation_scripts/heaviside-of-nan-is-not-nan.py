"""torch.heaviside(nan, 0.5) is 0; numpy.heaviside(nan, 0.5) is nan."""
import math
import sys

import numpy as np
import torch

got = torch.heaviside(torch.tensor([math.nan]), torch.tensor([0.5])).item()
expected = float(np.heaviside(np.nan, 0.5))
print(f"torch {torch.__version__}: heaviside(nan, 0.5) = {got}; numpy: {expected}")
sys.exit(0 if math.isnan(got) == math.isnan(expected) else 1)
