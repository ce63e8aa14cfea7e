"""The shape-flow widgets: reading what a person types, the diagrams, live updates, and the static
picture that nbconvert's HTML and nbgrader's feedback show where no widget can run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mlgrind.shapes import palette
from mlgrind.shapes.flows import HIDE_DEAD_WIDGET
from mlgrind.widgets import BroadcastFlow, EinsumFlow, MatmulFlow, parse_shape, parse_shapes
from support import env, run, solved

BIN = Path(sys.executable).parent


def visible(html: str) -> str:
    """What a reader sees: scripts and styles dropped, tags removed, entities decoded, spaces squeezed."""
    import html as html_module

    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S | re.I)
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", html)))


def boxes(html: str) -> list[tuple[str, str, str]]:
    """(role class, size, label) of every dimension box in a diagram."""
    return re.findall(
        r'<td class="mlgrind-dim mlgrind-(\w+)".*?<div class="mlgrind-size"[^>]*>(.*?)</div>'
        r'<div class="mlgrind-label"[^>]*>(.*?)</div></td>', html)


# ----------------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize("text, shape", [
    ("9,1,3", (9, 1, 3)), ("(9, 1, 3)", (9, 1, 3)), ("[9, 1, 3]", (9, 1, 3)), ("9 1 3", (9, 1, 3)),
    ("9 x 1 x 3", (9, 1, 3)), ("9×1×3", (9, 1, 3)), (" (4, 1) ", (4, 1)), ("(3,)", (3,)), ("3", (3,)),
    ("()", ()), ("", ()), ("0, 2", (0, 2)),
])
def test_parse_shape_reads_what_people_type(text, shape):
    assert parse_shape(text) == shape


@pytest.mark.parametrize("text, words", [
    ("9,,3", "size is missing"), ("(9, 1", "never closed"), ("9, 1)", "no opening"),
    ("9, -1", "negative"), ("1.5", "not a size"), ("9, x", "'x' is not a size"), ("((3))", "brackets"),
    (",", "no size"), (", ".join(["2"] * 13), "at most 12"),
])
def test_parse_shape_says_what_is_wrong(text, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        parse_shape(text)


def test_parse_shapes_reads_several():
    assert parse_shapes("(2, 3), (3, 4)") == ((2, 3), (3, 4))
    assert parse_shapes("2,3; 3,4") == ((2, 3), (3, 4))
    assert parse_shapes("(), (3,)") == ((), (3,))
    with pytest.raises(ValueError, match="outside the brackets"):
        parse_shapes("(2, 3), 4")


# -------------------------------------------------------------------------------------- broadcast
def test_seed_example_diagram_shows_result_and_labels():
    flow = BroadcastFlow((9, 1, 3), (4, 1))
    text = visible(flow.html)
    assert "A + B → result (9, 4, 3)" in text
    assert "result (9, 4, 3)" in text
    for label in ("stretched", "padded", "kept", "result", "axis 0", "axis 2"):
        assert label in text
    assert boxes(flow.html) == [
        ("plain", "9", "kept"), ("stretched", "1→4", "stretched"), ("plain", "3", "kept"),
        ("stretched", "1→9", "padded, stretched"), ("plain", "4", "kept"), ("stretched", "1→3", "stretched"),
        ("result", "9", "result"), ("result", "4", "result"), ("result", "3", "result"),
    ]
    padded = re.search(r'<td class="mlgrind-dim[^>]*><div[^>]*>1→9<', flow.html).group(0)
    assert "dashed" in padded and "opacity" in padded  # a padded 1 is drawn faint
    assert flow.message.value == ""


def test_conflict_marks_its_column_and_explains():
    flow = BroadcastFlow((2, 3), (4,))
    html = flow.html
    headers = re.findall(r"<th[^>]*>(axis \d)(?:<div[^>]*>(.*?)</div>)?</th>", html)
    assert headers == [("axis 0", "(-2)"), ("axis 1", "✗ conflict")]
    cells = boxes(html)
    assert [c for c in cells if c[0] == "conflict"] == [("conflict", "3", "conflict"), ("conflict", "4", "conflict"),
                                                      ("conflict", "?", "conflict")]
    assert "axis 1: size 3 (A) vs size 4 (B)" in visible(html)
    assert "mlgrind-error" in html and flow.plan.result is None


def test_widget_redraws_when_its_fields_change():
    flow = BroadcastFlow((9, 1, 3), (4, 1))
    flow.inputs[0].value = "(3,)"
    flow.inputs[1].value = "4"
    assert "axis 0: size 3 (A) vs size 4 (B)" in visible(flow.diagram.value)
    flow.inputs[0].value = "8, 1, 6, 1"
    flow.inputs[1].value = "7 x 1 x 5"
    assert "result (8, 7, 6, 5)" in visible(flow.diagram.value)
    assert flow.plan.result == (8, 7, 6, 5) and flow.html in flow.diagram.value


def test_bad_text_gets_an_inline_message_and_keeps_the_diagram(capsys):
    flow = BroadcastFlow((9, 1, 3), (4, 1))
    before = flow.diagram.value
    flow.inputs[1].value = "4, one"
    message = visible(flow.message.value)
    assert "B '4, one': 'one' is not a size" in message and "last shapes that worked" in message
    assert flow.diagram.value == before
    flow.inputs[1].value = "(4, 1"
    assert "never closed" in visible(flow.message.value)
    flow.inputs[1].value = "(4, 1)"
    assert flow.message.value == "" and flow.plan.result == (9, 4, 3)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err


def test_every_box_says_its_role_in_words_and_colours_stay_readable():
    for flow in (BroadcastFlow((8, 1, 6, 1), (7, 1, 5), (3, 1, 1)), MatmulFlow((3,), (5, 3, 4)),
                 MatmulFlow((2, 3), (4, 5)), EinsumFlow("...ij,jk", (5, 2, 3), (1, 4))):
        html = flow.html
        assert html.count('class="mlgrind-dim') == len(boxes(html)) > 0
        assert all(label.strip() for _, _, label in boxes(html))
    def luminance(hex_colour):
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    for role in palette.ROLES.values():
        light, dark = sorted((luminance(role.fill), luminance(role.ink)))
        assert (dark + 0.05) / (light + 0.05) >= 4.5, f"{role.name}: {role.ink} on {role.fill} is hard to read"
        assert role.label and role.meaning


# ----------------------------------------------------------------------------------- matmul/einsum
def test_matmul_flow_highlights_k_promotion_and_mismatch():
    flow = MatmulFlow((3,), (5, 3, 4))
    cells = boxes(flow.html)
    assert ("contracted", "3", "contracted") in cells and ("contracted", "Σ", "summed away") in cells
    assert ("padded", "1", "promoted") in cells and ("padded", "1", "removed") in cells
    assert "a @ b → result (5, 4)" in visible(flow.html)
    flow.inputs[0].value = "2, 3"
    flow.inputs[1].value = "4, 5"
    assert "K=3 vs K=4" in visible(flow.html)
    assert [c for c in boxes(flow.html) if c[0] == "conflict"][:2] == [("conflict", "3", "conflict"),
                                                                       ("conflict", "4", "conflict")]
    flow.inputs[0].value = "()"
    assert "0-d" in visible(flow.html) and flow.plan is None


def test_einsum_flow_names_roles_and_survives_bad_specs():
    flow = EinsumFlow("bhqd,bhkd->bhqk", (2, 4, 5, 8), (2, 4, 7, 8))
    text = visible(flow.html)
    assert "einsum → result (2, 4, 5, 7)" in text
    assert {"batch", "free", "contracted"} <= {label for _, _, label in boxes(flow.html)}
    flow.inputs[0].value = "ij,jk->ik"  # the old shapes have 4 dims each
    assert "A (2, 4, 5, 8) has 4 dims but 'ij' names 2" in visible(flow.html)
    flow.inputs[1].value = "(2, 3), (3, 4)"
    assert "einsum → result (2, 4)" in visible(flow.html) and flow.plan.output == ("i", "k")
    flow.inputs[0].value = "ij,jk->jj"
    assert "names 'j' twice" in visible(flow.html) and flow.message.value == ""
    flow.inputs[0].value = "ij,jk"
    assert "the output is every letter seen once, sorted" in visible(flow.html)
    flow.inputs[1].value = "(2, 3), (3, 4"
    assert "brackets do not pair up" in visible(flow.message.value)


# ---------------------------------------------------------------------------------------- display
@pytest.fixture
def shell():
    """An IPython shell for this test only: left alive, it would make later tests think they run in a notebook."""
    from IPython.core.interactiveshell import InteractiveShell

    yield InteractiveShell.instance()
    InteractiveShell.clear_instance()


def test_display_gives_a_static_picture_then_the_live_widget(shell):
    from IPython.display import display
    from IPython.utils.capture import capture_output

    flow = BroadcastFlow((9, 1, 3), (4, 1))
    with capture_output() as captured:
        display(flow)
    static, live = (output.data for output in captured.outputs)
    assert set(static) == {"text/plain", "text/html"}
    assert static["text/plain"] == "broadcast (9, 1, 3) with (4, 1) -> (9, 4, 3)"
    assert f'class="mlgrind-static" data-flow="{flow.model_id}"' in static["text/html"]
    # No script, and no style but the rule that hides a reopened notebook's "model not found" line.
    assert static["text/html"].count(HIDE_DEAD_WIDGET) == 1
    bare = static["text/html"].replace(HIDE_DEAD_WIDGET, "")
    assert "<script" not in bare and "<style" not in bare
    assert "result (9, 4, 3)" in visible(static["text/html"])
    assert live["application/vnd.jupyter.widget-view+json"]["model_id"] == flow.model_id
    assert live["text/plain"] == "BroadcastFlow('(9, 1, 3)', '(4, 1)')"
    # Where the widget runs, its diagram hides its own snapshot, and only that one.
    assert f'.mlgrind-static[data-flow="{flow.model_id}"]' in flow.diagram.value


# ---------------------------------------------------------------------- without a kernel: HTML, feedback
def test_executed_notebook_exported_to_html_shows_the_diagram(course, tmp_path):
    notebook = course / "notebooks" / "01_broadcasting.ipynb"
    nbformat.write(solved(course, "01_broadcasting"), str(notebook))
    out = tmp_path / "export"
    result = subprocess.run(
        [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--execute", str(notebook), "--output-dir", str(out)],
        cwd=course, env=env(), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    html = (out / "01_broadcasting.html").read_text(encoding="utf-8")
    assert html.count('class="mlgrind-static"') == 1
    text = visible(html)
    assert "A + B → result (9, 4, 3)" in text
    for label in ("stretched", "padded, stretched", "kept", "axis 1"):
        assert label in text


def test_feedback_report_shows_the_diagram(course, selfgrade_gradebook):
    nbformat.write(solved(course, "01_broadcasting"), str(course / "notebooks" / "01_broadcasting.ipynb"))
    result = run(["mlgrind", "grade", "01", "--json"], course)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["score"] == report["max_score"]
    text = visible(Path(report["feedback"]).read_text(encoding="utf-8"))
    assert "A + B → result (9, 4, 3)" in text and "padded, stretched" in text
