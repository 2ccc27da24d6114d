"""torch.optim against the NumPy update rules of ``torchconform.references.nn``
(issue 5, item 5): SGD (momentum, dampening, nesterov, weight decay), Adam
(betas, eps, weight decay, amsgrad), AdamW, Adagrad and RMSprop over several
steps, in each implementation torch offers on the device (for-loop, foreach,
fused); ``zero_grad`` in both modes; parameter groups with their own rates.

Hyper-parameters and the gradient sequence (including steps where a parameter
has no gradient, which must leave it and its state alone) are drawn by
Hypothesis. Parameters are judged after every step against the size of their
terms: the starting value plus the size of each update, every update being a
chain of rounded operations (hence the gradient tolerance).
"""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import compat, dtypes, oracle
from torchconform.nncheck import rounded
from torchconform.references import nn as ref

pytestmark = [pytest.mark.area("optim"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
STEPS = 4
seeds = st.integers(0, 2**32 - 1)


def _nesterov_needs_plain_momentum(kw):
    if kw["nesterov"] and (kw["momentum"] == 0 or kw["dampening"] != 0):
        kw["nesterov"] = False
    return kw


LR = st.sampled_from([0.1, 0.01])
DECAY = st.sampled_from([0.0, 0.1])
EPS = st.sampled_from([1e-8, 1e-3])
HYPER = {
    "SGD": st.fixed_dictionaries({
        "lr": LR, "momentum": st.sampled_from([0.0, 0.5, 0.9]), "dampening": st.sampled_from([0.0, 0.3]),
        "weight_decay": DECAY, "nesterov": st.booleans()}).map(_nesterov_needs_plain_momentum),
    "Adam": st.fixed_dictionaries({
        "lr": LR, "betas": st.sampled_from([(0.9, 0.999), (0.5, 0.9)]), "eps": EPS, "weight_decay": DECAY,
        "amsgrad": st.booleans()}),
    "AdamW": st.fixed_dictionaries({
        "lr": LR, "betas": st.sampled_from([(0.9, 0.999), (0.5, 0.9)]), "eps": EPS,
        "weight_decay": st.sampled_from([0.0, 0.01, 0.5]), "amsgrad": st.booleans()}),
    "Adagrad": st.fixed_dictionaries({
        "lr": LR, "lr_decay": st.sampled_from([0.0, 0.1]), "weight_decay": DECAY,
        "initial_accumulator_value": st.sampled_from([0.0, 0.1]), "eps": st.sampled_from([1e-10, 1e-3])}),
    "RMSprop": st.fixed_dictionaries({
        "lr": st.sampled_from([0.01, 0.001]), "alpha": st.sampled_from([0.99, 0.9]), "eps": EPS,
        "weight_decay": DECAY, "momentum": st.sampled_from([0.0, 0.9]), "centered": st.booleans()}),
}
IMPLEMENTATIONS = {"for-loop": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}
FUSED = {"SGD", "Adam", "AdamW", "Adagrad"}
# float64 checks the rule itself (at 1e-9) in every implementation; float32
# adds its rounding in the reference implementation
CASES = [pytest.param(name, impl, dtype, id=f"{name}-{impl}-{dtypes.name(dtype)}")
         for name in HYPER for impl in IMPLEMENTATIONS if impl != "fused" or name in FUSED
         for dtype in DTYPES if dtype == torch.float64 or impl == "for-loop"]


@st.composite
def gradient_plans(draw, shapes):
    """For each step, which parameters get a gradient (at least one does)."""
    masks = st.lists(st.booleans(), min_size=len(shapes), max_size=len(shapes))
    return [draw(masks.map(lambda m: m if any(m) else [True] + m[1:])) for _ in range(STEPS)]


def run_steps(groups, make_optimizer, plan, dtype, device, seed, what):
    """Step a torch optimizer over ``groups`` (each: parameter shapes and the
    NumPy optimizer for them) with the planned gradients; each parameter's
    trajectory (its value after every step) must be the NumPy rule's."""
    rng = np.random.default_rng(seed)
    arrays = [{f"group{g}.p{i}": rounded(rng.standard_normal(s), dtype) for i, s in enumerate(shapes)}
              for g, (shapes, _) in enumerate(groups)]
    params = {n: torch.nn.Parameter(torch.tensor(v, dtype=dtype, device=device)) for a in arrays for n, v in a.items()}
    optimizer = make_optimizer([[params[n] for n in a] for a in arrays])
    # a parameter is its start plus its updates: its error scales with their sizes
    terms = {n: [np.abs(v)] for a in arrays for n, v in a.items()}
    got = {n: [] for n in params}
    want = {n: [] for n in params}
    for mask in plan:
        grads = {n: rounded(rng.standard_normal(p.shape), dtype) if given else None
                 for (n, p), given in zip(params.items(), mask)}
        for n, p in params.items():
            p.grad = None if grads[n] is None else torch.tensor(grads[n], dtype=dtype, device=device)
        optimizer.step()
        for values, (_, numpy_optimizer) in zip(arrays, groups):
            before = {n: v.copy() for n, v in values.items()}
            numpy_optimizer.step(values, {n: grads[n] for n in values})
            for n, value in values.items():
                terms[n].append(terms[n][-1] + np.abs(value - before[n]))
                want[n].append(value.copy())
                got[n].append(params[n].detach().clone())
    for n in params:
        oracle.assert_matches(torch.stack(got[n]), np.stack(want[n]), dtype, kind="gradient", scale=np.stack(terms[n][1:]),
                              what=f"{what}: {n} after steps 1..{len(plan)} (index 0 is the step)")


@pytest.mark.capability("optim")
@pytest.mark.parametrize("name, impl, dtype", CASES)
@given(data=st.data(), seed=seeds)
def test_optimizer_follows_its_update_rule(name, impl, dtype, device, data, seed):
    if impl == "fused":
        compat.require(f"fused-{name}", device)
    hyper = data.draw(HYPER[name], label="hyper")
    shapes = data.draw(st.lists(st.lists(st.integers(1, 4), max_size=2).map(tuple), min_size=1, max_size=3),
                       label="shapes")
    plan = data.draw(gradient_plans(shapes), label="plan")
    if name == "SGD" and impl == "fused":
        # a first gradient arriving after the first step is
        # test_fused_sgd_takes_a_parameter_whose_first_gradient_comes_late's subject
        plan[0] = [True] * len(shapes)

    def make(param_lists):
        return getattr(torch.optim, name)(param_lists[0], **hyper, **IMPLEMENTATIONS[impl])

    run_steps([(shapes, ref.OPTIMIZERS[name](**hyper))], make, plan, dtype, device, seed, f"{name}({hyper}, {impl})")


@pytest.mark.capability("optim")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
def test_fused_sgd_takes_a_parameter_whose_first_gradient_comes_late(dtype, device):
    compat.require("fused-SGD", device)
    # step 1: only the first parameter has a gradient (and gets a momentum
    # buffer); step 2: both have one. The for-loop SGD handles this.
    hyper = {"lr": 0.1, "momentum": 0.9}
    make = lambda lists: torch.optim.SGD(lists[0], **hyper, fused=True)  # noqa: E731
    run_steps([([(3,), (3,)], ref.SGD(**hyper))], make, [[True, False], [True, True]], dtype, device, 0,
              "SGD(momentum=0.9, fused)")


@pytest.mark.capability("optim")
@pytest.mark.parametrize("name", ["SGD", "Adam"])
@given(lrs=st.tuples(st.sampled_from([0.1, 0.01]), st.sampled_from([0.5, 0.001])), seed=seeds)
def test_parameter_groups_use_their_own_learning_rate(name, device, lrs, seed):
    # the second group overrides lr (and SGD's momentum); the rest comes from the defaults
    defaults = {"lr": lrs[0], **({"momentum": 0.9} if name == "SGD" else {})}
    override = {"lr": lrs[1], **({"momentum": 0.0} if name == "SGD" else {})}
    shapes = [(3,), (2, 2)]

    def make(param_lists):
        return getattr(torch.optim, name)([{"params": param_lists[0]}, {"params": param_lists[1], **override}],
                                          **defaults)

    groups = [(shapes, ref.OPTIMIZERS[name](**defaults)), (shapes, ref.OPTIMIZERS[name](**override))]
    plan = [[True] * 2 * len(shapes)] * STEPS
    run_steps(groups, make, plan, torch.float64, device, seed, f"{name} groups lr={lrs}")


@pytest.mark.capability("optim")
@pytest.mark.parametrize("owner", ["optimizer", "module"])
def test_zero_grad_sets_none_by_default_and_zeros_in_place_otherwise(owner, device):
    model = torch.nn.Linear(3, 2).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    target = optimizer if owner == "optimizer" else model
    model(torch.ones(4, 3, device=device)).sum().backward()
    kept = [p.grad for p in model.parameters()]
    target.zero_grad(set_to_none=False)
    for p, g in zip(model.parameters(), kept):
        assert p.grad is g, f"{owner}.zero_grad(set_to_none=False) must zero the existing gradient tensor"
        oracle.assert_matches(p.grad, np.zeros(tuple(p.shape)), torch.float32, what=f"{owner}.zero_grad(set_to_none=False)")
    model(torch.ones(4, 3, device=device)).sum().backward()
    target.zero_grad()
    assert all(p.grad is None for p in model.parameters()), f"{owner}.zero_grad() must set gradients to None"


@pytest.mark.capability("optim")
def test_step_without_gradients_leaves_parameters_alone(device):
    model = torch.nn.Linear(3, 2).to(device)
    before = [dtypes.tensor_to_numpy(p) for p in model.parameters()]
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1, weight_decay=0.1)
    optimizer.step()
    for p, b in zip(model.parameters(), before):
        oracle.assert_matches(p, b, torch.float32, what="Adam step with every gradient None")
    assert not optimizer.state, "a step without gradients must not create optimizer state"
