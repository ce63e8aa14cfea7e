"""``from mlgrind.drillwidget import DrillWidget``, as notebooks saved by earlier releases import it."""

from .recall.drill_widget import DrillWidget

__all__ = ["DrillWidget"]
