"""The widgets notebooks display: shape flows (broadcast, matmul, einsum) and the recall drill."""

from .recall.widget import DrillWidget
from .shapes.widgets import BroadcastFlow, EinsumFlow, MatmulFlow, parse_shape, parse_shapes

__all__ = ["BroadcastFlow", "MatmulFlow", "EinsumFlow", "DrillWidget", "parse_shape", "parse_shapes"]
