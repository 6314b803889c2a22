r"""Numba node placement for the quadrature families (generic; the families bring their integrands).

The *placement* of the quadrature nodes (mode search, window edges, node map; see
:mod:`._laplace`) carries no gradient and is pure iteration: unrolled into a PyTensor graph it
costs ~1,800 graph nodes and a minute of compilation per model.  Here the same algorithm runs
as scalar numba code, one element at a time, and enters PyTensor as the :class:`LaplaceNodes`
Op (gradient disconnected; native in PyTensor's numba backend, which nutpie uses).  The
integrand at the nodes, and therefore the value and the gradient of :math:`L`, is still the
family's backend-agnostic code.  JAX uses the backend-agnostic placement of :mod:`._laplace`;
the two placements give the same :math:`L` to ~1e-14 (``tests/test_family_contract.py``).

The iterations stop early once converged, which the fixed-shape graph versions cannot do: the
mode when a Newton step is below :data:`MODE_TOL` peak widths (the curvature of that last step
then serves as :math:`-h''(y^*)`), a window edge as soon as the drop it reaches is at most
:data:`EDGE_LOG_TOL` short of :data:`DROP` in log (44.8 to 45 nats; for a Gaussian peak the
Laplace guess is already there) or a Newton step changes it by less than 1e-4.  Placed this way, the
nodes sit slightly elsewhere than the graph versions put them, which changes :math:`L` by no
more than the quadrature error itself.

How a family plugs in
---------------------
Nothing here knows any family.  A quadrature family's own module defines, as numba functions of
scalars (``t1``, ``t2`` its two parameters; a family with four, such as the generalized Beta,
passes ``t1, t2, t3, t4`` wherever two are written here, and one with three ``t1, t2, t3``),

* ``h(y, c, f, t1, t2)``: the log-integrand :math:`h(y)` (the numba twin of its backend code; an
  additive constant does not matter, the placement only uses differences of ``h``);
* ``dh(y, c, f, *theta) -> (h'(y), h''(y))``;
* ``setup(c, f, t1, t2, starts) -> (lo, hi, n)``: a bracket of the mode, :math:`h'(lo) > 0 >
  h'(hi)`, with ``n <= MAX_STARTS`` candidate starting points written to ``starts``;

and one cached wrapper ``place(c, f, t1, t2, frac, log_w0, log_map)`` that returns
``place_flat(h, dh, setup, c, f, t1, t2, frac, log_w0, log_map)`` (three or four parameters:
:func:`place_flat3`, :func:`place_flat4`), and bundles them as a :class:`NumbaIntegrand` (with
``n_params=3`` or ``4``).
:func:`place_flat` is inlined (``inline="always"``) into that wrapper,
so the family's functions are called directly (no function pointers, no dynamic globals) and the
wrapper is cached on disk by numba in the family's module.  Numba alone would invalidate that
cache only when the family's module changes; :func:`~._numba_cache.njit_cached` keys it also by
the source of every module of ``families/``, so an edit here recompiles the wrappers.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import sys
from dataclasses import dataclass
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

from ._backend import Array, ArrayBackend
from ._laplace import _FAR, _TINY, DROP, EDGE_STEPS, MODE_STEPS, _gl_tables
from ._numba_cache import njit_cached

__all__ = [
    "MAX_STARTS",
    "LaplaceNodes",
    "float64_inputs",
    "NumbaIntegrand",
    "laplace_nodes_numpy",
    "laplace_nodes_pytensor",
    "nb_lambert_w",
    "nb_log1mexp",
    "nb_log1mexp_ratio",
    "nb_log_sigmoid",
    "nb_sigmoid",
    "place_flat",
    "place_flat3",
    "place_flat4",
    "place_nodes",
    "place_nodes_multi",
]

#: Most candidate starting points a family's ``setup`` may write.
MAX_STARTS = 8
_LOG2 = math.log(2.0)
_LOG_DROP = math.log(DROP)
#: The mode has converged when a Newton step is below this many peak widths 1/sqrt(-h'').
MODE_TOL = 1e-6
#: A window edge is accepted where the drop g satisfies -EDGE_LOG_TOL <= log(g / DROP) <= 0 (g
#: between 44.8 and 45 nats).  Where a rule is barely resolved (the prior's corners) its error
#: moves by up to 10x with the window's length: 0.1 (40.7 to 45 nats) cost a factor 10 there.
EDGE_LOG_TOL = 0.005

# ---------------------------------------------------------------------------
# Scalar helpers for the families' numba integrands (same formulas as in ._laplace)
# ---------------------------------------------------------------------------


@njit_cached
def nb_log_sigmoid(x):  # pragma: no cover - compiled
    r""":math:`\log\sigma(x)`, stable for any real ``x``."""
    return min(x, 0.0) - math.log1p(math.exp(-abs(x)))


@njit_cached
def nb_sigmoid(x):  # pragma: no cover - compiled
    r""":math:`\sigma(x) = 1/(1+e^{-x})` without overflow."""
    e = math.exp(-abs(x))
    return (1.0 if x >= 0.0 else e) / (1.0 + e)


@njit_cached
def nb_log1mexp(x):  # pragma: no cover - compiled
    r""":math:`\log(1-e^{x})` for ``x < 0`` (``x`` clipped to ``<= -1e-300``)."""
    x = min(x, -_TINY)
    if x > -_LOG2:
        return math.log(-math.expm1(x))
    return math.log1p(-math.exp(x))


@njit_cached
def nb_log1mexp_ratio(x):  # pragma: no cover - compiled
    r""":math:`\log(1-e^{x})` as :func:`nb_log1mexp`, and :math:`e^{x}/(1-e^{x})`."""
    x = min(x, -_TINY)
    if x > -_LOG2:
        em = math.expm1(x)
        return math.log(-em), (1.0 + em) / -em
    e = math.exp(x)
    return math.log1p(-e), e / (1.0 - e)


@njit_cached
def nb_lambert_w(z):  # pragma: no cover - compiled
    """Principal-branch Lambert W for ``z >= 0`` (three Newton steps; a starting point only)."""
    z = max(z, _TINY)
    w = math.log1p(z)
    lz = math.log(z)
    for _ in range(3):
        w = w - (math.log(w) + w - lz) * w / (1.0 + w)
        w = max(w, _TINY)
    return w


# ---------------------------------------------------------------------------
# The generic placer (inlined into each family's cached wrapper)
# ---------------------------------------------------------------------------


@numba.njit(inline="always")
def _place_one(h, dh, setup, c, f, theta, frac, log_w0, log_map, nodes, log_w):  # pragma: no cover
    """Fill one row of ``nodes`` / ``log_w`` (length ``2 * n_side``): see :mod:`._laplace`.

    ``theta`` is the tuple of the family's parameters at this element.
    """
    starts = np.empty(MAX_STARTS)
    lo, hi, n_starts = setup(c, f, *theta, starts)
    best = 0.0
    best_step = 0.0
    for i in range(n_starts):
        cand = min(max(starts[i], lo), hi)
        d1, d2 = dh(cand, c, f, *theta)
        if d1 > 0.0:
            lo = max(lo, cand)
        if d1 < 0.0:
            hi = min(hi, cand)
        step = abs(d1 / min(d2, -_TINY))
        if i == 0 or step < best_step:
            best, best_step = cand, step
    y = best
    kappa = -1.0  # curvature -h'' at the mode, once converged
    for _ in range(MODE_STEPS):
        d1, d2 = dh(y, c, f, *theta)
        if d1 > 0.0:
            lo = max(lo, y)
        if d1 < 0.0:
            hi = min(hi, y)
        newton = y - d1 / min(d2, -_TINY)
        if d2 < 0.0 and newton >= lo and newton <= hi:
            # converged: the step is far below the width 1/sqrt(-h'') of the peak (and, Newton
            # converging quadratically, the new iterate is closer still)
            done = abs(newton - y) * math.sqrt(-d2) < MODE_TOL
            y = newton
            if done:
                kappa = -d2  # h'' a small fraction of a width away: as good at the mode
                break
        else:
            y = 0.5 * (lo + hi)
    mode = y
    h_star = h(mode, c, f, *theta)
    if kappa < 0.0:
        kappa = -dh(mode, c, f, *theta)[1]
    kappa = max(kappa, _TINY)
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
            g = h_star - h(yy, c, f, *theta)
            slope = -sign * dh(yy, c, f, *theta)[0]
            if g >= DROP:
                d_hi = min(d_hi, d)
            else:
                d_lo = max(d_lo, d)
            inside = False
            newton = 0.0
            if g > 0.0 and slope > 0.0:
                phi = math.log(g) - _LOG_DROP
                if -EDGE_LOG_TOL <= phi <= 0.0:  # the drop is just short of DROP nats: done
                    d_hi = _FAR
                    break
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


@numba.njit(inline="always")
def place_flat(h, dh, setup, c, f, t1, t2, frac, log_w0, log_map):  # pragma: no cover
    n = c.shape[0]
    m = frac.shape[0]
    nodes = np.empty((n, m))
    log_w = np.empty((n, m))
    for i in range(n):
        _place_one(h, dh, setup, c[i], f[i], (t1[i], t2[i]), frac, log_w0, log_map, nodes[i],
                   log_w[i])
    return nodes, log_w


@numba.njit(inline="always")
def place_flat3(h, dh, setup, c, f, t1, t2, t3, frac, log_w0, log_map):  # pragma: no cover
    """:func:`place_flat` for a family with three parameters."""
    n = c.shape[0]
    m = frac.shape[0]
    nodes = np.empty((n, m))
    log_w = np.empty((n, m))
    for i in range(n):
        _place_one(h, dh, setup, c[i], f[i], (t1[i], t2[i], t3[i]), frac, log_w0, log_map,
                   nodes[i], log_w[i])
    return nodes, log_w


@numba.njit(inline="always")
def place_flat4(h, dh, setup, c, f, t1, t2, t3, t4, frac, log_w0, log_map):  # pragma: no cover
    """:func:`place_flat` for a family with four parameters."""
    n = c.shape[0]
    m = frac.shape[0]
    nodes = np.empty((n, m))
    log_w = np.empty((n, m))
    for i in range(n):
        _place_one(h, dh, setup, c[i], f[i], (t1[i], t2[i], t3[i], t4[i]), frac, log_w0, log_map,
                   nodes[i], log_w[i])
    return nodes, log_w



@dataclass(frozen=True, eq=False)
class NumbaIntegrand:
    """A quadrature family's numba pieces, handed to the generic placer.

    Attributes
    ----------
    name
        The family's registry name (for messages).
    module
        The module that defines it (its source salts PyTensor's numba cache key, and pickling
        refers to the object by ``module`` and ``attr``).
    attr
        The module-level name it is bound to.
    h, dh, setup
        The numba log-integrand, its first two derivatives and the mode bracket with starting
        points (signatures in the module docstring).
    place
        The family's cached wrapper of :func:`place_flat` (or :func:`place_flat4`):
        ``(c, f, t1, t2, frac, log_w0, log_map) -> (nodes, log_w)`` on flat float64 arrays.
    n_params
        How many parameters ``t1, t2, ...`` the functions take (2, 3 or 4).
    log_integral
        Optional: the family's cached wrapper of
        :func:`._laplace_integral.log_integral_flat`, the quadrature sum and its gradient in
        one pass.
    """

    name: str
    module: str
    attr: str
    h: Any
    dh: Any
    setup: Any
    place: Any
    n_params: int = 2
    log_integral: Any = None

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        # by reference: a deterministic pickle (PyTensor hashes an Op's pickled props into its
        # numba cache key) that works in a fresh process (multiprocess sampling)
        return _load_integrand, (self.module, self.attr)

    def source_salt(self) -> int:
        """Hash of the sources this placement is compiled from (this module, ._laplace, family)."""
        family_file = Path(sys.modules[self.module].__file__ or "")
        here = Path(__file__)
        sources = (here, here.parent / "_laplace.py", here.parent / "_laplace_integral.py",
                   family_file)
        data = b"".join(p.read_bytes() for p in sources)
        return int(hashlib.sha256(data).hexdigest()[:12], 16)


def _load_integrand(module: str, attr: str) -> NumbaIntegrand:
    """Unpickle a :class:`NumbaIntegrand`: ``module.attr`` (imports the module if needed)."""
    return getattr(importlib.import_module(module), attr)


def _flat_float64(*args: Any) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """Broadcast shape and writeable, contiguous, flat float64 copies of the arguments."""
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in args))
    return arrays[0].shape, [np.array(x, dtype=np.float64, order="C").reshape(-1) for x in arrays]


def laplace_nodes_numpy(
    integrand: NumbaIntegrand, c: Any, f: Any, thetas: tuple[Any, ...], n_side: int,
    log_map: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and log-weights, shape ``broadcast + (2 n_side,)``, for NumPy inputs.

    ``thetas`` holds the family's ``integrand.n_params`` parameters.
    """
    shape, flat = _flat_float64(c, f, *thetas)
    _, frac, log_w0 = _gl_tables(n_side)
    nodes, log_w = integrand.place(*flat, frac, log_w0, -1.0 if log_map is None else float(log_map))
    return nodes.reshape(*shape, 2 * n_side), log_w.reshape(*shape, 2 * n_side)


def place_nodes(
    integrand: NumbaIntegrand,
    c: Array,
    f: Array,
    p1: Array,
    p2: Array,
    xp: ArrayBackend,
    generic: Any,
    n_side: int,
    log_map: float | None,
    numba_nodes: bool | None = None,
) -> tuple[Array, Array]:
    """Nodes and log-weights for a quadrature family, placed by numba or by the backend code.

    ``integrand`` is the family's :class:`NumbaIntegrand`; ``generic(c, f, p1, p2, xp, n_side)``
    is the same placement written against the backend (:func:`._laplace.laplace_nodes`).
    ``numba_nodes`` defaults to yes for NumPy and PyTensor (fast, no graph to compile) and no for
    JAX (traced). Placement carries no gradient either way: the integral does not depend on where
    the nodes sit.  :func:`place_nodes_multi` is the same for any number of parameters.
    """
    return place_nodes_multi(integrand, c, f, (p1, p2), xp, generic, n_side, log_map, numba_nodes)


def place_nodes_multi(
    integrand: NumbaIntegrand,
    c: Array,
    f: Array,
    thetas: tuple[Array, ...],
    xp: ArrayBackend,
    generic: Any,
    n_side: int,
    log_map: float | None,
    numba_nodes: bool | None = None,
) -> tuple[Array, Array]:
    """:func:`place_nodes` with the parameters as a tuple.

    ``generic(c, f, *thetas, xp, n_side)`` is the backend placement.
    """
    if numba_nodes is None:
        numba_nodes = xp.name in ("numpy", "pytensor")
    if not numba_nodes:
        return generic(c, f, *thetas, xp, n_side)
    if xp.name == "pytensor":
        return laplace_nodes_pytensor(integrand, c, f, thetas, n_side, log_map)
    return laplace_nodes_numpy(integrand, c, f, thetas, n_side, log_map)


# ---------------------------------------------------------------------------
# PyTensor Op
# ---------------------------------------------------------------------------


def float64_inputs(values: tuple[Any, ...], op_name: str) -> tuple[list, tuple]:
    """An elementwise Op's inputs as float64 tensors of one rank, and their static shape."""
    ins = [pt.as_tensor_variable(x) for x in values]
    ins = [x if x.dtype == "float64" else pt.cast(x, "float64") for x in ins]
    ndim = ins[0].type.ndim
    if any(x.type.ndim != ndim for x in ins):
        raise ValueError(f"{op_name} needs inputs of one shape (broadcast them first)")
    shape = tuple(next((x.type.shape[d] for x in ins if x.type.shape[d] is not None), None)
                  for d in range(ndim))
    return ins, shape


class LaplaceNodes(Op):
    """Quadrature nodes and log-weights of a family, as a PyTensor Op without gradient.

    Inputs ``(c, f, theta1, theta2)`` (or ``theta1 ... theta4`` for a four-parameter family),
    float64 tensors of one common shape (use
    :func:`laplace_nodes_pytensor`, which broadcasts them); outputs ``nodes`` and ``log_w`` of
    that shape plus a trailing node axis of length ``2 n_side``.  Every input's gradient is
    disconnected: the quadrature sum does not depend on where its nodes are.
    """

    __props__ = ("integrand", "n_side", "log_map")

    def __init__(self, integrand: NumbaIntegrand, n_side: int, log_map: float | None):
        if not isinstance(integrand, NumbaIntegrand):
            raise TypeError(f"expected a NumbaIntegrand, got {integrand!r}")
        self.integrand = integrand
        self.n_side = int(n_side)
        self.log_map = -1.0 if log_map is None else float(log_map)
        super().__init__()

    def make_node(self, c: Any, f: Any, *thetas: Any) -> Apply:  # noqa: D102
        if len(thetas) != self.integrand.n_params:
            raise ValueError(f"{self.integrand.name} takes {self.integrand.n_params} parameters, "
                             f"got {len(thetas)}")
        ins, shape = float64_inputs((c, f, *thetas), "LaplaceNodes (laplace_nodes_pytensor)")
        outs = [TensorType("float64", shape=(*shape, 2 * self.n_side))() for _ in range(2)]
        return Apply(self, ins, outs)

    def perform(self, node: Apply, inputs: list, output_storage: list) -> None:  # noqa: D102
        impl = _op_impl(self.integrand, self.n_side, self.log_map)
        nodes, log_w = impl(*(np.array(x, dtype=np.float64) for x in inputs))
        output_storage[0][0] = nodes
        output_storage[1][0] = log_w

    def infer_shape(self, *args: Any) -> list:
        """Both outputs have the input shape plus the node axis."""
        input_shapes = args[-1]
        return [(*input_shapes[0], 2 * self.n_side)] * 2

    def connection_pattern(self, node: Apply) -> list[list[bool]]:  # noqa: D102
        return [[False, False] for _ in node.inputs]

    def pullback(self, inputs: list, outputs: list, cotangents: list) -> list:
        """No gradient: node placement is invariant for the quadrature sum."""
        return [disconnected_type() for _ in inputs]

    def grad(self, inputs: list, output_grads: list) -> list:
        """Gradient for PyTensor versions without :meth:`pullback`."""
        return [disconnected_type() for _ in inputs]


_IMPLS: dict[tuple[str, str, int, float], Any] = {}


def _op_impl(integrand: NumbaIntegrand, n_side: int, log_map: float) -> Any:
    """A numba function ``(c, f, t1, t2) -> (nodes, log_w)`` for one placement setting.

    (``(c, f, t1, t2, t3, t4)`` for a four-parameter family.)
    """
    key = (integrand.module, integrand.attr, n_side, log_map)
    if key not in _IMPLS:
        place = integrand.place
        _, frac, log_w0 = _gl_tables(n_side)
        m = 2 * n_side
        if integrand.n_params == 4:
            _IMPLS[key] = _op_impl4(place, frac, log_w0, log_map, m)
            return _IMPLS[key]
        if integrand.n_params == 3:
            _IMPLS[key] = _op_impl3(place, frac, log_w0, log_map, m)
            return _IMPLS[key]

        @numba.njit
        def impl(c, f, t1, t2):  # pragma: no cover - compiled
            shape = c.shape
            n = c.size
            nodes, log_w = place(
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


def _op_impl3(place: Any, frac: np.ndarray, log_w0: np.ndarray, log_map: float, m: int) -> Any:
    """:func:`_op_impl`'s numba function for a three-parameter family."""

    @numba.njit
    def impl(c, f, t1, t2, t3):  # pragma: no cover - compiled
        shape = c.shape
        n = c.size
        nodes, log_w = place(
            np.ascontiguousarray(c).reshape(n),
            np.ascontiguousarray(f).reshape(n),
            np.ascontiguousarray(t1).reshape(n),
            np.ascontiguousarray(t2).reshape(n),
            np.ascontiguousarray(t3).reshape(n),
            frac,
            log_w0,
            log_map,
        )
        return nodes.reshape(shape + (m,)), log_w.reshape(shape + (m,))

    return impl


def _op_impl4(place: Any, frac: np.ndarray, log_w0: np.ndarray, log_map: float, m: int) -> Any:
    """:func:`_op_impl`'s numba function for a four-parameter family."""

    @numba.njit
    def impl(c, f, t1, t2, t3, t4):  # pragma: no cover - compiled
        shape = c.shape
        n = c.size
        nodes, log_w = place(
            np.ascontiguousarray(c).reshape(n),
            np.ascontiguousarray(f).reshape(n),
            np.ascontiguousarray(t1).reshape(n),
            np.ascontiguousarray(t2).reshape(n),
            np.ascontiguousarray(t3).reshape(n),
            np.ascontiguousarray(t4).reshape(n),
            frac,
            log_w0,
            log_map,
        )
        return nodes.reshape(shape + (m,)), log_w.reshape(shape + (m,))

    return impl


@register_funcify_default_op_cache_key(LaplaceNodes)
def numba_funcify_laplace_nodes(op: LaplaceNodes, node: Any = None, **kwargs: Any) -> Any:
    """Native implementation for PyTensor's numba linker (salted with the sources' hash)."""
    return _op_impl(op.integrand, op.n_side, op.log_map), op.integrand.source_salt()


def laplace_nodes_pytensor(
    integrand: NumbaIntegrand, c: Any, f: Any, thetas: tuple[Any, ...], n_side: int,
    log_map: float | None,
) -> tuple[Any, Any]:
    """Symbolic nodes and log-weights (no gradient) for broadcast inputs."""
    ins = [pt.as_tensor_variable(x) for x in (c, f, *thetas)]
    ins = [x if x.dtype == "float64" else pt.cast(x, "float64") for x in ins]
    nodes, log_w = LaplaceNodes(integrand, n_side, log_map)(*pt.broadcast_arrays(*ins))
    return nodes, log_w
