"""torch.func.vmap of the VJP raises for scatter_reduce/index_reduce 'prod' and as_strided_scatter."""
import sys

import torch

cases = {
    "scatter_reduce(prod)": (lambda x: torch.scatter_reduce(x, 0, torch.tensor([0, 0]), x[1:3] + 1, "prod"), (4,)),
    "index_reduce(prod)": (lambda x: torch.index_reduce(x, 0, torch.tensor([0, 0]), x[1:3] + 1, "prod"), (4,)),
    "as_strided_scatter": (lambda x: torch.as_strided_scatter(torch.zeros(6, dtype=x.dtype), x, (2, 2), (1, 2), 1),
                           (2, 2)),
}
failed = False
for name, (fn, shape) in cases.items():
    def vjp(x, fn=fn):
        out, pullback = torch.func.vjp(fn, x)
        return pullback(torch.ones_like(out))
    batch = torch.randn(2, *shape, dtype=torch.float64)
    print(f"{name}: per-sample VJP works: {vjp(batch[0])[0].shape}")
    try:
        torch.func.vmap(vjp)(batch)
        print("  vmap of the VJP: ok")
    except RuntimeError as exc:
        print(f"  vmap of the VJP raised: {str(exc).splitlines()[0]}")
        failed = True
print(f"torch {torch.__version__}")
sys.exit(1 if failed else 0)
