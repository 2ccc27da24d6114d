"""torch's recurrent layers against NumPy recurrences (issue 14, item 1):
``RNNCell`` (tanh, relu), ``LSTMCell`` and ``GRUCell`` from a drawn state,
and ``nn.RNN``/``LSTM``/``GRU`` with several layers, ``bidirectional`` and
``batch_first``, and on packed sequences of unequal lengths; values
(output, ``h_n``, ``c_n``) and VJPs with respect to the input, the state
and every weight and bias, through the nn engine.
References: :mod:`torchconform.references.recurrent`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from torchconform import dtypes
from torchconform.nncheck import check, run
from torchconform.references import nn_expected as expected

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
seeds = st.integers(0, 2**32 - 1)
CELLS = {"rnn_tanh": (nn.RNNCell, "rnn", "tanh"), "rnn_relu": (nn.RNNCell, "rnn", "relu"),
         "lstm": (nn.LSTMCell, "lstm", None), "gru": (nn.GRUCell, "gru", None)}
NETWORKS = {"rnn_tanh": (nn.RNN, "rnn", "tanh"), "rnn_relu": (nn.RNN, "rnn", "relu"), "lstm": (nn.LSTM, "lstm", None),
            "gru": (nn.GRU, "gru", None)}


@pytest.mark.derivatives("reverse")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("name", list(CELLS))
@given(n=st.integers(1, 3), inputs=st.integers(1, 3), hidden=st.integers(1, 3), seed=seeds)
def test_recurrent_cell_matches_numpy(name, dtype, device, n, inputs, hidden, seed):
    cls, kind, nonlinearity = CELLS[name]
    module = (cls(inputs, hidden, nonlinearity=nonlinearity) if nonlinearity else cls(inputs, hidden)).to(device, dtype)
    names = [k for k, _ in module.named_parameters()]
    rng = np.random.default_rng(seed)
    states = 2 if kind == "lstm" else 1
    arrays = [rng.standard_normal((n, inputs))] + [rng.standard_normal((n, hidden)) for _ in range(states)]
    arrays += [0.7 * rng.standard_normal(tuple(p.shape)) for p in module.parameters()]

    def cell(x, *rest):
        state, params = (tuple(rest[:2]), rest[2:]) if kind == "lstm" else (rest[0], rest[1:])
        out = torch.func.functional_call(module, dict(zip(names, params)), (x, state))
        return torch.cat(out, -1) if kind == "lstm" else out

    r = run(cell, arrays, dtype, device, seed)
    state = tuple(r.inputs[1:3]) if kind == "lstm" else r.inputs[1]
    want = expected.recurrent_cell(kind, r.inputs[0], state, *r.inputs[1 + states:], r.g,
                                   nonlinearity=nonlinearity or "tanh")
    check(r, want, dtype, op="matmul", grad_op="matmul", what=f"{module}",
          names=("x", "h", "c")[:1 + states] + tuple(names))


@pytest.mark.derivatives("reverse")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("name", list(NETWORKS))
@given(steps=st.integers(1, 3), n=st.integers(1, 2), inputs=st.integers(1, 3), hidden=st.integers(1, 3),
       layers=st.integers(1, 2), bidirectional=st.booleans(), batch_first=st.booleans(), seed=seeds)
def test_recurrent_network_matches_numpy(name, dtype, device, steps, n, inputs, hidden, layers, bidirectional,
                                         batch_first, seed):
    cls, kind, nonlinearity = NETWORKS[name]
    options = dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    if nonlinearity:
        options["nonlinearity"] = nonlinearity
    module = cls(inputs, hidden, **options).to(device, dtype)
    names = [k for k, _ in module.named_parameters()]
    rng = np.random.default_rng(seed)
    shape = (n, steps, inputs) if batch_first else (steps, n, inputs)
    arrays = [rng.standard_normal(shape)] + [0.7 * rng.standard_normal(tuple(p.shape)) for p in module.parameters()]

    def network(x, *params):
        out, state = torch.func.functional_call(module, dict(zip(names, params)), (x,))
        states = list(state) if kind == "lstm" else [state]
        return torch.cat([out.reshape(-1)] + [s.reshape(-1) for s in states])

    r = run(network, arrays, dtype, device, seed)
    params = dict(zip(names, r.inputs[1:]))
    want = expected.recurrent_network(kind, r.inputs[0], params, r.g, layers=layers, bidirectional=bidirectional,
                                      batch_first=batch_first, nonlinearity=nonlinearity or "tanh")
    check(r, want, dtype, op="matmul", grad_op="matmul", what=f"{module} on {shape}", names=("x", *names))


@pytest.mark.checks("pack_padded_sequence", "pad_packed_sequence")
@pytest.mark.derivatives("reverse")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("name", list(NETWORKS))
@given(steps=st.integers(1, 3), data=st.data(), inputs=st.integers(1, 3), hidden=st.integers(1, 3),
       layers=st.integers(1, 2), bidirectional=st.booleans(), seed=seeds)
def test_packed_sequences_run_each_sequence_over_its_own_length(name, dtype, device, steps, data, inputs, hidden,
                                                                 layers, bidirectional, seed):
    """A ``PackedSequence`` of unsorted lengths (``enforce_sorted=False``)
    through ``nn.RNN``/``LSTM``/``GRU`` and back with ``pad_packed_sequence``:
    each sequence as if run alone over its length, zeros beyond it."""
    lengths = data.draw(st.lists(st.integers(1, steps), min_size=1, max_size=3), label="lengths")
    cls, kind, nonlinearity = NETWORKS[name]
    options = dict(num_layers=layers, bidirectional=bidirectional, **({"nonlinearity": nonlinearity} if nonlinearity else {}))
    module = cls(inputs, hidden, **options).to(device, dtype)
    names = [k for k, _ in module.named_parameters()]
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((steps, len(lengths), inputs))]
    arrays += [0.7 * rng.standard_normal(tuple(p.shape)) for p in module.parameters()]

    def network(x, *params):
        packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
        out, state = torch.func.functional_call(module, dict(zip(names, params)), (packed,))
        padded, _ = pad_packed_sequence(out, total_length=steps)
        states = list(state) if kind == "lstm" else [state]
        return torch.cat([padded.reshape(-1)] + [s.reshape(-1) for s in states])

    r = run(network, arrays, dtype, device, seed)
    want = expected.packed_recurrent_network(kind, r.inputs[0], lengths, dict(zip(names, r.inputs[1:])), r.g,
                                             layers=layers, bidirectional=bidirectional,
                                             nonlinearity=nonlinearity or "tanh")
    check(r, want, dtype, op="matmul", grad_op="matmul", what=f"{module} on packed lengths {lengths}",
          names=("x", *names))
