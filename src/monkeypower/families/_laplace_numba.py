r"""Numba node placement for the quadrature families (logit-normal, Kumaraswamy).

The *placement* of the quadrature nodes (mode search, window edges, node map; see
:mod:`._laplace`) carries no gradient and is pure iteration: unrolled into a PyTensor graph it
costs ~1,800 graph nodes and a minute of compilation per model.  Here the same algorithm runs
as scalar numba code, one element at a time, and enters PyTensor as the :class:`LaplaceNodes`
Op (gradient disconnected; native in PyTensor's numba backend, which nutpie uses).  The
integrand at the nodes, and therefore the value and the gradient of :math:`L`, is still the
family's backend-agnostic code.  JAX uses the backend-agnostic placement of :mod:`._laplace`;
the two placements give the same :math:`L` to ~1e-14 (``tests/test_families_extra.py``).

The iterations stop early once converged (a Newton step below 1e-9 peak widths for the mode,
a relative change below 1e-4 for a window edge), which the fixed-shape graph versions cannot
do.  The family-specific pieces (log-integrand ``h``, its derivatives ``dh``, the mode bracket
and the starting candidates) mirror :func:`.logit_normal.logit_normal_log_moment` and
:func:`.kumaraswamy.kumaraswamy_log_moment` line by line.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import disconnected_type
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key
from pytensor.tensor.type import TensorType

from ._laplace import _FAR, _TINY, DROP, EDGE_STEPS, MODE_STEPS, _gl_tables

__all__ = ["FAMILY_CODES", "LaplaceNodes", "laplace_nodes_numpy", "laplace_nodes_pytensor"]

#: Integer codes of the families handled here.
FAMILY_CODES = {"logit_normal": 0, "kumaraswamy": 1}
_LN, _KUM = 0, 1
_LOG2 = math.log(2.0)
_LOG_DROP = math.log(DROP)

# ---------------------------------------------------------------------------
# Scalar helpers (same formulas as the backend versions in ._laplace)
# ---------------------------------------------------------------------------


@numba.njit(cache=True)
def _log_sigmoid(x):  # pragma: no cover - compiled
    return min(x, 0.0) - math.log1p(math.exp(-abs(x)))


@numba.njit(cache=True)
def _sigmoid(x):  # pragma: no cover - compiled
    e = math.exp(-abs(x))
    return (1.0 if x >= 0.0 else e) / (1.0 + e)


@numba.njit(cache=True)
def _log1mexp(x):  # pragma: no cover - compiled
    x = min(x, -_TINY)
    if x > -_LOG2:
        return math.log(-math.expm1(x))
    return math.log1p(-math.exp(x))


@numba.njit(cache=True)
def _lambert_w(z):  # pragma: no cover - compiled
    z = max(z, _TINY)
    w = math.log1p(z)
    lz = math.log(z)
    for _ in range(3):
        w = w - (math.log(w) + w - lz) * w / (1.0 + w)
        w = max(w, _TINY)
    return w


# ---------------------------------------------------------------------------
# Family pieces
# ---------------------------------------------------------------------------


@numba.njit(cache=True)
def _h(fam, y, c, f, t1, t2):  # pragma: no cover - compiled
    if fam == _LN:  # t1 = mu, t2 = sigma
        z = (y - t1) / t2
        return c * _log_sigmoid(y) + f * _log_sigmoid(-y) - 0.5 * z * z
    # Kumaraswamy: t1 = a, t2 = b
    lsp = _log_sigmoid(y)
    return math.log(t2) + (1.0 + c / t1) * lsp + t2 * _log_sigmoid(-y) + f * _log1mexp(lsp / t1)


@numba.njit(cache=True)
def _dh(fam, y, c, f, t1, t2):  # pragma: no cover - compiled
    sp = _sigmoid(y)
    sm = _sigmoid(-y)
    if fam == _LN:
        var = t2 * t2
        return c * sm - f * sp - (y - t1) / var, -(c + f) * sp * sm - 1.0 / var
    a, b = t1, t2
    k_left = 1.0 + c / a
    lp = _log_sigmoid(y) / a
    l1mp = _log1mexp(lp)
    lsm = _log_sigmoid(-y)
    t = 0.0
    if f > 0.0:
        t = math.exp(min(math.log(max(f, 1.0)) - math.log(a) + lsm + lp - l1mp, 700.0))
    ratio = math.exp(min(lsm - l1mp, 700.0))
    return k_left * sm - b * sp - t, -(k_left + b) * sp * sm - t * (ratio / a - sp)


@numba.njit(cache=True)
def _setup(fam, c, f, t1, t2, starts):  # pragma: no cover - compiled
    """Mode bracket (lo, hi); fills ``starts`` and returns how many were written."""
    if fam == _LN:
        mu, s = t1, t2
        var = s * s
        n = c + f
        slope_mu = _dh(fam, mu, c, f, t1, t2)[0]
        far = mu + var * slope_mu
        lo, hi = min(mu, far), max(mu, far)
        x_hat = math.log(max(c, 0.5)) - math.log(max(f, 0.5))
        prec = c * f / max(n, 1.0)
        x_pw = (x_hat * prec + mu / var) / (prec + 1.0 / var)
        starts[0] = mu
        starts[1] = x_pw
        starts[2] = x_hat
        starts[3] = mu - _lambert_w(var * f * _sigmoid(mu))
        starts[4] = mu - _lambert_w(var * f * math.exp(min(mu, 600.0)))
        starts[5] = mu + _lambert_w(var * c * _sigmoid(-mu))
        starts[6] = mu + _lambert_w(var * c * math.exp(min(-mu, 600.0)))
        return lo, hi, 7
    a, b = t1, t2
    k_left = 1.0 + c / a
    y_hi = math.log(2.0 * k_left / b)
    y_f = y_hi
    if f > 0.0:
        r = (a + c) / (3.0 * max(f, 1.0))
        lu = a * (math.log(r) - math.log1p(r))
        y_f = lu - _log1mexp(lu)
    y_lo = min(math.log(k_left / (3.0 * b)), y_f)
    lu0 = a * (math.log(a + c) - math.log(a + b + c + f))
    starts[0] = lu0 - _log1mexp(lu0)
    starts[1] = 0.5 * (y_lo + y_hi)
    return y_lo, y_hi, 2


@numba.njit(cache=True)
def _place_one(fam, c, f, t1, t2, frac, log_w0, log_map, nodes, log_w):  # pragma: no cover
    """Fill one row of ``nodes`` / ``log_w`` (length ``2 * n_side``): see :mod:`._laplace`."""
    starts = np.empty(8)
    lo, hi, n_starts = _setup(fam, c, f, t1, t2, starts)
    best = 0.0
    best_step = 0.0
    for i in range(n_starts):
        cand = min(max(starts[i], lo), hi)
        d1, d2 = _dh(fam, cand, c, f, t1, t2)
        if d1 > 0.0:
            lo = max(lo, cand)
        if d1 < 0.0:
            hi = min(hi, cand)
        step = abs(d1 / min(d2, -_TINY))
        if i == 0 or step < best_step:
            best, best_step = cand, step
    y = best
    for _ in range(MODE_STEPS):
        d1, d2 = _dh(fam, y, c, f, t1, t2)
        if d1 > 0.0:
            lo = max(lo, y)
        if d1 < 0.0:
            hi = min(hi, y)
        newton = y - d1 / min(d2, -_TINY)
        if d2 < 0.0 and newton >= lo and newton <= hi:
            # converged: the step is far below the width 1/sqrt(-h'') of the peak
            done = abs(newton - y) * math.sqrt(-d2) < 1e-9
            y = newton
            if done:
                break
        else:
            y = 0.5 * (lo + hi)
    mode = y
    h_star = _h(fam, mode, c, f, t1, t2)
    kappa = max(-_dh(fam, mode, c, f, t1, t2)[1], _TINY)
    d0 = math.sqrt(2.0 * DROP / kappa)
    n_side = frac.shape[0] // 2
    for side in range(2):
        sign = -1.0 if side == 0 else 1.0
        d = d0
        d_lo = 0.0
        d_hi = _FAR
        step_old = _FAR
        for _ in range(EDGE_STEPS):
            yy = mode + sign * d
            g = h_star - _h(fam, yy, c, f, t1, t2)
            slope = -sign * _dh(fam, yy, c, f, t1, t2)[0]
            if g >= DROP:
                d_hi = min(d_hi, d)
            else:
                d_lo = max(d_lo, d)
            inside = False
            newton = 0.0
            if g > 0.0 and slope > 0.0:
                phi = math.log(g) - _LOG_DROP
                dphi = slope / g
                newton = d - phi / dphi
                inside = (
                    newton >= d_lo and newton <= d_hi and abs(2.0 * phi) <= abs(step_old * dphi)
                )
            if inside:
                done = abs(newton - d) < 1e-4 * d  # the edge needs no precision
                step_old = abs(newton - d)
                d = newton
                if done:
                    d_hi = _FAR  # converged: keep d
                    break
            else:
                new = 0.5 * (d_lo + d_hi) if d_hi < _FAR else 4.0 * d
                step_old = abs(new - d)
                d = new
        if d_hi < _FAR:
            d = d_hi  # not converged: the smallest distance known to reach the drop
        j0 = side * n_side
        if log_map <= 0.0:
            for j in range(j0, j0 + n_side):
                nodes[j] = mode + sign * d * frac[j]
                log_w[j] = log_w0[j] + math.log(d)
        else:
            w0 = log_map / math.sqrt(kappa)
            lam = math.log1p(d / w0)
            for j in range(j0, j0 + n_side):
                nodes[j] = mode + sign * w0 * math.expm1(lam * frac[j])
                log_w[j] = log_w0[j] + math.log(w0 * lam) + lam * frac[j]


@numba.njit(cache=True)
def _place_flat(fam, c, f, t1, t2, frac, log_w0, log_map):  # pragma: no cover - compiled
    n = c.shape[0]
    m = frac.shape[0]
    nodes = np.empty((n, m))
    log_w = np.empty((n, m))
    for i in range(n):
        _place_one(fam, c[i], f[i], t1[i], t2[i], frac, log_w0, log_map, nodes[i], log_w[i])
    return nodes, log_w


def laplace_nodes_numpy(
    family: str, c: Any, f: Any, t1: Any, t2: Any, n_side: int, log_map: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and log-weights, shape ``broadcast + (2 n_side,)``, for NumPy inputs."""
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (c, f, t1, t2)))
    shape = arrays[0].shape
    flat = [np.ascontiguousarray(x).reshape(-1) for x in arrays]
    _, frac, log_w0 = _gl_tables(n_side)
    nodes, log_w = _place_flat(
        FAMILY_CODES[family], *flat, frac, log_w0, -1.0 if log_map is None else float(log_map)
    )
    return nodes.reshape(*shape, 2 * n_side), log_w.reshape(*shape, 2 * n_side)


# ---------------------------------------------------------------------------
# PyTensor Op
# ---------------------------------------------------------------------------

_SOURCE_SALT = int(
    hashlib.sha256(
        Path(__file__).read_bytes() + (Path(__file__).parent / "_laplace.py").read_bytes()
    ).hexdigest()[:12],
    16,
)


class LaplaceNodes(Op):
    """Quadrature nodes and log-weights of a family, as a PyTensor Op without gradient.

    Inputs ``(c, f, theta1, theta2)``, float64 tensors of one common shape (use
    :func:`laplace_nodes_pytensor`, which broadcasts them); outputs ``nodes`` and ``log_w`` of
    that shape plus a trailing node axis of length ``2 n_side``.  Every input's gradient is
    disconnected: the quadrature sum does not depend on where its nodes are.
    """

    __props__ = ("family", "n_side", "log_map")

    def __init__(self, family: str, n_side: int, log_map: float | None):
        if family not in FAMILY_CODES:
            raise ValueError(f"no numba placement for family {family!r}")
        self.family = family
        self.n_side = int(n_side)
        self.log_map = -1.0 if log_map is None else float(log_map)
        super().__init__()

    def make_node(self, c: Any, f: Any, t1: Any, t2: Any) -> Apply:  # noqa: D102
        ins = [pt.as_tensor_variable(x) for x in (c, f, t1, t2)]
        ins = [x if x.dtype == "float64" else pt.cast(x, "float64") for x in ins]
        ndim = ins[0].type.ndim
        if any(x.type.ndim != ndim for x in ins):
            raise ValueError("LaplaceNodes needs inputs of one shape (laplace_nodes_pytensor)")
        shape = tuple(
            next((x.type.shape[d] for x in ins if x.type.shape[d] is not None), None)
            for d in range(ndim)
        ) + (2 * self.n_side,)
        outs = [TensorType("float64", shape=shape)() for _ in range(2)]
        return Apply(self, ins, outs)

    def perform(self, node: Apply, inputs: list, output_storage: list) -> None:  # noqa: D102
        impl = _op_impl(self.family, self.n_side, self.log_map)
        nodes, log_w = impl(*(np.asarray(x, dtype=np.float64) for x in inputs))
        output_storage[0][0] = nodes
        output_storage[1][0] = log_w

    def infer_shape(self, *args: Any) -> list:
        """Both outputs have the input shape plus the node axis."""
        input_shapes = args[-1]
        return [(*input_shapes[0], 2 * self.n_side)] * 2

    def connection_pattern(self, node: Apply) -> list[list[bool]]:  # noqa: D102
        return [[False, False] for _ in range(4)]

    def pullback(self, inputs: list, outputs: list, cotangents: list) -> list:
        """No gradient: node placement is invariant for the quadrature sum."""
        return [disconnected_type() for _ in range(4)]

    def grad(self, inputs: list, output_grads: list) -> list:
        """Gradient for PyTensor versions without :meth:`pullback`."""
        return [disconnected_type() for _ in range(4)]


_IMPLS: dict[tuple[str, int, float], Any] = {}


def _op_impl(family: str, n_side: int, log_map: float) -> Any:
    """A numba function ``(c, f, t1, t2) -> (nodes, log_w)`` for one placement setting."""
    key = (family, n_side, log_map)
    if key not in _IMPLS:
        code = FAMILY_CODES[family]
        _, frac, log_w0 = _gl_tables(n_side)
        m = 2 * n_side

        @numba.njit
        def impl(c, f, t1, t2):  # pragma: no cover - compiled
            shape = c.shape
            n = c.size
            nodes, log_w = _place_flat(
                code,
                np.ascontiguousarray(c).reshape(n),
                np.ascontiguousarray(f).reshape(n),
                np.ascontiguousarray(t1).reshape(n),
                np.ascontiguousarray(t2).reshape(n),
                frac,
                log_w0,
                log_map,
            )
            return nodes.reshape(shape + (m,)), log_w.reshape(shape + (m,))

        _IMPLS[key] = impl
    return _IMPLS[key]


@register_funcify_default_op_cache_key(LaplaceNodes)
def numba_funcify_laplace_nodes(op: LaplaceNodes, node: Any = None, **kwargs: Any) -> Any:
    """Native implementation for PyTensor's numba linker (salted with the sources' hash)."""
    return _op_impl(op.family, op.n_side, op.log_map), _SOURCE_SALT


def laplace_nodes_pytensor(
    family: str, c: Any, f: Any, t1: Any, t2: Any, n_side: int, log_map: float | None
) -> tuple[Any, Any]:
    """Symbolic nodes and log-weights (no gradient) for broadcast inputs."""
    ins = [pt.as_tensor_variable(x) for x in (c, f, t1, t2)]
    ins = [x if x.dtype == "float64" else pt.cast(x, "float64") for x in ins]
    nodes, log_w = LaplaceNodes(family, n_side, log_map)(*pt.broadcast_arrays(*ins))
    return nodes, log_w
