"""Grading through nbgrader: settings, build, the learner's self-grade, a class's autograde, the
preprocessors nbgrader runs, and the kernels they run in.

Importing this package first skips an import that grading never uses: jsonschema, imported by
nbformat, builds a full RFC 3987 grammar at import time (about a second and a half here) to check
the ``iri`` string format, which notebook schemas never use. Blocking that optional module before
jsonschema is first imported makes jsonschema skip that one check.
"""

import sys

if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)
