"""The ML Grind: graded NumPy practice for ML coding interviews, and the tools around it.

The package is built in layers. A module imports from its own part of a layer and from the layers
below it, never from a layer above, and the parts that share a layer (split by ``|``) never import
each other. Only ``grading`` imports nbgrader. tests/test_layout.py reads these four lines and
checks every import of every module against them, imports inside functions included::

    layer 1 (foundation): course attempts checks judge shapes
    layer 2 (drawing): shapes.html shapes.flows | pictures
    layer 3 (the work): grading | recall
    layer 4 (front ends): cli __main__ editor widgets grade_cell drillwidget shapes.costs shapes.sharding

A name stands for that module and every module under it that no longer name in the table claims:
``shapes`` in layer 1 is the package and its rules (``rules``, ``text``, ``palette``), while its
drawing sits in layer 2.

1. Foundation: what every part reads about the course, without nbgrader. ``course`` finds the course
   and reads its nbgrader config (with traitlets, as nbgrader does), names and judges exercises and
   parses the written answers' rubrics; ``attempts`` keeps and resets a learner's notebooks;
   ``checks`` is what the notebooks' test cells import; ``judge`` carries plain data between the
   student's kernel and the judge's; ``shapes`` holds the shape rules.
2. Drawing: ``shapes.html`` and ``shapes.flows`` draw the rules as diagrams and live widgets;
   ``pictures`` draws 05's and 07's figures from the learner's numbers, and a class's report.
3. The work: ``grading`` runs nbgrader (build, self-grade, class autograde, the warm grader and the
   sandboxed kernels); ``recall`` keeps what was learnt (drills, review, interview, one-pagers, Anki).
   Neither imports the other: what both need lives in the foundation.
4. Front ends: ``cli`` (the ``mlgrind`` command), ``editor`` (editor mode), and the paths notebooks
   import (``widgets``, ``grade_cell``, ``drillwidget``, ``shapes.costs``, ``shapes.sharding``).
"""

import sys

# Importing any part of mlgrind first skips an import it never uses: jsonschema, imported by nbformat,
# builds a full RFC 3987 grammar at import time (about a second and a half) to check the ``iri``
# string format, which notebook schemas never use. Blocking that optional module before jsonschema
# is first imported makes jsonschema skip that one check.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)
