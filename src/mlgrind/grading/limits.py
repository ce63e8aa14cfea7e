"""The old import path of ``mlgrind.course.limits``, kept for course configs written before it moved.

A course's ``nbgrader_config.py`` from an earlier release imports ``memory_argument`` and
``parse_memory`` from here; the code itself imports ``mlgrind.course.limits``.
"""

from ..course.limits import Limits, memory_argument, memory_from_arguments, parse_memory, size_text

__all__ = ["Limits", "memory_argument", "memory_from_arguments", "parse_memory", "size_text"]
