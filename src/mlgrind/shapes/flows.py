"""Shape-flow widgets: type shapes, watch them line up.

    >>> BroadcastFlow((9, 1, 3), (4, 1)).plan.result
    (9, 4, 3)
    >>> MatmulFlow((5, 2, 3), (3,)).plan.result
    (5, 2)
    >>> EinsumFlow("bhlk,bhmk->bhlm", (2, 4, 5, 8), (2, 4, 7, 8)).plan.result
    (2, 4, 5, 7)

Each is an ipywidgets box: a text field per shape (``9,1,3``, ``(9, 1, 3)``, ``9 x 1 x 3`` all
work; text that is not a shape gets a message under the fields, never a traceback) and a diagram
that redraws as you type. The rules live in shapes.rules, the drawing in shapes.html::

    >>> flow = BroadcastFlow((9, 1, 3), (4, 1))
    >>> flow.inputs[1].value = "4, one"
    >>> flow.plan.result, "is not a size" in flow.message.value
    ((9, 4, 3), True)

Without a kernel a widget is an empty box: nbconvert's HTML (executed or not), nbgrader's feedback
and GitHub cannot run it. So a displayed flow shows two outputs: first a snapshot of its diagram
as plain HTML, then the live widget. Where the live widget renders, its diagram carries a style
rule that hides its own snapshot, so JupyterLab shows the diagram once; everywhere else the
snapshot is what the reader sees. (A text/html entry inside the widget's own output would not do:
nbconvert prefers the widget view whenever the notebook stores widget state, as executed notebooks do.)
"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from . import html as diagrams
from . import palette
from . import text as shape_text
from .rules import ShapeError, broadcast, einsum, input_names, matmul

__all__ = ["BroadcastFlow", "MatmulFlow", "EinsumFlow", "parse_shape", "parse_shapes"]

MAX_DIMS = 12
EXAMPLE = "9, 1, 3"

# A notebook reopened with a new kernel has no widget models: JupyterLab then writes "Error displaying
# widget: model not found" as the whole text of the output where the widget was (an output element
# with no child element; a live widget's output has its views inside). The picture shown instead
# hides that line in the output right after it.
HIDE_DEAD_WIDGET = ("<style>.jp-OutputArea-child:has(.mlgrind-static) + .jp-OutputArea-child "
                    "> .jp-OutputArea-output.jupyter-widgets:not(:has(*)) { display: none; }</style>")


def static_picture(model_id: str, kind: str, inner_html: str) -> str:
    """What a widget (a drill, the grade cell) shows where no kernel runs, hidden by ``live_hides_static``."""
    return (f'<div class="mlgrind-static mlgrind-{kind}-static" data-flow="{escape(model_id, quote=True)}">'
            f"{HIDE_DEAD_WIDGET}{inner_html}</div>")


def live_hides_static(model_id: str) -> str:
    """A style block for the live widget's HTML: while it runs, its own static picture is hidden."""
    hide = f'.mlgrind-static[data-flow="{escape(model_id, quote=True)}"]'
    return f"<style>.jp-OutputArea-child:has({hide}), .output_area:has({hide}) {{ display: none; }}</style>"


def parse_shape(text: str) -> tuple[int, ...]:
    """A shape typed into a field (see shapes.text), at most MAX_DIMS dims.

    >>> parse_shape("9 x 1 x 3")
    (9, 1, 3)
    """
    return shape_text.parse_shape(text, MAX_DIMS)


def parse_shapes(text: str) -> tuple[tuple[int, ...], ...]:
    """Several shapes in one field: ``(2, 3), (3, 4)`` or ``2,3; 3,4``, each at most MAX_DIMS dims."""
    return shape_text.parse_shapes(text, MAX_DIMS)


def _text(shape) -> str:
    return shape if isinstance(shape, str) else str(tuple(shape))


class _Flow(widgets.VBox):
    """Text fields, an inline message and a live diagram; subclasses say how text becomes a plan."""

    title = "shape flow"
    kind = "flow"

    def __init__(self, fields: list[tuple[str, str, str]]):
        self.inputs = [
            widgets.Text(value=value, description=label, placeholder=hint, continuous_update=True,
                         style={"description_width": "initial"}, layout=widgets.Layout(width="230px"))
            for label, value, hint in fields
        ]
        self.message = widgets.HTML(layout=widgets.Layout(margin="0 0 0 4px"))
        self.diagram = widgets.HTML()
        self.plan = None
        self.error: str | None = None
        self._static = ""
        super().__init__([widgets.HBox(self.inputs, layout=widgets.Layout(flex_flow="row wrap")),
                          self.message, self.diagram])
        self.add_class("mlgrind-flow-widget")
        for box in self.inputs:
            box.observe(self._redraw, names="value")
        self._redraw()

    @property
    def shapes(self):
        """One shape per field; ValueError names the field whose text is not a shape."""
        return tuple(_field(box, parse_shape) for box in self.inputs)

    # Subclasses: parse every field (raising ValueError with "<label>: ..." messages) and plan.
    def _read(self):
        return self.shapes

    def _plan(self, parsed):
        raise NotImplementedError

    def _draw(self, plan, message):
        raise NotImplementedError

    def _redraw(self, change=None) -> None:
        try:
            parsed = self._read()
        except ValueError as problem:
            self.message.value = self._problem(str(problem), kept=bool(self._static))
            return
        try:
            self.plan, self.error = self._plan(parsed), None
            html = self._draw(self.plan, None)
        except ShapeError as clash:
            self.plan, self.error = clash.plan, str(clash)
            html = (self._draw(clash.plan, str(clash)) if clash.plan is not None
                    else diagrams.error_html(self.kind, f"<b>{escape(self.title)}</b>", str(clash)))
        except Exception as problem:  # noqa: BLE001 -- a widget callback must never print a traceback
            self.message.value = self._problem(f"could not draw this ({type(problem).__name__}: {problem})",
                                               kept=bool(self._static))
            return
        self.message.value = ""
        self._static = html
        self.diagram.value = self._live(html)

    def _problem(self, text: str, kept: bool) -> str:
        """An inline message about the text typed, in place of a traceback."""
        c = palette.CONFLICT
        tail = " The diagram shows the last shapes that worked." if kept else ""
        return (f'<div class="mlgrind-input-error" style="color:{c.ink};background:{c.fill};'
                f'border-left:4px solid {c.ink};padding:2px 8px;font-size:13px">'
                f'<b>&#9888;</b> {escape(text)}.{escape(tail)}</div>')

    def _live(self, html: str) -> str:
        """The diagram as the widget shows it: with the rule that hides this flow's snapshot."""
        flow = escape(self.model_id or "", quote=True)
        hide = f'.mlgrind-static[data-flow="{flow}"]'
        style = (f"<style>.jp-OutputArea-child:has({hide}), .output_area:has({hide}) "
                 "{ display: none; }</style>")
        return style + html

    @property
    def html(self) -> str:
        """The current diagram: plain HTML, no script, no style block."""
        return self._static

    def static_html(self) -> str:
        """The snapshot shown where the widget cannot run (nbconvert, nbgrader feedback, GitHub)."""
        flow = escape(self.model_id or "", quote=True)
        return (f'<div class="mlgrind-static" data-flow="{flow}">{HIDE_DEAD_WIDGET}{self._static}'
                '<div style="font-size:11px;color:#666666;font-style:italic">A picture of the widget; '
                "run the cell in JupyterLab to edit the shapes.</div></div>")

    def _summary(self) -> str:
        if self.plan is not None:
            return diagrams.summary(self.plan)
        return f"{type(self).__name__}: {self.error}"

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle

    def _ipython_display_(self):
        from IPython.display import display

        display({"text/plain": self._summary(), "text/html": self.static_html()}, raw=True)
        display(self._repr_mimebundle_(), raw=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(repr(box.value) for box in self.inputs)})"


def _field(box: widgets.Text, parse):
    try:
        return parse(box.value)
    except ValueError as problem:
        raise ValueError(f"{box.description} {box.value.strip()!r}: {problem}") from None


class BroadcastFlow(_Flow):
    """Broadcasting, live: each input right-aligned and padded with 1s, stretched 1s, the result."""

    title = "Broadcasting"
    kind = "broadcast"

    def __init__(self, *shapes):
        shapes = shapes or ((9, 1, 3), (4, 1))
        names = input_names(len(shapes))
        super().__init__([(name, _text(shape), EXAMPLE) for name, shape in zip(names, shapes)])

    def _plan(self, shapes):
        return broadcast(*shapes)

    def _draw(self, plan, message):
        return diagrams.broadcast_html(plan, message)


class MatmulFlow(_Flow):
    """``a @ b``, live: 1-D promotion, broadcast batch dims, the contracted K, the result."""

    title = "Matmul"
    kind = "matmul"

    def __init__(self, a_shape=(5, 2, 3), b_shape=(3, 4)):
        super().__init__([("a", _text(a_shape), "5, 2, 3"), ("b", _text(b_shape), "3, 4")])

    def _plan(self, shapes):
        return matmul(*shapes)

    def _draw(self, plan, message):
        return diagrams.matmul_html(plan, message)


class EinsumFlow(_Flow):
    """``np.einsum(spec, ...)``, live: each letter batch, free or contracted, and the result."""

    title = "Einsum"
    kind = "einsum"

    def __init__(self, spec="bhlk,bhmk->bhlm", *shapes):
        shapes = shapes or (((2, 4, 5, 8), (2, 4, 7, 8)) if spec == "bhlk,bhmk->bhlm" else ())
        super().__init__([("spec", spec, "ij,jk->ik"),
                          ("shapes", ", ".join(_text(s) for s in shapes), "(2, 3), (3, 4)")])
        self.inputs[1].layout.width = "320px"

    @property
    def spec(self) -> str:
        return self.inputs[0].value

    @property
    def shapes(self):
        return _field(self.inputs[1], parse_shapes)

    def _read(self):
        return self.spec, self.shapes

    def _plan(self, parsed):
        spec, shapes = parsed
        return einsum(spec, *shapes)

    def _draw(self, plan, message):
        return diagrams.einsum_html(plan, message)
