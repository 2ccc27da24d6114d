"""torch.add computes input + alpha * other even for alpha=1: 0 + (inf+1j) is inf+nanj; part by part it is inf+1j."""
import math
import sys

import numpy as np
import torch

cases = [  # (x, y): complex64 sums
    (0j, complex(math.inf, 1.0)),
    (complex(-0.0, 0.0), complex(-0.0, -0.0)),
]
print(f"torch {torch.__version__}")
off = 0
for x, y in cases:
    got = torch.view_as_real(torch.tensor([x], dtype=torch.complex64) + torch.tensor([y], dtype=torch.complex64))
    got = got.numpy()[0]
    want = np.array([np.float32(x.real) + np.float32(y.real), np.float32(x.imag) + np.float32(y.imag)])  # part by part
    print(f"{x} + {y}: torch {complex(*got)}, part by part (NumPy, IEEE) {complex(*want)}")
    same = np.array_equal(got, want, equal_nan=True) and np.array_equal(np.signbit(got), np.signbit(want))
    off += not same
sys.exit(1 if off else 0)
