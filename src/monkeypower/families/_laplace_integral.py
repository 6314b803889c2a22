r"""The quadrature sum and its gradient in one numba pass, for quadrature families.

:mod:`._laplace_numba` places the nodes in numba and leaves the integrand at the nodes to the
family's backend code: in a PyTensor graph that is a dozen elementwise loops over a
``pairs x 2 n_side`` array and as many again for the gradient, with their temporaries.  Here,
for each element, the nodes are placed (the same generic placer,
:func:`._laplace_numba._place_one`) and the log-integral

.. math::

    \log I(c, f; \theta) = \log\sum_j w_j\,e^{h(y_j; c, f, \theta)}, \qquad
    \frac{\partial\log I}{\partial\theta_q} = \sum_j \pi_j\,
    \frac{\partial h}{\partial\theta_q}(y_j), \quad
    \pi_j = \frac{w_j e^{h(y_j)}}{\sum_i w_i e^{h(y_i)}},

are summed in one loop, with nothing per node kept beyond a row of the element's own.  The
gradient is the exact derivative of the quadrature sum at fixed nodes (the placement carries
none: the integral does not depend on where its nodes are), which is what automatic
differentiation of the backend code gives, so the two paths agree to rounding
(``tests/test_quadrature_families.py``).  What is not an integral (the family's normalising
constant, ``c log s``) stays in the family's backend code, where PyTensor differentiates it.

How a family plugs in: besides ``h``, ``dh`` and ``setup`` (:mod:`._laplace_numba`) it writes
``prepare(c, f, *theta) -> pre``, a tuple of what does not change from node to node
(logarithms, ratios: computed once per element, not once per node), and
``h_grad(y, pre, want_grad, g) -> h(y)``, which also writes :math:`\partial h/\partial
\theta_q` into ``g[q]`` when ``want_grad``; and one cached wrapper
``log_integral(c, f, thetas, frac, log_w0, log_map, want_grad)`` (``thetas``: a tuple of the
parameters' flat arrays) returning :func:`log_integral_flat` on those functions; the wrapper
goes into its :class:`~._laplace_numba.NumbaIntegrand` as ``log_integral``.  Any number of
parameters (1 to 4).  Runs natively in PyTensor's numba backend (nutpie's); JAX keeps the
backend code.  On NumPy arrays of many elements (a forecast curve: draws × pairs × k) the pass
runs in ``numba.config.NUMBA_NUM_THREADS`` threads, on contiguous slices.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
import pytensor.tensor as pt
from numba import types
from numba.extending import overload
from pytensor.gradient import DisconnectedType, disconnected_type
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key
from pytensor.tensor.type import TensorType

from monkeypower.threads import run_in_threads

from ._laplace import _gl_tables
from ._laplace_numba import NumbaIntegrand, _place_one, float64_inputs
from ._value_from_grad import register_value_from_grad

__all__ = ["LaplaceLogIntegral", "laplace_log_integral", "log_integral_flat", "parameters_at"]


def parameters_at(thetas, i):  # unannotated: numba matches the overload's signature to it
    """Element ``i`` of each array in ``thetas``, as a tuple (the placer's ``theta``)."""
    return tuple(t[i] for t in thetas)


@overload(parameters_at, inline="always")
def _parameters_at(thetas, i):
    # numba builds a tuple only of a length known when compiling: one body per length
    if not isinstance(thetas, types.BaseTuple):
        return None
    return {
        1: lambda thetas, i: (thetas[0][i],),
        2: lambda thetas, i: (thetas[0][i], thetas[1][i]),
        3: lambda thetas, i: (thetas[0][i], thetas[1][i], thetas[2][i]),
        4: lambda thetas, i: (thetas[0][i], thetas[1][i], thetas[2][i], thetas[3][i]),
    }.get(len(thetas.types))


@numba.njit(inline="always")
def log_integral_flat(h, dh, setup, prepare, h_grad, c, f, thetas, frac, log_w0, log_map,
                      want_grad):  # pragma: no cover - compiled
    r"""``out[0]``: :math:`\log I` per element; ``out[1:]``: its gradient (when ``want_grad``).

    ``c``, ``f`` and each array of the tuple ``thetas`` are flat float64 arrays of one length.
    """
    n = c.shape[0]
    k = len(thetas)
    m = frac.shape[0]
    out = np.zeros((1 + k, n))
    nodes = np.empty(m)
    log_w = np.empty(m)
    terms = np.empty(m)
    grads = np.zeros((m, k))
    acc = np.empty(k)
    for i in range(n):
        theta = parameters_at(thetas, i)
        _place_one(h, dh, setup, c[i], f[i], theta, frac, log_w0, log_map, nodes, log_w)
        pre = prepare(c[i], f[i], *theta)
        top = -np.inf
        for j in range(m):
            terms[j] = h_grad(nodes[j], pre, want_grad, grads[j]) + log_w[j]
            top = max(top, terms[j])
        total = 0.0
        acc[:] = 0.0
        for j in range(m):
            e = math.exp(terms[j] - top)
            total += e
            if want_grad:
                for q in range(k):
                    acc[q] += e * grads[j, q]
        out[0, i] = top + math.log(total)
        if want_grad:
            for q in range(k):
                out[1 + q, i] = acc[q] / total
    return out


class LaplaceLogIntegral(Op):
    r"""PyTensor Op: :math:`\log I(c, f; \theta)` of a quadrature family, value and gradient fused.

    Inputs ``(c, f, *thetas)``, flat float64 vectors of one length, one per parameter of the
    integrand (use :func:`laplace_log_integral`, which broadcasts and flattens them).
    ``with_grad=False``: one output, :math:`\log I`; ``with_grad=True``: :math:`\log I` and
    the matrix of its partial derivatives, one row per parameter.  ``c`` and ``f`` are data
    (gradient disconnected).  A specialize rewrite lets a value node reuse output 0 of a
    gradient node on the same inputs, so a logp-and-gradient graph runs one pass.
    """

    __props__ = ("integrand", "n_side", "log_map", "with_grad")

    def __init__(self, integrand: NumbaIntegrand, n_side: int, log_map: float,
                 with_grad: bool = False):
        if not isinstance(integrand, NumbaIntegrand) or integrand.log_integral is None:
            raise TypeError(f"{integrand!r} has no fused log-integral kernel")
        self.integrand = integrand
        self.n_side = int(n_side)
        self.log_map = float(log_map)
        self.with_grad = bool(with_grad)
        super().__init__()

    def make_node(self, c: Any, f: Any, *thetas: Any) -> Apply:  # noqa: D102
        k = self.integrand.n_params
        if len(thetas) != k:
            raise ValueError(f"{self.integrand.name} takes {k} parameters, got {len(thetas)}")
        ins, shape = float64_inputs((c, f, *thetas), "LaplaceLogIntegral (laplace_log_integral)")
        if len(shape) != 1:
            raise ValueError("LaplaceLogIntegral takes flat vectors (see laplace_log_integral)")
        outs = [TensorType("float64", shape=shape)()]
        if self.with_grad:
            outs.append(TensorType("float64", shape=(k, *shape))())
        return Apply(self, ins, outs)

    def perform(self, node: Apply, inputs: list, output_storage: list) -> None:  # noqa: D102
        outs = _op_impl(self.integrand, self.n_side, self.log_map, self.with_grad)(
            *(np.asarray(x, dtype=np.float64) for x in inputs))
        outs = outs if self.with_grad else (outs,)
        for store, out in zip(output_storage, outs, strict=True):
            store[0] = out

    def infer_shape(self, *args: Any) -> list:
        """The value has the inputs' length; the gradient one row of it per parameter."""
        n = args[-1][0]
        return [n, (self.integrand.n_params, *n)][: 1 + self.with_grad]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:  # noqa: D102
        n_out = len(node.outputs)
        return [[False] * n_out, [False] * n_out] + [[True] * n_out
                                                     for _ in range(len(node.inputs) - 2)]

    def pullback(self, inputs: list, outputs: list, cotangents: list) -> list:
        """Vector-Jacobian product: ``cotangent * d log I / d theta_q``."""
        if self.with_grad and not isinstance(cotangents[1].type, DisconnectedType):
            raise NotImplementedError("second derivatives of the quadrature are not implemented")
        g = cotangents[0]
        if isinstance(g.type, DisconnectedType):
            return [disconnected_type() for _ in inputs]
        grads = (outputs[1] if self.with_grad else
                 LaplaceLogIntegral(self.integrand, self.n_side, self.log_map, True)(*inputs)[1])
        return [disconnected_type(), disconnected_type(),
                *(g * grads[q] for q in range(len(inputs) - 2))]

    def grad(self, inputs: list, output_grads: list) -> list:
        """Gradient for PyTensor versions without :meth:`pullback`."""
        return self.pullback(inputs, self(*inputs, return_list=True), output_grads)


register_value_from_grad(LaplaceLogIntegral)


_IMPLS: dict[tuple[str, str, int, float, bool], Any] = {}


def _op_impl(integrand: NumbaIntegrand, n_side: int, log_map: float, with_grad: bool) -> Any:
    """A numba function of ``(c, f, *thetas)`` (flat vectors of one length) for one setting."""
    key = (integrand.module, integrand.attr, n_side, log_map, with_grad)
    if key in _IMPLS:
        return _IMPLS[key]
    kernel = integrand.log_integral
    _, frac, log_w0 = _gl_tables(n_side)

    if with_grad:
        @numba.njit
        def impl(c, f, *thetas):  # pragma: no cover - compiled
            out = kernel(c, f, thetas, frac, log_w0, log_map, c.size >= 0)
            return out[0].copy(), out[1:].copy()
    else:
        @numba.njit
        def impl(c, f, *thetas):  # pragma: no cover - compiled
            # a run-time False: the same `bool` specialisation of the kernel as the gradient's
            return kernel(c, f, thetas, frac, log_w0, log_map, c.size < 0)[0].copy()

    _IMPLS[key] = impl
    return impl


@register_funcify_default_op_cache_key(LaplaceLogIntegral)
def numba_funcify_laplace_log_integral(op: LaplaceLogIntegral, node: Any = None,
                                       **kwargs: Any) -> Any:
    """Native implementation for PyTensor's numba linker (salted with the sources' hash)."""
    return (_op_impl(op.integrand, op.n_side, op.log_map, op.with_grad),
            op.integrand.source_salt())


def laplace_log_integral(integrand: NumbaIntegrand, c: Any, f: Any, thetas: tuple[Any, ...],
                         xp_name: str, n_side: int, log_map: float | None) -> Any:
    r""":math:`\log I(c, f; \theta)` for broadcast NumPy arrays or PyTensor tensors.

    NumPy: the values (``float64``, the broadcast shape).  PyTensor: the symbolic value of a
    :class:`LaplaceLogIntegral` node, differentiable in ``thetas``.  ``log_map`` ``None``:
    nodes spaced linearly (as :func:`._laplace_numba.place_nodes`).
    """
    log_map = -1.0 if log_map is None else float(log_map)
    if xp_name == "pytensor":
        ins = [pt.as_tensor_variable(x) for x in (c, f, *thetas)]
        ins = pt.broadcast_arrays(*(x if x.dtype == "float64" else pt.cast(x, "float64")
                                    for x in ins))
        value = LaplaceLogIntegral(integrand, n_side, log_map, False)(
            *(x.ravel() for x in ins))
        return value.reshape(ins[0].shape, ndim=ins[0].ndim)
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (c, f, *thetas)))
    flat = [np.ascontiguousarray(x).reshape(-1) for x in arrays]
    _, frac, log_w0 = _gl_tables(n_side)

    def values(lo: int, hi: int) -> np.ndarray:
        return integrand.log_integral(flat[0][lo:hi], flat[1][lo:hi],
                                      tuple(x[lo:hi] for x in flat[2:]), frac, log_w0, log_map,
                                      False)[0]

    return _in_threads(values, flat[0].size).reshape(arrays[0].shape)


#: Elements per thread below which starting threads costs more than it saves (one element is
#: ~6 µs, so a thread gets at least ~25 ms of work).
MIN_ELEMENTS_PER_THREAD = 4096


def _in_threads(values: Any, n: int) -> np.ndarray:
    """``values(0, n)``, over ``numba.config.NUMBA_NUM_THREADS`` threads when ``n`` is large.

    Post-fit curves evaluate draws × pairs × k elements; the kernel releases the GIL, so
    contiguous slices run in parallel.  Elements are independent: the result does not depend
    on the split.
    """
    workers = min(int(numba.config.NUMBA_NUM_THREADS), n // MIN_ELEMENTS_PER_THREAD)
    if workers <= 1:
        return values(0, n)
    bounds = np.linspace(0, n, workers + 1).astype(np.int64)
    out = np.empty(n)

    def fill(i: int) -> None:
        out[bounds[i]:bounds[i + 1]] = values(bounds[i], bounds[i + 1])

    run_in_threads(fill, range(workers))
    return out
