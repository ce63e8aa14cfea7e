"""The path 07_scaling_math's notebooks import its pictures from; they are drawn in ``mlgrind.pictures.scaling``.

The import sits in a read-only cell of released and saved notebooks, so the path stays.
"""

from ..pictures.scaling import roofline_figure, schedule_figure, show_roofline, show_schedule

__all__ = ["roofline_figure", "schedule_figure", "show_roofline", "show_schedule"]
