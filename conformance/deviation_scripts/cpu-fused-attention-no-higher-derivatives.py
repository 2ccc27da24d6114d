"""On CPU, scaled_dot_product_attention with 4-d inputs (its fused kernel) has no second derivative or forward mode."""
import sys

import torch
import torch.nn.functional as F

D = torch.float64
gen = torch.Generator().manual_seed(0)
print(f"torch {torch.__version__}")
missing = 0
for dims, shape in (("3-d", (2, 3, 2)), ("4-d", (1, 2, 3, 2))):
    q, k, v = (torch.randn(shape, dtype=D, generator=gen, requires_grad=True) for _ in range(3))
    (first,) = torch.autograd.grad(F.scaled_dot_product_attention(q, k, v).sum(), q, create_graph=True)
    try:
        torch.autograd.grad((first * first).sum(), q)
        print(f"{dims} inputs: second derivative computed")
    except RuntimeError as error:
        print(f"{dims} inputs: second derivative raises: {error}")
        missing += 1
    try:
        primals = tuple(t.detach() for t in (q, k, v))
        torch.func.jvp(F.scaled_dot_product_attention, primals, tuple(torch.ones_like(t) for t in primals))
        print(f"{dims} inputs: forward mode computed")
    except (RuntimeError, NotImplementedError) as error:
        print(f"{dims} inputs: forward mode raises: {str(error).splitlines()[0]}")
        missing += 1
sys.exit(1 if missing else 0)
