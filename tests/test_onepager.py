"""The printable one-pagers: every printed shape is NumPy's, one page each, recall sheets hold no answers."""

from __future__ import annotations

import html
import re
import struct
from dataclasses import replace
from functools import cache

import numpy as np
import pdfplumber
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import literal_name

from support import run
from mlgrind.cli import main
from mlgrind.shapes import palette
from mlgrind.recall.onepager import DPI, KINDS, PAPERS, cell_text, formula_column, render, render_pages, write_onepagers
from mlgrind.recall import costdrill
from mlgrind.recall.facts import SHEETS, Fact, Formula, Section, Sheet
from mlgrind.recall.words import number
from mlgrind.shapes.html import broadcast_html
from mlgrind.shapes.rules import ShapeError, broadcast

FACTS = [(name, row) for name, sheet in SHEETS.items() for row in sheet.rows() if isinstance(row, Fact)]


def _suffix(name: str) -> str | None:
    """``"w1_DF"`` -> ``"DF"``: the axis letters a name ends in (a 1 is a size-1 axis), else None."""
    base, sep, letters = name.rpartition("_")
    return letters if sep and base and re.fullmatch(r"[A-Za-z1]+", letters) else None


def _numpy_says(fact: Fact):
    """Run the fact on empty arrays: the result's shape (or value for a count), or "error"."""
    arrays = {name: np.empty(shape) for name, shape in fact.shapes.items()}
    letters = {}
    for name, shape in fact.shapes.items():
        if (suffix := _suffix(name)) is not None:
            assert len(suffix) == len(shape), f"{name} has shape {shape}: its name says {len(suffix)} axes"
            for letter, n in zip(suffix, shape):
                # Names agree with shapes, except where a clash is the point of the example.
                known = letters.setdefault(letter, n)
                assert known == n or fact.answer == "error", f"{letter} is {known} and {n} in {fact.expr}"
    assert letters.get("1", 1) == 1
    try:
        with np.errstate(all="ignore"):  # empty arrays hold garbage: only shapes matter
            out = eval(fact.expr, {"np": np}, {**letters, **arrays})  # noqa: S307
    except (ValueError, TypeError, IndexError):
        return "error", None, letters
    return (out if isinstance(fact.answer, int) else np.shape(out)), out, letters


@pytest.mark.parametrize("name, fact", FACTS, ids=[f"{n}: {f.expr}" for n, f in FACTS])
def test_every_printed_shape_is_numpys(name, fact):
    said, out, letters = _numpy_says(fact)
    assert said == fact.answer, f"{fact.expr} with {fact.shapes}: sheet says {fact.answer}, NumPy {said}"
    if fact.memory and fact.answer != "error":  # view / copy, checked the same way
        source = next(iter(fact.shapes))
        arrays = {name: np.empty(shape) for name, shape in fact.shapes.items()}
        with np.errstate(all="ignore"):
            out = eval(fact.expr, {"np": np}, arrays)  # noqa: S307
        shared = np.shares_memory(out, arrays[source])
        memory = "copy" if not shared else "view" if out.flags.c_contiguous else "view (strided)"
        assert memory == fact.memory, f"{fact.expr}: sheet says {fact.memory}, NumPy {memory}"
    if (suffix := _suffix(fact.out)) is not None and isinstance(fact.answer, tuple):
        # The result's name agrees with its shape wherever the inputs fix a letter.
        assert len(suffix) == len(fact.answer), f"{fact.out} for a result of shape {fact.answer}"
        for letter, n in zip(suffix, fact.answer):
            assert letters.get(letter, 1 if letter == "1" else n) == n, f"{fact.out}: {letter} is not {n}"
        if "→" in fact.symbolic:  # "(F, B) @ (B, C) → (F, C)": its last shape is the name's
            letters_out = tuple(fact.symbolic.rpartition("→")[2].strip(" ()").replace(",", " ").split())
            assert letters_out == tuple(suffix), f"{fact.symbolic} vs {fact.out}"


def test_the_seed_facts_are_there():
    broadcast = {(f.expr, tuple(f.shapes.values())): f.answer for f in SHEETS["broadcasting"].rows()
                 if isinstance(f, Fact)}
    assert broadcast[("A + B", ((9, 1, 3), (4, 1)))] == (9, 4, 3)
    reshapes = {f.expr: f.answer for f in SHEETS["reshape"].rows() if isinstance(f, Fact)}
    for expr, shape in {"x.reshape(-1)": (60,), "x.reshape(32, -1)": (32, 150528), "x.reshape(10, 20, 1)":
                        (10, 20, 1), "x.reshape(10, 4, 5)": (10, 4, 5), "x.reshape(2, 5, 20)": (2, 5, 20)}.items():
        assert reshapes[expr] == shape
    table = {f.prompt: f.symbolic for f in SHEETS["matmul"].rows() if isinstance(f, Fact)}
    assert table["(..., M, K) @ (..., K, N)"] == "(..., M, N)" and table["K @ K"] == "scalar"
    assert table["M×K @ K"] == "M" and table["K @ K×N"] == "N"
    counts = [f.answer for f in SHEETS["parallel"].rows() if isinstance(f, Fact) and isinstance(f.answer, int)]
    B, D, F, C = 32, 784, 128, 10
    assert counts == [B * C + B * D, 4 * (B * C + B * D), D * F + F + F * C + C, 4 * (D * F + F + F * C + C)]


@cache
def _page(name, paper, kind):
    return render(name, paper, kind)


@cache
def _pages(name, paper, kind) -> tuple[Figure, ...]:
    return tuple(render_pages(name, paper, kind))


FORMULA_SHEETS = [name for name, sheet in SHEETS.items() if any(formula_column(s, "recall") for s in sheet.sections)]


def _texts(fig, answers_only=False):
    return [t for t in fig.texts if t.get_text() and (not answers_only or t.get_gid() == "answer")]


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("name", SHEETS)
def test_each_sheet_fits_one_page_readably(name, paper):
    fig = _page(name, paper, "reference")  # render raises when the sheet runs off the page
    w, h = PAPERS[paper]
    assert tuple(fig.get_size_inches()) == pytest.approx((w, h))
    squeezed = [(text, used) for text, _, used in fig.shrunk if used < 6.0]
    assert not squeezed, f"text made smaller than 6 pt to fit its cell: {squeezed}"
    renderer = fig.canvas.get_renderer()
    for t in _texts(fig):
        box = t.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= w * DPI and box.y1 <= h * DPI, f"{t.get_text()!r} is cut off"


@pytest.mark.parametrize("name", SHEETS)
def test_recall_has_no_answers_and_key_has_them_in_place(name):
    reference, key = _page(name, "letter", "reference"), _page(name, "letter", "key")
    recall = _pages(name, "letter", "recall")
    printed = {t.get_text() for t in _texts(reference)}
    notes = {t.get_text() for t in _texts(reference) if t.get_gid() == "note"}
    given = {t.get_text() for t in _texts(reference) if t.get_gid() not in ("answer", "note")}
    on_recall = {t.get_text() for page in recall for t in _texts(page)}
    answers = {cell_text(row, column.field) for section in SHEETS[name].sections for column in section.columns
               if column.answer and column.field != "role" for row in section.rows} - {""}
    assert answers <= printed
    assert not answers & notes, f"a note gives an answer away: {sorted(answers & notes)}"
    leaked = answers & on_recall - given  # an answer may also be another row's input shape
    assert not leaked, f"answers on the recall sheet: {sorted(leaked)}"
    assert not [t for page in recall for t in _texts(page, answers_only=True)]

    def spots(fig):
        return sorted((round(t.get_position()[0], 3), round(t.get_position()[1], 3)) for t in _texts(fig, True))

    assert spots(key) == spots(reference)  # the key lays each answer where the reference has it
    in_reference = {t.get_text().removeprefix("= ") for t in _texts(reference, True)}
    assert {t.get_text() for t in _texts(key, True)} <= in_reference


@pytest.mark.parametrize("name", SHEETS)
def test_the_key_prints_each_prompt_on_its_answers_line(name):
    reference, key = _page(name, "letter", "reference"), _page(name, "letter", "key")

    def prompts(fig):  # (text, height on the page) of every expression, input and caption
        return sorted((t.get_text(), round(t.get_position()[1], 3)) for t in _texts(fig)
                      if t.get_gid() not in (None, "answer", "note"))

    assert prompts(key) == prompts(reference)
    expected = {cell_text(row, column.field) for section in SHEETS[name].sections if not section.aligned
                for column in section.columns if not column.answer and column.field != "note"
                for row in section.rows} | {row.expr for section in SHEETS[name].sections if section.aligned
                                            for row in section.rows}
    assert expected - {""} <= {text for text, _ in prompts(key)}
    in_boxes = {id(text) for _, shown, words in key.dims for text in (shown, words)}
    lines = {y for _, y in prompts(key)}
    alone = [t.get_text() for t in _texts(key, answers_only=True)  # on a prompt's line: within float rounding
             if id(t) not in in_boxes and not any(abs(t.get_position()[1] - y) < 2e-3 for y in lines)]
    assert not alone, f"answers in the key with no prompt on their line: {alone}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", SHEETS)
def test_no_colour_without_its_word(name, kind):
    for fig in _pages(name, "letter", kind):
        words = {t.get_text() for t in _texts(fig)}
        fills = {to_hex(a.get_facecolor()) for a in fig.artists if isinstance(a, Patch) and a.get_facecolor()[3] > 0}
        for role in palette.ROLES.values():
            if role is not palette.PLAIN and to_hex(role.fill) in fills:
                assert role.label in words, f"{role.name}'s colour is on a {kind} page without the word {role.label!r}"


# ------------------------------------------------------------------ the written PDF, read back
Box = tuple[float, float, float, float]


def _is_white(colour) -> bool:
    """A fill colour as pdfminer reads it (a grey level, or an RGB triple) is white."""
    levels = colour if isinstance(colour, (tuple, list)) else (colour,)
    return len(levels) in (1, 3) and all(level == 1 for level in levels)


def _embedded_as(font) -> str:
    """How a page's font is carried: "FontFile2" (TrueType), "FontFile3", "FontFile", "Type3" or "not embedded"."""
    font = resolve1(font)
    if literal_name(font["Subtype"]) == "Type3":
        return "Type3"
    if literal_name(font["Subtype"]) == "Type0":  # the glyphs live in its one descendant CID font
        font = resolve1(resolve1(font["DescendantFonts"])[0])
    descriptor = resolve1(font.get("FontDescriptor")) or {}
    return next((key for key in ("FontFile2", "FontFile3", "FontFile") if key in descriptor), "not embedded")


def _read_pdf(path) -> tuple[list[list[Box]], set[str]]:
    """Each page's white boxes to write in, as (left, bottom, width, height) in points, and how its fonts are carried.

    A box is a path filled white and stroked: the page's white background is filled only."""
    pages, fonts = [], set()
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            pages.append([(shape["x0"], shape["y0"], shape["width"], shape["height"])
                          for shape in page.rects + page.curves
                          if shape["fill"] and shape["stroke"] and _is_white(shape["non_stroking_color"])])
            fonts |= {_embedded_as(font) for font in resolve1(page.page_obj.resources.get("Font", {})).values()}
    return pages, fonts


@pytest.mark.parametrize("name", FORMULA_SHEETS)
def test_the_written_recall_pdf_gives_every_formula_a_full_width_box_to_write_in(name, tmp_path):
    """Read back from the PDF: one white box per formula row, at least 1.2 cm tall and 85% of the paper's width;
    the pages the sheet needs, fonts embedded as TrueType."""
    pdf = write_onepagers(name, tmp_path, ("letter",), ("recall",))[0]
    pages, fonts = _read_pdf(pdf)
    assert fonts == {"FontFile2"}, f"{pdf.name}: fonts not embedded as TrueType: {fonts}"
    assert len(pages) == len(_pages(name, "letter", "recall")) > 1
    paper_w = PAPERS["letter"][0] * 72
    cm = 72 / 2.54
    boxes = [box for page in pages for box in page]
    wide = [box for box in boxes if box[2] >= 0.85 * paper_w]
    formula_rows = sum(len(s.rows) for s in SHEETS[name].sections if formula_column(s, "recall"))
    assert len(wide) == formula_rows, f"{len(wide)} full-width boxes for {formula_rows} formulas"
    assert min(box[3] for box in wide) >= 1.2 * cm, f"a formula box {min(b[3] for b in wide) / cm:.2f} cm tall"
    assert min(box[3] for box in boxes) >= 0.7 * cm, "a box too small to write a shape in"
    for left, bottom, w, h in boxes:  # every box on the paper, inside the margins
        assert left >= 0.3 * 72 and left + w <= paper_w - 0.3 * 72 and bottom >= 0.3 * 72


def test_the_pdf_reader_finds_a_small_box_too(tmp_path):
    """The reader above measures what is drawn: a formula box made small is measured small."""
    from mlgrind.recall import onepager

    original = onepager.FORMULA_H
    onepager.FORMULA_H = 0.2
    try:
        pdf = write_onepagers("mlp", tmp_path, ("letter",), ("recall",))[0]
    finally:
        onepager.FORMULA_H = original
    boxes = [box for page in _read_pdf(pdf)[0] for box in page]
    wide = [box for box in boxes if box[2] >= 0.85 * PAPERS["letter"][0] * 72]
    assert wide and max(box[3] for box in wide) == pytest.approx(0.2 * 72, abs=0.5)


def test_written_files_are_pdfs_and_pngs_of_the_paper(tmp_path):
    paths = write_onepagers("parallel", tmp_path, kinds=("recall",))  # one kind: saving a page takes ~1 s
    pages = len(_pages("parallel", "letter", "recall"))
    assert pages == len(_pages("parallel", "a4", "recall")) > 1
    assert sorted(p.name for p in paths) == sorted(
        [f"parallel-{paper}-recall.{ext}" for paper in PAPERS for ext in ("pdf", "png")]
        + [f"parallel-{paper}-recall-{n}.png" for paper in PAPERS for n in range(2, pages + 1)])
    for path in paths:
        data = path.read_bytes()
        paper = path.name.split("-")[1]
        if path.suffix == ".pdf":
            assert data.startswith(b"%PDF")
            written, fonts = _read_pdf(path)
            assert len(written) == pages, f"{path.name} is not {pages} pages"
            assert fonts == {"FontFile2"}, f"{path.name}: fonts not embedded as TrueType: {fonts}"
        else:
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            width, height = struct.unpack(">II", data[16:24])
            w, h = PAPERS[paper]
            assert abs(width - w * DPI) <= 1 and abs(height - h * DPI) <= 1, (path.name, width, height)


def test_the_command_writes_what_it_is_asked_for(tmp_path, capsys):
    assert main(["onepager", "matmul", "--out", str(tmp_path), "--paper", "a4", "--kind", "recall"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["matmul-a4-recall.pdf", "matmul-a4-recall.png"]
    assert "matmul-a4-recall.pdf" in capsys.readouterr().out


def test_the_command_works_outside_a_course(tmp_path):
    out = tmp_path / "pages"
    result = run(["mlgrind", "onepager", "suffixes", "--paper", "letter", "--kind", "key", "--out", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["suffixes-letter-key.pdf", "suffixes-letter-key.png"]
    assert "one-pagers" in result.stderr  # the progress bar


def test_the_commands_help_names_every_sheet(tmp_path):
    help_text = " ".join(run(["mlgrind", "onepager", "--help"], tmp_path).stdout.split())
    assert all(name in help_text for name in SHEETS)


def test_unknown_sheet_names_the_valid_ones(tmp_path, capsys):
    with pytest.raises(ValueError, match="matmul") as caught:
        write_onepagers("broadcast", tmp_path)
    assert all(name in str(caught.value) for name in SHEETS) and "'broadcast'" in str(caught.value)
    with pytest.raises(ValueError, match="letter"):
        write_onepagers("matmul", tmp_path, papers=("a5",))
    assert main(["onepager", "nonsense", "--out", str(tmp_path)]) == 2
    assert "unknown one-pager topic 'nonsense'" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------ one meaning per colour, on screen and paper
def _screen_boxes(shapes) -> list[tuple[str, tuple[str, ...], str, bool]]:
    """(size, role words, fill, dashed) of each box in the widget's broadcast diagram, row by row."""
    try:
        plan = broadcast(*shapes)
    except ShapeError as error:
        plan = error.plan
    found = re.findall(r'<td class="mlgrind-dim mlgrind-\w+" style="([^"]*)"><div class="mlgrind-size"[^>]*>(.*?)</div>'
                       r'<div class="mlgrind-label"[^>]*>(.*?)</div></td>', broadcast_html(plan))
    return [(html.unescape(size), tuple(html.unescape(words).split(", ")), re.search(r"background:(#\w+)", style)[1],
             "dashed" in style) for style, size, words in found]


def _paper_boxes(fig) -> list[tuple[str, tuple[str, ...], str, bool]]:
    """The same of each dimension box on a one-pager, row by row."""
    return [(shown.get_text(), tuple(words.get_text().split("\n")), to_hex(box.get_facecolor()),
             box.get_linestyle() != "solid") for box, shown, words in fig.dims]


TRICKY = [
    [(9, 1, 3), (4, 1)],  # a padded 1 that stretches
    [(2, 1, 3), (4,)],  # padded and stretched, padded only, and a clash
    [(2, 3), (4, 3), (3,)],  # a padded 1 in a column that clashes: it has no size to stretch to
    [(1, 1), (1,)],  # padded, nothing stretches
    [(0, 3), (1, 3)],  # a 1 stretches to 0
    [(0,), (2,)],
    [(), (3,)],  # a scalar: padded, then stretched
    [(), ()],
    [(5, 1, 3), (4, 1), (1,)],
    [(3,)],
]
ALIGNED = [list(fact.shapes.values()) for sheet in SHEETS.values() for section in sheet.sections if section.aligned
           for fact in section.rows]


def _one_page(cases) -> Figure:
    facts = tuple(Fact(" + ".join("ABC"[:len(c)]), dict(zip("ABC", c)), "?", "plain") for c in cases)
    sections = tuple(Section(f"case {k}", (), facts[k:k + 2], aligned=True) for k in range(0, len(facts), 2))
    return render(Sheet("cases", "Cases", "screen and paper", sections), "a4", "reference")


def _same_roles_on_paper_and_screen(cases):
    paper = _paper_boxes(_one_page(cases))
    for shapes in cases:
        screen = _screen_boxes(shapes)
        drawn, paper = paper[:len(screen)], paper[len(screen):]
        given = len(shapes) * len(screen) // (len(shapes) + 1)  # the input rows; then the result row
        assert drawn[:given] == screen[:given], f"{shapes}: paper {drawn[:given]}, screen {screen[:given]}"
        # The result row: "?" on screen, "✗" on paper where a column clashes; the same words and colours.
        assert [d[1:] for d in drawn[given:]] == [s[1:] for s in screen[given:]], shapes
    assert not paper


@pytest.mark.parametrize("cases", [ALIGNED, TRICKY[:4], TRICKY[4:8], TRICKY[8:]], ids=["sheets", "1", "2", "3"])
def test_paper_draws_each_size_with_the_roles_the_widget_shows(cases):
    _same_roles_on_paper_and_screen(cases)


SHAPES = st.lists(st.lists(st.sampled_from([0, 1, 1, 1, 2, 3]), max_size=3).map(tuple), min_size=1, max_size=3)


@settings(max_examples=40, deadline=None)
@given(SHAPES, SHAPES)
def test_paper_and_screen_agree_for_random_shapes(first, second):
    _same_roles_on_paper_and_screen([first, second])


# ------------------------------------------------------------------ cost formulas: every printed result computed
FORMULAS = [(name, row) for name, sheet in SHEETS.items() for row in sheet.rows() if isinstance(row, Formula)]


def _computed(row: Formula) -> float:
    """The row's printed formula run on its printed example's numbers."""
    return eval(row.expr, {"__builtins__": {}, "max": max}, dict(row.values))  # noqa: S307


@pytest.mark.parametrize("name, row", FORMULAS, ids=[f"{n}: {r.name}" for n, r in FORMULAS])
def test_every_printed_result_is_its_formula_on_its_example(name, row):
    assert set(re.findall(r"\b[A-Za-z]\w*\b", row.expr)) - {"max"} == set(row.values), "every name has a value"
    computed = _computed(row)
    assert row.answer == pytest.approx(computed, rel=5e-4), f"{row.name}: sheet says {row.answer}, {row.expr} gives {computed}"
    assert cell_text(row, "result") == f"{number(computed)} {row.unit}".strip()
    printed = row.formula.replace("·", " * ").replace("^", "**").replace("−", "-")
    assert eval(printed, {"__builtins__": {}, "max": max}, dict(row.values)) == pytest.approx(computed)  # noqa: S307


def test_a_wrong_result_or_formula_is_caught():
    row = next(r for _, r in FORMULAS if r.name == "training FLOPs")
    assert replace(row, answer=row.answer * 1.01).answer != pytest.approx(_computed(row), rel=5e-4)
    assert _computed(replace(row, expr="2 * P * T")) != pytest.approx(row.answer, rel=5e-4)


def test_the_scaling_sheet_teaches_what_the_cost_drill_computes():
    """The sheet's formulas, on their examples, agree with the answers of the cost drill on the same numbers."""
    rows = {r.name: r for r in SHEETS["scaling"].rows()}

    def value(name):
        return _computed(rows[name])

    def drill(kind, **values):
        return costdrill.solve(kind, values)[0]

    r = rows["matmul FLOPs"].values  # the sheet's x_BD @ w_DF is the drill's (M, K) @ (K, N)
    assert value("matmul FLOPs") == drill("matmul-flops", M=r["B"], K=r["D"], N=r["F"], unit="FLOP")
    assert value("matmul bytes, bf16 (s = 2)") == drill("matmul-bytes", M=r["B"], K=r["D"], N=r["F"], dtype="bf16",
                                                        unit="MB") * 1e6
    t = rows["training FLOPs"].values
    assert value("training FLOPs") == drill("train-flops", params=t["P"], tokens=t["T"], unit="FLOP")
    g = rows["GPU-days at a given MFU"].values
    assert value("GPU-days at a given MFU") == pytest.approx(drill("gpu-days", params=g["P"], tokens=g["T"],
                                                                   peak=g["peak"], mfu=g["mfu"]))
    assert value("fp32: weights + grads + moments") == drill("adam-bytes", params=1e9, precision="fp32", unit="GB")
    assert value("mixed: bf16 w, g; fp32 master, m, v") == drill("adam-bytes", params=1e9, precision="mixed", unit="GB")
    for stage, name in enumerate(("ZeRO-1: optimizer state sharded", "ZeRO-2: + gradients sharded",
                                  "ZeRO-3: + weights sharded"), 1):
        assert value(name) == drill("zero-bytes", params=1e9, precision="mixed", stage=stage,
                                    devices=rows[name].values["N"], unit="GB")
    ring = rows["ring all-reduce, sent per device"].values
    for collective, name in (("all-reduce", "ring all-reduce, sent per device"),
                             ("all-gather", "ring all-gather or reduce-scatter"),
                             ("reduce-scatter", "ring all-gather or reduce-scatter")):
        assert value(name) == pytest.approx(drill("ring", collective=collective, devices=ring["N"], size_gb=ring["S"],
                                                  unit="GB"))
    zero3 = 2 * drill("ring", collective="all-gather", devices=8, size_gb=1, unit="GB") + drill(
        "ring", collective="reduce-scatter", devices=8, size_gb=1, unit="GB")
    assert value("ZeRO-3 traffic ÷ data parallel's") == pytest.approx(
        zero3 / drill("ring", collective="all-reduce", devices=8, size_gb=1, unit="GB"))
    assert value("pipeline bubble, share of a step") == drill("bubble", stages=4, microbatches=12)
    kv = rows["KV cache (K and V)"].values
    assert value("KV cache (K and V)") == drill("kv-cache", batch=kv["B"], seq_len=kv["L"], layers=kv["layers"],
                                                kv_heads=kv["Hkv"], head_dim=kv["K"], unit="GiB",
                                                dtype={1: "fp8", 2: "bf16", 4: "fp32"}[kv["s"]])


def test_the_scaling_sheet_gives_each_course_letter_one_meaning():
    """As the course's letters say: N counts devices (it divides), K is a head's size (beside the KV heads), F a
    weight's output width (a (D, F) weight); a matmul's sizes are B, D, F and FLOPs are ``flops``, never a letter."""
    rows = [row for row in SHEETS["scaling"].rows() if isinstance(row, Formula)]
    for row in rows:
        names = set(row.values)
        assert "N" not in names or re.search(r"/ \(?N\b", row.expr), f"{row.name}: N is not a device count"
        assert "K" not in names or "Hkv" in names, f"{row.name}: K is not a head's size"
        assert "F" not in names or "D * F" in row.expr, f"{row.name}: F is not a (D, F) weight's width"
        assert "M" not in names, f"{row.name}: M is the key length in the course, not a matmul's rows"
    notes = " ".join(section.note for section in SHEETS["scaling"].sections)
    for said in ("x_BD @ w_DF", "over N devices", "K head size", "N tensor-parallel parts"):
        assert said in notes, said


def _numbers(text: str) -> set[str]:
    """The numbers in a printed cell, as printed (1.374e11, 24.5, 4096)."""
    return set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?:e\d+)?(?![\w.])", text))  # not the 16 of bf16


@pytest.mark.parametrize("name", SHEETS)
def test_a_blank_recall_sheet_holds_no_value_answering_another_row(name):
    """No printed cell of the recall sheet states a number another row asks for, and notes (hints) are gone."""
    recall = _pages(name, "letter", "recall")
    assert not [t.get_text() for page in recall for t in _texts(page) if t.get_gid() == "note"]
    rows = SHEETS[name].rows()
    for i, row in enumerate(rows):
        if isinstance(row, Formula):
            asked = {number(row.answer)}
        elif isinstance(row, Fact) and isinstance(row.answer, int) and not isinstance(row.answer, bool):
            asked = {str(row.answer), f"{row.answer:,}"}
        else:
            continue
        asked = {a for a in asked if len(a.replace(".", "")) > 1}  # a lone digit is everywhere
        for j, other in enumerate(rows):
            shown = {cell_text(other, c.field) for section in SHEETS[name].sections if other in section.rows
                     for c in section.columns if not c.answer and c.field != "note"}
            given = set().union(*map(_numbers, shown)) if shown else set()
            assert i == j or not asked & given, f"row {j + 1} states {asked & given}, the answer of row {i + 1}"


@pytest.mark.parametrize("name", SHEETS)
def test_every_recall_row_asks_one_unambiguous_thing(name):
    """Within a section, no two rows print the same prompt: each blank box has one answer."""
    for section in SHEETS[name].sections:
        if section.aligned:
            continue
        prompts = [tuple(cell_text(row, c.field) for c in section.columns if not c.answer and c.field != "note")
                   for row in section.rows]
        repeated = {p for p in prompts if prompts.count(p) > 1}
        assert not repeated, f"{name}, {section.title}: rows print the same prompt {sorted(repeated)}"


@pytest.mark.parametrize("name", SHEETS)
def test_recall_boxes_are_big_enough_to_write_in_and_no_text_touches_them(name):
    formulas = 0
    for number, recall in enumerate(_pages(name, "letter", "recall"), 1):
        renderer = recall.canvas.get_renderer()
        boxes = [a.get_window_extent(renderer) for a in recall.artists if isinstance(a, Patch)
                 and to_hex(a.get_facecolor()) == "#ffffff" and a.get_edgecolor()[3] > 0]
        grid = [b for b in boxes if b.width > 0.9 * DPI]  # answer boxes of the tables (not the dimension boxes)
        assert grid and min(b.height for b in grid) >= 0.17 * DPI
        wide = [b for b in grid if b.width >= 0.85 * PAPERS["letter"][0] * DPI]  # a formula's box
        assert all(b.height >= 1.2 / 2.54 * DPI for b in wide), "a formula box under 1.2 cm"
        formulas += len(wide)
        for t in _texts(recall):  # every text: a prompt, a header, a row number, a title
            extent = t.get_window_extent(renderer)
            assert extent.y0 >= 0 and extent.y1 <= recall.get_size_inches()[1] * DPI, f"{t.get_text()!r} is cut off"
            for b in boxes:
                if b.x0 <= extent.x0 and extent.x1 <= b.x1 and b.y0 <= extent.y0 and extent.y1 <= b.y1:
                    continue  # a given size printed in its own dimension box
                near = extent.y0 < b.y1 + 1 and b.y0 - 1 < extent.y1
                assert not (near and extent.x0 < b.x1 + 3 and b.x0 - 0.04 * DPI < extent.x1), \
                    f"{t.get_text()!r} touches a box on page {number} of the {name} recall sheet"
    assert formulas == sum(len(s.rows) for s in SHEETS[name].sections if formula_column(s, "recall"))


def test_broadcasting_roles_follow_one_rule():
    """A broadcast whose inputs differ in length is "padded" (its 1s then stretch); same lengths that stretch,
    "stretched"; a clash, "conflict": the legend's words, used the same way on every row."""
    import ast

    for row in SHEETS["broadcasting"].rows():
        if not isinstance(row, Fact) or len(row.shapes) < 2:
            continue
        tree = ast.parse(row.expr, mode="eval").body  # the two operands as they meet, after any [:, None]
        arrays = {name: np.empty(shape) for name, shape in row.shapes.items()}
        lengths = {np.ndim(eval(ast.unparse(side), {"np": np}, arrays)) for side in (tree.left, tree.right)}  # noqa: S307
        expected = "conflict" if row.answer == "error" else "padded" if len(lengths) > 1 else "stretched"
        assert row.role == expected, (row.expr, row.shapes, row.role)
    for row in SHEETS["reshape"].rows():  # a 1 added on the right is not what the legend calls padded
        assert row.role != "padded", row
