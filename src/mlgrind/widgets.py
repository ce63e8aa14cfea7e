"""The widgets notebooks import: shape flows (broadcast, matmul, einsum) and the recall drill.

Notebooks import them from here (``from mlgrind.widgets import BroadcastFlow``); the flows live in
``shapes.flows``, the drill in ``recall.drill_widget``.
"""

from .recall.drill_widget import DrillWidget
from .shapes.flows import BroadcastFlow, EinsumFlow, MatmulFlow, parse_shape, parse_shapes

__all__ = ["BroadcastFlow", "MatmulFlow", "EinsumFlow", "DrillWidget", "parse_shape", "parse_shapes"]
