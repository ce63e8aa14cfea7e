"""What the printable one-pagers say, as data: ``SHEETS``, one ``Sheet`` per page (drawn by recall.onepager).

Three kinds of row. A ``Fact`` is checkable: ``expr`` runs in NumPy on ``np.empty`` arrays of
``shapes`` and gives ``answer`` (a shape, ``"error"``, or for a count an int); the tests run every
one, so a sheet cannot print a wrong shape. A ``Formula`` is a cost formula and one worked example:
its Python ``expr`` runs on the example's numbers and gives ``answer``, and the sheet prints ``expr``
itself, so what the tests compute is what the page says. A ``Cue`` is a prompt and its answer in
words (a rule, a letter's meaning). Each row carries a colour role from shapes.palette.

Names follow the course's shape suffixes: the capitals after the last ``_`` name the axes, so
``w1_DF`` is (D, F); a ``1`` is a size-1 axis; a lowercase letter is one device's slice (05).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .words import number

__all__ = ["Fact", "Formula", "Cue", "Column", "Section", "Sheet", "SHEETS"]


@dataclass(frozen=True)
class Fact:
    """A shape (or count) that NumPy can confirm: ``expr`` evaluated on empty arrays of ``shapes``."""

    expr: str  # NumPy code over the names in ``shapes`` (and ``np``)
    shapes: dict  # name -> shape of an input
    answer: tuple | int | str  # the result's shape, its value when a count, or "error"
    role: str  # a key of palette.ROLES; "plain" draws no colour and no chip
    note: str = ""
    out: str = ""  # the result's name, e.g. "dw1_DF"
    prompt: str = ""  # what the sheet shows instead of ``expr`` (a symbolic rule, an einsum string)
    symbolic: str = ""  # the answer in letters: "(..., M, N)", "(D, B) @ (B, F) → (D, F)", "B·C + B·D"
    memory: str = ""  # "view", "view (strided)" (a view, not C-contiguous) or "copy"
    comm: str = ""  # what a device sends for it: "none", "all-reduce" (words only, not checked)


@dataclass(frozen=True)
class Formula:
    """A cost formula with a worked example: ``expr`` (Python over ``values``) gives ``answer``, in ``unit``."""

    name: str  # what it computes: "training FLOPs"
    expr: str  # Python arithmetic over the names in ``values`` (and ``max``): "6 * P * T"
    values: dict  # name -> the example's number
    answer: float  # the example's result, in ``unit``
    unit: str = ""  # "FLOP", "GB", "GPU-days"
    role: str = "plain"
    note: str = ""

    @property
    def formula(self) -> str:
        """``expr`` as the page prints it: ``2 * (N - 1) / N * S`` -> ``2·(N − 1)/N·S``."""
        return self.expr.replace(" * ", "·").replace("**", "^").replace(" / ", "/").replace(" - ", " − ")

    @property
    def example(self) -> str:
        return " ".join(f"{name}={number(value)}" for name, value in self.values.items())

    @property
    def result(self) -> str:
        return f"{number(self.answer)} {self.unit}".strip()


@dataclass(frozen=True)
class Cue:
    """A prompt and its answer in words."""

    cue: str
    answer: str
    role: str = "plain"
    note: str = ""


@dataclass(frozen=True)
class Column:
    field: str  # an attribute of the row ("expr", "answer"...), or "given", "role", "code" (prompt or expr)
    header: str
    width: float  # share of the row's width
    answer: bool = False  # left blank on the recall sheet, the only thing on the key
    mono: bool = True


@dataclass(frozen=True)
class Section:
    title: str
    columns: tuple
    rows: tuple
    note: str = ""  # one line under the title: sizes used, conventions
    aligned: bool = False  # draw each Fact as right-aligned dimension boxes (broadcasting)


@dataclass(frozen=True)
class Sheet:
    name: str  # what ``mlgrind onepager NAME`` asks for
    title: str
    subtitle: str
    sections: tuple = field(default_factory=tuple)

    def rows(self):
        return [row for section in self.sections for row in section.rows]


# Column sets shared by several sections.
CUES = (Column("cue", "prompt", 0.30), Column("answer", "answer", 0.42, answer=True, mono=False),
        Column("role", "role", 0.10, answer=True), Column("note", "note", 0.18, mono=False))
PREDICT = (Column("expr", "expression", 0.33), Column("given", "input shapes", 0.22),
           Column("answer", "result", 0.14, answer=True), Column("role", "role", 0.10, answer=True),
           Column("note", "note", 0.21, mono=False))
FORMULAS = (Column("out", "name", 0.11), Column("expr", "formula", 0.27, answer=True),
            Column("symbolic", "shapes", 0.28, answer=True), Column("answer", "e.g.", 0.11, answer=True),
            Column("role", "role", 0.09, answer=True), Column("note", "note", 0.16, mono=False))

_NAME = re.compile(r"\b[A-Za-z]\w*_[A-Za-z1]+\b")


def _using(table: dict, expr: str, **more) -> dict:
    """The entries of ``table`` whose names appear in ``expr``, so each Fact lists only its inputs."""
    return {name: table[name] for name in _NAME.findall(expr) if name in table} | more


# ---------------------------------------------------------------- broadcasting
def _bc(expr, answer, role, note="", **shapes):
    return Fact(expr, shapes, answer, role, note)


BROADCASTING = Sheet("broadcasting", "Broadcasting",
                     "NumPy's rule for a + b, a * b, … between arrays of different shapes", (
    Section("The rule", CUES, (
        Cue("1. line the shapes up", "right-align; pad the shorter on the left with 1s", "padded"),
        Cue("2. equal sizes", "match: kept as they are", "plain"),
        Cue("3. a 1 meets n", "the 1 stretches to n (no copy made)", "stretched"),
        Cue("4. n meets m, neither is 1", "error", "conflict", "NumPy names both shapes"),
        Cue("5. the result's size per axis", "the larger of the two; a 1 meeting 0 gives 0", "plain"),
    )),
    Section("Worked out, axis by axis", (), (
        _bc("A + B", (9, 4, 3), "padded", A=(9, 1, 3), B=(4, 1)),
        _bc("x_BF - mean_B", "error", "conflict", x_BF=(32, 10), mean_B=(32,)),
    ), aligned=True),
    Section("Predict the shape", PREDICT, (
        _bc("x_BF - mean_F", (32, 10), "padded", "per feature", x_BF=(32, 10), mean_F=(10,)),
        _bc("x_BF - mean_B1", (32, 10), "stretched", "per row", x_BF=(32, 10), mean_B1=(32, 1)),
        _bc("x_BF - mean_B", "error", "conflict", "the classic missing keepdims", x_BF=(32, 10), mean_B=(32,)),
        _bc("x_BF.mean(1)", (32,), "plain", "a reduction drops its axis…", x_BF=(32, 10)),
        _bc("x_BF.mean(1, keepdims=True)", (32, 1), "plain", "…unless keepdims", x_BF=(32, 10)),
        _bc("a_ND[:, None] - b_MD[None]", (5, 7, 3), "stretched", "every pair, no loop", a_ND=(5, 3), b_MD=(7, 3)),
        _bc("pred_N1 - target_N", (8, 8), "padded", "no error: the silent loss bug", pred_N1=(8, 1), target_N=(8,)),
        _bc("a + b", (8, 7, 6, 5), "padded", "NumPy docs' example", a=(8, 1, 6, 1), b=(7, 1, 5)),
        _bc("a + b", "error", "conflict", "check the last axis first", a=(4, 3), b=(4,)),
        _bc("a + b", "error", "conflict", "check every axis", a=(2, 1), b=(8, 4, 3)),
        _bc("a * s", (3, 4), "padded", "s is a 0-d array", a=(3, 4), s=()),
        _bc("a + b", (0, 3), "stretched", "a size-0 axis", a=(0, 3), b=(1, 3)),
        _bc("a + b", "error", "conflict", "0 meets 2", a=(0, 3), b=(2, 3)),
        _bc("img_BCHW * scale_C[:, None, None]", (2, 3, 8, 8), "padded", "per channel",
            img_BCHW=(2, 3, 8, 8), scale_C=(3,)),
        _bc("img_BCHW * scale_C", "error", "conflict", "C lines up with W", img_BCHW=(2, 3, 8, 8), scale_C=(3,)),
        _bc("x_BF[:, :, None] * w_FG", (32, 10, 20), "padded", "a new axis to stretch", x_BF=(32, 10),
            w_FG=(10, 20)),
    )),
))

# ---------------------------------------------------------------- matmul
MATMUL_COLUMNS = (Column("prompt", "expression", 0.24), Column("symbolic", "result", 0.12, answer=True),
                  Column("given", "example a, b", 0.21), Column("answer", "a @ b", 0.12, answer=True),
                  Column("role", "role", 0.10, answer=True), Column("note", "note", 0.21, mono=False))


def _mm(prompt, symbolic, a, b, answer, role, note=""):
    return Fact("a @ b", {"a": a, "b": b}, answer, role, note, prompt=prompt, symbolic=symbolic)


MATMUL = Sheet("matmul", "The matmul table", "a @ b, np.matmul: which axes multiply, which broadcast, what 1-D does", (
    Section("The @ table", MATMUL_COLUMNS, (
        _mm("(..., M, K) @ (..., K, N)", "(..., M, N)", (2, 3, 4), (2, 4, 5), (2, 3, 5), "batch",
            "last two axes multiply"),
        _mm("K @ K", "scalar", (4,), (4,), (), "contracted", "inner product"),
        _mm("M×K @ K", "M", (3, 4), (4,), (3,), "padded", "K becomes (K, 1), then 1 removed"),
        _mm("K @ K×N", "N", (4,), (4, 5), (5,), "padded", "K becomes (1, K), then 1 removed"),
        _mm("...×M×K @ K", "...×M", (2, 3, 4), (4,), (2, 3), "padded", "batched matrix-vector"),
        _mm("K @ ...×K×N", "...×N", (4,), (2, 4, 5), (2, 5), "padded", "a row meets every matrix"),
        _mm("2×1×M×K @ 3×K×N", "2×3×M×N", (2, 1, 3, 4), (3, 4, 5), (2, 3, 3, 5), "stretched",
            "batch axes broadcast as in 01"),
        _mm("M×3 @ 4×N", "error", (3, 3), (4, 5), "error", "conflict", "contracted sizes must be equal"),
        _mm("M×1 @ K×N", "error", (3, 1), (4, 5), "error", "conflict", "a contracted 1 never stretches"),
        _mm("2×M×K @ 3×K×N", "error", (2, 3, 4), (3, 4, 5), "error", "conflict", "batch 2 vs 3"),
    ), note="... = leading batch axes (broadcast by the rule of 01).  M, N free; K contracted."),
    Section("Read it from the names", PREDICT, (
        Fact("x_BD @ w1_DF", {"x_BD": (32, 784), "w1_DF": (784, 128)}, (32, 128), "contracted", "shared D is summed"),
        Fact("q_BHLK @ k_BHMK.swapaxes(-1, -2)", {"q_BHLK": (2, 4, 5, 8), "k_BHMK": (2, 4, 6, 8)}, (2, 4, 5, 6),
             "batch", "attention scores"),
        Fact("x_BD @ w_D", {"x_BD": (32, 784), "w_D": (784,)}, (32,), "padded", "a linear score"),
        Fact("x_BD.T @ dy_BF", {"x_BD": (32, 784), "dy_BF": (32, 128)}, (784, 128), "contracted", "B summed away"),
    )),
    Section("What it costs", CUES, (
        Cue("FLOPs of (M, K) @ (K, N)", "2·M·K·N", "contracted", "K mults + K adds each"),
        Cue("FLOPs of (B, M, K) @ (B, K, N)", "2·B·M·K·N", "batch"),
        Cue("bytes moved (itemsize s)", "s·(M·K + K·N + M·N)", "plain", "read a, b; write out"),
        Cue("n×n float32: FLOPs per byte", "2n³ / 12n² = n/6", "plain", "arithmetic intensity"),
        Cue("x_BD @ w1_DF: FLOPs", "2·B·D·F", "contracted"),
    )),
))

# ---------------------------------------------------------------- einsum
EINSUM_COLUMNS = (Column("prompt", "np.einsum(…)", 0.22), Column("out", "what", 0.16, mono=False),
                  Column("given", "input shapes", 0.21), Column("answer", "result", 0.12, answer=True),
                  Column("role", "role", 0.10, answer=True), Column("note", "note", 0.19, mono=False))


def _es(spec, what, answer, role, note="", *shapes):
    names = "abc"[:len(shapes)]
    return Fact(f"np.einsum({spec!r}, {', '.join(names)})", dict(zip(names, shapes)), answer, role, note,
                out=what, prompt=repr(spec))


EINSUM = Sheet("einsum", "einsum patterns", "np.einsum('in,puts->out', …): one letter per axis", (
    Section("The rule", CUES, (
        Cue("a letter in the output", "free: kept, in the order after ->", "free"),
        Cue("a letter only in the inputs", "contracted: multiplied, then summed", "contracted"),
        Cue("a letter in every input and the output", "batch: carried along", "batch"),
        Cue("one letter, two sizes", "equal, or one is 1: the 1 stretches; else error", "stretched",
            "checked: last two patterns"),
    )),
    Section("Patterns", EINSUM_COLUMNS, (
        _es("m,n->mn", "outer product", (5, 7), "free", "", (5,), (7,)),
        _es("k,k->", "inner product", (), "contracted", "", (4,), (4,)),
        _es("mk,kn->mn", "matmul", (3, 5), "contracted", "", (3, 4), (4, 5)),
        _es("bmk,bkn->bmn", "batched matmul", (2, 3, 5), "batch", "", (2, 3, 4), (2, 4, 5)),
        _es("bd,de,be->b", "bilinear form", (8,), "contracted", "x W yᵀ per row", (8, 3), (3, 4), (8, 4)),
        _es("bhlk,bhmk->bhlm", "attention scores", (2, 4, 5, 6), "batch", "then / √K; m: key positions",
            (2, 4, 5, 8), (2, 4, 6, 8)),
        _es("bhlm,bhmk->bhlk", "attention output", (2, 4, 5, 8), "batch", "weights times values",
            (2, 4, 5, 6), (2, 4, 6, 8)),
        _es("bd,df->bf", "linear layer", (32, 128), "contracted", "x_BD @ w1_DF", (32, 784), (784, 128)),
        _es("bld,dhk->bhlk", "project to heads", (2, 3, 5, 4), "contracted", "no reshape needed",
            (2, 5, 12), (12, 3, 4)),
        _es("ij->ji", "transpose", (4, 3), "free", "", (3, 4)),
        _es("bd->b", "row sums", (8,), "contracted", "a dropped letter is summed", (8, 3)),
        _es("ii->", "trace", (), "contracted", "", (4, 4)),
        _es("ii->i", "diagonal", (4,), "free", "", (4, 4)),
        _es("ij,ij->ij", "elementwise", (3, 4), "batch", "no sum at all", (3, 4), (3, 4)),
        _es("ij,jk->ik", "size-1 letter", (3, 5), "stretched", "j is 1 and 4: the 1 stretches", (3, 1), (4, 5)),
        _es("ij,jk->ik", "mismatch", "error", "conflict", "j is 4 and 5", (3, 4), (5, 6)),
    )),
))

# ---------------------------------------------------------------- reshape / view
RESHAPE_COLUMNS = (Column("expr", "code", 0.35), Column("given", "x", 0.14),
                   Column("answer", "shape", 0.13, answer=True),
                   Column("memory", "memory", 0.13, answer=True), Column("role", "role", 0.09, answer=True),
                   Column("note", "note", 0.16, mono=False))


def _rs(expr, given, answer, memory, role="plain", note=""):
    name = re.match(r"\w+", expr).group()
    return Fact(expr, {name: given}, answer, role, note, memory=memory)


RESHAPE = Sheet("reshape", "Reshape and view",
                "reshape keeps the C-order sequence; transpose moves axes; a view shares memory", (
    Section("The rules", CUES, (
        Cue("reshape keeps", "the C-order sequence (last axis fastest)", "plain"),
        Cue("reshape may", "re-cut that sequence into any shape of the same size", "plain", "(4, 6) → (3, 8) too"),
        Cue("reshape never", "reorders axes: that is a transpose", "free", "-1: worked out"),
        Cue("reshape is a view when", "every split, and merges with no gap in memory", "plain", "else a copy"),
        Cue("merging axes i, i+1 needs", "strides[i] = shape[i+1]·strides[i+1]", "plain", "size-1 axes: any"),
        Cue("transpose keeps", "each value at its index; axes reordered", "free"),
        Cue("torch .view after .permute", "raises if it merges reordered axes", "plain",
            "splits, H = 1, L = 1: view"),
        Cue("torch .transpose(d0, d1)", "np.swapaxes(x, d0, d1): two axes", "free", "permute = np.transpose"),
        Cue("torch .T on ndim ≠ 2", "deprecated (NumPy's .T reverses all axes)", "free", "torch: .mT, .permute"),
        Cue("torch .squeeze(d), d not 1", "returns the tensor unchanged", "plain", "NumPy raises"),
        Cue("torch .flatten()", "reshape(-1): a view when it can", "plain", "NumPy's flatten always copies"),
        Cue("NumPy .ravel()", "a view only of a contiguous x; else a copy", "plain", "even where reshape(-1) views"),
        Cue("is it a view?", "np.shares_memory(x, y); y.flags.c_contiguous", "plain"),
    )),
    Section("Predict shape and memory", RESHAPE_COLUMNS, (
        _rs("x.reshape(-1)", (3, 4, 5), (60,), "view", note="flatten"),
        _rs("x.reshape(32, -1)", (32, 3, 224, 224), (32, 150528), "view", note="flatten, keep the batch"),
        _rs("x.reshape(10, 20, 1)", (10, 20), (10, 20, 1), "view", note="add a dim"),
        _rs("x.reshape(10, 4, 5)", (10, 20), (10, 4, 5), "view", note="split the last dim"),
        _rs("x.reshape(2, 5, 20)", (10, 20), (2, 5, 20), "view", note="split the first dim"),
        _rs("x.reshape(10, 3, -1)", (10, 20), "error", "", "conflict", "sizes must multiply out"),
        _rs("x[..., None]", (10, 20), (10, 20, 1), "view", note="= np.expand_dims(x, -1)"),
        _rs("x.squeeze(-1)", (10, 20, 1), (10, 20), "view", note="that axis must be 1"),
        _rs("x.T", (10, 20), (20, 10), "view (strided)", "free", "data not moved"),
        _rs("x.T.reshape(-1)", (10, 20), (200,), "copy", "free", "needs a new order"),
        _rs("x[:, ::2]", (10, 20), (10, 10), "view (strided)", note="a stepped slice"),
        _rs("x[[0, 2]]", (10, 20), (2, 20), "copy", note="fancy indexing"),
        _rs("x.flatten()", (10, 20), (200,), "copy", note="always (torch: may view)"),
        _rs("x.ravel()", (10, 20), (200,), "view", note="contiguous x"),
        _rs("x[::2].ravel()", (10,), (5,), "copy", note="not contiguous: copies"),
        _rs("x[::2].reshape(-1)", (10,), (5,), "view (strided)", note="strides allow it"),
        _rs("x[:, :2].reshape(-1)", (4, 6), (8,), "copy", note="merge across gaps"),
        _rs("x[:2].reshape(-1)", (4, 6), (12,), "view", note="whole rows: no gap"),
        _rs("x.astype(np.float32)", (10, 20), (10, 20), "copy", note="x is float64"),
        _rs("x.reshape(2, 5, 3, 4).transpose(0, 2, 1, 3)", (2, 5, 12), (2, 3, 5, 4), "view (strided)",
            "free", "split: BLD → BHLK"),
        _rs("x.transpose(0, 2, 1, 3).reshape(2, 5, 12)", (2, 3, 5, 4), (2, 5, 12), "copy", "free",
            "merge: BHLK → BLD"),
        _rs("x_BLD.reshape(2, 3, 5, 4)", (2, 5, 12), (2, 3, 5, 4), "view", "plain", "wrong numbers!"),
    ), note="x is C-contiguous float64 unless it is the result of something else. "
            "view (strided): shares memory, not C-contiguous."),
))

# ---------------------------------------------------------------- suffix letters
LETTERS = (Column("cue", "letter", 0.12), Column("answer", "axis", 0.46, answer=True, mono=False),
           Column("role", "role", 0.10, answer=True), Column("note", "example", 0.32, mono=False))
NAMED = (Column("expr", "expression", 0.42), Column("given", "input shapes", 0.24),
         Column("out", "name", 0.12, answer=True), Column("answer", "shape", 0.12, answer=True),
         Column("role", "role", 0.10, answer=True))

SUFFIXES = Sheet("suffixes", "Shape-suffix letters", "a name ends in one capital per axis: x_BLD is (B, L, D)", (
    Section("The letters", LETTERS, (
        Cue("B", "batch: examples processed together", "batch", "x_BD, labels_B"),
        Cue("L", "sequence length; query positions in attention", "plain", "x_BLD, q_BHLK"),
        Cue("M", "memory length: key positions attended to", "plain", "k_BHMK; also 2nd set of points"),
        Cue("D", "model width (d_model), input features", "plain", "x_BD, w1_DF"),
        Cue("F", "feed-forward hidden width", "plain", "w1_DF, w2_FC"),
        Cue("H", "attention heads (in img_BCHW: image height)", "plain", "q_BHLK"),
        Cue("K", "size of one head: D = H·K", "plain", "q_BHLK"),
        Cue("V", "vocabulary", "plain", "w_out_DV"),
        Cue("C", "classes (or channels in img_BCHW)", "plain", "logits_BC"),
        Cue("N, M", "two sets of points", "plain", "a_ND, b_MD → d_NM"),
        Cue("M, K, N in @", "(M, K) @ (K, N): M rows, K summed, N columns", "contracted"),
        Cue("N (in 05)", "number of devices", "plain", "w1_NDf: one per device"),
        Cue("lowercase f", "one device's slice: F / N", "plain", "w1_Df is (D, F/N)"),
        Cue("p (in 03)", "patch size, a number: not a slice", "plain", "P = C·p·p"),
        Cue("1", "a size-1 axis", "stretched", "mean_B1, pred_N1"),
    )),
    Section("Name the result", NAMED, (
        Fact("x_BD @ w1_DF", {"x_BD": (32, 784), "w1_DF": (784, 128)}, (32, 128), "contracted", "", out="h_BF"),
        Fact("x_BLD @ w_DV", {"x_BLD": (2, 5, 12), "w_DV": (12, 50)}, (2, 5, 50), "contracted", "", out="logits_BLV"),
        Fact("q_BHLK @ k_BHMK.swapaxes(-1, -2)", {"q_BHLK": (2, 4, 5, 8), "k_BHMK": (2, 4, 6, 8)}, (2, 4, 5, 6),
             "batch", "", out="s_BHLM"),
        Fact("np.einsum('bhlm,bhmk->bhlk', w_BHLM, v_BHMK)", {"w_BHLM": (2, 4, 5, 6), "v_BHMK": (2, 4, 6, 8)},
             (2, 4, 5, 8), "batch", "", out="o_BHLK"),
        Fact("a_ND[:, None] - b_MD[None]", {"a_ND": (5, 3), "b_MD": (7, 3)}, (5, 7, 3), "stretched", "", out="d_NMD"),
        Fact("x_BLD.reshape(2, 5, 4, 3)", {"x_BLD": (2, 5, 12)}, (2, 5, 4, 3), "plain", "", out="x_BLHK"),
        Fact("logits_BC.max(1, keepdims=True)", {"logits_BC": (32, 10)}, (32, 1), "plain", "", out="m_B1"),
    )),
    Section("Reading a line", CUES, (
        Cue("a letter in both operands of @", "contracted: summed away", "contracted", "x_BD @ w1_DF"),
        Cue("the letters that survive @", "a's rows, then b's columns", "free", "(B, D) @ (D, F)"),
        Cue("einsum subscripts", "the suffixes, lowercased", "plain", "'bd,df->bf'"),
        Cue("a gradient's name", "d + the name: same letters", "plain", "dw1_DF"),
    )),
))

# ---------------------------------------------------------------- MLP forward / backward
B, D, F, C = 32, 784, 128, 10
MLP_SHAPES = {"x_BD": (B, D), "w1_DF": (D, F), "b1_F": (F,), "h_BF": (B, F), "a_BF": (B, F), "w2_FC": (F, C),
              "b2_C": (C,), "p_BC": (B, C), "onehot_BC": (B, C), "dlogits_BC": (B, C), "da_BF": (B, F),
              "dh_BF": (B, F)}


def _mlp(out, expr, symbolic, answer, role, note=""):
    return Fact(expr, _using(MLP_SHAPES, expr), answer, role, note, out=out, symbolic=symbolic)


SIZES = f"e.g. column: B = {B}, D = {D}, F = {F}, C = {C}"
MLP = Sheet("mlp", "MLP forward and backward", "two layers, ReLU, softmax cross-entropy; every shape written out", (
    Section("Forward", FORMULAS, (
        _mlp("h_BF", "x_BD @ w1_DF + b1_F", "(B, D) @ (D, F) + (F,) → (B, F)", (B, F), "contracted",
             "b1 broadcasts over B"),
        _mlp("a_BF", "np.maximum(h_BF, 0)", "(B, F) → (B, F)", (B, F), "plain", "ReLU"),
        _mlp("logits_BC", "a_BF @ w2_FC + b2_C", "(B, F) @ (F, C) + (C,) → (B, C)", (B, C), "contracted"),
    ), note=SIZES + ".  loss = mean over B of −log softmax(logits_BC)[label]"),
    Section("Backward (right to left)", FORMULAS, (
        _mlp("dlogits_BC", "(p_BC - onehot_BC) / B", "(B, C) → (B, C)", (B, C), "plain", "/ B: the mean"),
        _mlp("dw2_FC", "a_BF.T @ dlogits_BC", "(F, B) @ (B, C) → (F, C)", (F, C), "contracted", "sums over B"),
        _mlp("db2_C", "dlogits_BC.sum(0)", "(B, C) → (C,)", (C,), "contracted", "b2 was broadcast"),
        _mlp("da_BF", "dlogits_BC @ w2_FC.T", "(B, C) @ (C, F) → (B, F)", (B, F), "contracted"),
        _mlp("dh_BF", "da_BF * (h_BF > 0)", "(B, F) * (B, F) → (B, F)", (B, F), "plain", "this ReLU's input"),
        _mlp("dw1_DF", "x_BD.T @ dh_BF", "(D, B) @ (B, F) → (D, F)", (D, F), "contracted"),
        _mlp("db1_F", "dh_BF.sum(0)", "(B, F) → (F,)", (F,), "contracted"),
        _mlp("dx_BD", "dh_BF @ w1_DF.T", "(B, F) @ (F, D) → (B, D)", (B, D), "contracted", "for a layer below"),
    ), note="d<name> is ∂loss/∂<name>: same shape as <name>.  cache = x_BD, h_BF, a_BF (p_BC stays in the loss)"),
    Section("Rules that write backprop for you", CUES, (
        Cue("a gradient's shape", "the shape of what it differentiates", "plain"),
        Cue("y = x @ w:  dw =", "x.T @ dy", "contracted", "the one fit when B, D, F differ"),
        Cue("y = x @ w:  dx =", "dy @ w.T", "contracted"),
        Cue("broadcast in the forward", "summed in the backward", "stretched", "biases: .sum(0)"),
        Cue("ReLU's mask", "from its input h_BF > 0, not the layer above", "plain"),
    )),
))

# ---------------------------------------------------------------- tensor vs data parallel
N = 2
f, b = F // N, B // N
PAR_SHAPES = {"x_BD": (B, D), "w1_Df": (D, f), "b1_f": (f,), "h_Bf": (B, f), "a_Bf": (B, f), "w2_fC": (f, C),
              "dlogits_BC": (B, C), "dh_Bf": (B, f), "w1_DF": (D, F), "b1_F": (F,), "w2_FC": (F, C), "b2_C": (C,),
              "x_bD": (b, D), "dh_bF": (b, F), "a_bF": (b, F), "dlogits_bC": (b, C),
              "logits_BC": (B, C), "dx_BD": (B, D), "dw1_DF": (D, F), "db1_F": (F,), "dw2_FC": (F, C), "db2_C": (C,)}
PAR_COLUMNS = (Column("out", "on device i", 0.10), Column("code", "formula", 0.31, answer=True),
               Column("answer", "shape", 0.11, answer=True), Column("comm", "communication", 0.17, answer=True),
               Column("role", "role", 0.09, answer=True), Column("note", "why", 0.22, mono=False))


def _par(out, expr, answer, comm, role, note=""):
    return Fact(expr, _using(PAR_SHAPES, expr), answer, role, note, out=out, comm=comm)


PARALLEL = Sheet("parallel", "Tensor vs data parallel",
                 "what each device computes, and what is all-reduced per training step", (
    Section("Tensor parallel (Megatron): w1_DF split by columns, w2_FC by rows", PAR_COLUMNS, (
        _par("h_Bf", "x_BD @ w1_Df + b1_f", (B, f), "none", "free", "F is free: own columns"),
        _par("a_Bf", "np.maximum(h_Bf, 0)", (B, f), "none", "free", "whole hidden units"),
        _par("partial_BC", "a_Bf @ w2_fC", (B, C), "all-reduce, + b2", "contracted", "f is contracted: partial sums"),
        _par("dw2_fC", "a_Bf.T @ dlogits_BC", (f, C), "none", "free", "dlogits_BC on every device"),
        _par("dh_Bf", "(dlogits_BC @ w2_fC.T) * (h_Bf > 0)", (B, f), "none", "free"),
        _par("dw1_Df", "x_BD.T @ dh_Bf", (D, f), "none", "free", "db1_f = dh_Bf.sum(0)"),
        _par("dx_BD", "dh_Bf @ w1_Df.T", (B, D), "all-reduce", "contracted", "f is contracted again"),
        _par("elements", "logits_BC.size + dx_BD.size", B * C + B * D, "B·C + B·D", "batch",
             "all-reduce payload per step"),
        Fact("4 * (logits_BC.size + dx_BD.size)", _using(PAR_SHAPES, "logits_BC dx_BD"), 4 * (B * C + B * D),
             "batch", "float32", out="bytes", prompt="4 × elements", comm="4·(B·C + B·D)"),
    ), note=f"N = {N}; f = F/N = {f}; x_BD, b2_C, dlogits_BC on every device; a device sends "
            "2(N−1)/N × the payload (1× as N = 2).  "
            f"B = {B}, D = {D}, F = {F}, C = {C}"),
    Section("Data parallel: the batch split, the whole model on every device", PAR_COLUMNS, (
        _par("h_bF", "x_bD @ w1_DF + b1_F", (b, F), "none", "batch", "forward: all local"),
        _par("dw1_DF", "x_bD.T @ dh_bF", (D, F), "all-reduce, ÷ N", "contracted", "b is contracted: partial"),
        _par("db1_F", "dh_bF.sum(0)", (F,), "all-reduce, ÷ N", "contracted"),
        _par("dw2_FC", "a_bF.T @ dlogits_bC", (F, C), "all-reduce, ÷ N", "contracted"),
        _par("db2_C", "dlogits_bC.sum(0)", (C,), "all-reduce, ÷ N", "contracted", "mean of shard means"),
        Fact("dw1_DF.size + db1_F.size + dw2_FC.size + db2_C.size", _using(PAR_SHAPES, "dw1_DF db1_F dw2_FC db2_C"),
             D * F + F + F * C + C, "plain", "all-reduce payload, any B", out="elements",
             prompt="Σ .size of dw1, db1, dw2, db2", comm="D·F + F + F·C + C"),
        Fact("4 * (dw1_DF.size + db1_F.size + dw2_FC.size + db2_C.size)",
             _using(PAR_SHAPES, "dw1_DF db1_F dw2_FC db2_C"), 4 * (D * F + F + F * C + C), "plain", "float32",
             out="bytes", prompt="4 × elements", comm="4·(D·F + F + F·C + C)"),
    ), note=f"b = B/N = {b} rows per device.  Counts: elements handed to all-reduce, float32 = 4 bytes each; "
            "each device sends 2(N−1)/N × the bytes on a ring"),
    Section("Say it in an interview", CUES, (
        Cue("a split axis that is free", "local: no communication", "free"),
        Cue("a split axis that is contracted", "partial sums: all-reduce", "contracted"),
        Cue("ring all-reduce, per device", "sends 2(N−1)/N × the array", "plain", "= 1× for N = 2, → 2×"),
        Cue("ring all-gather or reduce-scatter", "sends (N−1)/N × the full array", "plain"),
        Cue("TP bytes per FLOP", "B·(C + D) over B·(D·F + F·C)/N: ≈ N/F, whatever B", "batch",
            "both grow with B"),
        Cue("DP bytes per FLOP", "params over b·params: falls as 1/b", "plain", "b = per-device batch"),
        Cue("TP also cuts", "latency: each device does 1/N of every matmul", "free", "DP cannot, at batch 1"),
        Cue("a bias after an all-reduce", "added once, not on every device", "plain"),
    )),
))

# ---------------------------------------------------------------- attention and norms
B, H, L, M, K, F = 2, 8, 64, 80, 16, 512
D = H * K
ATT_SHAPES = {"q_BHLK": (B, H, L, K), "k_BHMK": (B, H, M, K), "v_BHMK": (B, H, M, K), "mask_LM": (L, M),
              "scores_BHLM": (B, H, L, M), "p_BHLM": (B, H, L, M), "x_BLD": (B, L, D), "o_BHLK": (B, H, L, K),
              "do_BHLK": (B, H, L, K), "dp_BHLM": (B, H, L, M), "ds_BHLM": (B, H, L, M), "dy_BLD": (B, L, D),
              "xhat_BLD": (B, L, D), "std_BL1": (B, L, 1), "dxhat_BLD": (B, L, D), "keep_BM": (B, M),
              }


# Wider formulas than the MLP's, no note column (the section notes carry what is left).
ATT_FORMULAS = (Column("out", "name", 0.13), Column("expr", "formula", 0.39, answer=True),
                Column("symbolic", "shapes", 0.26, answer=True), Column("answer", "e.g.", 0.12, answer=True),
                Column("role", "role", 0.10, answer=True))


def _att(out, expr, symbolic, answer, role, **letters):
    """``letters``: names whose suffixes give the letters a reshape spells out (``heads_HK`` gives H and K)."""
    return Fact(expr, _using(ATT_SHAPES, expr, **letters), answer, role, out=out, symbolic=symbolic)


ATTENTION = Sheet("attention", "Attention and norms", "scaled dot-product attention, heads, LayerNorm, the KV cache", (
    Section("Forward", ATT_FORMULAS, (
        _att("scores_BHLM", "q_BHLK @ k_BHMK.swapaxes(-1, -2) / K ** 0.5", "(B,H,L,K) @ (B,H,K,M) → (B,H,L,M)",
             (B,H,L,M), "contracted"),
        _att("masked_BHLM", "np.where(mask_LM, scores_BHLM, -np.inf)", "(L,M) with (B,H,L,M) → (B,H,L,M)",
             (B,H,L,M), "stretched"),
        _att("o_BHLK", "p_BHLM @ v_BHMK", "(B,H,L,M) @ (B,H,M,K) → (B,H,L,K)", (B,H,L,K), "contracted"),
        _att("q_BHLK", "x_BLD.reshape(B,L,H,K).transpose(0, 2, 1, 3)", "(B,L,D) → (B,H,L,K)", (B,H,L,K),
             "free", heads_HK=(H,K)),
        _att("o_BLD", "o_BHLK.transpose(0, 2, 1, 3).reshape(B,L,D)", "(B,H,L,K) → (B,L,D)", (B,L,D), "free",
             model_D=(D,)),
        _att("std_BL1", "np.sqrt(x_BLD.var(-1, keepdims=True) + 1e-5)", "(B,L,D) → (B,L,1)", (B,L,1), "plain"),
        _att("padded_BHLM", "np.where(keep_BM[:, None, None, :], scores_BHLM, -np.inf)",
             "(B,1,1,M) with (B,H,L,M) → (B,H,L,M)", (B,H,L,M), "stretched"),
    ), note=f"e.g. column: B = {B}, H = {H}, L = {L}, M = {M}, K = {K}, D = H·K = {D}.  "
            "Scores ÷ √K, masked with −inf before the softmax; split with reshape then transpose, merge the reverse"),
    Section("Backward", ATT_FORMULAS, (
        _att("dv_BHMK", "p_BHLM.swapaxes(-1, -2) @ do_BHLK", "(B,H,M,L) @ (B,H,L,K) → (B,H,M,K)", (B,H,M,K),
             "contracted"),
        _att("dp_BHLM", "do_BHLK @ v_BHMK.swapaxes(-1, -2)", "(B,H,L,K) @ (B,H,K,M) → (B,H,L,M)", (B,H,L,M),
             "contracted"),
        _att("ds_BHLM", "p_BHLM * (dp_BHLM - (p_BHLM * dp_BHLM).sum(-1)[..., None])", "(B,H,L,M) → (B,H,L,M)",
             (B,H,L,M), "plain"),
        _att("dk_BHMK", "ds_BHLM.swapaxes(-1, -2) @ q_BHLK / K ** 0.5", "(B,H,M,L) @ (B,H,L,K) → (B,H,M,K)",
             (B,H,M,K), "contracted"),
        _att("dgamma_D", "np.einsum('bld,bld->d', dy_BLD, xhat_BLD)", "(B,L,D) → (D,)", (D,), "contracted"),
        _att("dbeta_D", "dy_BLD.sum((0, 1))", "(B,L,D) → (D,)", (D,), "contracted"),
    ), note="d<name> is ∂loss/∂<name>: same shape as <name>.  dq_BHLK = ds_BHLM @ k_BHMK / √K.  "
            "gamma_D, beta_D were broadcast over B and L: their gradients sum over both"),
    Section("Say it in an interview", CUES, (
        Cue("the mask: query i sees key j when", "j ≤ i + (M − L); masked scores = −inf", "stretched"),
        Cue("why ÷ √K", "q·k sums K terms: variance K; keeps softmax unsaturated", "plain"),
        Cue("LayerNorm vs batch norm", "per position over D, vs per feature over B and L", "plain"),
        Cue("LayerNorm dx_BLD", "(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)) / std", "plain", "means over D"),
        Cue("KV cache, one decode step", "append k, v of (B,H,1,K) along M", "batch", "attend with 1 query"),
        Cue("scores memory, 32k tokens", "32768² × 4 B = 4 GiB per head; FlashAttention tiles", "plain"),
        Cue("KV cache bytes", "2 · layers · B · M · D · itemsize", "plain", "7B, 4k, fp16: 2 GiB"),
        Cue("pre-norm vs post-norm", "pre-norm keeps the residual an identity path", "plain"),
    )),
))

# ---------------------------------------------------------------- scaling math
COSTS = (Column("name", "what", 0.23, mono=False), Column("formula", "formula", 0.32, answer=True),
         Column("example", "example", 0.31), Column("result", "=", 0.14, answer=True))
H100 = {"peak": 989e12, "bw": 3.35e12}  # bf16 dense FLOP/s and HBM bytes/s of an H100-class accelerator


def _cost(name, expr, answer, unit="", **values):
    return Formula(name, expr, values, answer, unit)


SCALING = Sheet("scaling", "Scaling math", "FLOPs, bytes, memory, communication and time of training and serving", (
    Section("Roofline: compute-bound above the ridge point, memory-bound below", COSTS, (
        _cost("matmul FLOPs", "2 * B * D * F", 1.374e11, "FLOP", B=4096, D=4096, F=4096),
        _cost("matmul bytes, bf16 (s = 2)", "s * (B * D + D * F + B * F)", 1.007e8, "bytes", s=2, B=4096, D=4096,
              F=4096),
        _cost("arithmetic intensity", "2 * B * D * F / (s * (B * D + D * F + B * F))", 1365.3, "FLOP/byte", s=2,
              B=4096, D=4096, F=4096),
        _cost("ridge point", "peak / bw", 295.2, "FLOP/byte", **H100),
        _cost("roofline time", "max(flops / peak, Q / bw)", 2.022e-3, "s", flops=2e12, Q=1e9, **H100),
    ), note="x_BD @ w_DF: B rows (tokens), D in, F out; Q bytes moved (inputs read, output written once); "
            "peak FLOP/s, bw bytes/s; s bytes/number"),
    Section("Training compute", COSTS, (
        _cost("training FLOPs", "6 * P * T", 8.4e23, "FLOP", P=70e9, T=2e12),
        _cost("GPU-days at a given MFU", "6 * P * T / (peak * mfu) / 86400", 24580, "GPU-days", P=70e9, T=2e12,
              peak=989e12, mfu=0.4),
        _cost("MFU of a training job", "6 * P * R / (N * peak)", 0.3981, "", P=7e9, R=1.2e6, N=128, peak=989e12),
    ), note="P parameters, T tokens: 6 FLOPs per parameter per token (2 forward, 4 backward); R tokens/s over N devices"),
    Section("Memory for Adam: bytes per parameter, and what ZeRO shards over N devices", COSTS, (
        _cost("fp32: weights + grads + moments", "4 + 4 + 4 + 4", 16, "bytes/param"),
        _cost("mixed: bf16 w, g; fp32 master, m, v", "2 + 2 + 4 + 4 + 4", 16, "bytes/param"),
        _cost("ZeRO-1: optimizer state sharded", "2 + 2 + 12 / N", 5.5, "bytes/param", N=8),
        _cost("ZeRO-2: + gradients sharded", "2 + (2 + 12) / N", 3.75, "bytes/param", N=8),
        _cost("ZeRO-3: + weights sharded", "(2 + 2 + 12) / N", 2, "bytes/param", N=8),
        _cost("7B model, mixed, no ZeRO", "16 * P / 1e9", 112, "GB", P=7e9),
    ), note="optimizer state in mixed precision: fp32 master 4 + two fp32 moments 8 = 12 bytes; activations come on top"),
    Section("Communication and the pipeline", COSTS, (
        _cost("ring all-reduce, sent per device", "2 * (N - 1) / N * S", 24.5, "GB", N=8, S=14),
        _cost("ring all-gather or reduce-scatter", "(N - 1) / N * S", 12.25, "GB", N=8, S=14),
        _cost("ZeRO-3 traffic ÷ data parallel's", "3 * (N - 1) / N * S / (2 * (N - 1) / N * S)", 1.5, "×", N=8, S=14),
        _cost("pipeline bubble, share of a step", "(p - 1) / (m + p - 1)", 0.2, "", p=4, m=12),
    ), note="S the whole array's bytes. ZeRO-3: 2 all-gathers + 1 reduce-scatter vs 1 all-reduce. p stages, m microbatches"),
    Section("Serving", COSTS, (
        _cost("KV cache (K and V)", "2 * B * L * layers * Hkv * K * s / 2**30", 20, "GiB",
              B=2, L=32768, layers=80, Hkv=8, K=128, s=2),
        _cost("the same with MHA (Hkv = H)", "2 * B * L * layers * Hkv * K * s / 2**30", 160, "GiB",
              B=2, L=32768, layers=80, Hkv=64, K=128, s=2),
        _cost("bf16 weights of a 70B model", "2 * P / 1e9", 140, "GB", P=70e9),
        _cost("decode, batch 1, N-way TP", "2 * P / (N * bw) * 1000", 10.45, "ms", P=70e9, N=4,
              bw=3.35e12),
    ), note="Hkv KV heads: H for MHA, 8 groups for GQA (a 70B-class model), 1 for MQA; K head size; s bytes/number; "
            "N tensor-parallel parts"),
))

# ---------------------------------------------------------------- the modern block
B, H, G, L, M, K, F = 2, 8, 2, 64, 80, 16, 344
D = H * K
R = H // G
b = 32  # one FlashAttention tile (T is tokens on this sheet)
MOD_SHAPES = {"x_BLD": (B, L, D), "g_D": (D,), "dy_BLD": (B, L, D), "xhat_BLD": (B, L, D), "rms_BL1": (B, L, 1),
              "w_gate_DF": (D, F), "w_up_DF": (D, F), "w_down_FD": (F, D), "h_BLF": (B, L, F),
              "q_BHLK": (B, H, L, K), "k_BGMK": (B, G, M, K), "v_BGMK": (B, G, M, K), "p_BGRLM": (B, G, R, L, M),
              "x_BHLK": (B, H, L, K), "q_BGRLK": (B, G, R, L, K), "alpha_BHl": (B, H, b), "p_BHlm": (B, H, b, b), "positions_L": (L,), "theta_k": (K // 2,),
              "s_BHlm": (B, H, b, b), "m_BHl": (B, H, b), "l_BHl": (B, H, b), "acc_BHlK": (B, H, b, K),
              "v_BHmK": (B, H, b, K), "do_BHLK": (B, H, L, K), "o_BHLK": (B, H, L, K)}


# Five-axis shapes need a wider "e.g." column than attention's.
MOD_FORMULAS = (Column("out", "name", 0.10), Column("expr", "formula", 0.38, answer=True),
                Column("symbolic", "shapes", 0.27, answer=True), Column("answer", "e.g.", 0.16, answer=True),
                Column("role", "role", 0.09, answer=True))


def _mod(out, expr, symbolic, answer, role, **letters):
    return Fact(expr, _using(MOD_SHAPES, expr, **letters), answer, role, out=out, symbolic=symbolic)


MODERN = Sheet("modern", "The modern block", "RMSNorm, RoPE, SwiGLU, grouped-query attention, FlashAttention's tiles", (
    Section("Shapes", MOD_FORMULAS, (
        _mod("rms_BL1", "np.sqrt((x_BLD ** 2).mean(-1, keepdims=True) + 1e-6)", "(B,L,D) → (B,L,1)", (B,L,1), "plain"),
        _mod("dg_D", "(dy_BLD * xhat_BLD).sum((0, 1))", "(B,L,D) → (D,)", (D,), "contracted"),
        _mod("h_BLF", "(x_BLD @ w_gate_DF) * (x_BLD @ w_up_DF)", "(B,L,D) @ (D,F) → (B,L,F)", (B,L,F), "contracted"),
        _mod("angle_Lk", "positions_L[:, None] * theta_k", "(L,1) * (k,) → (L,k)", (L,K // 2), "stretched"),
        _mod("even_BHLk", "x_BHLK[..., 0::2]", "(B,H,L,K) → (B,H,L,k)", (B,H,L,K // 2), "free"),
        _mod("q_BGRLK", "q_BHLK.reshape(B,G,R,L,K)", "(B,H,L,K) → (B,G,R,L,K)", (B,G,R,L,K), "free",
             groups_GR=(G, R)),
        _mod("s_BGRLM", "np.einsum('bgrlk,bgmk->bgrlm', q_BGRLK, k_BGMK)",
             "(B,G,R,L,K), (B,G,M,K) → (B,G,R,L,M)", (B,G,R,L,M), "stretched"),
        _mod("o_BGRLK", "p_BGRLM @ v_BGMK[:, :, None]", "(B,G,R,L,M) @ (B,G,1,M,K) → (B,G,R,L,K)", (B,G,R,L,K),
             "contracted"),
        _mod("m_BHl", "np.maximum(m_BHl, s_BHlm.max(-1))", "(B,H,l) with (B,H,l,m) → (B,H,l)", (B,H,b), "plain"),
        _mod("acc_BHlK", "alpha_BHl[..., None] * acc_BHlK + p_BHlm @ v_BHmK",
             "(B,H,l,m) @ (B,H,m,K) → (B,H,l,K)", (B,H,b,K), "contracted"),
        _mod("delta_BHL", "(do_BHLK * o_BHLK).sum(-1)", "(B,H,L,K) → (B,H,L)", (B,H,L), "contracted"),
    ), note=f"e.g. column: B = {B}, H = {H}, G = {G}, L = {L}, M = {M}, K = {K}, F = {F}, tile b = {b}; "
            "k = K/2 pairs; R = H/G query heads per group; l, m: one tile's queries and keys (b each)"),
    Section("Costs", COSTS, (
        _cost("KV cache MHA saves with GQA", "2 * B * M * (H - G) * K * layers * s / 2**30", 70, "GiB",
              B=1, M=32768, H=64, G=8, K=128, layers=80, s=2),
        _cost("full attention scores, one layer", "B * H * L * M * s / 2**30", 4, "GiB", B=1, H=32, L=8192, M=8192, s=2),
        _cost("activations kept by one block", "(B * L * (8 * D + 2 * F) + B * H * L * L) * s / 2**30", 1.5, "GiB",
              B=1, L=4096, D=4096, H=32, F=16384, s=2),
        _cost("MoE all-to-all, sent per device", "2 * T * k * D * s * (N - 1) / N / 2**20", 112, "MiB",
              T=4096, k=2, D=4096, s=2, N=8),
    ), note="s bytes per number; T tokens, k experts each, N devices; "
            "SwiGLU has three D×F matrices, so F = 8D/3 keeps 2·D·4D parameters"),
    Section("Say it in an interview", CUES, (
        Cue("RMSNorm drops", "the mean and the shift: x / rms(x) · g", "plain", "one reduction, not two"),
        Cue("RMSNorm dx", "(dxhat − xhat·mean(dxhat·xhat)) / rms", "plain", "dxhat = dy·g"),
        Cue("RoPE rotates", "pairs (2i, 2i+1) by position · base^(−2i/K)", "free", "queries and keys only"),
        Cue("why relative", "R(a)ᵀR(b) = R(b − a): the score sees p' − p", "plain"),
        Cue("SwiGLU", "(silu(x @ w_gate) * (x @ w_up)) @ w_down", "plain", "silu(g) = g·sigmoid(g)"),
        Cue("GQA: head h reads", "key/value head h // (H/G)", "batch", "reshape q, never repeat K, V"),
        Cue("online softmax update", "l = e^(m−m')·l + Σe^(s−m'); acc likewise", "plain", "m' the new max"),
        Cue("flash backward keeps", "o and lse; p = exp(s − lse) per tile", "plain", "delta = Σ do·o"),
        Cue("float16 range", "6e-8 (subnormal) to 65504; steps of 2⁻¹⁰ at 1", "plain", "bf16: fp32's range"),
        Cue("dynamic loss scale", "inf/nan: halve, skip; N clean steps: double", "plain", "unscale in fp32"),
        Cue("MoE router", "top-k logits, softmax over the k", "plain", "capacity ⌈cf·T·k/E⌉ each"),
    )),
))

# ---------------------------------------------------------------- serving
SERVING = Sheet("serving", "Serving", "prefill and decode, the paged KV cache, batching, speculative decoding, quantization", (
    Section("Time to first token and time per output token", COSTS, (
        _cost("prefill FLOPs (b prompts of L)", "2 * P * b * L", 2.867e14, "FLOP", P=70e9, b=1, L=2048),
        _cost("TTFT, compute-bound", "2 * P * b * L / peak * 1000", 289.9, "ms", P=70e9, b=1, L=2048, peak=989e12),
        _cost("KV bytes per token", "2 * layers * Hkv * K * s", 327680, "B", layers=80, Hkv=8, K=128, s=2),
        _cost("TPOT, memory-bound (all caches)", "(P * s + b * L * kv) / bw * 1000", 9.904, "ms",
              P=8e9, s=2, b=32, L=4096, kv=131072, bw=3.35e12),
        _cost("decode compute-bound, no KV", "s * peak / (2 * bw)", 295.2, "batch", s=2, peak=989e12, bw=3.35e12),
        _cost("KV budget/device, 70B bf16, N = 2", "(80 * 2**30 - P * s / N) / 2**30", 14.81, "GiB", P=70e9, s=2, N=2),
    ), note="P parameters, s bytes each, b sequences, L tokens of context, kv bytes per token; peak FLOP/s, bw bytes/s"),
    Section("Blocks, speculation, quantization", COSTS, (
        _cost("paged cache: blocks for T tokens", "-(-T // n)", 3, "blocks", T=33, n=16),
        _cost("slots wasted per sequence, max", "n - 1", 15, "slots", n=16),
        _cost("tokens per speculative step", "(1 - a ** (g + 1)) / (1 - a)", 3.362, "tokens", a=0.8, g=4),
        _cost("int8 rounding error, at most", "amax / 127 / 2", 1.969e-3, "", amax=0.5),
        _cost("int4, groups of 128, bf16 scales", "4 + 16 / group", 4.125, "bits/weight", group=128),
        _cost("int4 g128 decode speed-up vs bf16", "16 / (4 + 16 / group)", 3.879, "×", group=128),
    ), note="n tokens a block; a acceptance rate, g draft tokens; amax a channel's largest |w|; "
            "memory-bound decode is as fast as the bytes read"),
    Section("Say it in an interview", CUES, (
        Cue("prefill is", "compute-bound: all prompt tokens in one matmul", "plain", "TTFT ≈ 2·P·tokens / peak"),
        Cue("decode is", "memory-bound: ~2·b FLOPs per weight read", "plain", "TPOT ≈ bytes read / bw"),
        Cue("a bigger batch shares", "the weight reads, never the KV caches", "plain", "each sequence reads its own"),
        Cue("PagedAttention", "blocks on demand, a block table per sequence", "plain", "≤ n − 1 slots wasted"),
        Cue("continuous batching", "refill a slot after any step", "plain", "static waits for the longest"),
        Cue("speculative: keep x with", "min(1, p(x)/q(x)); else draw from max(0, p − q)", "plain", "bonus if all kept"),
        Cue("why exact", "min(p, q) + rejected mass × residual = p", "plain"),
        Cue("int8 per channel", "scale = max|w| / 127 per output column", "plain", "sum in int32"),
        Cue("int4 groups", "a scale per 128 input rows, values −7…7", "plain", "≈ 4.125 bits/weight"),
        Cue("serve 70B at 50 ms", "2 × 80 GB: 70e9 B each, batch 23 at 4096", "plain", "fewest devices first"),
    )),
))

SHEETS = {sheet.name: sheet for sheet in (BROADCASTING, MATMUL, EINSUM, RESHAPE, SUFFIXES, MLP, PARALLEL, ATTENTION,
                                          SCALING, MODERN, SERVING)}
# The notebook each sheet belongs to (where its one-pager cell or its first use is): the Anki
# deck files a sheet's notes under that notebook's subdeck. A sheet left out goes to a "one-pagers" subdeck.
NOTEBOOK_OF_SHEET = {"broadcasting": "01_broadcasting", "suffixes": "02_matmul_einsum", "matmul": "02_matmul_einsum",
                     "einsum": "02_matmul_einsum", "reshape": "03_reshape_view", "mlp": "04_backprop_mlp",
                     "parallel": "05_parallel_mlp", "attention": "06_attention_norms", "scaling": "07_scaling_math",
                     "modern": "08_modern_transformer", "serving": "09_serving"}
