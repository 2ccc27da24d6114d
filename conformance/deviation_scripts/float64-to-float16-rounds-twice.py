"""float64 -> float16 in torch rounds through float32: 21879.999406146555 becomes 21888, not 21872."""
import sys

import numpy as np
import torch

x = 21879.999406146555
got = torch.tensor([x], dtype=torch.float64).half().item()
expected = float(np.float16(x))
print(f"torch {torch.__version__}: float64 {x} to float16 = {got}; correctly rounded: {expected}")
sys.exit(0 if got == expected else 1)
