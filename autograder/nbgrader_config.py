"""nbgrader settings of The ML Grind; plain `nbgrader ...` and `mlgrind` both read them."""
import os
import sys
from pathlib import Path

import mlgrind.grading
from mlgrind.grading.gradebook_stamp import put_alembic_on_path, repair_stamp
from mlgrind.course.limits import memory_argument, parse_memory
from mlgrind.course.settings import with_busy_timeout

c = get_config()  # noqa: F821

course_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# nbgrader stamps a new gradebook by running `alembic` by name: found even when the environment was not
# activated (`.venv/bin/jupyter lab`); and a gradebook an earlier failure left unstamped is stamped.
put_alembic_on_path()
if "MLGRIND_DB_URL" not in os.environ:
    repaired = repair_stamp(Path(course_root, "autograder", "gradebook.db"))
    if repaired:
        print(f"mlgrind: {repaired}", file=sys.stderr)

c.CourseDirectory.course_id = "ml-grind"
c.CourseDirectory.root = course_root
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
# Working folders, all git-ignored.
c.CourseDirectory.submitted_directory = os.path.join("autograder", "submitted")
c.CourseDirectory.autograded_directory = os.path.join("autograder", "autograded")
c.CourseDirectory.feedback_directory = os.path.join("autograder", "feedback")
# A SQLite gradebook's writes wait for a lock held by another grader instead of failing at once.
c.CourseDirectory.db_url = with_busy_timeout(
    os.environ.get("MLGRIND_DB_URL", "sqlite:///" + os.path.join(course_root, "autograder", "gradebook.db"))
)

# One cell may run this long before its kernel is interrupted and the next cell runs.
c.Execute.timeout = int(os.environ.get("MLGRIND_CELL_TIMEOUT", "60"))
# Every output is in once the last cell has run: a grading kernel is killed, not asked to shut down.
c.Execute.shutdown_kernel = "immediate"

# A deleted test cell is put back and graded instead of silently scoring zero.
c.OverwriteCells.add_missing_cells = True

# Any stderr text zeroes a test cell; a NumPy warning in a correct answer should not.
c.IgnorePattern.enabled = True
# A plain substring (what r"\w*Warning: " matches too, as a search): no pattern applied to a
# student's output may take more than linear time.
c.IgnorePattern.pattern = r"Warning: "

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Each grading kernel may use this much address space (bytes; "4G"-style suffixes allowed), so a
# memory blow-up in one submission raises MemoryError instead of starving the whole run.
kernel_memory = parse_memory(os.environ.get("MLGRIND_KERNEL_MEMORY", "4G"))

c.Execute.extra_arguments = [
    # Kernels warn about plain-TCP transport on every start; only errors are worth a learner's screen.
    "--IPKernelApp.log_level=ERROR",
    memory_argument(kernel_memory),
]

# The course's own steps, one module each under mlgrind/grading/preprocessors/, named in the order
# listed here: an OverwriteCells that can re-add a test cell deleted below a read-only cell, an Execute
# that can use a kernel `mlgrind grade` started early, and the scrub of hidden-test lines from outputs.
# Named by import path so reading this file stays cheap.
# A submission's symbolic links are refused first: a linked notebook is graded as unanswered, and no
# file nbgrader copied through a link stays beside the graded notebook.
c.Autograde.sanitize_preprocessors = [
    "mlgrind.grading.submitted_links.RefuseLinks",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "mlgrind.grading.preprocessors.autograde_1_overwrite_cells.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "mlgrind.grading.preprocessors.autograde_2_execute.Execute",
    "mlgrind.grading.preprocessors.autograde_3_bound_outputs.BoundOutputs",
    "mlgrind.grading.preprocessors.autograde_4_scrub_hidden_lines.ScrubHiddenLines",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback shows a hidden test's failure message, never its source (mlgrind/grading/preprocessors/feedback_*).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "mlgrind.grading.preprocessors.feedback_1_hide_hidden_tests.HideHiddenTests",
    "mlgrind.grading.preprocessors.feedback_2_show_rubric.ShowRubric",  # rubric and model answer, once answered
    "mlgrind.grading.preprocessors.feedback_3_exercise_summary.ExerciseSummary",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# The report speaks as `mlgrind grade` does: exercises by title, statuses, check messages, the next step.
# Set for GenerateFeedback's exporter only, so formgrader's own pages keep nbgrader's templates.
c.GenerateFeedback.HTMLExporter.template_name = "mlgrind_feedback"
c.GenerateFeedback.HTMLExporter.extra_template_basedirs = [
    os.path.join(os.path.dirname(mlgrind.grading.__file__), "feedback_template")
]
