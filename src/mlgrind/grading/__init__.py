"""Everything that meets nbgrader: its settings, the build, the learner's self-grade and a class's autograde.

- ``settings``: the course's nbgrader config, read once per command, and every path derived from it;
- ``limits``: the time and memory a grading kernel may use, and the messages that name them;
- ``submission``: reading a submitted notebook, the cells nbgrader restores, what went odd in it;
- ``gradebook``: reaching the gradebook and checking it against ``source/``;
- ``nbgrader_steps``: running one nbgrader converter in this process;
- ``build``, ``selfgrade``, ``classgrade``: ``mlgrind build``, ``grade`` and ``autograde``;
- ``report``: a self-grade's report and its table; ``warm``: the background grader that answers a repeated one;
- ``preprocessors``: the steps nbgrader runs in place of its own, one module each, in the order they run;
- ``hidden_tests``: a notebook's hidden test regions and the output lines that would quote them;
- ``kernels``: the grading kernels, and the one started ahead of time;
- ``exercises``: an exercise's title, status, one-row message and the next step, the same in every view;
- ``feedback_template/``: the feedback report's nbconvert template.

Importing this package first skips an import that grading never uses: jsonschema, imported by
nbformat, builds a full RFC 3987 grammar at import time (about a second and a half here) to check
the ``iri`` string format, which notebook schemas never use. Blocking that optional module before
jsonschema is first imported makes jsonschema skip that one check.
"""

import sys

if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)
