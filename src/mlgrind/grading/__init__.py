"""Everything that meets nbgrader: the build, the learner's self-grade and a class's autograde.

The only package that imports nbgrader. What it reads about the course (the config and its paths,
the limits, how an exercise is named and judged, the rubrics) comes from ``mlgrind.course``.

- ``submission``: reading a submitted notebook, the cells nbgrader restores, what went odd in it;
- ``gradebook``: reaching the gradebook and checking it against ``source/``;
- ``nbgrader_steps``: running one nbgrader converter in this process;
- ``build``, ``selfgrade``, ``classgrade``: ``mlgrind build``, ``grade`` and ``autograde``;
- ``report``: a self-grade's report and its table; ``warm``: the background grader that answers a repeated one;
- ``preprocessors``: the steps nbgrader runs in place of its own, one module each, in the order they run;
- ``hidden_tests``: a notebook's hidden test regions and the output lines that would quote them;
- ``kernels``: the grading kernels, and the one started ahead of time;
- ``sandbox``: a grading kernel's bubblewrap sandbox;
- ``written_answers``: what a self-grade prints about the written answers after its table;
- ``feedback_template/``: the feedback report's nbconvert template;
- ``settings``, ``limits``: old import paths of ``mlgrind.course.settings`` and ``.limits``, for course configs.
"""
