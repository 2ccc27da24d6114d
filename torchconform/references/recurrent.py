"""NumPy references for torch's recurrent layers: the ``RNNCell`` (tanh and
relu), ``LSTMCell`` and ``GRUCell`` steps and the multi-layer,
bidirectional ``nn.RNN``/``LSTM``/``GRU`` built from them, with their VJPs
by back-propagation through time.

The steps are those of the layers' documentation (gate order i, f, g, o for
the LSTM and r, z, n for the GRU, whose candidate is ``tanh(W_in x + b_in + r
(W_hn h + b_hn))``; Hochreiter and Schmidhuber 1997, Cho et al. 2014). A
layer of a deep network reads the concatenated outputs of both directions
of the layer below; the reverse direction runs the sequence backwards.

Each step returns its new state and a ``backward(dstate, terms=False)`` that
gives (dx, dstate_prev, dW_ih, dW_hh, db_ih, db_hh); with ``terms`` every
product is taken on absolute values and every difference as a sum: the
size of the terms of the VJP, for its error bound.

Pure NumPy: nothing here imports torch.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(z):
    return np.exp(-np.logaddexp(0, -z))


def _abs_if(terms):
    return np.abs if terms else (lambda a: a)


def _tanh_slope(y, terms):
    """``1 - y**2`` from tanh's output, or its terms ``1 + y**2`` (it cancels at saturation)."""
    return 1 + y * y if terms else 1 - y * y


def _sigmoid_slope(s, terms):
    """``s (1 - s)`` from sigmoid's output, or its terms ``s (1 + s)``."""
    return s * (1 + s) if terms else s * (1 - s)


def step(kind: str, x, state, w_ih, w_hh, b_ih, b_hh, nonlinearity: str = "tanh"):
    """One step of ``kind`` (``rnn``, ``lstm``, ``gru``); ``state`` is ``h``
    or, for the LSTM, ``(h, c)``. Returns (new state, backward)."""
    h = state[0] if kind == "lstm" else state
    gx = x @ w_ih.T + b_ih
    gh = h @ w_hh.T + b_hh
    if kind == "rnn":
        out = np.tanh(gx + gh) if nonlinearity == "tanh" else np.maximum(gx + gh, 0)

        def backward(dh, terms=False):
            a = _abs_if(terms)
            slope = _tanh_slope(out, terms) if nonlinearity == "tanh" else (gx + gh > 0).astype(float)
            da = a(dh) * slope
            return da @ a(w_ih), da @ a(w_hh), da.T @ a(x), da.T @ a(h), da.sum(0), da.sum(0)
        return out, backward
    if kind == "lstm":
        c = state[1]
        i, f, g, o = np.split(gx + gh, 4, axis=-1)
        i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
        c_new = f * c + i * g
        tc = np.tanh(c_new)
        h_new = o * tc

        def backward(dstate, terms=False):
            a = _abs_if(terms)
            dh, dc = dstate
            dct = a(dc) + a(dh) * a(o) * _tanh_slope(tc, terms)
            pre = np.concatenate([dct * a(g) * _sigmoid_slope(i, terms), dct * a(c) * _sigmoid_slope(f, terms),
                                  dct * a(i) * _tanh_slope(g, terms), a(dh) * a(tc) * _sigmoid_slope(o, terms)],
                                 axis=-1)
            return pre @ a(w_ih), (pre @ a(w_hh), dct * a(f)), pre.T @ a(x), pre.T @ a(h), pre.sum(0), pre.sum(0)
        return (h_new, c_new), backward
    r_x, z_x, n_x = np.split(gx, 3, axis=-1)
    r_h, z_h, n_h = np.split(gh, 3, axis=-1)
    r, z = _sigmoid(r_x + r_h), _sigmoid(z_x + z_h)
    n = np.tanh(n_x + r * n_h)
    h_new = (1 - z) * n + z * h

    def backward(dh, terms=False):
        a = _abs_if(terms)
        dh = a(dh)
        an = dh * ((1 + z) if terms else (1 - z)) * _tanh_slope(n, terms)
        az = dh * (np.abs(h) + np.abs(n) if terms else h - n) * _sigmoid_slope(z, terms)
        ar = an * a(n_h) * _sigmoid_slope(r, terms)
        pre_x = np.concatenate([ar, az, an], axis=-1)
        pre_h = np.concatenate([ar, az, an * r], axis=-1)
        return (pre_x @ a(w_ih), pre_h @ a(w_hh) + dh * z, pre_x.T @ a(x), pre_h.T @ a(h), pre_x.sum(0),
                pre_h.sum(0))
    return h_new, backward


def _zero_state(kind, n, hidden):
    h = np.zeros((n, hidden))
    return (h, h.copy()) if kind == "lstm" else h


def _add(a, b):
    return tuple(x + y for x, y in zip(a, b)) if isinstance(a, tuple) else a + b


def network(kind: str, x, params: dict, layers: int, bidirectional: bool, nonlinearity: str = "tanh"):
    """``nn.RNN``/``LSTM``/``GRU`` of sequence-first ``x`` (T, N, I) from zero
    states with ``params`` named as torch names them (``weight_ih_l0``,
    ``..._reverse``). Returns (output (T, N, D H), final h (L D, N, H), final
    c or ``None``, backward(d_output, d_h, d_c, terms=False) -> (dx, dict
    of parameter gradients))."""
    t_len, n = x.shape[:2]
    hidden = params["weight_hh_l0"].shape[1]
    directions = ["", "_reverse"] if bidirectional else [""]
    tapes, finals_h, finals_c = [], [], []
    inp = x
    for layer in range(layers):
        outs = []
        for suffix in directions:
            names = [f"{p}_l{layer}{suffix}" for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            w = [params[k] for k in names]
            state = _zero_state(kind, n, hidden)
            order = range(t_len - 1, -1, -1) if suffix else range(t_len)
            out = np.zeros((t_len, n, hidden))
            steps = []
            for t in order:
                state, back = step(kind, inp[t], state, *w, nonlinearity)
                out[t] = state[0] if kind == "lstm" else state
                steps.append((t, back))
            tapes.append((layer, names, list(order), steps, inp))
            finals_h.append(state[0] if kind == "lstm" else state)
            finals_c.append(state[1] if kind == "lstm" else None)
            outs.append(out)
        inp = np.concatenate(outs, axis=-1)
    output = inp

    def backward(d_out, d_h, d_c, terms=False):
        a = _abs_if(terms)
        grads = {k: np.zeros_like(v) for k, v in params.items()}
        d_layer_out = a(d_out)
        ndir = len(directions)
        for layer in range(layers - 1, -1, -1):
            d_inp = None
            for j in range(ndir):
                index = layer * ndir + j
                _, names, order, steps, inp_l = tapes[index]
                d_seq = d_layer_out[..., j * hidden:(j + 1) * hidden]
                dstate = (a(d_h[index]), a(d_c[index])) if kind == "lstm" else a(d_h[index])
                d_x = np.zeros(inp_l.shape)
                for t, back in reversed(steps):
                    dstate = _add(dstate, (d_seq[t], 0) if kind == "lstm" else d_seq[t])
                    dx_t, dstate, dw_ih, dw_hh, db_ih, db_hh = back(dstate, terms)
                    d_x[t] = dx_t
                    for name, value in zip(names, (dw_ih, dw_hh, db_ih, db_hh)):
                        grads[name] += value
                d_inp = d_x if d_inp is None else d_inp + d_x
            d_layer_out = d_inp
        return d_layer_out, grads

    return output, np.stack(finals_h), (np.stack(finals_c) if kind == "lstm" else None), backward
