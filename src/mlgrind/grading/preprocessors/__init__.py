"""The steps nbgrader runs in place of its own, one module each, in the order nbgrader runs them.

``autograder/nbgrader_config.py`` names each by its module: ``Autograde`` sanitizes a submission
(``autograde_1_overwrite_cells``), runs it (``autograde_2_execute``), bounds its outputs' size
(``autograde_3_bound_outputs``) and scrubs them of hidden-test lines (``autograde_4_scrub_hidden_lines``); ``GenerateFeedback`` hides the hidden tests
(``feedback_1_hide_hidden_tests``), shows the rubric under each written answer
(``feedback_2_show_rubric``) and names every exercise (``feedback_3_exercise_summary``).

Every class is importable from here as well (``mlgrind.grading.preprocessors.Execute``), the path
an instructor's own config may already name.
"""

from .autograde_1_overwrite_cells import OverwriteCells
from .autograde_2_execute import Execute
from .autograde_3_bound_outputs import BoundOutputs
from .autograde_4_scrub_hidden_lines import ScrubHiddenLines
from .feedback_1_hide_hidden_tests import HideHiddenTests
from .feedback_2_show_rubric import ShowRubric
from .feedback_3_exercise_summary import ExerciseSummary

__all__ = ["OverwriteCells", "Execute", "BoundOutputs", "ScrubHiddenLines", "HideHiddenTests", "ShowRubric", "ExerciseSummary"]
