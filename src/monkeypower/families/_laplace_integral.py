r"""The quadrature sum and its gradient in one numba pass, for four-parameter quadrature families.

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
``prepare(c, f, t1, t2, t3, t4) -> pre``, a tuple of what does not change from node to node
(logarithms, ratios: computed once per element, not once per node), and
``h_grad(y, pre, want_grad, g) -> h(y)``, which also writes :math:`\partial h/\partial t_q`
into ``g[0:4]`` when ``want_grad``; and one cached wrapper
``log_integral(c, f, t1, t2, t3, t4, frac, log_w0, log_map, want_grad)`` returning
:func:`log_integral_flat4` on those functions; the wrapper goes into its
:class:`~._laplace_numba.NumbaIntegrand` as ``log_integral``.  Runs natively in PyTensor's
numba backend (nutpie's); JAX keeps the backend code.  On NumPy arrays of many elements (a
forecast curve: draws × pairs × k) the pass runs in ``numba.config.NUMBA_NUM_THREADS`` threads,
on contiguous slices.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType, disconnected_type
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key
from pytensor.tensor.type import TensorType

from monkeypower.threads import run_in_threads

from ._laplace import _gl_tables
from ._laplace_numba import NumbaIntegrand, _place_one, float64_inputs
from ._value_from_grad import register_value_from_grad

__all__ = ["N_THETA", "LaplaceLogIntegral", "laplace_log_integral", "log_integral_flat4"]

#: Parameters of the families this pass serves (the generalized-Beta family and its special cases).
N_THETA = 4


@numba.njit(inline="always")
def log_integral_flat4(h, dh, setup, prepare, h_grad, c, f, t1, t2, t3, t4, frac, log_w0,
                       log_map, want_grad):  # pragma: no cover - compiled
    r"""``out[0]``: :math:`\log I` per element; ``out[1:5]``: its gradient (when ``want_grad``).

    Inputs are flat float64 arrays of one length.
    """
    n = c.shape[0]
    m = frac.shape[0]
    out = np.zeros((1 + N_THETA, n))
    nodes = np.empty(m)
    log_w = np.empty(m)
    terms = np.empty(m)
    grads = np.zeros((m, N_THETA))
    acc = np.empty(N_THETA)
    for i in range(n):
        theta = (t1[i], t2[i], t3[i], t4[i])
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
                for q in range(N_THETA):
                    acc[q] += e * grads[j, q]
        out[0, i] = top + math.log(total)
        if want_grad:
            for q in range(N_THETA):
                out[1 + q, i] = acc[q] / total
    return out


class LaplaceLogIntegral(Op):
    r"""PyTensor Op: :math:`\log I(c, f; \theta)` of a quadrature family, value and gradient fused.

    Inputs ``(c, f, t1, t2, t3, t4)``, float64 tensors of one common shape (use
    :func:`laplace_log_integral`, which broadcasts them).  ``with_grad=False``: one output,
    :math:`\log I`; ``with_grad=True``: :math:`\log I` and its four partial derivatives.  ``c``
    and ``f`` are data (gradient disconnected).  A specialize rewrite lets a value node reuse
    output 0 of a gradient node on the same inputs, so a logp-and-gradient graph runs one pass.
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
        if len(thetas) != N_THETA:
            raise ValueError(f"{self.integrand.name} takes {N_THETA} parameters, got {len(thetas)}")
        ins, shape = float64_inputs((c, f, *thetas), "LaplaceLogIntegral (laplace_log_integral)")
        n_out = 1 + N_THETA if self.with_grad else 1
        return Apply(self, ins, [TensorType("float64", shape=shape)() for _ in range(n_out)])

    def perform(self, node: Apply, inputs: list, output_storage: list) -> None:  # noqa: D102
        outs = _op_impl(self.integrand, self.n_side, self.log_map, self.with_grad)(
            *(np.asarray(x, dtype=np.float64) for x in inputs))
        outs = outs if self.with_grad else (outs,)
        for store, out in zip(output_storage, outs, strict=True):
            store[0] = out

    def infer_shape(self, *args: Any) -> list:
        """Every output has the (common) input shape."""
        node, input_shapes = args[-2], args[-1]
        return [input_shapes[0]] * len(node.outputs)

    def connection_pattern(self, node: Apply) -> list[list[bool]]:  # noqa: D102
        n_out = len(node.outputs)
        return [[False] * n_out, [False] * n_out] + [[True] * n_out for _ in range(N_THETA)]

    def pullback(self, inputs: list, outputs: list, cotangents: list) -> list:
        """Vector-Jacobian product: ``cotangent * d log I / d theta_q``."""
        if self.with_grad and any(not isinstance(g.type, DisconnectedType) for g in cotangents[1:]):
            raise NotImplementedError("second derivatives of the quadrature are not implemented")
        g = cotangents[0]
        if isinstance(g.type, DisconnectedType):
            return [disconnected_type() for _ in inputs]
        grads = (outputs[1:] if self.with_grad else
                 LaplaceLogIntegral(self.integrand, self.n_side, self.log_map, True)(*inputs)[1:])
        return [disconnected_type(), disconnected_type(), *(g * d for d in grads)]

    def grad(self, inputs: list, output_grads: list) -> list:
        """Gradient for PyTensor versions without :meth:`pullback`."""
        return self.pullback(inputs, self(*inputs, return_list=True), output_grads)


register_value_from_grad(LaplaceLogIntegral)


_IMPLS: dict[tuple[str, str, int, float, bool], Any] = {}


def _op_impl(integrand: NumbaIntegrand, n_side: int, log_map: float, with_grad: bool) -> Any:
    """A numba function of ``(c, f, t1, t2, t3, t4)`` (one common shape) for one setting."""
    key = (integrand.module, integrand.attr, n_side, log_map, with_grad)
    if key in _IMPLS:
        return _IMPLS[key]
    kernel = integrand.log_integral
    _, frac, log_w0 = _gl_tables(n_side)

    @numba.njit
    def run(c, f, t1, t2, t3, t4, want_grad):  # pragma: no cover - compiled
        n = c.size
        return kernel(np.ascontiguousarray(c).reshape(n), np.ascontiguousarray(f).reshape(n),
                      np.ascontiguousarray(t1).reshape(n), np.ascontiguousarray(t2).reshape(n),
                      np.ascontiguousarray(t3).reshape(n), np.ascontiguousarray(t4).reshape(n),
                      frac, log_w0, log_map, want_grad)

    if with_grad:
        @numba.njit
        def impl(c, f, t1, t2, t3, t4):  # pragma: no cover - compiled
            out = run(c, f, t1, t2, t3, t4, c.size >= 0)
            shape = c.shape
            return (out[0].copy().reshape(shape), out[1].copy().reshape(shape),
                    out[2].copy().reshape(shape), out[3].copy().reshape(shape),
                    out[4].copy().reshape(shape))
    else:
        @numba.njit
        def impl(c, f, t1, t2, t3, t4):  # pragma: no cover - compiled
            # a run-time False: the same `bool` specialisation of the kernel as the gradient's
            return run(c, f, t1, t2, t3, t4, c.size < 0)[0].copy().reshape(c.shape)

    _IMPLS[key] = impl
    return impl


@register_funcify_default_op_cache_key(LaplaceLogIntegral)
def numba_funcify_laplace_log_integral(op: LaplaceLogIntegral, node: Any = None,
                                       **kwargs: Any) -> Any:
    """Native implementation for PyTensor's numba linker (salted with the sources' hash)."""
    return (_op_impl(op.integrand, op.n_side, op.log_map, op.with_grad),
            op.integrand.source_salt())


def laplace_log_integral(integrand: NumbaIntegrand, c: Any, f: Any, thetas: tuple[Any, ...],
                         xp_name: str, n_side: int, log_map: float) -> Any:
    r""":math:`\log I(c, f; \theta)` for broadcast NumPy arrays or PyTensor tensors.

    NumPy: the values (``float64``, the broadcast shape).  PyTensor: the symbolic value of a
    :class:`LaplaceLogIntegral` node, differentiable in ``thetas``.
    """
    if xp_name == "pytensor":
        ins = [pt.as_tensor_variable(x) for x in (c, f, *thetas)]
        ins = [x if x.dtype == "float64" else pt.cast(x, "float64") for x in ins]
        return LaplaceLogIntegral(integrand, n_side, log_map, False)(*pt.broadcast_arrays(*ins))
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (c, f, *thetas)))
    flat = [np.ascontiguousarray(x).reshape(-1) for x in arrays]
    _, frac, log_w0 = _gl_tables(n_side)

    def values(lo: int, hi: int) -> np.ndarray:
        return integrand.log_integral(*(x[lo:hi] for x in flat), frac, log_w0, float(log_map),
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
