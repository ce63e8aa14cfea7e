"""Print-ready one-page references (PDF and PNG), drawn from the sheets of recall.facts.

Three kinds of page per sheet, with one layout so they can be laid side by side:

- ``reference``: every prompt, answer, colour and note;
- ``recall``: the same rows with each answer cell an empty box, to fill in by pen from memory. A
  formula is written by hand in a box the page's full width and 1.27 cm tall, under its row's other
  boxes, so a sheet with formulas runs onto as many pages as its rows need;
- ``key``: the answers, small, in the positions the reference prints them, each beside its prompt in
  grey and under the recall sheet's row number, so a filled-in recall sheet is checked row by row
  without the reference's colours.

Colours come from shapes.palette and always sit beside their words (a chip reading "stretched",
a legend at the top), so a grey printout loses nothing. Everything is laid out in inches, so A4 and
US letter get the same page, fitted to each paper; matplotlib's Figure API without pyplot, so
nothing opens a window. ``mlgrind onepager`` calls ``write_onepagers``; a page after the first of a
recall sheet is a further PNG (``-2.png``…) and a further page of the same PDF::

    >>> import tempfile
    >>> [path.name for path in write_onepagers("matmul", tempfile.mkdtemp(), ["a4"], ["key"])]
    ['matmul-a4-key.pdf', 'matmul-a4-key.png']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle
from tqdm.auto import tqdm

from ..shapes import palette
from ..shapes.rules import ShapeError, broadcast
from .facts import SHEETS, Column, Cue, Fact, Formula, Section, Sheet

__all__ = ["PAPERS", "KINDS", "DPI", "FORMULA_H", "write_onepagers", "render", "render_pages", "resolve_sheets",
           "cell_text", "formula_column"]

PAPERS = {"a4": (8.27, 11.69), "letter": (8.5, 11.0)}  # inches
KINDS = ("reference", "recall", "key")
DPI = 150  # PNG resolution: sharp on paper, a few hundred kB

MARGIN = 0.42
NUM_W = 0.24  # the row-number column
MONO = "DejaVu Sans Mono"
SANS = "DejaVu Sans"
INK, GREY, FAINT, BLANK_EDGE = "#1a1a1a", "#5c5c5c", "#f3f3f3", "#9a9a9a"
BODY, SMALL, KEY = 7.6, 6.6, 6.4  # font sizes, points
MIN_FONT = 5.2
ROW_H, MIN_ROW_H = 0.29, 0.17  # taller rows when the page has room: more space to write in
RECALL_ROW_H = 0.45  # a recall sheet's rows may grow taller still: its boxes are written in by hand
FORMULA_FIELDS = ("expr", "formula", "code")  # an answer column holding a formula
FORMULA_H = 0.5  # a recall sheet's formula box: 1.27 cm tall (and the page's full width), to write ds_BHLM by hand
LINE_H = 0.34  # on a recall sheet with formula boxes, every other box: 8.6 mm
CUE_H = FORMULA_H + 0.05  # ...but a cue's answer, often a formula in words, as tall as a formula's
ROW_GAP = 0.07  # between one row's formula box and the next row
TEXT_GAP = 0.12  # at least this much between a printed cell's text and the next cell (a box to write in)
ALIGN_H = 0.40  # a row of dimension boxes (a size over one or two role words)
TAGS = {"reference": "reference", "recall": "recall: fill in every box from memory", "key": "answer key"}


def resolve_sheets(names: str | Iterable[str]) -> list[str]:
    """``"all"``, one sheet's name, or several -> sheet names; ValueError naming the valid ones otherwise."""
    names = [names] if isinstance(names, str) else list(names)
    if names == ["all"]:
        return list(SHEETS)
    unknown = [name for name in names if name not in SHEETS]
    if unknown or not names:
        raise ValueError(f"unknown one-pager topic {', '.join(map(repr, unknown)) or '(none)'}: "
                         f"choose from {', '.join(SHEETS)} or all")
    return names


def write_onepagers(sheets: str | Iterable[str] = "all", out_dir: str | Path = "onepagers",
                    papers: Iterable[str] = tuple(PAPERS), kinds: Iterable[str] = KINDS,
                    progress: bool = False) -> list[Path]:
    """Write ``<sheet>-<paper>-<kind>.pdf`` and ``.png`` for each combination; return the paths.

    ValueError, before anything is written, for an unknown sheet, paper or kind. ``progress`` shows
    a bar on stderr (a page takes about a second to draw and save).
    """
    names = resolve_sheets(sheets)
    papers = [papers] if isinstance(papers, str) else list(papers)
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    for value, valid, what in ((papers, PAPERS, "paper"), (kinds, KINDS, "kind")):
        if bad := [v for v in value if v not in valid]:
            raise ValueError(f"unknown {what} {', '.join(map(repr, bad))}: choose from {', '.join(valid)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pages = [(name, size, kind) for name in names for size in papers for kind in kinds]
    written = []
    for name, size, kind in tqdm(pages, desc="one-pagers", unit="sheet", disable=not progress):
        figs = render_pages(name, size, kind)
        stem = f"{name}-{size}-{kind}"
        pdf = out / f"{stem}.pdf"
        with rc_context({"pdf.fonttype": 42}):  # TrueType fonts, embedded: crisp in every viewer and printer
            with PdfPages(pdf, metadata={"Title": f"The ML Grind: {SHEETS[name].title} ({kind})"}) as book:
                for fig in figs:
                    book.savefig(fig)
        written.append(pdf)
        for number, fig in enumerate(figs, 1):
            png = out / (f"{stem}.png" if number == 1 else f"{stem}-{number}.png")
            fig.savefig(png, dpi=DPI)
            written.append(png)
    return written


def formula_column(section: Section, kind: str) -> Column | None:
    """The column a recall sheet turns into a full-width box under each row of ``section``, if any."""
    if kind != "recall":
        return None
    return next((c for c in section.columns if c.answer and c.field in FORMULA_FIELDS), None)


def cell_text(row: Fact | Formula | Cue, name: str) -> str:
    """What the sheet prints in column ``name`` of ``row``."""
    if name == "role":
        return palette.ROLES[row.role].label
    if name == "code":
        return row.prompt or row.expr
    if name == "given":
        return ", ".join(str(tuple(shape)) for shape in row.shapes.values())
    value = getattr(row, name)
    if name == "answer" and isinstance(value, int):
        return f"{value:,}"
    return str(value)


# ------------------------------------------------------------------------------ drawing helpers
class _Page:
    """A Figure addressed in inches from the top-left corner, as one reads a page."""

    def __init__(self, paper: str, kind: str):
        self.w, self.h = PAPERS[paper]
        self.kind = kind
        self.fig = Figure(figsize=(self.w, self.h), dpi=DPI)
        self.fig.shrunk = []  # (text, size asked, size used) for text made smaller to fit its cell
        self.fig.dims = []  # (box, size text, role words) of every dimension box in an aligned section
        FigureCanvasAgg(self.fig)  # a renderer to measure text with
        self.renderer = self.fig.canvas.get_renderer()
        self.tr = self.fig.dpi_scale_trans

    def text(self, x, y, s, size=BODY, width=None, mono=True, answer=False, ha="left", gid=None, **kw):
        """Text whose vertical centre is ``y``; shrunk until it fits ``width`` inches, or ValueError.

        ``gid`` marks what the text is ("answer", "note"), so tests can tell answers from prompts.
        """
        if not s:
            return None
        t = self.fig.text(x, self.h - y, s, transform=self.tr, fontsize=size, va="center_baseline", ha=ha,
                          family=MONO if mono else SANS, gid="answer" if answer else gid, **kw)
        # Measuring text is slow: skip it when even the widest glyphs would fit.
        if width is not None and len(s) * size * (0.62 if mono else 0.85) / 72 > width:
            while t.get_window_extent(self.renderer).width > width * DPI:
                if t.get_fontsize() <= MIN_FONT:
                    raise ValueError(f"{s!r} does not fit in {width:.2f} in on the page")
                t.set_fontsize(t.get_fontsize() - 0.2)
            if t.get_fontsize() < size:
                self.fig.shrunk.append((s, size, round(t.get_fontsize(), 1)))
        return t

    def box(self, x, y, w, h, fill="none", edge=BLANK_EDGE, dashed=False, lw=0.6):
        """A rounded box whose top-left corner is (x, y)."""
        style = "round,pad=0,rounding_size=0.03"
        return self.fig.add_artist(FancyBboxPatch((x, self.h - y - h), w, h, boxstyle=style, transform=self.tr,
                                                  facecolor=fill, edgecolor=edge, linewidth=lw,
                                                  linestyle=(0, (2.5, 1.5)) if dashed else "solid"))

    def band(self, x, y, w, h, colour):
        self.fig.add_artist(Rectangle((x, self.h - y - h), w, h, transform=self.tr, facecolor=colour,
                                      edgecolor="none", zorder=-1))

    def chip(self, role: palette.Role, x, y, w, h, size=SMALL, answer=False):
        """The role's colour with its label written in it: never a colour alone."""
        edge_w = 1.4 if role is palette.CONFLICT else 0.8
        self.box(x, y, w, h, role.fill, role.ink, role.dashed, lw=edge_w)
        self.text(x + w / 2, y + h / 2, role.label, size=size, width=w - 0.04, mono=False, ha="center",
                  color=role.ink, weight="bold", answer=answer)

    def rule(self, x, y, w, colour=INK, lw=0.7):
        self.fig.add_artist(Rectangle((x, self.h - y), w, lw / 72, transform=self.tr, facecolor=colour,
                                      edgecolor="none"))


def _roles_used(sheet: Sheet) -> list[palette.Role]:
    """The roles the page draws: each gets a legend entry."""
    used = {row.role for section in sheet.sections if not section.aligned for row in section.rows} - {"plain"}
    for section in sheet.sections:
        if section.aligned:
            used |= {role.name for row in section.rows for _, cells in _aligned(row) for _, parts in cells
                     for role in parts}
    return [role for name, role in palette.ROLES.items() if name in used]


def _aligned(fact: Fact) -> list[tuple[str, list[tuple[str, tuple[palette.Role, ...]]]]]:
    """Rows of (caption, [(size, roles)]) for a broadcast, right-aligned; the last row is the result.

    Each size's roles are the broadcast plan's (``Axis.roles``), as the widgets' diagrams show them.
    """
    try:
        plan = broadcast(*fact.shapes.values())
    except ShapeError as exc:
        plan = exc.plan
    lines = [(f"{name} {tuple(shape)}", [(axis.shown(i), palette.roles(axis.roles(i))) for axis in plan.axes])
             for i, (name, shape) in enumerate(fact.shapes.items())]
    result = [("✗", (palette.CONFLICT,)) if axis.size is None else (str(axis.size), (palette.RESULT,))
              for axis in plan.axes]
    lines.append(("result", result))
    return lines


# ------------------------------------------------------------------------------ the page
def render_pages(sheet: str | Sheet, paper: str = "a4", kind: str = "reference") -> list[Figure]:
    """The pages of a sheet: one, but for a recall sheet with formula boxes, as many as its rows need."""
    if not isinstance(sheet, Sheet):
        sheet = SHEETS[resolve_sheets(sheet)[0]]
    if any(formula_column(section, kind) for section in sheet.sections):
        return _recall_pages(sheet, paper)
    return [_one_page(sheet, paper, kind)]


def render(sheet: str | Sheet, paper: str = "a4", kind: str = "reference") -> Figure:
    """One page of a sheet (one of SHEETS, or its name): title, colour legend, then each section.

    ValueError when the sheet does not fit the page (a recall sheet with formula boxes: see
    render_pages). ``figure.shrunk`` lists the texts that were set smaller than asked so as to fit
    their cells (the tests keep them readable); ``figure.dims`` the (box, size, roles) artists of the
    aligned sections' dimension boxes, row by row.
    """
    pages = render_pages(sheet, paper, kind)
    if len(pages) > 1:
        raise ValueError(f"this {kind} sheet takes {len(pages)} pages: render_pages draws them")
    return pages[0]


def _one_page(sheet: Sheet, paper: str, kind: str) -> Figure:
    page = _Page(paper, kind)
    x0, width = MARGIN, page.w - 2 * MARGIN
    y = _header(page, sheet, x0, width)
    row_h = _fit_rows(page, sheet, y)
    number = 0
    for section in sheet.sections:
        y = _section_title(page, section, x0, width, y)
        if section.aligned:
            y = _aligned_section(page, section, x0, width, y)
        else:
            y, number = _grid(page, section, x0, width, y, row_h, number)
        y += 0.12
    _footer(page, sheet, paper, kind)
    if y > page.h - MARGIN + 1e-9:  # rows stretched to fill the page end on its margin, give or take rounding
        raise ValueError(f"{sheet.name} does not fit on one {paper} page ({y:.2f} in of {page.h - MARGIN:.2f})")
    return page.fig


def _footer(page: _Page, sheet: Sheet, paper: str, kind: str, of: str = ""):
    page.text(MARGIN, page.h - MARGIN * 0.6, f"The ML Grind · mlgrind onepager {sheet.name} · {paper} · {kind}{of}",
              size=5.8, mono=False, color=GREY)


def _recall_pages(sheet: Sheet, paper: str) -> list[Figure]:
    """A recall sheet whose formulas get boxes the page's full width: each row is its other boxes on one
    line and its formula box under them; a section that runs off a page goes on under its title again."""
    x0, pages = MARGIN, [_Page(paper, "recall")]
    width = pages[0].w - 2 * MARGIN
    bottom = pages[0].h - MARGIN - 0.1  # room for the footer
    y = _header(pages[0], sheet, x0, width)
    number = 0
    for section in sheet.sections:
        formula = formula_column(section, "recall")
        row_h = LINE_H + FORMULA_H + ROW_GAP if formula else _line_h(section)
        head_h = 0.22 + (0.17 if section.note else 0) + 0.16 + (0.14 if formula else 0)
        rows = list(section.rows)
        title = section.title
        while rows:
            if y + head_h + row_h > bottom:  # not even the title and one row: a new page
                pages.append(_Page(paper, "recall"))
                y = _continued_header(pages[-1], sheet, x0, width)
            page = pages[-1]
            y = _section_title(page, replace(section, title=title), x0, width, y)
            fit = max(1, int((bottom - y - 0.16 - (0.14 if formula else 0)) // row_h))
            y, number = _recall_grid(page, section, rows[:fit], x0, width, y, number, formula)
            rows, title = rows[fit:], f"{section.title} (continued)"
            y += 0.12
    for i, page in enumerate(pages, 1):
        _footer(page, sheet, paper, "recall", f" · page {i} of {len(pages)}")
    return [page.fig for page in pages]


def _line_h(section: Section) -> float:
    """A recall row's first line: a cue's answer, often a formula in words, gets a formula box's height."""
    return CUE_H if all(isinstance(row, Cue) for row in section.rows) else LINE_H


def _continued_header(page: _Page, sheet: Sheet, x0, width) -> float:
    y = MARGIN + 0.14
    page.text(x0, y, f"{sheet.title} (continued)", size=12, mono=False, weight="bold", color=INK)
    page.text(x0 + width, y, TAGS["recall"].upper(), size=8, mono=False, ha="right", weight="bold", color=GREY)
    page.rule(x0, y + 0.2, width)
    return y + 0.3


def _recall_grid(page: _Page, section: Section, rows, x0, width, y, number, formula) -> tuple[float, int]:
    """Rows of a recall sheet: every column but the formula on one line, the formula's box under it."""
    cols = [(c, cx, cw) for c, cx, cw in _columns(section, x0, width, "recall")
            if formula is None or c.field != formula.field]
    if formula:  # the line's columns share the whole width
        scale = (width - NUM_W) / sum(cw for _, _, cw in cols)
        left, spread = x0 + NUM_W, []
        for column, _, cw in cols:
            spread.append((column, left, cw * scale))
            left += cw * scale
        cols = spread
    for column, cx, cw in cols:
        page.text(cx + 0.04, y + 0.06, column.header, size=6.2, width=cw - 0.06, mono=False, color=GREY,
                  style="italic")
    y += 0.16
    if formula:
        page.text(x0 + NUM_W + 0.04, y + 0.05, f"{formula.header}: the wide box under each row", size=6.2,
                  width=width - NUM_W, mono=False, color=GREY, style="italic")
        y += 0.14
    line_h = _line_h(section)
    for row in rows:
        number += 1
        row_h = line_h + (FORMULA_H + ROW_GAP if formula else 0)
        if number % 2 == 0:
            page.band(x0, y, width, row_h, FAINT)
        page.text(x0 + NUM_W - 0.06, y + line_h / 2, str(number), size=6, mono=False, ha="right", color=GREY)
        for k, (column, cx, cw) in enumerate(cols):
            boxed_next = k + 1 < len(cols) and cols[k + 1][0].answer
            _draw_cell(page, row, column, cx, y, cw, line_h, gap=TEXT_GAP if boxed_next else 0.03)
        if formula:
            page.box(x0 + NUM_W + 0.0175, y + line_h, width - NUM_W - 0.035, FORMULA_H, fill="white")
        y += row_h
    return y, number


def _header(page: _Page, sheet: Sheet, x0, width) -> float:
    y = MARGIN + 0.14
    page.text(x0, y, sheet.title, size=16, mono=False, weight="bold", color=INK)
    tag = TAGS[page.kind]
    page.text(x0 + width, y, tag.upper(), size=8, mono=False, ha="right", weight="bold",
              color=palette.CONFLICT.ink if page.kind == "key" else GREY)
    y += 0.27
    page.text(x0, y, sheet.subtitle, size=8.2, width=width * 0.72, mono=False, color=GREY)
    if page.kind == "recall":
        page.text(x0 + width, y, "date ____________", size=8, mono=False, ha="right", color=GREY)
    y += 0.2
    # The legend: every colour on the page, with its word and its meaning.
    roles = _roles_used(sheet)
    per_line = 2
    item_w = width / per_line
    for i, role in enumerate(roles):
        lx = x0 + (i % per_line) * item_w
        ly = y + (i // per_line) * 0.2
        page.chip(role, lx, ly, 0.72, 0.16, size=6.4)
        page.text(lx + 0.78, ly + 0.08, role.meaning, size=6.2, width=item_w - 0.84, mono=False, color=GREY)
    y += ((len(roles) + per_line - 1) // per_line) * 0.2 + 0.06
    page.rule(x0, y, width)
    return y + 0.1


def _fit_rows(page: _Page, sheet: Sheet, y) -> float:
    """The row height that fits every section on the page (at most ROW_H)."""
    fixed, rows = 0.0, 0
    for section in sheet.sections:
        fixed += 0.22 + (0.17 if section.note else 0) + 0.12
        if section.aligned:
            fixed += ALIGN_H * max(len(_aligned(row)) for row in section.rows) + 0.19
        else:
            fixed += 0.16
            rows += len(section.rows)
    free = page.h - MARGIN - y - fixed
    return max(MIN_ROW_H, min(RECALL_ROW_H if page.kind == "recall" else ROW_H, free / max(rows, 1)))


def _section_title(page: _Page, section: Section, x0, width, y) -> float:
    page.text(x0, y + 0.09, section.title, size=9.5, width=width, mono=False, weight="bold", color=INK)
    y += 0.22
    if section.note:
        page.text(x0, y + 0.04, section.note, size=6.6, width=width, mono=False, color=GREY, style="italic")
        y += 0.17
    return y


def _columns(section: Section, x0, width, kind: str = "reference"):
    """(column, left, width) of each column drawn. A recall sheet has no notes (they can give an answer away):
    their width goes to the answer boxes."""
    columns = section.columns
    if kind == "recall":
        columns = [c for c in section.columns if c.field != "note"]
        spare = sum(c.width for c in section.columns) - sum(c.width for c in columns)
        boxes = sum(c.width for c in columns if c.answer) or 1
        columns = [replace(c, width=c.width + spare * c.width / boxes) if c.answer else c for c in columns]
    left, usable, out = x0 + NUM_W, width - NUM_W, []
    for column in columns:
        out.append((column, left, column.width * usable))
        left += column.width * usable
    return out


def _grid(page: _Page, section: Section, x0, width, y, row_h, number) -> tuple[float, int]:
    cols = _columns(section, x0, width, page.kind)
    for column, cx, cw in cols:
        if page.kind == "key" and column.field == "note":
            continue
        page.text(cx + 0.04, y + 0.06, column.header, size=6.2, width=cw - 0.06, mono=False, color=GREY,
                  style="italic")
    y += 0.16
    for row in section.rows:
        number += 1
        if page.kind != "key" and number % 2 == 0:
            page.band(x0, y, width, row_h, FAINT)
        page.text(x0 + NUM_W - 0.06, y + row_h / 2, str(number), size=6, mono=False, ha="right", color=GREY)
        for k, (column, cx, cw) in enumerate(cols):
            boxed_next = k + 1 < len(cols) and cols[k + 1][0].answer
            _draw_cell(page, row, column, cx, y, cw, row_h, gap=TEXT_GAP if boxed_next else 0.03)
        y += row_h
    return y, number


def _draw_cell(page: _Page, row, column: Column, cx, y, cw, row_h, gap=0.03):
    text = cell_text(row, column.field)
    role = palette.ROLES[row.role]
    if not text or (column.field == "role" and role is palette.PLAIN):  # no colour, so nothing to name
        return
    pad, inner_h = 0.035, row_h - 0.05
    mid = y + row_h / 2
    if not column.answer:
        if page.kind != "key":
            page.text(cx + 0.04, mid, text, size=BODY if column.mono else SMALL, width=cw - 0.04 - gap,
                      mono=column.mono, color=INK if column.mono else GREY, gid=column.field)
        elif column.field != "note":  # the key names each answer's prompt; notes stay on the reference
            page.text(cx + 0.04, mid, text, size=KEY, width=cw - 0.07, mono=column.mono, color=GREY,
                      gid=column.field)
        return
    if page.kind == "recall":
        page.box(cx + pad / 2, y + 0.025, cw - pad, inner_h, fill="white")
    elif column.field == "role":
        page.chip(role, cx + pad / 2, y + 0.025, cw - pad, inner_h, size=KEY if page.kind == "key" else SMALL,
                  answer=True)
    elif page.kind == "key":
        page.text(cx + 0.05, mid, text, size=KEY, width=cw - 0.07, mono=column.mono, color=INK, answer=True)
    else:
        if column.field == "answer":  # the main answer wears its row's colour (named in the role chip)
            page.box(cx + pad / 2, y + 0.025, cw - pad, inner_h, role.fill, role.ink, role.dashed)
        colour = role.ink if column.field == "answer" else INK
        page.text(cx + 0.05, mid, text, size=BODY, width=cw - 0.08, mono=column.mono, color=colour,
                  weight="bold" if column.field == "answer" and column.mono else None, answer=True)


def _aligned_section(page: _Page, section: Section, x0, width, y) -> float:
    """Each Fact as right-aligned dimension boxes, side by side: the broadcast rule made visible."""
    block_w = width / len(section.rows)
    cap_w, dim_w = 1.05, 0.56
    for k, fact in enumerate(section.rows):
        page.text(x0 + k * block_w + cap_w - 0.08, y + 0.06, fact.expr, size=SMALL, ha="right", color=GREY,
                  style="italic", gid="expr")
    y += 0.14
    bottom = y
    for k, fact in enumerate(section.rows):
        bx = x0 + k * block_w
        lines = _aligned(fact)
        ndim = len(lines[0][1])
        right = bx + cap_w + 3 * dim_w  # up to three axes, right-aligned to the same column
        for i, (caption, cells) in enumerate(lines):
            ly = y + i * ALIGN_H
            is_result = i == len(lines) - 1
            prompt_on_key = page.kind == "key" and not is_result  # an input, printed small and grey
            page.text(bx + cap_w - 0.08, ly + ALIGN_H / 2, caption, size=KEY if prompt_on_key else BODY,
                      width=cap_w - 0.1, ha="right", color=GREY if prompt_on_key else INK,
                      weight="bold" if is_result else None, gid="caption")
            for j, (value, parts) in enumerate(cells):
                cx = right - (ndim - j) * dim_w
                _dim_box(page, value, parts, cx, ly, dim_w, is_result)
        ay = y + (len(lines) - 1) * ALIGN_H + ALIGN_H / 2
        answer = cell_text(fact, "answer")
        if page.kind == "recall":
            page.box(right + 0.08, ay - 0.11, block_w - (right - bx) - 0.2, 0.22, fill="white")
        else:
            ink = palette.CONFLICT.ink if fact.answer == "error" else INK
            page.text(right + 0.1, ay, f"= {answer}" if page.kind == "reference" else answer,
                      size=BODY + 1 if page.kind == "reference" else KEY, width=block_w - (right - bx) - 0.2,
                      color=ink, weight="bold", answer=True)
        bottom = max(bottom, y + len(lines) * ALIGN_H)
    return bottom + 0.05


def _dim_box(page: _Page, value, parts: tuple[palette.Role, ...], cx, ly, dim_w, is_result):
    """One axis: its size over its roles' words, one per line. Given sizes stay on the recall sheet; roles do not."""
    w, h = dim_w - 0.07, ALIGN_H - 0.07
    top = ly + 0.035
    look = palette.combined(parts)
    answer = is_result or look is not palette.PLAIN
    if page.kind == "reference" or (page.kind == "key" and answer):
        size = BODY if page.kind == "reference" else KEY
        box = page.box(cx, top, w, h, look.fill, look.ink, look.dashed, lw=1.4 if look is palette.CONFLICT else 0.8)
        lines = len(parts)
        shown = page.text(cx + w / 2, top + h * (0.36 if lines == 1 else 0.25), value, size=size + 0.6,
                          width=w - 0.04, ha="center", color=look.ink, weight="bold", answer=answer)
        words = page.text(cx + w / 2, top + h * (0.76 if lines == 1 else 0.69), "\n".join(p.label for p in parts),
                          size=5.6, width=w - 0.04, mono=False, ha="center", color=look.ink, answer=answer,
                          linespacing=0.9)
        page.fig.dims.append((box, shown, words))
    elif page.kind == "recall":
        given = "" if is_result or palette.PADDED in parts else value.split("→")[0]
        page.box(cx, top, w, h, fill="white")
        page.text(cx + w / 2, top + h * 0.36, given, size=BODY + 0.6, ha="center", color=INK)
