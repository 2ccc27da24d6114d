"""torch.median(x, dim=0) along a stride-0 (expanded) dim of zeros returns values that are not in x."""
import sys

import torch

wrong = []
for n in range(2, 40):
    for _ in range(5):
        value = torch.median(torch.zeros(1, dtype=torch.uint8).expand(n), dim=0).values.item()
        if value != 0:
            wrong.append((n, value))
print(f"torch {torch.__version__}: {len(wrong)} of 190 medians of zeros(1).expand(n) are not 0, e.g. {wrong[:5]}")
sys.exit(1 if wrong else 0)
