"""A float32 NaN with a clear sign bit becomes a bfloat16 NaN with the sign bit set."""
import sys

import numpy as np
import torch

x = torch.tensor([float("nan")]).to(torch.bfloat16)
got = bool(torch.signbit(x).item())
expected = bool(np.signbit(np.float32("nan")))
print(f"torch {torch.__version__}: bits {x.view(torch.int16).item() & 0xFFFF:#06x}, signbit {got}; numpy signbit: {expected}")
sys.exit(0 if got == expected else 1)
