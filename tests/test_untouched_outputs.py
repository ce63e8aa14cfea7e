"""What an untouched learner notebook shows when run top to bottom in a real kernel, cell by cell.

No graded test cell echoes a value as ``Out[n]`` (a test cell opens with a comment, not a
docstring), a cell that says "not attempted yet" draws no figure (no half-empty plot), and the
"Grade this notebook" cell only draws its button: running it grades nothing.
"""

from __future__ import annotations

import ast

import nbclient
import nbformat
import pytest

from support import REPO

ASSIGNMENTS = sorted(path.stem for path in (REPO / "notebooks").glob("0*.ipynb"))


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_graded_test_cell_of_the_source_ends_with_an_expression(assignment):
    """IPython echoes a cell's last expression statement: a test cell's docstring alone would be one."""
    nb = nbformat.read(str(REPO / "source" / assignment / f"{assignment}.ipynb"), as_version=4)
    tests = [cell for cell in nb.cells if cell.cell_type == "code" and nbgrader_meta(cell).get("grade")]
    assert tests
    for cell in tests:
        shown = cell.source.split("### BEGIN HIDDEN TESTS")[0]  # what the release keeps
        body = ast.parse(shown).body
        assert not (body and isinstance(body[-1], ast.Expr)), (nbgrader_meta(cell)["grade_id"], shown)
        assert not ast.get_docstring(ast.parse(cell.source)), nbgrader_meta(cell)["grade_id"]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """assignment -> the learner's untouched copy, run cell by cell in a kernel (errors kept, not raised)."""
    done = {}

    def run(assignment: str):
        if assignment not in done:
            folder = tmp_path_factory.mktemp(assignment)
            nb = nbformat.read(str(REPO / "notebooks" / f"{assignment}.ipynb"), as_version=4)
            nbclient.NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=True,
                                    resources={"metadata": {"path": str(folder)}}).execute()
            done[assignment] = nb
        return done[assignment]

    return run


@pytest.mark.slow  # every notebook run in a kernel
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_an_untouched_notebook_echoes_no_test_cell_and_draws_no_half_figure(executed, assignment):
    nb = executed(assignment)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert not [out for cell in code for out in cell.outputs if out.output_type == "error"]
    for cell in code:
        meta = nbgrader_meta(cell)
        if meta.get("grade"):
            kinds = [out.output_type for out in cell.outputs]
            assert "execute_result" not in kinds, (meta["grade_id"], cell.outputs)
        printed = "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")
        if "not attempted yet" in printed:
            figures = [out for out in cell.outputs if "image/png" in out.get("data", {})]
            assert not figures, (meta.get("grade_id"), cell.source[:200])
    grade = [cell for cell in code if nbgrader_meta(cell).get("grade_id") == "grade_me"]
    assert len(grade) == 1
    [cell] = grade
    bundles = [out["data"] for out in cell.outputs if out.output_type == "display_data"]
    # A picture for viewers without a kernel, then the button's widget; no table: nothing was graded.
    assert any("text/html" in data and f"mlgrind grade {assignment[:2]}" in data["text/html"] for data in bundles)
    assert any("application/vnd.jupyter.widget-view+json" in data for data in bundles)
    assert not any("score:" in str(data) for data in bundles)
