"""Everything that meets nbgrader: the build, the learner's self-grade and a class's autograde.

The only package that imports nbgrader. What it reads about the course (the config and its paths,
the limits, how an exercise is named and judged, the rubrics) comes from ``mlgrind.course``.

- ``submission``: reading a submitted notebook, the cells nbgrader restores, what went odd in it;
- ``gradebook``: reaching the gradebook and checking it against ``source/``;
- ``nbgrader_steps``: running one nbgrader converter in this process;
- ``build``, ``selfgrade``, ``classgrade``: ``mlgrind build``, ``grade`` and ``autograde``;
- ``report``: a self-grade's report and its table; ``warm``: the background grader that answers a repeated one;
- ``preprocessors``, ``kernels``: the steps nbgrader runs in place of its own, and the warm kernel.
- ``sandbox``, ``guard``: a grading kernel's bubblewrap sandbox, and the guard over what hidden tests rely on;
- ``feedback``: the feedback report's preprocessor and its nbconvert template (``feedback_template/``);
  ``rubric_feedback``: the rubric and model answer below each written answer in that report;
- ``written_answers``: what a self-grade prints about the written answers after its table;
- ``settings``, ``limits``: old import paths of ``mlgrind.course.settings`` and ``.limits``, for course configs.
"""
