"""The vectorised torch.neg on complex tensors computes 0 - x, so a +0 part stays +0 where negation gives -0."""
import sys

import numpy as np
import torch

got = torch.view_as_real(torch.neg(torch.zeros(40, dtype=torch.complex64))).numpy()  # 40: the vectorised kernel
one = torch.neg(torch.zeros(1, dtype=torch.complex64))[0].item()  # one element: the scalar kernel
want = np.stack([(-np.zeros(40, np.complex64)).real, (-np.zeros(40, np.complex64)).imag], axis=-1)
print(f"torch {torch.__version__}")
print(f"torch.neg(zeros(40, complex64))[0]: {complex(*got[0])} (one element: {one})")
print(f"NumPy -zeros(40, complex64)[0]:     {complex(*want[0])}")
sys.exit(0 if np.array_equal(np.signbit(got), np.signbit(want)) else 1)
