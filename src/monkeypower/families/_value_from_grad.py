"""One specialize rewrite for Ops that can return their value alone or with its gradient.

An Op with a ``with_grad`` prop returns ``value`` (``with_grad=False``) or ``value, *partials``
(``with_grad=True``).  NUTS asks for the log-density and its gradient of the same inputs, so a
compiled graph holds both nodes; the rewrite lets the value node reuse output 0 of the gradient
node, so each quadrature or series runs once per evaluation.
"""

from __future__ import annotations

from typing import Any

from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.graph.rewriting.basic import node_rewriter
from pytensor.tensor.rewriting.basic import register_specialize

__all__ = ["register_value_from_grad"]


def register_value_from_grad(op_class: type[Op]) -> Any:
    """Register, for ``op_class``, the rewrite that takes the value from a gradient node.

    Two nodes match when they share their inputs and every prop but ``with_grad``.
    """
    settings = tuple(p for p in op_class.__props__ if p != "with_grad")

    @node_rewriter([op_class])
    def value_from_grad_node(fgraph: Any, node: Apply) -> list | None:
        if node.op.with_grad:
            return None
        for client, _ in fgraph.clients[node.inputs[0]]:
            if (
                client is not node
                and isinstance(client.op, op_class)
                and client.op.with_grad
                and all(getattr(client.op, p) == getattr(node.op, p) for p in settings)
                and all(x is y for x, y in zip(client.inputs, node.inputs, strict=True))
            ):
                return [client.outputs[0]]
        return None

    return register_specialize(value_from_grad_node,
                               name=f"local_{op_class.__name__}_value_from_grad")
