"""torch.special.sinc of a subnormal-sized complex number is inf+nanj, not 1."""
import sys

import numpy as np
import torch

got = torch.special.sinc(torch.tensor([1e-45j], dtype=torch.complex64)).numpy()[0]
want = np.sinc(np.complex128(np.complex64(1e-45j)))
print(f"torch {torch.__version__}: sinc(1e-45j) complex64 = {got}; NumPy complex128 = {want}")
sys.exit(1 if not np.isfinite(got) else 0)
