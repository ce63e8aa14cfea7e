"""Each notebook's one-pager cell, claim by claim: every shape it states is the shape NumPy gives.

The cell is markdown written for people, so it is read the way a person checks it: each table
row and each ``name_SUFFIX = expression`` in the text is run in NumPy on empty arrays whose
shapes their suffix letters give (LETTERS), and the shape the cell states must be the one that
comes out. 07's tables state costs instead of shapes: each formula is computed for the values its
row gives and must round to the number the row states. Tables with no shapes in them are named in WORDS_ONLY; any other table is an error
until this file learns to check it, so a new claim cannot slip in unchecked.
"""

from __future__ import annotations

import ast
import re

import nbformat
import numpy as np
import pytest

from mlgrind.recall.facts import SHEETS
from support import REPO

ASSIGNMENTS = sorted(path.name for path in (REPO / "source").iterdir() if path.is_dir())

# One size per letter, all different, so a wrong letter shows as a wrong or clashing size.
# Lowercase: one device's slice of N = 2 (05). D = H·K, as for attention heads; G = 2 key/value heads
# divide H (08; G and N share a size, but no cell uses both).
N = 2
LETTERS = {"B": 10, "C": 11, "D": 12, "E": 13, "F": 14, "G": 2, "H": 4, "K": 3, "L": 9, "M": 8, "N": N, "Q": 15, "V": 17,
           "1": 1}
LETTERS |= {letter.lower(): LETTERS[letter] // N for letter in "BDF"}
ELLIPSIS = (16, 5)  # what "..." stands for in a symbolic shape
X = np.arange(6).reshape(2, 3)  # 03's example array, [[0, 1, 2], [3, 4, 5]]

WORDS_ONLY = {  # tables that state no shape
    ("letter", "axis", "letter", "axis"),
    ("collective", "device i holds", "device i gets", "NumPy"),
    ("scheme", "split across devices", "forward communication", "backward communication"),
}


def one_pager(assignment: str) -> str:
    nb = nbformat.read(str(REPO / "source" / assignment / f"{assignment}.ipynb"), as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## One-pager")]
    assert len(cells) == 1, f"{assignment} has {len(cells)} one-pager cells"
    return cells[0]


# ------------------------------------------------------------------------------ reading the cell
def tables(text: str) -> list[tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """Each markdown table as (header cells, rows of cells)."""
    found, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and re.fullmatch(r"\|[-:| ]+\|", lines[i + 1].strip()):
            header = _cells(lines[i])
            rows, i = [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            found.append((header, rows))
        else:
            i += 1
    return found


def _cells(line: str) -> tuple[str, ...]:
    return tuple(cell.strip() for cell in line.strip().strip("|").split("|"))


def prose(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("|"))


def codes(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def as_python(code: str) -> str:
    """Maths as the cells print it, made runnable: xᵀ, a − b."""
    return code.replace("ᵀ", ".T").replace("−", "-").strip()


def suffix_shape(name: str) -> tuple[int, ...] | None:
    """``w1_DF`` -> (D, F) in LETTERS' sizes; None for a name without a shape suffix."""
    base, sep, letters = name.rpartition("_")
    if not (sep and base and letters and all(c in LETTERS for c in letters)):
        return None
    return tuple(LETTERS[c] for c in letters)


def symbolic(text: str) -> tuple[int, ...] | str:
    """``(B, F)``, ``(..., M, N)``, ``()``, ``scalar``, a suffixed name, or ``error`` -> a shape or "error"."""
    text = text.strip().strip("*`").strip()
    if text.startswith("error"):
        return "error"
    if text.startswith("scalar"):
        return ()
    if not text.startswith("("):
        shape = suffix_shape(text)
        assert shape is not None, f"{text!r} is neither a shape nor a suffixed name"
        return shape
    inner = text[1:text.index(")")]
    shape = []
    for item in (part.strip() for part in inner.split(",")):
        if item == "...":
            shape += ELLIPSIS
        elif item.isdigit():
            shape.append(int(item))
        elif item:
            shape.append(LETTERS[item])
    return tuple(shape)


def run(expr: str, **shapes) -> tuple[int, ...] | str:
    """The shape NumPy gives for ``expr`` (names with a suffix are arrays of its shape), or "error"."""
    expr = as_python(expr)
    names = {name: np.empty(shape) for name, shape in shapes.items()}
    for name in re.findall(r"\b[A-Za-z]\w*_[A-Za-z1]+\b", expr):
        if name not in names and (shape := suffix_shape(name)) is not None:
            names[name] = np.empty(shape)
    same = lambda a: a  # noqa: E731  (layernorm, mha, gelu keep their input's shape)
    space = {"np": np, "relu": lambda h: np.maximum(h, 0), "max": np.maximum, "outer": np.outer,
             "softmax": lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True),
             "layernorm": same, "mha": same, "gelu": same,
             **{k: v for k, v in LETTERS.items() if k.isalpha()}, **names}
    try:
        with np.errstate(all="ignore"):  # empty arrays hold garbage: only shapes matter
            return tuple(np.shape(eval(expr, space)))  # noqa: S307
    except (ValueError, IndexError):
        return "error"


def with_shapes(expr: str) -> tuple[int, ...] | str:
    """``(B, D) @ (D, F) + (F,)``: the shapes stand for arrays of those shapes."""
    shapes = {}

    def array(match):
        shapes[f"s{len(shapes)}"] = symbolic(match.group(0))
        return f"s{len(shapes) - 1}"

    return run(re.sub(r"\((?:[^()]*)\)", array, expr), **shapes)


# ------------------------------------------------------------------------------ claim checkers
def predictions(rows):
    """01: | `x_BF - mean_F` | (B, F) with (F,) | (B, F) | ... |: the result, and each operand's shape."""
    for expr_cell, operands, result, _ in rows:
        expr = codes(expr_cell)[0]
        said = symbolic(result)
        yield expr, run(expr), said
        if said != "error":
            tree = ast.parse(as_python(expr), mode="eval").body
            parts = [ast.unparse(tree.left), ast.unparse(tree.right)]
            said_operands = tuple(symbolic(shape) for shape in operands.split(" with "))
            yield f"operands of {expr}", tuple(run(part) for part in parts), said_operands


def alignment(rows):
    """01: | `A` (9, 1, 3) | 9 | **1** ⟶ 4 | 3 | ... |, then | result | **9** | ... |: each column right-aligned."""
    *inputs, result = rows
    shapes = [symbolic(row[0].split("`")[2]) for row in inputs]
    ndim = max(map(len, shapes))
    out = tuple(np.broadcast_shapes(*shapes))
    said = tuple(int(re.sub(r"\D", "", cell)) for cell in result[1:1 + ndim])
    yield "result of " + " with ".join(map(str, shapes)), out, said
    for row, shape in zip(inputs, shapes):
        padded = (1,) * (ndim - len(shape)) + shape
        for axis, cell in enumerate(row[1:1 + ndim]):
            numbers = [int(n) for n in re.findall(r"\d+", re.sub(r"<[^>]+>", " ", cell))]
            stretches = padded[axis] == 1 and out[axis] != 1
            yield f"axis {axis} of {shape}", [padded[axis]] + [out[axis]] * stretches, numbers


def matmul_table(rows):
    """02: | `(..., M, K) @ (..., K, N)` | `(..., M, N)` | how |."""
    for expr_cell, result, _ in rows:
        expr = codes(expr_cell)[0]
        yield expr, with_shapes(expr), symbolic(codes(result)[0] if "`" in result else result)


def einsum_table(rows):
    """02: | pattern | `"m,n->mn"` | `(M,), (N,) → (M, N)` |; a row without shapes states none."""
    for _, spec_cell, shapes_cell in rows:
        if not shapes_cell:
            continue
        spec = ast.literal_eval(codes(spec_cell)[0])
        given, _, out = codes(shapes_cell)[0].partition("→")
        operands = re.findall(r"\([^()]*\)|[A-Za-z]\w*_[A-Za-z1]+", given)
        arrays = [np.empty(symbolic(o)) for o in operands]
        yield spec, tuple(np.einsum(spec, *arrays).shape), symbolic(out)


def reshape_table(rows):
    """03: | `x.reshape(-1)`, `x` (3, 4, 5) | `(60,)` | what |."""
    for code_cell, result, _ in rows:
        expr, name = codes(code_cell)[:2]
        given = symbolic(code_cell.rpartition("`")[2])
        yield f"{expr} of {name} {given}", run(expr, **{name: given}), symbolic(result)


def equation_rows(rows):
    """04: | `h_BF = x_BD @ w1_DF + b1_F` | (B, D) @ (D, F) + (F,) → (B, F) | why |."""
    for code_cell, shapes_cell, _ in rows:
        equation = codes(code_cell)[0]
        said = symbolic(shapes_cell.rpartition("→")[2])
        if equation.startswith("loss = mean over"):  # said in words: a mean of per-example losses
            assert said == ()
            continue
        yield from equation_claims(equation, said)
        if "→" in shapes_cell:
            yield shapes_cell, with_shapes(shapes_cell.rpartition("→")[0]), said


def code_rows(rows):
    """06: | scores | `scores_BHLM = np.einsum(...)` | (B, H, L, M) |: the code runs to its name's shape."""
    for _, code_cell, shape_cell in rows:
        yield from equation_claims(codes(code_cell)[0], symbolic(shape_cell))


def formula_rows(rows):
    """07: | quantity | `6 * P * T` | P = 7e9, T = 2e12 | 8.4e22 |: the formula, computed for the values
    given, is the number stated, to the digits stated."""
    for quantity, formula_cell, given, said in rows:
        formula = as_python(codes(formula_cell)[0])
        values = {}
        for item in filter(None, (part.strip() for part in given.split(","))):
            name, _, value = item.partition(" = ")
            values[name.strip()] = float(value)
        computed = eval(formula, {"__builtins__": {}, "max": max}, values)  # noqa: S307
        stated = said.split()[0]
        mantissa, _, exponent = stated.lower().partition("e")
        decimals = len(mantissa.partition(".")[2])
        quantum = 10.0 ** (int(exponent or 0) - decimals)  # the last digit stated
        yield f"{quantity}: {formula} for {given or 'every model'}", round(computed / quantum), round(float(stated) / quantum)


def equation_claims(equation: str, said=None):
    """``a_BF = relu(h_BF) = max(h_BF, 0)``: every side has the shape the name's suffix gives."""
    name, *sides = (side.strip() for side in equation.split(" = "))
    for side in sides:
        yield equation, run(side), suffix_shape(name)
    if said is not None:
        yield f"{equation} (shapes column)", suffix_shape(name), said


CHECKERS = {
    ("expression", "shapes", "result", "what it means"): predictions,
    ("", "axis 0", "axis 1", "axis 2", ""): alignment,
    ("expression", "result", "how"): matmul_table,
    ("pattern", "subscripts", "shapes"): einsum_table,
    ("code", "shape", "what"): reshape_table,
    ("forward", "shapes", ""): equation_rows,
    ("backward (chain rule, right to left)", "shapes", "why"): equation_rows,
    ("forward", "code", "shape"): code_rows,
    ("backward", "code", "shape"): code_rows,
    ("quantity", "formula", "for", "is"): formula_rows,
}


def claims(text: str):
    """(what is claimed, what NumPy says, what the cell says) for each claim in a one-pager cell."""
    for header, rows in tables(text):
        if header in WORDS_ONLY:
            continue
        assert header in CHECKERS, f"a one-pager table this test cannot check yet: {header}"
        yield from CHECKERS[header](rows)
    for code in re.findall(r"`([^`]+)`", prose(text)):
        name, equals, _ = code.partition(" = ")
        if equals and name.isidentifier() and suffix_shape(name) is not None:
            yield from equation_claims(code)
    for expr, literal in re.findall(r"`(x[^`]*)` is `(\[\[[^`]*\]\])`", prose(text)):
        yield f"{expr} of {X.tolist()}", eval(expr, {"x": X}).tolist(), ast.literal_eval(literal)  # noqa: S307


# Enough claims checked per notebook that a cell rewritten past this reader fails loudly.
AT_LEAST = {"01_broadcasting": 15, "02_matmul_einsum": 15, "03_reshape_view": 8, "04_backprop_mlp": 30,
            "05_parallel_mlp": 5, "06_attention_norms": 35, "07_scaling_math": 19,
            "08_modern_transformer": 25, "09_serving": 11}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_shape_a_one_pager_cell_states_is_numpys(assignment):
    checked = list(claims(one_pager(assignment)))
    wrong = [f"{what}: NumPy gives {numpy}, the cell says {said}" for what, numpy, said in checked if numpy != said]
    assert not wrong, "\n".join(wrong)
    assert len(checked) >= AT_LEAST[assignment], f"only {len(checked)} claims read in {assignment}'s one-pager"


def test_the_costs_05_states_are_the_parallel_sheets():
    costs = re.findall(r"`\(([^`]*)\) · itemsize`", one_pager("05_parallel_mlp"))
    sheet = {row.comm for row in SHEETS["parallel"].rows() if getattr(row, "comm", "")}
    assert costs and all(cost in sheet for cost in costs), (costs, sheet)


def test_the_reader_catches_a_wrong_claim():
    cell = one_pager("01_broadcasting").replace("| (B, F) | per-feature", "| (F, B) | per-feature")
    assert any(numpy != said for _, numpy, said in claims(cell))
    cell = one_pager("04_backprop_mlp").replace("`dw1_DF = x_BDᵀ @ dh_BF`", "`dw1_DF = x_BD @ dh_BF`")
    assert any(numpy != said for _, numpy, said in claims(cell))
    cell = one_pager("06_attention_norms").replace('"bhlm,bhlk->bhmk", p_BHLM', '"bhlm,bhlk->bhlk", p_BHLM')
    assert any(numpy != said for _, numpy, said in claims(cell))
    cell = one_pager("06_attention_norms").replace("dy_BLD.sum((0, 1))", "dy_BLD.sum(0)")
    assert any(numpy != said for _, numpy, said in claims(cell))
    cell = one_pager("07_scaling_math").replace("| peak_flops = 989e12, bandwidth = 3.35e12 | 295 |",
                                                "| peak_flops = 989e12, bandwidth = 3.35e12 | 259 |")
    assert any(numpy != said for _, numpy, said in claims(cell))
    cell = one_pager("07_scaling_math").replace("`2 + (2 + 12) / N`", "`(2 + 2 + 12) / N`")
    assert any(numpy != said for _, numpy, said in claims(cell))


def test_the_formulas_07_shares_with_the_scaling_sheet_are_written_alike():
    """Bytes per parameter, the ZeRO stages, the ring factors and the bubble: one formula, on the page and the sheet."""
    from mlgrind.recall.facts import Formula

    sheet = {row.expr for row in SHEETS["scaling"].rows() if isinstance(row, Formula)}
    page = {codes(row[1])[0] for _, rows in tables(one_pager("07_scaling_math")) for row in rows}
    shared = {"2 * B * D * F", "4 + 4 + 4 + 4", "2 + 2 + 4 + 4 + 4", "2 + 2 + 12 / N", "2 + (2 + 12) / N", "(2 + 2 + 12) / N",
              "2 * (N - 1) / N * S", "(N - 1) / N * S", "(p - 1) / (m + p - 1)"}
    assert shared <= page and shared <= sheet, (shared - page, shared - sheet)
