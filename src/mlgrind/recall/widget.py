"""``DrillWidget(topic)``: the recall drill at the end of a notebook, one shape question at a time."""

from __future__ import annotations

import random
from html import escape

import ipywidgets as widgets

from .drills import explain, find, parse_answer, question

__all__ = ["DrillWidget"]


def _shown(answer) -> str:
    return "error" if answer == "error" else str(tuple(answer))


class DrillWidget(widgets.VBox):
    """Questions of ``topic`` (any of recall.drills.TOPICS) from ``seed`` on; answers saved to progress."""

    def __init__(self, topic: str, level: int = 2, seed: int | None = None):
        self.topic, self.level = topic, level
        self.seed = seed if seed is not None else random.randrange(10**6)
        self.right = self.asked = self.streak = 0
        find(topic)  # an unknown topic fails here, with the valid ones named
        self.prompt = widgets.HTML()
        self.answer = widgets.Text(placeholder="9, 4, 3  or  error", continuous_update=False,
                                   layout=widgets.Layout(width="16em"))
        self.check = widgets.Button(description="Check", button_style="primary")
        self.next = widgets.Button(description="Next question")
        self.feedback = widgets.HTML()
        self.score = widgets.HTML()
        self.check.on_click(lambda _: self._check())
        self.answer.observe(lambda change: self._check(), names="value")
        self.next.on_click(lambda _: self._ask(self.seed + self.asked + 1))
        super().__init__([self.prompt, widgets.HBox([self.answer, self.check, self.next]), self.feedback, self.score])
        self._ask(self.seed)

    def _ask(self, seed: int) -> None:
        self.current, self.answered = question(self.topic, seed, self.level), False
        shapes = ", ".join(f"<code>{n}.shape = {tuple(s)}</code>" for n, s in self.current.shapes.items())
        self.prompt.value = f"<b>{escape(self.topic)}</b>: {shapes}<br><code>{escape(self.current.expr)}</code> &rarr; ?"
        self.feedback.value = ""
        with self.answer.hold_trait_notifications():
            self.answer.value = ""

    def _check(self) -> None:
        if self.answered or not self.answer.value.strip():
            return
        try:
            given = parse_answer(self.answer.value)
        except ValueError as error:
            self.feedback.value = f"<span style='color:#b3261e'>{escape(str(error))}</span>"
            return
        self.answered, self.asked = True, self.asked + 1
        correct = given == self.current.answer
        self.right += correct
        self.streak = self.streak + 1 if correct else 0
        if correct:
            self.feedback.value = f"&#10003; right: <code>{_shown(self.current.answer)}</code>"
        else:
            why = escape(explain(self.current)).replace("\n", "<br>")
            self.feedback.value = (f"&#10007; you said <code>{_shown(given)}</code>, NumPy gives "
                                   f"<code>{_shown(self.current.answer)}</code><br><small>{why}</small>")
        self.score.value = f"score {self.right}/{self.asked} &middot; streak {self.streak}"
        self._save(correct)

    def _save(self, correct: bool) -> None:
        from ..course import Course, CourseError
        from .history import record_drill

        try:
            record_drill(Course.here(), self.topic, correct)
        except (CourseError, OSError):
            pass  # outside a course copy (a shared HTML export, say) there is nowhere to keep it
