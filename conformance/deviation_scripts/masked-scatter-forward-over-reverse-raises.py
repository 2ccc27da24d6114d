"""jvp of the VJP of torch.masked_scatter raises when source is smaller than the input."""
import sys

import torch

mask = torch.tensor([[True, False, True], [False, False, True]])
x, src = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 2, dtype=torch.float64)
g = torch.randn(2, 3, dtype=torch.float64)


def cotangent_map(a, b):
    _, pullback = torch.func.vjp(lambda p, q: torch.masked_scatter(p, mask, q) ** 3, a, b)
    return pullback(g)


print(f"torch {torch.__version__}: the VJP itself works: {[t.shape for t in cotangent_map(x, src)]}")
try:
    torch.func.jvp(cotangent_map, (x, src), (torch.randn_like(x), torch.randn_like(src)))
    print("jvp of the VJP: ok")
    sys.exit(0)
except RuntimeError as exc:
    print(f"jvp of the VJP raised: {exc}")
    sys.exit(1)
