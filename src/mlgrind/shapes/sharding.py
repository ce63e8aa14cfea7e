"""The path 05_parallel_mlp's notebooks import its picture from; it is drawn in ``mlgrind.pictures.sharding``.

The import sits in a read-only cell of released and saved notebooks, so the path stays.
"""

from ..pictures.sharding import sharding_layouts, show_sharding_layouts

__all__ = ["sharding_layouts", "show_sharding_layouts"]
