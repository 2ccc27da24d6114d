"""torch.optim against the NumPy update rules of ``torchconform.references.optim``
(issue 14, item 3): SGD (momentum, dampening, nesterov, weight decay), Adam
and AdamW (amsgrad, decoupled weight decay), Adagrad (lr_decay, initial
accumulator), RMSprop (centred, momentum), Adadelta, Adamax, NAdam, RAdam,
ASGD and Rprop, each with ``maximize``, over several steps in each
implementation torch offers on the device (for-loop, foreach, fused), so the
three agree through the one reference; L-BFGS on a quadratic; ``zero_grad``
in both modes; parameter groups with their own rates.

Hyper-parameters and the gradient sequence (including steps where a parameter
has no gradient, which must leave it and its state alone) are drawn by
Hypothesis. Parameters are judged after every step against the size of their
terms: the starting value plus the size of each update, every update being a
chain of rounded operations (hence the gradient tolerance).
"""

import contextlib

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import compat, dtypes, oracle, record
from torchconform.nncheck import rounded
from torchconform.references import optim as ref

pytestmark = [pytest.mark.area("optim"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
STEPS = 5
seeds = st.integers(0, 2**32 - 1)


def _nesterov_needs_plain_momentum(kw):
    if kw["nesterov"] and (kw["momentum"] == 0 or kw["dampening"] != 0):
        kw["nesterov"] = False
    return kw


LR = st.sampled_from([0.1, 0.01])
DECAY = st.sampled_from([0.0, 0.1])
EPS = st.sampled_from([1e-8, 1e-3])
BETAS = st.sampled_from([(0.9, 0.999), (0.5, 0.9)])
MAXIMIZE = st.booleans()
HYPER = {
    "SGD": st.fixed_dictionaries({
        "lr": LR, "momentum": st.sampled_from([0.0, 0.5, 0.9]), "dampening": st.sampled_from([0.0, 0.3]),
        "weight_decay": DECAY, "nesterov": st.booleans(), "maximize": MAXIMIZE}).map(_nesterov_needs_plain_momentum),
    "Adam": st.fixed_dictionaries({
        "lr": LR, "betas": BETAS, "eps": EPS, "weight_decay": DECAY, "amsgrad": st.booleans(), "maximize": MAXIMIZE,
        # an older torch's Adam lacks the option: it is then drawn as off (AdamW covers the rule)
        "decoupled_weight_decay": st.just(False) if compat.missing("adam-decoupled-weight-decay") else st.booleans()}),
    "AdamW": st.fixed_dictionaries({
        "lr": LR, "betas": BETAS, "eps": EPS, "weight_decay": st.sampled_from([0.0, 0.01, 0.5]),
        "amsgrad": st.booleans(), "maximize": MAXIMIZE}),
    "Adagrad": st.fixed_dictionaries({
        "lr": LR, "lr_decay": st.sampled_from([0.0, 0.1]), "weight_decay": DECAY,
        "initial_accumulator_value": st.sampled_from([0.0, 0.1]), "eps": st.sampled_from([1e-10, 1e-3]),
        "maximize": MAXIMIZE}),
    "RMSprop": st.fixed_dictionaries({
        "lr": st.sampled_from([0.01, 0.001]), "alpha": st.sampled_from([0.99, 0.9]), "eps": EPS,
        "weight_decay": DECAY, "momentum": st.sampled_from([0.0, 0.9]), "centered": st.booleans(),
        "maximize": MAXIMIZE}),
    "Adadelta": st.fixed_dictionaries({
        "lr": st.sampled_from([1.0, 0.1]), "rho": st.sampled_from([0.9, 0.5]), "eps": st.sampled_from([1e-6, 1e-3]),
        "weight_decay": DECAY, "maximize": MAXIMIZE}),
    "Adamax": st.fixed_dictionaries({
        "lr": st.sampled_from([2e-3, 0.1]), "betas": BETAS, "eps": EPS, "weight_decay": DECAY,
        "maximize": MAXIMIZE}),
    "NAdam": st.fixed_dictionaries({
        "lr": st.sampled_from([2e-3, 0.1]), "betas": BETAS, "eps": EPS, "weight_decay": DECAY,
        "momentum_decay": st.sampled_from([4e-3, 0.1]), "decoupled_weight_decay": st.booleans(),
        "maximize": MAXIMIZE}),
    # betas[1] = 0.5 makes rho_t > 5 from the first step: both branches of the rectification
    "RAdam": st.fixed_dictionaries({
        "lr": LR, "betas": st.sampled_from([(0.9, 0.999), (0.5, 0.5), (0.9, 0.7)]), "eps": EPS, "weight_decay": DECAY,
        "decoupled_weight_decay": st.booleans(), "maximize": MAXIMIZE}),
    # t0 = 1 starts the average after the first step; a large lambd makes the step size decay visibly
    "ASGD": st.fixed_dictionaries({
        "lr": LR, "lambd": st.sampled_from([1e-4, 0.5]), "alpha": st.sampled_from([0.75, 0.5]),
        "t0": st.sampled_from([1e6, 1.0, 2.0]), "weight_decay": DECAY, "maximize": MAXIMIZE}),
    # lr inside step_sizes (outside: known deviation rprop-first-step-size-clamped); the narrow
    # range makes both bounds bite within a few steps
    "Rprop": st.fixed_dictionaries({
        "lr": LR, "etas": st.sampled_from([(0.5, 1.2), (0.3, 2.0)]),
        "step_sizes": st.sampled_from([(1e-6, 50.0), (0.005, 0.15)]), "maximize": MAXIMIZE}),
}

#: Optimizers keeping scalar state (NAdam's momentum product, ASGD's step size
#: and averaging weight) in torch.get_default_dtype() tensors: known deviation
#: optimizer-scalar-state-in-default-dtype. Their float64 cases run with float64
#: as the default dtype, so the rule itself is checked to float64 precision.
SCALAR_STATE = {"NAdam", "ASGD"}


@contextlib.contextmanager
def scalar_state_in(name, dtype):
    if name not in SCALAR_STATE or dtype != torch.float64:
        yield
        return
    record.note("deviation", "optimizer-scalar-state-in-default-dtype")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)
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

    with scalar_state_in(name, dtype):
        run_steps([(shapes, ref.OPTIMIZERS[name](**hyper))], make, plan, dtype, device, seed,
                  f"{name}({hyper}, {impl})")


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


@pytest.mark.capability("optim")
@pytest.mark.parametrize("impl", ["for-loop", "foreach"])
@given(hyper=HYPER["ASGD"], seed=seeds)
def test_asgd_keeps_the_polyak_average_of_its_iterates(impl, device, hyper, seed):
    # the average ``ax`` is ASGD's answer (the parameter itself is plain SGD)
    rng = np.random.default_rng(seed)
    start = rng.standard_normal(3)
    p = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64, device=device))
    with scalar_state_in("ASGD", torch.float64):
        optimizer = torch.optim.ASGD([p], **hyper, **IMPLEMENTATIONS[impl])
    numpy_optimizer, values = ref.ASGD(**hyper), {"p": start.copy()}
    for step in range(1, STEPS + 1):
        g = rng.standard_normal(3)
        p.grad = torch.tensor(g, dtype=torch.float64, device=device)
        with scalar_state_in("ASGD", torch.float64):
            optimizer.step()
        numpy_optimizer.step(values, {"p": g})
        oracle.assert_matches(optimizer.state[p]["ax"], numpy_optimizer.state["p"]["ax"], torch.float64, kind="gradient",
                              scale=np.abs(start) + step * hyper["lr"] * (np.abs(g) + np.abs(values["p"])),
                              what=f"ASGD({hyper}, {impl}) average after step {step}")


# ----------------------------------------------------------------- L-BFGS on a quadratic


@st.composite
def quadratics(draw):
    """``f(x) = x.A x / 2 - b.x`` with A symmetric, eigenvalues in [0.5, 2]:
    its gradient ``A x - b`` and its minimiser ``solve(A, b)``."""
    n = draw(st.integers(1, 4), label="n")
    seed = draw(seeds, label="seed")
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = q @ np.diag(rng.uniform(0.5, 2.0, n)) @ q.T
    return (a + a.T) / 2, rng.standard_normal(n), rng.standard_normal(n)


def _lbfgs_on(quadratic, device, **options):
    a, b, x0 = quadratic
    x = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64, device=device))
    at, bt = (torch.tensor(v, dtype=torch.float64, device=device) for v in (a, b))
    optimizer = torch.optim.LBFGS([x], **options)

    def closure():
        optimizer.zero_grad()
        loss = x @ at @ x / 2 - bt @ x
        loss.backward()
        return loss

    return x, optimizer, closure


@pytest.mark.capability("optim")
@given(quadratic=quadratics(), lr=st.sampled_from([1.0, 0.5]), history=st.sampled_from([1, 2, 100]),
       iterations=st.integers(1, 5))
def test_lbfgs_without_line_search_follows_the_two_loop_recursion(device, quadratic, lr, history, iterations):
    # tolerances 0: no early stop; max_eval (by default max_iter * 5 // 4 function
    # evaluations, one per iteration plus the first) must not bind either
    options = dict(lr=lr, history_size=history, tolerance_grad=0.0, tolerance_change=0.0, max_eval=2 * iterations)
    a, b, x0 = quadratic
    want = ref.lbfgs(lambda v: (v @ a @ v / 2 - b @ v, a @ v - b), x0, lr=lr, iterations=iterations,
                     history_size=history)
    terms = np.abs(x0) + np.cumsum([np.abs(w - v) for v, w in zip([x0] + want, want)], axis=0)
    # one iteration per step() carries the history over steps ...
    x, optimizer, closure = _lbfgs_on(quadratic, device, max_iter=1, **options)
    got = []
    for _ in range(iterations):
        optimizer.step(closure)
        got.append(x.detach().clone())
    oracle.assert_matches(torch.stack(got), np.stack(want), torch.float64, kind="gradient", scale=terms,
                          what=f"LBFGS({options}) iterates, one per step()")
    # ... as max_iter iterations inside one step() do
    x, optimizer, closure = _lbfgs_on(quadratic, device, max_iter=iterations, **options)
    optimizer.step(closure)
    oracle.assert_matches(x.detach(), want[-1], torch.float64, kind="gradient", scale=terms[-1],
                          what=f"LBFGS(max_iter={iterations}, {options}) after one step()")


@pytest.mark.capability("optim")
@given(quadratic=quadratics(), history=st.sampled_from([2, 100]))
def test_lbfgs_with_strong_wolfe_reaches_first_order_optimality(device, quadratic, history):
    # the documented stopping rule: max |gradient| <= tolerance_grad
    a, b, _ = quadratic
    x, optimizer, closure = _lbfgs_on(quadratic, device, max_iter=100, history_size=history,
                                      line_search_fn="strong_wolfe", tolerance_change=0.0)
    optimizer.step(closure)
    gradient = a @ dtypes.tensor_to_numpy(x.detach()) - b
    assert np.max(np.abs(gradient)) <= 1e-7, (
        f"LBFGS(strong_wolfe, history_size={history}) stopped at max|A x - b| = {np.max(np.abs(gradient)):.3g} "
        f"> tolerance_grad 1e-7 on a quadratic with minimiser {np.linalg.solve(a, b)}")


# ----------------------------------------------------------------- known deviations


@pytest.mark.capability("optim")
@pytest.mark.parametrize("name", sorted(SCALAR_STATE))
def test_float64_optimizer_keeps_float64_scalar_state(name, device):
    """NAdam (momentum product) and ASGD (step size) with float64 parameters
    and the default float32 default dtype: one step against the rule."""
    hyper = {"NAdam": {"lr": 0.1}, "ASGD": {"lr": 0.1}}[name]
    p = torch.nn.Parameter(torch.ones(1, dtype=torch.float64, device=device))
    p.grad = torch.ones(1, dtype=torch.float64, device=device)
    getattr(torch.optim, name)([p], **hyper).step()
    values = {"p": np.ones(1)}
    ref.OPTIMIZERS[name](**hyper).step(values, {"p": np.ones(1)})
    oracle.assert_matches(p.detach(), values["p"], torch.float64, kind="gradient", what=f"{name}({hyper}) float64, one step")


@pytest.mark.capability("optim")
def test_rprop_first_step_has_length_lr(device):
    """The documented Rprop keeps the step size at lr until a sign is known;
    torch clamps it into step_sizes from the first step."""
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64, device=device))
    p.grad = torch.ones(1, dtype=torch.float64, device=device)
    torch.optim.Rprop([p], lr=0.1, step_sizes=(1e-6, 0.05)).step()
    oracle.assert_matches(p.detach(), np.array([-0.1]), torch.float64, kind="gradient",
                          what="Rprop(lr=0.1, step_sizes=(1e-6, 0.05)) first step")
