"""``DrillWidget(topic)``: the recall drill at the end of a notebook, one question at a time."""

from __future__ import annotations

import itertools
import random
from html import escape

import ipywidgets as widgets

from ..course import Course, CourseError
from .drills import Question, find, question
from ..shapes.flows import live_hides_static, static_picture
from .session import DrillSession

__all__ = ["DrillWidget"]


def _course_here() -> Course | None:
    try:
        return Course.here()
    except CourseError:
        return None  # outside a course copy (a shared HTML export, say) there is nowhere to keep the score


def answer_width(placeholder: str) -> str:
    """A width for the answer box that shows the whole example answer (a character is under 0.6 em)."""
    return f"{max(16, round(0.6 * len(placeholder)) + 4)}em"


class DrillWidget(widgets.VBox):
    """Questions of ``topic`` (any of recall.drills.TOPICS) from ``seed`` on; answers saved to progress."""

    def __init__(self, topic: str, level: int = 2, seed: int | None = None):
        placeholder = find(topic).placeholder  # an unknown topic fails here, with the valid ones named
        self.topic, self.level = topic, level
        self.seed = seed if seed is not None else random.randrange(10**6)
        self.session = DrillSession((question(topic, self.seed + i, level) for i in itertools.count()),
                                    course=_course_here())
        self.prompt = widgets.HTML()
        self.answer = widgets.Text(placeholder=placeholder, continuous_update=False,
                                   layout=widgets.Layout(width=answer_width(placeholder)))
        self.check = widgets.Button(description="Check", button_style="primary")
        self.next = widgets.Button(description="Next question")
        self.feedback = widgets.HTML()
        self.score = widgets.HTML()
        self.check.on_click(lambda _: self._check())
        self.answer.observe(lambda change: self._check(), names="value")
        self.next.on_click(lambda _: self._ask())
        super().__init__([self.prompt, widgets.HBox([self.answer, self.check, self.next]), self.feedback, self.score])
        self.children = (widgets.HTML(live_hides_static(self.model_id)), *self.children)
        self._ask()

    def _ipython_display_(self):
        from IPython.display import display

        text = f"A recall drill on {self.topic}: run this cell in JupyterLab to practise."
        display({"text/plain": text, "text/html": static_picture(self.model_id, "drill", f"<p>{escape(text)}</p>")},
                raw=True)
        display(self._repr_mimebundle_(), raw=True)

    @property
    def current(self) -> Question:
        return self.session.current

    @property
    def right(self) -> int:
        return self.session.right

    @property
    def asked(self) -> int:
        return self.session.asked

    @property
    def streak(self) -> int:
        return self.session.streak

    def _ask(self) -> None:
        q = self.session.next()
        if q.text:
            self.prompt.value = f"<b>{escape(self.topic)}</b>: {escape(q.text)}"
        else:
            shapes = ", ".join(f"<code>{n}.shape = {tuple(s)}</code>" for n, s in q.shapes.items())
            self.prompt.value = f"<b>{escape(self.topic)}</b>: {shapes}<br><code>{escape(q.expr)}</code> &rarr; ?"
        self.feedback.value = ""
        with self.answer.hold_trait_notifications():
            self.answer.value = ""

    def _check(self) -> None:
        if self.session.answered or not self.answer.value.strip():
            return
        try:
            outcome = self.session.answer(self.answer.value)
        except ValueError as error:
            self.feedback.value = f"<span style='color:#b3261e'>{escape(str(error))}</span>"
            return
        if outcome.correct:
            self.feedback.value = f"&#10003; right: <code>{outcome.shown}</code>"
        else:
            why = escape(outcome.explanation).replace("\n", "<br>")
            self.feedback.value = (f"&#10007; you said <code>{outcome.said}</code>, {escape(outcome.oracle)} gives "
                                   f"<code>{outcome.shown}</code><br><small style='white-space: pre-wrap'>{why}</small>")
        self.score.value = f"score {self.right}/{self.asked} &middot; streak {self.streak}"
