"""The standalone repro scripts: they rebuild the exact inputs, mirror the
oracle's verdict, and really reproduce a failure of a broken torch."""

from __future__ import annotations

import math
import os
import runpy
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from torchconform import dtypes, repro, strategies
from torchconform.tolerances import tolerance

pytestmark = pytest.mark.area("report")


def _load(tmp_path, source: str, name: str = "repro.py") -> dict:
    path = tmp_path / name
    path.write_text(source)
    return runpy.run_path(str(path), run_name="repro_under_test")


def _bits(t: torch.Tensor) -> torch.Tensor:
    """The raw bits of every element (complex as pairs of floats), with every
    NaN as all-ones: NaN payloads are not kept, every other pattern
    (-0.0, inf, subnormals) must be."""
    t = t.detach().resolve_conj().cpu()
    if t.is_complex():
        t = torch.view_as_real(t)
    if not t.dtype.is_floating_point:
        return t
    bits = t.contiguous().view({2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()])
    return torch.where(torch.isnan(t), -1, bits)


def _add_script(x: torch.Tensor, y: torch.Tensor, alpha: float = 2.5) -> str:
    return repro.script("torch.add(x, y, alpha=alpha)", "x + alpha * y", {"x": x, "y": y}, params={"alpha": alpha},
                        dtype=x.dtype, tolerance=tolerance(x.dtype), what="add with alpha")


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_script_rebuilds_inputs_bit_for_bit(tmp_path_factory, data):
    dtype = data.draw(strategies.dtypes_for("cpu"), label="dtype")
    drawn = data.draw(strategies.tensors(dtype), label="x")
    x = drawn.tensor.conj() if dtype.is_complex and data.draw(st.booleans(), label="conj") else drawn.tensor
    ns = _load(tmp_path_factory.mktemp("repro"), repro.script("x + 0", "x", {"x": x}, dtype=dtype,
                                                               tolerance=tolerance(dtype)))
    rebuilt = ns["torch_input"](**ns["INPUTS"]["x"])
    assert (rebuilt.dtype, rebuilt.shape, rebuilt.stride(), rebuilt.storage_offset(), rebuilt.is_conj()) == \
           (x.dtype, x.shape, x.stride(), x.storage_offset(), x.is_conj())
    assert torch.equal(_bits(rebuilt), _bits(x))
    reference = ns["numpy_input"](**ns["INPUTS"]["x"])
    want = dtypes.tensor_to_numpy(x).astype(dtypes.reference_dtype(dtype))
    np.testing.assert_array_equal(reference, want, strict=True)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(st.floats(width=32), st.sampled_from([1 + 2**-8, 1 + 3 * 2**-8, 2.0**128])),
                       max_size=8))
def test_inlined_bfloat16_rounding_matches_the_foundation(tmp_path_factory, values):
    ns = _load(tmp_path_factory.mktemp("repro"), _add_script(torch.ones(1), torch.ones(1)))
    x = np.array(values, dtype=np.float64)
    np.testing.assert_array_equal(ns["round_to"](x, "bfloat16"), dtypes.round_to_dtype(x, torch.bfloat16))


def test_script_passes_and_fails_like_the_oracle(tmp_path, capsys):
    x = torch.tensor([[1.0, -0.0], [math.inf, math.nan]])
    ns = _load(tmp_path, _add_script(x, torch.tensor([0.5, 2.0])))
    assert ns["main"]() == 0
    assert "MATCH" in capsys.readouterr().out

    wrong = repro.script("torch.sub(x, y, alpha=alpha)", "x + alpha * y", {"x": x, "y": torch.tensor([0.5, 2.0])},
                         params={"alpha": 2.5}, dtype=torch.float32, tolerance=tolerance(torch.float32))
    assert _load(tmp_path, wrong, "wrong.py")["main"]() == 1
    out = capsys.readouterr().out
    assert "MISMATCH: 2 of 4 element(s)" in out and "worst at index (0, 1): actual -5.0, expected 5.0" in out


def test_script_reports_a_wrong_dtype_or_shape(tmp_path, capsys):
    x = torch.arange(3, dtype=torch.float32)
    wrong_dtype = repro.script("x.double()", "x", {"x": x}, dtype=torch.float32, tolerance=tolerance(torch.float32))
    assert _load(tmp_path, wrong_dtype, "dtype.py")["main"]() == 1
    assert "result dtype torch.float64, expected torch.float32" in capsys.readouterr().out
    wrong_shape = repro.script("x[None]", "x", {"x": x}, dtype=torch.float32, tolerance=tolerance(torch.float32))
    assert _load(tmp_path, wrong_shape, "shape.py")["main"]() == 1
    assert "result shape (1, 3), expected (3,)" in capsys.readouterr().out


def test_scale_expression_bounds_the_error_by_the_terms(tmp_path, capsys):
    # 1 - 1 computed as 1e-7: wrong relative to the result 0, fine relative to the terms' size 1
    x = torch.ones(2, dtype=torch.float32)
    common = dict(dtype=torch.float32, tolerance=tolerance(torch.float32))
    plain = repro.script("x - x + 1e-7", "x - x", {"x": x}, **common)
    scaled = repro.script("x - x + 1e-7", "x - x", {"x": x}, scale_expr="abs(x) + abs(x)", **common)
    assert _load(tmp_path, plain, "plain.py")["main"]() == 1
    assert _load(tmp_path, scaled, "scaled.py")["main"]() == 0


def test_integers_compare_exactly_beyond_float64_precision(tmp_path, capsys):
    x = torch.tensor([2**62 + 1], dtype=torch.int64)
    script = repro.script("x + 1", "x", {"x": x}, dtype=torch.int64, tolerance=tolerance(torch.int64))
    assert _load(tmp_path, script)["main"]() == 1


def test_gradient_repro_keeps_requires_grad_and_skips_rounding(tmp_path, capsys):
    x = torch.tensor([0.5, 2.0], dtype=torch.float64, requires_grad=True)
    script = repro.script("torch.autograd.grad(torch.sin(x).sum(), x)[0]", "np.cos(x)", {"x": x},
                          dtype=torch.float64, tolerance=tolerance(torch.float64, kind="gradient"), kind="gradient")
    ns = _load(tmp_path, script)
    assert ns["ROUND_EXPECTED"] is False
    assert ns["main"]() == 0


@pytest.mark.parametrize("inputs, params, error", [
    ({"np": torch.ones(1)}, {}, ValueError),
    ({"x": torch.ones(1)}, {"x": 1.0}, ValueError),
    ({"x": torch.ones(1)}, {"w": torch.ones(1)}, TypeError),
    ({"x": torch.ones(1)}, {"f": object()}, TypeError),
], ids=["reserved-name", "name-twice", "tensor-param", "unwritable-param"])
def test_script_refuses_inputs_it_cannot_write(inputs, params, error):
    with pytest.raises(error):
        repro.script("x", "x", inputs, params=params, dtype=torch.float32, tolerance=tolerance(torch.float32))


def test_script_says_when_its_device_is_missing(tmp_path, capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the script runs there instead")
    script = repro.script("x + 0", "x", {"x": torch.ones(2)}, device="cuda", dtype=torch.float32,
                          tolerance=tolerance(torch.float32))
    assert _load(tmp_path, script)["main"]() == 2
    assert "NOT RUN: device cuda is not available" in capsys.readouterr().out


def _run(script_path, env_extra=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, str(script_path)], capture_output=True, text=True, env=env, timeout=120)


def test_script_exits_zero_on_real_torch_and_one_on_a_broken_add(tmp_path, device):
    base = torch.tensor([7.0, 1.5, -0.0, 3.0, math.inf, 2.0**-140, 9.0], device=device)
    x = base[1:].as_strided((2, 3), (1, 2), 1)  # strided view with a storage offset
    y = torch.tensor([0.5, -2.0, 4.0], device=device).expand(2, 3)
    script = tmp_path / "repro.py"
    script.write_text(_add_script(x, y))
    good = _run(script)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "MATCH" in good.stdout

    # A torch whose add is off by one ULP-ish relative error on every call,
    # injected at interpreter start-up: the script itself is unchanged.
    hook = tmp_path / "broken"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(textwrap.dedent("""
        import torch
        _add = torch.add
        torch.add = lambda *args, **kwargs: _add(*args, **kwargs) * (1 + 1e-5)
    """))
    bad = _run(script, {"PYTHONPATH": str(hook)})
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "MISMATCH" in bad.stdout and "worst at index" in bad.stdout
