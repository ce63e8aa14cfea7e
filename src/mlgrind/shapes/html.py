"""Draw shape plans (shapes.rules) as self-contained HTML.

One table per plan: a row per input, its dims as boxes right-aligned in columns, the result row
underneath. Every box carries its size and, in words, its role (colours from shapes.palette), so
the diagram reads the same without colour. Styles are inline and there is no script, so the HTML
renders anywhere a notebook output is shown: JupyterLab, nbconvert's HTML, nbgrader's feedback.
"""

from __future__ import annotations

from html import escape

from . import palette
from .palette import Role
from .rules import ELLIPSIS, BroadcastPlan, EinsumPlan, MatmulPlan, input_names

__all__ = ["broadcast_html", "matmul_html", "einsum_html", "error_html", "summary"]

MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace"
SANS = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
# Lab's table styles (row stripes, centring, right alignment) must not leak in: every cell sets its own.
TABLE = "border-collapse:separate;border-spacing:4px;margin:4px 0;border:none;table-layout:auto;font-size:13px"
CELL = "padding:0;border:none;background:none;text-align:center;vertical-align:middle"


def _shape(shape) -> str:
    return escape(str(tuple(shape)))


def _box(value: str, role: Role, caption: str | None = None, *, strong: bool = False) -> str:
    """One dimension: its size in a coloured box, its role in words underneath."""
    border = f"1.5px {'dashed' if role.dashed else 'solid'} {role.ink}"
    if role is palette.CONFLICT:
        border = f"2.5px solid {role.ink}"
    weight = "700" if strong else "600"
    faint = ";opacity:.75" if role.dashed else ""  # padded or removed 1s: there, but not really
    return (
        f'<td class="mlgrind-dim mlgrind-{role.name}" style="{CELL};min-width:64px;padding:3px 6px;'
        f'background:{role.fill};border:{border};border-radius:5px;color:{role.ink}{faint}">'
        f'<div class="mlgrind-size" style="font-family:{MONO};font-size:15px;font-weight:{weight}">'
        f'{escape(value)}</div>'
        f'<div class="mlgrind-label" style="font-family:{SANS};font-size:10px;letter-spacing:.02em">'
        f'{escape(caption if caption is not None else role.label)}</div></td>'
    )


def _blank() -> str:
    return f'<td style="{CELL};min-width:64px"></td>'


def _head(text: str, sub: str = "", *, role: Role | None = None) -> str:
    colour = role.ink if role else "#555555"
    below = f'<div style="font-size:10px;color:{colour}">{escape(sub)}</div>' if sub else ""
    return (f'<th style="{CELL};font-family:{SANS};font-weight:600;font-size:11px;color:{colour};'
            f'padding-bottom:2px">{escape(text)}{below}</th>')


def _name(name: str, detail: str, *, result: bool = False) -> str:
    weight = "700" if result else "600"
    return (f'<th style="{CELL};text-align:right;padding-right:8px;font-family:{SANS};font-size:12px;'
            f'font-weight:{weight};white-space:nowrap;color:#222222">{escape(name)} '
            f'<span style="font-family:{MONO};font-weight:400;color:#444444">{detail}</span></th>')


def _row(cells: list[str], *, result: bool = False) -> str:
    cls = ' class="mlgrind-result-row"' if result else ""
    return f'<tr{cls} style="background:transparent;border:none">' + "".join(cells) + "</tr>"


def _rule(columns: int) -> str:
    """A thin line between the inputs and the result row."""
    return (f'<tr style="background:transparent;border:none"><td colspan="{columns}" '
            f'style="{CELL};padding:0;height:0;border-top:1.5px solid #999999"></td></tr>')


def _legend(roles: list[Role]) -> str:
    """Each colour used, with its label and meaning (the result row's grey needs none)."""
    seen = []
    for role in roles:
        if role not in seen and role is not palette.RESULT:
            seen.append(role)
    items = "".join(
        f'<span class="mlgrind-key" style="display:inline-block;margin:0 10px 2px 0;white-space:nowrap">'
        f'<span style="display:inline-block;width:11px;height:11px;vertical-align:-1px;margin-right:4px;'
        f'background:{r.fill};border:1.5px {"dashed" if r.dashed else "solid"} {r.ink};border-radius:2px"></span>'
        f'<b style="color:{r.ink}">{escape(r.label)}</b>: {escape(r.meaning)}</span>'
        for r in seen
    )
    return (f'<div class="mlgrind-legend" style="font-family:{SANS};font-size:11px;color:#333333;margin-top:4px">'
            f'{items}</div>')


def _outcome(result, message: str | None, expression: str) -> str:
    """The line under the table: the result shape, or what clashed."""
    if result is not None:
        return (f'<div class="mlgrind-outcome" style="font-family:{SANS};font-size:14px;margin:4px 0">'
                f'{expression} &rarr; result <b style="font-family:{MONO}">{_shape(result)}</b></div>')
    c = palette.CONFLICT
    return (f'<div class="mlgrind-outcome mlgrind-error" style="font-family:{SANS};font-size:13px;margin:4px 0;'
            f'padding:4px 8px;border-left:4px solid {c.ink};background:{c.fill};color:{c.ink}">'
            f'<b>&#10007; {c.label}:</b> {escape(message or "the shapes do not fit")}</div>')


def _table(rows: list[str]) -> str:
    return f'<table class="mlgrind-table" style="{TABLE}">' + "".join(rows) + "</table>"


def _steps(steps) -> str:
    if not steps:
        return ""
    items = "".join(f"<li>{escape(s)}</li>" for s in steps)
    return (f'<ol class="mlgrind-steps" style="font-family:{SANS};font-size:12px;color:#333333;'
            f'margin:2px 0 2px 18px;padding:0">{items}</ol>')


def _frame(kind: str, title: str, body: str) -> str:
    return (f'<div class="mlgrind-flow mlgrind-{kind}" style="font-family:{SANS};color:#222222;'
            f'line-height:1.3;padding:6px 2px;max-width:100%;overflow-x:auto">'
            f'<div class="mlgrind-title" style="font-size:13px;margin-bottom:2px">{title}</div>{body}</div>')


def _listing(names, shapes, joiner: str = " with ") -> str:
    return joiner.join(f'{escape(n)} <span style="font-family:{MONO}">{_shape(s)}</span>'
                       for n, s in zip(names, shapes))


# ------------------------------------------------------------------------------------ broadcast
def _broadcast_cells(plan: BroadcastPlan, i: int, base: Role = palette.PLAIN) -> tuple[list[str], list[Role]]:
    """Input ``i``'s boxes, one per column, and the roles they show; ``base`` for a size kept as is."""
    cells, used = [], []
    for axis in plan.axes:
        parts = palette.roles(axis.roles(i), base)
        cells.append(_box(axis.shown(i), palette.combined(parts)))
        used += parts
    return cells, used


def broadcast_html(plan: BroadcastPlan, message: str | None = None) -> str:
    """The diagram of broadcasting ``plan.shapes``; ``message`` explains a clash (plan.result None)."""
    names = input_names(len(plan.shapes))
    head = [_head("", "")]
    for axis in plan.axes:
        clash = bool(axis.conflict)
        head.append(_head(f"axis {axis.index}", "\u2717 conflict" if clash else f"({axis.index - plan.ndim})",
                          role=palette.CONFLICT if clash else None))
    rows = [_row(head)]
    roles = []
    for i, (name, shape) in enumerate(zip(names, plan.shapes)):
        cells, used = _broadcast_cells(plan, i)
        roles += used
        rows.append(_row([_name(name, _shape(shape))] + cells))
    rows.append(_rule(plan.ndim + 1))
    result = []
    for axis in plan.axes:
        if axis.conflict:
            result.append(_box("?", palette.CONFLICT, "conflict"))
            roles.append(palette.CONFLICT)
        else:
            result.append(_box(str(axis.size), palette.RESULT, "result", strong=True))
    detail = _shape(plan.result) if plan.result is not None else "&#10007;"
    rows.append(_row([_name("result", detail, result=True)] + result, result=True))
    table = _table(rows)
    if not plan.axes:
        table = '<div style="font-size:12px;color:#555555">every input is a scalar, shape (): nothing to align</div>'
    title = (f"<b>Broadcasting</b> {_listing(names, plan.shapes)}: "
             "right-align, pad with 1s on the left, stretch the 1s")
    body = table + _outcome(plan.result, message, " + ".join(names)) + _steps(plan.steps) + _legend(roles)
    return _frame("broadcast", title, body)


# --------------------------------------------------------------------------------------- matmul
def _free_cell(promoted: bool, size: int) -> tuple[str, Role]:
    """An operand's free axis (M of a, N of b): its size, or the 1 that 1-D promotion put there."""
    if promoted:
        return _box("1", palette.PADDED, "promoted"), palette.PADDED
    return _box(str(size), palette.FREE, "free"), palette.FREE


def matmul_html(plan: MatmulPlan, message: str | None = None) -> str:
    """The diagram of ``a @ b``: batch columns, then M, the contracted K, and N."""
    batch = plan.batch
    columns = batch.ndim + 3
    head = [_head("", "")]
    for axis in batch.axes:
        head.append(_head(f"batch {axis.index}", "\u2717 conflict" if axis.conflict else "broadcast",
                          role=palette.CONFLICT if axis.conflict else palette.BATCH))
    k_ok = plan.k_matches
    head += [_head("M", "rows of a", role=palette.FREE),
             _head("K", "contracted" if k_ok else "\u2717 K=%d vs K=%d" % plan.k,
                   role=palette.CONTRACTED if k_ok else palette.CONFLICT),
             _head("N", "columns of b", role=palette.FREE)]
    roles: list[Role] = []
    rows = [_row(head)]
    k_role = palette.CONTRACTED if k_ok else palette.CONFLICT
    k_caption = "contracted" if k_ok else "conflict"

    a_batch, used = _broadcast_cells(batch, 0, palette.BATCH)
    roles += used
    m_cell, role = _free_cell(plan.a_promoted, plan.m)
    roles.append(role)
    k_a = _box(str(plan.k[0]), k_role, k_caption)
    rows.append(_row([_name("a", _shape(plan.a))] + a_batch + [m_cell, k_a, _blank()]))

    b_batch, used = _broadcast_cells(batch, 1, palette.BATCH)
    roles += used
    n_cell, role = _free_cell(plan.b_promoted, plan.n)
    roles.append(role)
    k_b = _box(str(plan.k[1]), k_role, k_caption)
    rows.append(_row([_name("b", _shape(plan.b))] + b_batch + [_blank(), k_b, n_cell]))
    roles.append(k_role)
    rows.append(_rule(columns + 1))

    result = []
    for axis in batch.axes:
        result.append(_box("?", palette.CONFLICT, "conflict") if axis.conflict
                      else _box(str(axis.size), palette.BATCH, "batch", strong=True))
    if batch.axes and batch.result is not None:
        roles.append(palette.BATCH)
    removed = _box("1", palette.PADDED, "removed")  # the 1 that 1-D promotion added goes again
    result.append(removed if plan.a_promoted else _box(str(plan.m), palette.FREE, "free (M)", strong=True))
    result.append(_box("\u03a3", palette.CONTRACTED, "summed away") if k_ok
                  else _box("?", palette.CONFLICT, "conflict"))
    result.append(removed if plan.b_promoted else _box(str(plan.n), palette.FREE, "free (N)", strong=True))
    detail = _shape(plan.result) if plan.result is not None else "&#10007;"
    rows.append(_row([_name("a @ b", detail, result=True)] + result, result=True))
    table = _table(rows)
    title = (f"<b>Matmul</b> {_listing(('a', 'b'), (plan.a, plan.b), ' @ ')}: "
             "(..., M, K) @ (..., K, N) &rarr; (..., M, N)")
    body = table + _outcome(plan.result, message, "a @ b") + _steps(plan.steps) + _legend(roles)
    return _frame("matmul", title, body)


# --------------------------------------------------------------------------------------- einsum
_ROLE = {"batch": palette.BATCH, "contracted": palette.CONTRACTED, "free": palette.FREE}


def einsum_html(plan: EinsumPlan, message: str | None = None) -> str:
    """The diagram of an einsum: a column per '...' dim and per letter, a row per operand."""
    names = input_names(len(plan.shapes))
    ell = plan.ellipsis
    ell_axes = ell.axes if ell else ()
    ell_row = {op: j for j, op in enumerate(op for op, term in enumerate(plan.terms) if ELLIPSIS in term)}
    head = [_head("", "")]
    for axis in ell_axes:
        head.append(_head(f"...{axis.index}", "\u2717 conflict" if axis.conflict else "batch",
                          role=palette.CONFLICT if axis.conflict else palette.BATCH))
    for x in plan.letters:
        head.append(_head(x.letter, "\u2717 conflict" if x.size is None else x.role,
                          role=palette.CONFLICT if x.size is None else _ROLE[x.role]))
    rows, roles = [_row(head)], []
    for i, (name, shape, term) in enumerate(zip(names, plan.shapes, plan.terms)):
        if i in ell_row and ell_axes:
            cells, used = _broadcast_cells(ell, ell_row[i], palette.BATCH)
            roles += used
        else:
            cells = [_blank() for _ in ell_axes]
        for x in plan.letters:
            mine = [size for op, size in x.sizes if op == i]
            if not mine:
                cells.append(_blank())
                continue
            size = mine[0]
            value, caption = str(size), x.role
            if len(mine) > 1:  # a repeated letter: the diagonal
                same = len(set(mine)) == 1
                value, caption = (f"{size} \u00d7{len(mine)}" if same else ", ".join(map(str, mine))), "diagonal"
            role = palette.ROLES[x.role_in(i)]
            if role is palette.CONFLICT:
                caption = "conflict"
            elif role is palette.STRETCHED:
                value, caption = f"1\u2192{x.size}", "stretched"
            roles.append(role)
            cells.append(_box(value, role, caption))
        rows.append(_row([_name(f"{name} {term or '(scalar)'}", _shape(shape))] + cells))
    rows.append(_rule(1 + len(ell_axes) + len(plan.letters)))
    out_letters = [x for x in plan.output if x != ELLIPSIS]
    result = []
    for axis in ell_axes:
        if axis.conflict:
            result.append(_box("?", palette.CONFLICT, "conflict"))
        elif ELLIPSIS in plan.output:
            result.append(_box(str(axis.size), palette.BATCH, "batch", strong=True))
        else:
            result.append(_box("?", palette.CONFLICT, "no '...' in output"))
    for x in plan.letters:
        if x.letter not in out_letters:
            result.append(_box("\u03a3", palette.CONTRACTED, "summed away"))
        elif x.size is None:
            result.append(_box("?", palette.CONFLICT, "conflict"))
        else:
            result.append(_box(str(x.size), _ROLE[x.role], x.role, strong=True))
    detail = _shape(plan.result) if plan.result is not None else "&#10007;"
    out_name = _name(f"out {plan.output_term or '(scalar)'}", detail, result=True)
    rows.append(_row([out_name] + result, result=True))
    table = _table(rows)
    how = "" if plan.explicit else " (no '->': the output is every letter seen once, sorted)"
    title = (f'<b>Einsum</b> <span style="font-family:{MONO}">{escape(plan.spec)}</span> with '
             f"{_listing(names, plan.shapes, ', ')}{escape(how)}")
    body = table + _outcome(plan.result, message, "einsum") + _steps(plan.steps) + _legend(roles)
    return _frame("einsum", title, body)


# --------------------------------------------------------------------------------------- errors
def error_html(kind: str, title: str, message: str) -> str:
    """A message in place of a diagram, for input that gives no plan at all."""
    return _frame(kind, title, _outcome(None, message, ""))


def summary(plan) -> str:
    """One line of plain text.

    >>> from .rules import broadcast
    >>> summary(broadcast((9, 1, 3), (4, 1)))
    'broadcast (9, 1, 3) with (4, 1) -> (9, 4, 3)'
    """
    result = str(plan.result) if plan.result is not None else "error"
    if isinstance(plan, BroadcastPlan):
        return f"broadcast {' with '.join(map(str, plan.shapes)) or '(no shapes)'} -> {result}"
    if isinstance(plan, MatmulPlan):
        return f"matmul {plan.a} @ {plan.b} -> {result}"
    return f"einsum {plan.spec!r} with {', '.join(map(str, plan.shapes))} -> {result}"
