"""The widgets notebooks import: shape flows (broadcast, matmul, einsum), the recall drill, the grade cell.

Notebooks import them from here (``from mlgrind.widgets import BroadcastFlow``); the flows live in
``shapes.flows``, the drill in ``recall.drill_widget``, the "grade me" button in ``grade_cell``.
"""

from .grade_cell import GradeCell
from .recall.drill_widget import DrillWidget
from .shapes.flows import BroadcastFlow, EinsumFlow, MatmulFlow, parse_shape, parse_shapes

__all__ = ["BroadcastFlow", "MatmulFlow", "EinsumFlow", "DrillWidget", "GradeCell", "parse_shape", "parse_shapes"]
