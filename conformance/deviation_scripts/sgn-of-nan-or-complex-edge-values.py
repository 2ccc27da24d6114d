"""torch.sgn of a complex64 number of subnormal modulus is nan; its sign is the unit x/|x| (NumPy 2: 1j)."""
import sys

import numpy as np
import torch

got = complex(torch.sgn(torch.tensor([1e-45j], dtype=torch.complex64)).item())
expected = complex(np.sign(np.array([1e-45j], np.complex64))[0])
print(f"torch {torch.__version__}: sgn(1e-45j) = {got}; numpy sign: {expected}")
sys.exit(0 if got == expected else 1)
