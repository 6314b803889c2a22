r"""PyTensor ``Op`` for the scaled-Beta log mixed moment, run by the numba kernel.

The kernel itself (the exact series and its fixed-cost rules, with gradients) is
:mod:`._scaled_beta_numba`; this module wraps it for PyTensor graphs.

:class:`ScaledBetaLogMoment`
    PyTensor ``Op`` (``perform`` plus a native numba implementation for
    PyTensor's default numba linker); ``grad`` via the same Op with
    ``with_grad=True`` (outputs ``L, dL/dalpha, dL/dbeta, dL/ds``).  A
    specialize rewrite reuses output 0 of a gradient node for the value.
:func:`scaled_beta_log_moment_pytensor`
    Broadcasts the five inputs and applies the Op.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType, disconnected_type
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key
from pytensor.tensor.type import TensorType

from ._numba_cache import families_source_hash, njit_cached
from ._scaled_beta_numba import AUTO, _vec_serial
from ._value_from_grad import register_value_from_grad

__all__ = ["ScaledBetaLogMoment", "scaled_beta_log_moment_pytensor"]



# Cache salt for PyTensor's numba cache: changes whenever any module of the families changes
# (the cached wrapper holds the kernel's machine code, helpers from sibling modules inlined).
_SOURCE_SALT = int(families_source_hash()[:12], 16)


class ScaledBetaLogMoment(Op):
    r"""PyTensor Op for the scaled-Beta :math:`L(c, f; \alpha, \beta, s)`.

    Inputs ``(c, f, alpha, beta, s)``: float64 tensors of one common shape
    (use :func:`scaled_beta_log_moment_pytensor`, which broadcasts them).
    With ``with_grad=False`` the single output is ``L``; with
    ``with_grad=True`` the outputs are ``(L, dL/dalpha, dL/dbeta, dL/ds)``.
    ``c`` and ``f`` are data: their gradients are disconnected.  Runs
    natively in PyTensor's numba backend; ``perform`` (Python/C modes) calls
    the same compiled kernel.
    """

    __props__ = ("with_grad",)

    def __init__(self, with_grad: bool = False):
        self.with_grad = bool(with_grad)
        super().__init__()

    def make_node(self, c: Any, f: Any, a: Any, b: Any, s: Any) -> Apply:  # noqa: D102
        ins = [pt.as_tensor_variable(x) for x in (c, f, a, b, s)]
        ins = [x if x.dtype == "float64" else pt.cast(x, "float64") for x in ins]
        ndim = ins[0].type.ndim
        if any(x.type.ndim != ndim for x in ins):
            raise ValueError(
                "ScaledBetaLogMoment needs inputs of one shape; "
                "use scaled_beta_log_moment_pytensor to broadcast them"
            )
        shape = tuple(
            next((x.type.shape[d] for x in ins if x.type.shape[d] is not None), None)
            for d in range(ndim)
        )
        n_out = 4 if self.with_grad else 1
        outs = [TensorType("float64", shape=shape)() for _ in range(n_out)]
        return Apply(self, ins, outs)

    def perform(self, node: Apply, inputs: list, output_storage: list) -> None:  # noqa: D102
        arrs = [np.asarray(x, dtype=np.float64) for x in inputs]
        if self.with_grad:
            outs = _op_impl_grad(*arrs)
        else:
            outs = (_op_impl_value(*arrs),)
        for store, out in zip(output_storage, outs, strict=True):
            store[0] = out

    def infer_shape(self, *args: Any) -> list:
        """Every output has the (common) input shape.

        Called as ``(node, input_shapes)`` (PyTensor >= 3.3) or ``(fgraph, node,
        input_shapes)`` (older); the variadic signature serves both.
        """
        node, input_shapes = args[-2], args[-1]
        return [input_shapes[0]] * len(node.outputs)

    def connection_pattern(self, node: Apply) -> list[list[bool]]:  # noqa: D102
        n_out = len(node.outputs)
        return [[False] * n_out, [False] * n_out] + [[True] * n_out for _ in range(3)]

    def pullback(self, inputs: list, outputs: list, cotangents: list) -> list:
        """Vector-Jacobian product: ``cotangent * (dL/dalpha, dL/dbeta, dL/ds)``."""
        if self.with_grad and any(not isinstance(g.type, DisconnectedType) for g in cotangents[1:]):
            raise NotImplementedError(
                "second derivatives of the scaled-Beta log moment are not implemented"
            )
        g = cotangents[0]
        if isinstance(g.type, DisconnectedType):
            return [disconnected_type() for _ in range(5)]
        if self.with_grad:
            da, db, ds = outputs[1:]
        else:
            _, da, db, ds = ScaledBetaLogMoment(with_grad=True)(*inputs)
        return [disconnected_type(), disconnected_type(), g * da, g * db, g * ds]

    def grad(self, inputs: list, output_grads: list) -> list:
        """Gradient for PyTensor versions without :meth:`pullback`."""
        return self.pullback(inputs, self(*inputs, return_list=True), output_grads)


register_value_from_grad(ScaledBetaLogMoment)


@njit_cached
def _op_run(c, f, a, b, s, want_grad):  # pragma: no cover - compiled
    """The kernel on the flattened inputs (one common shape required): value and gradients."""
    shape = c.shape
    if f.shape != shape or a.shape != shape or b.shape != shape or s.shape != shape:
        raise ValueError("ScaledBetaLogMoment: inputs must have one common shape")
    return _vec_serial(
        np.ascontiguousarray(c).reshape(-1),
        np.ascontiguousarray(f).reshape(-1),
        np.ascontiguousarray(a).reshape(-1),
        np.ascontiguousarray(b).reshape(-1),
        np.ascontiguousarray(s).reshape(-1),
        want_grad,
        AUTO,
    )


@njit_cached
def _op_impl_value(c, f, a, b, s):  # pragma: no cover - compiled
    # a run-time (non-literal) False: reuses the `bool` specialisation of the drivers
    # instead of compiling the kernel again for Literal[bool](False)
    out = _op_run(c, f, a, b, s, c.size < 0)
    return np.ascontiguousarray(out[0]).reshape(c.shape)


@njit_cached
def _op_impl_grad(c, f, a, b, s):  # pragma: no cover - compiled
    out = _op_run(c, f, a, b, s, c.size >= 0)  # run-time True (see _op_impl_value)
    shape = c.shape
    return (
        np.ascontiguousarray(out[0]).reshape(shape),
        np.ascontiguousarray(out[1]).reshape(shape),
        np.ascontiguousarray(out[2]).reshape(shape),
        np.ascontiguousarray(out[3]).reshape(shape),
    )


@register_funcify_default_op_cache_key(ScaledBetaLogMoment)
def numba_funcify_scaled_beta_log_moment(
    op: ScaledBetaLogMoment, node: Any = None, **kwargs: Any
) -> tuple[Any, int]:
    """Native implementation for PyTensor's numba linker (salted with this file's hash)."""
    return (_op_impl_grad if op.with_grad else _op_impl_value), _SOURCE_SALT


def scaled_beta_log_moment_pytensor(c: Any, f: Any, a: Any, b: Any, s: Any) -> Any:
    r"""Symbolic scaled-Beta :math:`L(c, f)` via :class:`ScaledBetaLogMoment`.

    All five arguments broadcast together (``pt.broadcast_arrays``); gradients
    flow to ``a``, ``b``, ``s`` (``c`` and ``f`` are data).

    Parameters
    ----------
    c, f
        Success / failure counts.
    a, b, s
        :math:`\alpha`, :math:`\beta`, scale :math:`s`.

    Returns
    -------
    TensorVariable
        ``L`` with the broadcast shape.
    """
    ins = [pt.as_tensor_variable(x) for x in (c, f, a, b, s)]
    ins = [x if x.dtype == "float64" else pt.cast(x, "float64") for x in ins]
    ins = pt.broadcast_arrays(*ins)
    return ScaledBetaLogMoment(with_grad=False)(*ins)
