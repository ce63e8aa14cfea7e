"""Seeded recall questions, by topic: one module per topic, each registered once, whole.

Most topics ask shapes, answered by whatever NumPy itself gives on empty arrays of the question's
shapes (``shape_answers``), never by our own rule code, so a drill cannot teach a wrong rule::

    >>> q = question("broadcasting", seed=1)
    >>> q.answer == q.evaluate()
    True
    >>> list(TOPICS)  # in course order; topics of one notebook by module name
    ['broadcasting', 'einsum', 'matmul', 'reshape', 'attention', 'cost', 'modern']

The ``cost`` topic asks for numbers (FLOPs, bytes, GPU-days) or a word (``memory``): its question
is text stating its numbers (``values``), its answer is worked out by recall.costdrill, and an
answer within 3% is right. Each topic reads and checks answers its own way (``Topic.parse`` and
``Topic.check``), so a drill session, the widget and a review ask any topic alike. Each topic's
families (kinds of question, each with its own review schedule) are listed in its registration, and
``FAMILIES`` holds them all in course order, the order a first review meets them::

    >>> list(dict.fromkeys(f.topic for f in FAMILIES.values())) == list(TOPICS)
    True

**Adding a drill topic.** Write one module in this folder, say ``transpose.py``, holding a
``generate(rng, level)`` that returns a ``Question``, decorated with ``@shape_topic(name, help,
notebook=..., families=[family(...), ...])`` (or ``@topic(...)`` with its own ``parse``, ``check``,
``explain``, ``oracle`` and ``placeholder``, for answers that are not shapes; see ``matmul.py`` and
``cost.py``). That one declaration is all (every module of this folder is imported below): ``mlgrind
drill`` lists and asks it, ``DrillWidget(name)`` shows it, and its families join review, FSRS and the
Anki deck in course order (``notebook`` is the first assignment that drills the topic). Every question must belong
to exactly one of its families, which tests/test_schedule.py checks for every topic; a topic without
families or with a name already taken is refused at import. A family's name is its id in learners'
review logs and Anki notes: never rename one.

NumPy and the shape rules are imported when a question is evaluated or explained, not with this
package, so the command line can list the topics and still start quickly.
"""

from .asking import explain, is_right, parse_answer, question, questions
from .registry import FAMILIES, LEVELS, TOPICS, Answer, Family, Question, Topic, family, find, show, topic
from .shape_answers import shape_topic


def _import_topics() -> None:
    """Import every topic module of this folder; each registers itself (TOPICS keeps course order)."""
    import importlib
    import pkgutil

    machinery = {"asking", "registry", "shape_answers"}
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if module not in machinery:
            importlib.import_module(f"{__name__}.{module}")


_import_topics()

__all__ = ["FAMILIES", "LEVELS", "TOPICS", "Answer", "Family", "Question", "Topic", "explain", "family", "find",
           "is_right", "parse_answer", "question", "questions", "shape_topic", "show", "topic"]
