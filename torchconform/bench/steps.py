"""One benchmarked step of a zoo network on a target.

A training step is the tutorial's loop body (zero the gradients, forward,
loss, backward, optimizer step); an inference step is the forward pass of the
module in ``eval()`` under ``inference_mode`` (the twin in eval mode).
A training step changes the parameters, so :class:`Step` carries ``reset``,
which puts back the parameters and optimizer state saved after one warm step:
every timed round then starts from the same state (a network like
``d2l_fixed_hidden`` loops a data-dependent number of times, so drifting
weights would drift its cost).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest
import torch

from torchconform.bench.runtime import synchronize, torch_dtype
from torchconform.bench.targets import Target
from torchconform.networks import ZOO, NetworkSpec, loss_fn

STEPS = ("train", "infer")
#: Seed of the benchmark's input batch.
BATCH_SEED = 0


@dataclass(frozen=True)
class NetworkCase:
    """A zoo network under a benchmark id, with its size knobs pinned
    (``dynamic`` draws its depth per call unless ``depth`` is given)."""

    id: str
    spec_name: str
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> NetworkSpec:
        """The zoo entry ``spec_name`` names; KeyError when the zoo lacks it."""
        return ZOO[self.spec_name]


def network_cases() -> list[NetworkCase]:
    """Every zoo network once; DynamicNet at its smallest and largest depth."""
    cases = []
    for name in ZOO:
        if name == "dynamic":
            cases += [NetworkCase("dynamic-depth0", name, {"depth": 0}), NetworkCase("dynamic-depth3", name, {"depth": 3})]
        else:
            cases.append(NetworkCase(name, name))
    return cases


@dataclass
class Step:
    """One benchmarked step, already warmed up once. ``run()`` does one step
    and returns when the device is done (a training step returns the loss);
    ``reset()`` (None for inference) puts back the parameters and optimizer
    state of before the timed rounds. ``flops``: the step's floating-point
    operations at this ``batch`` (samples per step); ``module``: the torch
    module the step runs (None for a NumPy twin)."""

    run: Callable[[], Any]
    reset: Callable[[], None] | None
    flops: int
    batch: int
    module: torch.nn.Module | None = None


def _trainable_tail(module: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The parameters of the module's last ``Linear``: what stays trainable
    when the rest is frozen (the tutorial's fine-tuning of ``model.fc``)."""
    last = [m for m in module.modules() if isinstance(m, torch.nn.Linear)][-1]
    return list(last.parameters())


def _snapshot_torch(module: torch.nn.Module, opt: torch.optim.Optimizer) -> Callable[[], None]:
    params = [(p, p.detach().clone()) for p in module.parameters()]
    state = [(opt.state[p], {k: v.clone() if torch.is_tensor(v) else v for k, v in s.items()})
             for p, s in opt.state.items()]

    def reset() -> None:
        with torch.no_grad():
            for p, saved in params:
                p.copy_(saved)
            for live, saved in state:
                for k, v in saved.items():
                    if torch.is_tensor(v):
                        live[k].copy_(v)
                    else:
                        live[k] = v

    return reset


def _snapshot_twin(twin) -> Callable[[], None]:
    params = {n: a.copy() for n, a in twin.params.items()}
    state = copy.deepcopy(twin.optimizer.state)

    def reset() -> None:
        twin.params = {n: a.copy() for n, a in params.items()}
        twin.optimizer.state = copy.deepcopy(state)

    return reset


def _flops(case: NetworkCase, kind: str, batch: int) -> int:
    counts = case.spec.flops(batch, **case.overrides)
    return counts["forward"] + (counts["backward"] if kind == "train" else 0)


def make_step(case: NetworkCase, target: Target, kind: str, batch: int | None = None,
              *, frozen: bool = False) -> Step:
    """The ``kind`` ("train"/"infer") step of ``case`` on ``target`` at
    ``batch`` (default: the tutorial's), warmed up once. ``frozen`` trains
    only the last Linear layer (torch targets)."""
    if kind not in STEPS:
        raise ValueError(f"unknown step {kind!r}; expected one of {STEPS}")
    spec = case.spec
    batch = spec.default_batch if batch is None else batch
    x, y = spec.batch(batch, BATCH_SEED)
    module = spec.build(**case.overrides)
    if target.backend == "numpy":
        step = _numpy_step(spec, module, target, kind, x, y)
    else:
        step = _torch_step(spec, module, target, kind, x, y, frozen)
    if not frozen:  # a frozen step's FLOPs were counted when it was made
        step.flops = _flops(case, kind, batch)
    step.batch = batch
    return step


def _numpy_step(spec: NetworkSpec, module, target: Target, kind: str, x, y) -> Step:
    twin = spec.twin(module, dtype=target.np_dtype)
    x = x.astype(target.np_dtype)
    y = y.astype(target.np_dtype) if np.issubdtype(y.dtype, np.floating) else y
    if kind == "infer":
        twin.eval()
        run = lambda: twin.forward(x)  # noqa: E731
        run()
        return Step(run, None, 0, 0)
    twin.train()
    if spec.has_dropout:
        # drawn once: the twin cannot draw its own masks (torch draws per step)
        twin.set_dropout_masks(twin.draw_dropout_masks(x, BATCH_SEED))
    run = lambda: twin.step(x, y)  # noqa: E731
    run()
    return Step(run, _snapshot_twin(twin), 0, 0)


def _torch_step(spec: NetworkSpec, module, target: Target, kind: str, x, y, frozen: bool) -> Step:
    device = torch.device(target.device)
    module = module.to(device=device, dtype=torch_dtype(target))
    xt = torch.from_numpy(x).to(device=device, dtype=torch_dtype(target))
    yt = torch.from_numpy(y).to(device)
    if yt.is_floating_point():
        yt = yt.to(torch_dtype(target))
    forward = module
    if target.compile:
        forward = torch.compile(module)
    sync = functools.partial(synchronize, target)
    if kind == "infer":
        module.eval()

        def run_infer():
            with torch.inference_mode():
                out = forward(xt)
            sync()
            return out

        _first_call(run_infer, target)
        return Step(run_infer, None, 0, 0, module)
    module.train()
    criterion = loss_fn(spec.loss)
    if frozen:
        tail = {id(p) for p in _trainable_tail(module)}
        for p in module.parameters():
            p.requires_grad_(id(p) in tail)
    opt = spec.optimizer([p for p in module.parameters() if p.requires_grad])

    def run_train():
        opt.zero_grad()
        loss = criterion(forward(xt), yt)
        loss.backward()
        opt.step()
        sync()
        return loss.detach()

    _first_call(run_train, target)
    flops = 0
    if frozen:
        from torchconform.bench.flops import counted_flops

        flops = counted_flops(run_train)
    return Step(run_train, _snapshot_torch(module, opt), flops, 0, module)


def _first_call(run: Callable[[], Any], target: Target) -> None:
    """Warm the step once (for ``torch.compile`` this compiles it): a
    compiler failure skips the compiled target with the reason."""
    if not target.compile:
        run()
        return
    try:
        run()
    except Exception as exc:  # the compiler stack's errors are many; any of them means "does not work here"
        pytest.skip(f"torch.compile fails for this step: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")


def step_info(network: str, target: Target, kind: str, step: Step, median: float | None, **extra: Any) -> dict:
    """The ``extra_info`` of a step's benchmark (the fields :mod:`torchconform.report.bench` reads):
    throughput and GFLOP/s are left out when timing is disabled."""
    info = {
        "network": network,
        "step": kind,
        "target": target.name,
        "batch": step.batch,
        "flops": step.flops,
        "dtype": target.dtype,
        "threads": torch.get_num_threads() if target.backend == "torch" and target.device == "cpu" else None,
        **extra,
    }
    if median:
        info["samples_per_s"] = step.batch / median
        info["gflops"] = step.flops / median / 1e9
    return info
