"""Shape rules and their drawing, one job per module.

The rules (imported by every layer above): ``rules``, broadcast, matmul and einsum as plans (pure
data); ``text``, shapes as people type them; ``palette``, colours and the roles they mean. Their
drawing: ``html``, diagrams of plans; ``flows``, the live shape-flow widgets notebooks display.
``costs`` and ``sharding``: where notebooks import 07's and 05's pictures from (``mlgrind.pictures``).
"""
