"""Forward-mode AD (torch.func.jvp) is not implemented for some torch.nn.functional calls."""
import sys

import torch
import torch.nn.functional as F

D = torch.float64
calls = {
    "conv_tbc": (lambda x, w, b: F.conv_tbc(x, w, b, 1), [(3, 1, 2), (2, 2, 2), (2,)]),
    "grid_sample": (lambda x, grid: F.grid_sample(x, grid, align_corners=False), [(1, 1, 3, 3), (1, 2, 2, 2)]),
    "embedding_bag": (lambda w: F.embedding_bag(torch.tensor([0, 2, 1]), w, torch.tensor([0, 2]), mode="mean"),
                      [(3, 2)]),
    "pdist": (lambda x: F.pdist(x), [(4, 2)]),
    "cdist": (lambda a, b: torch.cdist(a, b), [(3, 2), (2, 2)]),
    "multi_margin_loss": (lambda x: F.multi_margin_loss(x, torch.tensor([2, 0])), [(2, 3)]),
    "multilabel_margin_loss": (lambda x: F.multilabel_margin_loss(x, torch.tensor([[2, 0, -1], [1, -1, 0]])),
                               [(2, 3)]),
    "ctc_loss": (lambda x: F.ctc_loss(F.log_softmax(x, -1), torch.tensor([[1, 2]]), torch.tensor([4]),
                                      torch.tensor([2])), [(4, 1, 3)]),
    "multi_head_attention_forward": (lambda x, in_w, in_b, out_w, out_b: F.multi_head_attention_forward(
        x, x, x, 2, 2, in_w, in_b, None, None, False, 0.0, out_w, out_b, training=False, need_weights=False)[0],
        [(2, 1, 2), (6, 2), (6,), (2, 2), (2,)]),
    # forward-over-reverse: jvp of huber_loss's VJP
    "huber_loss VJP": (lambda x: torch.func.vjp(lambda y: F.huber_loss(y, torch.zeros(2, 3, dtype=D)), x)[1](
        torch.tensor(1.0, dtype=D))[0], [(2, 3)]),
    "soft_margin_loss VJP": (lambda x: torch.func.vjp(lambda y: F.soft_margin_loss(y, torch.ones(2, 3, dtype=D)), x)[1](
        torch.tensor(1.0, dtype=D))[0], [(2, 3)]),
}
missing = []
for name, (fn, shapes) in calls.items():
    primals = tuple(torch.rand(s, dtype=D) - 0.5 for s in shapes)
    tangents = tuple(torch.ones_like(p) for p in primals)
    try:
        torch.func.jvp(fn, primals, tangents)
        print(f"torch {torch.__version__}: jvp of {name} computed")
    except (NotImplementedError, RuntimeError) as error:
        print(f"torch {torch.__version__}: jvp of {name} raises: {str(error).splitlines()[0]}")
        missing.append(name)
sys.exit(1 if missing else 0)
