"""Work per step: the zoo's analytic counts (``NetworkSpec.flops``) and the
same counted by ``torch.utils.flop_counter.FlopCounterMode`` while a torch
step runs, so each can check the other."""

from __future__ import annotations

from typing import Any, Callable

from torch.utils.flop_counter import FlopCounterMode


def counted_flops(run: Callable[[], Any]) -> int:
    """FLOPs torch's counter sees during one call of ``run`` (matrix products
    and convolutions, forward and backward; elementwise work is not counted)."""
    counter = FlopCounterMode(display=False)
    with counter:
        run()
    return int(counter.get_total_flops())
