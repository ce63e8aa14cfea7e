"""Skip a slow import that grading never uses.

jsonschema, imported by nbformat, builds a full RFC 3987 grammar at import time (about a second and
a half here) to check the ``iri`` string format; notebook schemas never use that format. Blocking
the optional module before jsonschema is first imported makes jsonschema skip that one check.
"""

import sys


def skip_slow_format_checkers() -> None:
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)
