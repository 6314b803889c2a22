r"""Laplace-placed Gauss–Legendre quadrature for unimodal one-dimensional log-integrands.

Families without a closed-form :math:`L(c, f)` (logit-normal, Kumaraswamy) write
:math:`\mathbb{E}[p^c(1-p)^f] = \int_{\mathbb{R}} e^{h(y)}\,dy` in an unbounded variable
:math:`y` in which :math:`h` is unimodal (log-concave for the logit-normal) and decays at least
exponentially on both sides.  The integral is evaluated on a *fixed* number of nodes, so it runs
inside a static-shape PyTensor graph, in JAX and vectorised in NumPy:

1. **mode** :math:`y^*` of :math:`h`: safeguarded Newton iterations on :math:`h'` inside a
   bracket :math:`[y_{lo}, y_{hi}]` with :math:`h'(y_{lo}) > 0 > h'(y_{hi})` (the bracket
   shrinks with the sign of :math:`h'` at every iterate; a Newton step that leaves it, or a
   non-negative :math:`h''`, is replaced by bisection);
2. **window**: on each side the distance :math:`d` at which :math:`h` has dropped by
   :data:`DROP` nats below :math:`h(y^*)` (:math:`e^{-45}\approx 3\times10^{-20}`), from the
   Laplace guess :math:`d_0 = \sqrt{2\,\mathrm{DROP}/|h''(y^*)|}` refined by safeguarded
   Newton steps (``rtsafe``: Newton inside a bracket when it converges fast enough, bisection
   otherwise) on :math:`\log g(d) = \log\mathrm{DROP}`, :math:`g(d) = h(y^*) - h(y^*\pm d)`;
   Newton on :math:`\log g` is exact for a double-exponential cut-off and converges
   quadratically for Gaussian or exponential tails; without convergence the smallest
   :math:`d` known to reach the drop is used, so mass is never cut off;
3. **nodes**: ``n_side`` Gauss–Legendre nodes on each of :math:`[y^*-d_L, y^*]` and
   :math:`[y^*, y^*+d_R]`, spread linearly or (``log_map``) geometrically away from the mode.
   Splitting at the mode lets each side have its own scale (e.g. a Gaussian tail on one side
   and a double-exponential cut-off on the other).

Everything that only *places* the nodes goes through ``stop_gradient``: the integral does not
depend on where the nodes are, so gradients flow only through :math:`h` at the (fixed) nodes,
which is the exact derivative of the quadrature sum.  This backend-agnostic placement is what
JAX runs; NumPy and PyTensor run the same algorithm compiled with numba
(:mod:`._laplace_numba`, which also stops iterating once converged, and which imports this
module, never the reverse).

References
----------
G. H. Golub and J. H. Welsch (1969), "Calculation of Gauss quadrature rules",
Math. Comp. 23, 221–230.

W. H. Press et al. (2007), *Numerical Recipes*, 3rd ed., §9.4 (``rtsafe``: Newton safeguarded
by bisection).

M. Mächler (2012), "Accurately computing log(1 - exp(-|a|))", R package Rmpfr vignette.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._backend import Array, ArrayBackend, logsumexp

__all__ = [
    "DROP",
    "N_SIDE",
    "frozen_broadcast",
    "laplace_nodes",
    "log_sigmoid",
    "log1mexp",
    "sigmoid",
    "lambert_w",
    "numpy_chunked",
    "FUSED_CHUNK",
    "quadrature_log_integral",
]

#: Window edge: where the log-integrand is this many nats below its maximum.
DROP = 45.0
#: Default number of Gauss–Legendre nodes on each side of the mode.
N_SIDE = 40
#: Safeguarded Newton iterations for the mode; Newton iterations for each window edge.
MODE_STEPS = 14
EDGE_STEPS = 10
# constants outside float32 range go through ``xp.asarray`` (PyTensor would autocast a Python
# float such as 1e-300 to float32, i.e. to 0)
_FAR = 1e300
_TINY = 1e-300
#: NumPy path: elements per chunk (bounds temporaries to ~chunk * nodes doubles).
NUMPY_CHUNK = 2048
#: The same for a fused kernel, which keeps no per-node arrays (``_laplace_integral``): only
#: its flat copies of the inputs (~7 doubles an element), and enough elements that its own
#: threads engage (at 2,048 a chunk the fused quadrature of a forecast ran on one core).
FUSED_CHUNK = 1 << 20


@functools.cache
def _gl_tables(n_side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Side (-1/+1), fraction of the side's length and log-weight of the 2 n_side nodes."""
    t, w = np.polynomial.legendre.leggauss(n_side)
    u = 0.5 * (1.0 + t)  # fraction of the side's length, measured from the mode outward
    log_w = np.log(0.5 * w)
    side = np.concatenate([-np.ones(n_side), np.ones(n_side)])
    return side, np.concatenate([u, u]), np.concatenate([log_w, log_w])


def frozen_broadcast(xp: ArrayBackend, *values: Array) -> tuple[Array, ...]:
    """``values`` without gradient, broadcast to one shape (the node axis is appended to it).

    What a backend node placement starts from: placement carries no gradient, and every
    element gets its own mode and window.
    """
    frozen = [xp.stop_gradient(v) for v in values]
    zero = 0.0 * sum(frozen[1:], frozen[0])
    return tuple(v + zero for v in frozen)


def log_sigmoid(x: Array, xp: ArrayBackend) -> Array:
    r""":math:`\log\sigma(x) = -\log(1+e^{-x})`, stable for any real ``x``."""
    return xp.minimum(x, 0.0) - xp.log1p(xp.exp(-xp.abs(x)))


def sigmoid(x: Array, xp: ArrayBackend) -> Array:
    r""":math:`\sigma(x) = 1/(1+e^{-x})` without overflow."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0.0, 1.0, e) / (1.0 + e)


def log1mexp(x: Array, xp: ArrayBackend) -> Array:
    r""":math:`\log(1-e^{x})` for ``x < 0`` (Mächler 2012); ``x`` is clipped to ``<= -1e-300``.

    The backend's native ``log1mexp`` where it has one (same two branches, one per element).
    """
    x = xp.minimum(x, xp.asarray(-_TINY))
    if xp.log1mexp is not None:
        return xp.log1mexp(x)
    return xp.where(
        x > -math.log(2.0),
        xp.log(-xp.expm1(xp.maximum(x, -math.log(2.0)))),
        xp.log1p(-xp.exp(xp.minimum(x, -math.log(2.0)))),
    )


def lambert_w(z: Array, xp: ArrayBackend, steps: int = 3) -> Array:
    r"""Principal branch :math:`W(z)` for ``z >= 0`` (a few Newton steps on :math:`w + \log w`).

    Starts at :math:`\log(1+z) \ge W(z)`; a few digits after three steps, plenty for its only
    use (a candidate starting point of the mode search).
    """
    z = xp.maximum(z, xp.asarray(_TINY))
    w = xp.log1p(z)
    lz = xp.log(z)
    for _ in range(steps):
        w = w - (xp.log(w) + w - lz) * w / (1.0 + w)
        w = xp.maximum(w, xp.asarray(_TINY))
    return w


def laplace_nodes(
    h: Callable[[Array], Array],
    dh: Callable[[Array], tuple[Array, Array]],
    lo: Array,
    hi: Array,
    starts: list[Array],
    xp: ArrayBackend,
    n_side: int = N_SIDE,
    log_map: float | None = None,
) -> tuple[Array, Array]:
    r"""Nodes and log-weights (shape ``broadcast + (2 n_side,)``) placed around the mode of ``h``.

    Parameters
    ----------
    h
        Log-integrand (elementwise; called on arrays of the broadcast shape and on arrays with
        a trailing node axis).  Should be built from ``stop_gradient``-ed parameters.
    dh
        ``y -> (h'(y), h''(y))`` (elementwise).
    lo, hi
        A bracket of the mode: ``h'(lo) > 0 > h'(hi)``, finite.
    starts
        Candidate starting points (each broadcastable); the bracket is tightened with the sign
        of ``h'`` at each, and Newton starts from the candidate with the smallest Newton step.
    xp
        Array backend.
    n_side
        Gauss–Legendre nodes per side.
    log_map
        ``None``: the nodes of each side are spread linearly over ``[0, d]``.  A number
        :math:`m`: they are spread geometrically, :math:`d(u) = w_0(e^{\lambda u}-1)` with
        :math:`w_0 = m/\sqrt{|h''(y^*)|}` and :math:`\lambda = \log(1 + d/w_0)` (for sides much
        longer than the width at the mode, e.g. a sharp peak with a long exponential tail).

    Returns
    -------
    nodes, log_weights
        Both without gradient.
    """
    sg = xp.stop_gradient
    lo, hi = sg(lo), sg(hi)
    best = None
    best_step = None
    for cand in starts:
        cand = sg(xp.clip(cand, lo, hi))
        d1, d2 = dh(cand)
        lo = xp.where(d1 > 0.0, xp.maximum(lo, cand), lo)
        hi = xp.where(d1 < 0.0, xp.minimum(hi, cand), hi)
        step = xp.abs(d1 / xp.minimum(d2, xp.asarray(-_TINY)))
        if best is None:
            best, best_step = cand, step
        else:
            better = step < best_step
            best = xp.where(better, cand, best)
            best_step = xp.where(better, step, best_step)
    y = best
    for _ in range(MODE_STEPS):
        d1, d2 = dh(y)
        lo = xp.where(d1 > 0.0, xp.maximum(lo, y), lo)
        hi = xp.where(d1 < 0.0, xp.minimum(hi, y), hi)
        newton = y - d1 / xp.minimum(d2, xp.asarray(-_TINY))
        ok = (d2 < 0.0) & (newton >= lo) & (newton <= hi)
        y = xp.where(ok, newton, 0.5 * (lo + hi))
    mode = sg(y)
    h_star = h(mode)
    _, d2 = dh(mode)
    kappa = xp.maximum(-d2, xp.asarray(_TINY))
    d0 = xp.sqrt(2.0 * DROP / kappa)
    edges = []
    log_drop = math.log(DROP)
    for sign in (-1.0, 1.0):
        d = d0
        d_lo = 0.0 * d0  # drop < DROP here
        d_hi = d_lo + xp.asarray(_FAR)  # drop >= DROP here (_FAR: not found yet)
        step_old = d_hi  # length of the step before last (for the rtsafe test)
        done = d0 < 0.0  # all False
        for _ in range(EDGE_STEPS):
            yy = mode + sign * d
            g = h_star - h(yy)  # drop below the maximum: increasing in d
            slope = -sign * dh(yy)[0]  # dg/dd
            above = g >= DROP
            d_hi = xp.where(above, xp.minimum(d_hi, d), d_hi)
            d_lo = xp.where(above, d_lo, xp.maximum(d_lo, d))
            ok = (g > 0.0) & (slope > 0.0)
            g_safe = xp.where(ok, g, 1.0)
            # Newton on phi(d) = log g(d) - log DROP: exact where g grows exponentially (a
            # double-exponential cut-off); where g grows like a power of d (Gaussian or
            # exponential tails of the integrand) it approaches the root quadratically from below
            phi = xp.log(g_safe) - log_drop
            dphi = xp.where(ok, slope, 1.0) / g_safe
            newton = d - phi / dphi
            # rtsafe (Press et al.): Newton only inside the bracket and when it converges fast
            # enough, else bisection (a flat region next to a cliff makes plain Newton oscillate)
            inside = (ok & (newton >= d_lo) & (newton <= d_hi)
                      & (xp.abs(2.0 * phi) <= xp.abs(step_old * dphi)))
            fallback = xp.where(d_hi < xp.asarray(_FAR), 0.5 * (d_lo + d_hi), 4.0 * d)
            new = xp.where(inside, newton, fallback)
            step_done = inside & (xp.abs(newton - d) < 1e-4 * d)  # the edge needs no precision
            step_old = xp.where(done, step_old, xp.abs(new - d))
            d = xp.where(done, d, new)
            done = done | step_done
        # converged: the root; otherwise the smallest distance known to reach the drop (or the
        # last iterate, where the drop was only ever approached from below)
        edges.append(sg(xp.where(done | (d_hi >= xp.asarray(_FAR)), d, d_hi)))
    d_left, d_right = edges
    side_np, frac, log_w_np = _gl_tables(n_side)
    ex = xp.expand_last
    side = xp.asarray(side_np)
    length = xp.where(side < 0.0, ex(d_left), ex(d_right))
    u = xp.asarray(frac)
    if log_map is None:
        nodes = ex(mode) + side * length * u
        log_w = xp.asarray(log_w_np) + xp.log(length)
    else:
        # d = w0 (exp(lam u) - 1), u in (0, 1): geometric spacing beyond the scale w0
        w0 = ex(log_map / xp.sqrt(kappa))
        lam = xp.log1p(length / w0)
        nodes = ex(mode) + side * w0 * xp.expm1(lam * u)
        log_w = xp.asarray(log_w_np) + xp.log(w0 * lam) + lam * u
    return sg(nodes), sg(log_w)


def quadrature_log_integral(log_integrand: Array, log_weights: Array, xp: ArrayBackend) -> Array:
    r""":math:`\log\sum_i w_i e^{h(y_i)}` over the trailing node axis."""
    return logsumexp(log_integrand + log_weights, -1, xp)


def numpy_chunked(kernel: Callable[..., np.ndarray], *args: Any,
                  chunk: int = NUMPY_CHUNK) -> np.ndarray:
    """Evaluate ``kernel(*flat_args)`` on the broadcast arguments in chunks of ``chunk``.

    Keeps the ``(elements, nodes)`` temporaries small whatever the number of posterior draws
    times pairs times k values (a fused kernel passes :data:`FUSED_CHUNK`).
    """
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in args))
    shape = arrays[0].shape
    flat = [np.ascontiguousarray(x).reshape(-1) for x in arrays]
    out = np.empty(flat[0].size, dtype=np.float64)
    for start in range(0, out.size, chunk):
        sl = slice(start, start + chunk)
        out[sl] = kernel(*(x[sl] for x in flat))
    return out.reshape(shape)
