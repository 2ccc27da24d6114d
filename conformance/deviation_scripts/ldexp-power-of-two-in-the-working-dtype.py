"""torch.ldexp(x, y) forms 2**y in float16 first: ldexp(0.5, 16.) overflows to inf instead of 32768."""
import sys

import torch

got = torch.ldexp(torch.tensor([0.5], dtype=torch.float16), torch.tensor([16.0], dtype=torch.float16)).item()
print(f"torch {torch.__version__}: ldexp(0.5, 16.) in float16 = {got}; exact: 32768.0 (float16 max 65504)")
sys.exit(0 if got == 32768.0 else 1)
