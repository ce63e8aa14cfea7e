"""The figures notebooks draw from the learner's own numbers, and the class report an instructor reads.

``sharding``: 05_parallel_mlp's three ways to put an MLP on two devices; ``scaling``:
07_scaling_math's roofline with the learner's matmuls on it, and a pipeline schedule. They draw what
they are given and compute nothing; the shape rules and their diagrams are in ``mlgrind.shapes``.
``class_report`` counts a class's outcomes in one assignment (share passed, failures by likely cause)
as a table and a CSV; ``class_page`` draws them on one HTML page.
"""
