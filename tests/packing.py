"""Pack answer variants into fewer simulated students, only where they provably cannot interact.

Each wrong or alternative answer replaces one solution cell. Several answers can share one student
notebook when no graded test cell can see more than one of them: then every test cell runs exactly
as it would in a notebook holding only the one answer it can see (or none), so the packed student's
score in each test cell is the score that answer alone would get there.

What a test cell can see is worked out from the source notebook by reading names, with Python's own
scoping rules (``symtable``):

- a cell *reads* the global names its module-level code refers to without binding them itself, and
  every global name its function bodies refer to (looked up when called, maybe after another cell
  rebound it); a cell that reaches the namespace other than by name (``globals()``, a function's
  ``__globals__``…) also reads every string constant that is a name defined in the notebook (hidden
  tests look names up that way, and swap helpers in by name);
- a cell *touches* the names it binds (not by ``import``: a module is the same object whichever cell
  imports it) and the data names it reads (bound by ``=``, not ``def``/``class``): a cell that reads an
  array can change it in place;
- a test cell depends on every earlier cell that touches a name it reads, and on every earlier cell
  that touches a name those read, transitively.

In editor mode (``in_module``) the answers sit together in one module cell; there each of the
module's statements counts as a unit of its own, and belongs to the answer that wrote it.

A replaced cell is analysed twice, as the source has it and as the answer writes it, and depends and
touches the union. An answer is never packed if its code reaches the namespace some other way
(``globals()``, ``exec``, ``setattr``…), or if a test cell it must fail does not depend on its cell
(the analysis would not explain the failure).
"""

from __future__ import annotations

import ast
import functools
import symtable
from dataclasses import dataclass, field

# What reaches a namespace other than by name: these functions, and these attributes (read directly or
# through getattr).
DYNAMIC = {"globals", "locals", "vars", "exec", "eval", "setattr", "delattr", "__import__", "get_ipython",
           "compile", "__builtins__", "sys", "inspect"}
DYNAMIC_ATTRIBUTES = {"__globals__", "__dict__", "__builtins__", "__closure__", "__code__", "__module__",
                      "f_globals", "f_locals", "f_back", "user_ns"}


@dataclass
class Names:
    """What one cell's code binds and refers to."""

    bound: set[str] = field(default_factory=set)      # at module level, by assignment, def, class, for, with…
    functions: set[str] = field(default_factory=set)  # bound only by def or class
    imported: set[str] = field(default_factory=set)   # bound only by import
    immediate: set[str] = field(default_factory=set)  # referred to at module level (class bodies included)
    late: set[str] = field(default_factory=set)       # global names function bodies refer to when called
    strings: set[str] = field(default_factory=set)    # only kept when the code reaches the namespace
    dynamic: bool = False                             # the code reaches the namespace other than by name
    restores: bool = False                            # …inside a module-level try whose finally restores it


@functools.lru_cache(maxsize=None)
def names_of(code: str) -> Names:
    """What ``code`` binds and refers to (cached: the same cells are read for every group of answers)."""
    code = python(code)
    table = symtable.symtable(code, "<cell>", "exec")
    names = Names()
    for symbol in table.get_symbols():
        name = symbol.get_name()
        if symbol.is_imported() and not symbol.is_assigned():
            names.imported.add(name)
        elif symbol.is_assigned() or symbol.is_imported():
            names.bound.add(name)
        if symbol.is_referenced():
            names.immediate.add(name)

    def visit(t, called_later):
        for child in t.get_children():
            # A function body runs when called, maybe cells later; a class body or a comprehension at
            # module level runs at once.
            later = called_later or (child.get_type() == "function" and not child.get_name().endswith("comp")
                                     and child.get_name() != "genexpr")
            for symbol in child.get_symbols():
                if symbol.is_global() or symbol.is_declared_global():
                    (names.late if later else names.immediate).add(symbol.get_name())
                    if symbol.is_declared_global() and symbol.is_assigned():
                        names.bound.add(symbol.get_name())
            visit(child, later)

    visit(table, False)
    tree = ast.parse(code)
    defined_only = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    assigned = set()
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            assigned |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    names.functions = defined_only - assigned
    names.dynamic = reaches_namespace(code)
    names.restores = names.dynamic and any(isinstance(n, ast.Try) and n.finalbody for n in ast.parse(code).body)
    if names.dynamic:
        names.strings = {n.value for n in ast.walk(tree)
                         if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier()}
    return names


def python(code: str) -> str:
    """``code`` without IPython's magic and shell lines."""
    return "\n".join(ln for ln in code.splitlines() if not ln.lstrip().startswith(("%", "!")))


def reaches_namespace(code: str) -> bool:
    """Whether ``code`` could read or write globals other than by name (``globals()``, ``__globals__``…)."""
    return any(
        (isinstance(n, ast.Name) and n.id in DYNAMIC)
        or (isinstance(n, ast.Attribute) and n.attr in DYNAMIC_ATTRIBUTES)
        or (isinstance(n, ast.Constant) and n.value in DYNAMIC_ATTRIBUTES)
        for n in ast.walk(ast.parse(python(code)))
    )


@dataclass
class Cell:
    grade_id: str | None
    graded: bool
    names: Names
    swaps: set[str] = field(default_factory=set)  # names a hidden test swaps correct helpers in for


@functools.lru_cache(maxsize=None)
def _swapped_in(code: str, names: frozenset[str]) -> frozenset[str]:
    return frozenset(swapped_in(code, names))


class _Namespace(dict):
    """A namespace that remembers which names were written into it."""

    def __init__(self, *args):
        super().__init__(*args)
        self.written = set()

    def __setitem__(self, key, value):
        self.written.add(key)
        super().__setitem__(key, value)

    def update(self, *args, **kwargs):
        changes = dict(*args, **kwargs)
        self.written |= set(changes)
        super().update(changes)


class _Learners:
    """Stand-ins for the learner's functions: their ``__globals__`` records what a hidden test swaps in."""

    def __init__(self, names):
        self.namespace = _Namespace()
        stand_in = type("LearnersFunction", (), {"__globals__": self.namespace})
        self.namespace.update({name: stand_in() for name in names})
        self.namespace.written.clear()


def swapped_in(code: str, names: frozenset[str]) -> set[str]:
    """The names a restoring test cell swaps correct versions in for, for all the learner's code it runs.

    A hidden test that swaps helpers in does it before a module-level ``try`` and puts the learner's
    back in its ``finally``. Its code before the ``try`` is run here against stand-ins for the
    learner's functions, and the names it writes are read off. Nothing is cut (an empty set) unless
    the cell runs no code after that ``try`` (the learner's functions would then see their own
    helpers again) and its code before it ran to the end.
    """
    body = ast.parse(python(code)).body
    window = next((i for i, n in enumerate(body) if isinstance(n, ast.Try) and n.finalbody), None)
    if window is None or window != len(body) - 1:
        return set()
    learners = _Learners(names)
    space = dict(learners.namespace)
    space.update(__builtins__=__builtins__, __name__="__swap__")
    before = dict(space)
    try:
        exec(compile(ast.Module(body=body[:window], type_ignores=[]), "<test cell>", "exec"), space)
    except Exception:
        return set()
    through_globals = {n for n in names if space.get(n) is not before.get(n)}
    own = names_of(code).bound | names_of(code).functions
    return (learners.namespace.written | through_globals) & names - own


class Notebook:
    """A notebook's code, in order, as units (cells, or statements) with what each binds and refers to."""

    def __init__(self, units: list[tuple[str | None, bool, str]]):
        """``units``: (grade id or other label, graded, code) of each cell or statement, in order."""
        self.cells = [Cell(label, graded, names_of(code)) for label, graded, code in units]
        self.index = {c.grade_id: i for i, c in enumerate(self.cells) if c.grade_id}
        bound = set().union(*(c.names.bound for c in self.cells))
        functions = set().union(*(c.names.functions for c in self.cells))
        self.defined = bound | functions
        self.data = bound - functions
        for cell, (_label, _graded, code) in zip(self.cells, units):
            if cell.graded and cell.names.restores:
                cell.swaps = _swapped_in(code, frozenset(self.defined))

    @classmethod
    def of(cls, nb):
        """Its code cells, each labelled by its nbgrader grade id."""
        return cls([(meta.get("grade_id"), bool(meta.get("grade")) and not meta.get("solution"), cell.source)
                    for cell in nb.cells if cell.cell_type == "code"
                    for meta in [cell.metadata.get("nbgrader", {})]])

    def tests(self) -> list[str]:
        return [c.grade_id for c in self.cells if c.graded]

    def seen(self, replaced: dict[str, Names]) -> dict[str, set[str]]:
        """graded test id -> grade ids of the earlier cells it depends on, transitively.

        ``replaced``: solution grade id -> the names of the answer written there; such a cell reads
        and touches what the source's code and the answer's code do together.
        """
        immediate, late, touches = self._reads_and_touches(replaced)
        out = {}
        for end, cell in enumerate(self.cells):
            if not cell.graded:
                continue
            # While the test runs, the names it swaps in are its own wherever a function looks them up;
            # it reads the learner's ones only to put them back.
            reads = [m | (l - cell.swaps) for m, l in zip(immediate, late)]
            reads[end] -= cell.swaps
            seen, todo = set(), [end]
            while todo:
                i = todo.pop()
                for j in range(end):  # a later cell may rebind what a function called by the test reads
                    if j not in seen and reads[i] & touches[j]:
                        seen.add(j)
                        todo.append(j)
            out[cell.grade_id] = {self.cells[j].grade_id for j in seen if self.cells[j].grade_id}
        return out

    def _reads_and_touches(self, replaced):
        """Per cell: the names whose values from other cells it may use, and the names it may change.

        A function body looks its globals up when called. While its own cell runs, a name the cell
        binds is the cell's own; a function that can run after its cell (the cell touches a name a
        later cell reads, or writes the namespace by string for good) may see another cell's binding
        instead. Hidden tests swap correct helpers in by name and put the learner's back in a
        ``finally``: writes by string in a cell with a module-level ``try``/``finally`` are taken not to
        outlive the cell.
        """
        versions = [[c.names] + ([replaced[c.grade_id]] if c.grade_id in replaced else []) for c in self.cells]
        own = [set().union(*(n.bound | n.functions | n.imported for n in v)) for v in versions]
        binds = [set().union(*(n.bound | n.functions for n in v)) for v in versions]
        immediate = [set().union(*(n.immediate | (n.strings & self.defined) for n in v)) - o
                     for v, o in zip(versions, own)]
        late = [set().union(*(n.late for n in v)) for v in versions]
        lasting = [[n for n in v if n.dynamic and not n.restores] for v in versions]
        written = [set().union(*(n.strings & self.defined for n in ns)) for ns in lasting]
        closed = [not ns for ns in lasting]
        while True:
            reads = [m | (l - o if c else l) for m, l, o, c in zip(immediate, late, own, closed)]
            touches = [b | w | (r & self.data) for b, w, r in zip(binds, written, reads)]
            still = [c and not any(touches[i] & r for r in reads[i + 1:]) for i, c in enumerate(closed)]
            if still == closed:
                return immediate, [l - o if c else l for l, o, c in zip(late, own, closed)], touches
            closed = still


@dataclass
class Answer:
    name: str                 # "wrong-<key>" or "alternative-<key>"
    solution_id: str
    code: str
    fails: tuple[str, ...]    # the test cells it must score zero in (none for an alternative)


def answers_of(answers_module) -> list[Answer]:
    out = []
    for key, (solution_id, test_ids, code) in answers_module.WRONG.items():
        fails = (test_ids,) if isinstance(test_ids, str) else tuple(test_ids)
        out.append(Answer(f"wrong-{key}", solution_id, code, fails))
    for key, (solution_id, code) in answers_module.ALTERNATIVE.items():
        out.append(Answer(f"alternative-{key}", solution_id, code, ()))
    return out


@dataclass
class Student:
    """One simulated student and the answers written in their notebook."""

    name: str
    answers: list[Answer]
    seen_by: dict[str, set[str]]  # answer name -> the graded test cells that depend on its cell

    def out_of_reach(self, answer: Answer, tests) -> set[str]:
        """The test cells among ``tests`` that no other answer of this student can affect."""
        others = set().union(*(self.seen_by[a.name] for a in self.answers if a is not answer))
        return set(tests) - others


def in_cells(nb, answers: list[Answer]):
    """What each test cell of ``nb`` would see of a group of ``answers``, each written in its own cell.

    Returns ``sees(group) -> {test id: names of the answers of group it depends on}``.
    """
    notebook = Notebook.of(nb)
    names = {a.name: names_of(a.code) for a in answers}

    def sees(group: list[Answer]) -> dict[str, set[str]]:
        depends = notebook.seen({a.solution_id: names[a.name] for a in group})
        return {t: {a.name for a in group if a.solution_id in d} for t, d in depends.items()}

    return sees


def in_module(notebook_of, module_id: str, source):
    """Like ``in_cells``, for notebooks holding a group's answers in one module cell (editor mode).

    ``notebook_of(group)``: the notebook submitted for the group; ``module_id``: the grade id of its
    cell holding the module; ``source``: the source notebook, whose locked cells (hidden tests
    included) grading puts back. The module's statements count one by one; a statement written as
    one of an answer's statements belongs to that answer.
    """
    locked = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("locked")}

    def sees(group: list[Answer]) -> dict[str, set[str]]:
        units, owners, found = [], {}, set()
        written = {a.name: {ast.dump(n) for n in ast.parse(python(a.code)).body} for a in group}
        for cell in notebook_of(group).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code":
                continue
            if meta.get("grade_id") != module_id:
                units.append((meta.get("grade_id"), bool(meta.get("grade")) and not meta.get("solution"),
                              locked.get(meta.get("grade_id"), cell.source)))
                continue
            lines = python(cell.source).splitlines(keepends=True)
            for k, statement in enumerate(ast.parse("".join(lines)).body):
                label = f"{module_id}:{k}"
                found.add(ast.dump(statement))
                owners[label] = {name for name, dumps in written.items() if ast.dump(statement) in dumps}
                first = min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", [])])
                units.append((label, False, "".join(lines[first - 1:statement.end_lineno])))
        depends = Notebook(units).seen({})
        if any(written[a.name] - found for a in group):
            # Some statement of an answer is not in the module as written: claim nothing about it.
            return {t: {a.name for a in group} for t in depends}
        return {t: set().union(*(owners.get(label, set()) for label in d)) for t, d in depends.items()}

    return sees


def pack(answers: list[Answer], sees) -> list[Student]:
    """Students carrying ``answers``, several per student where no graded test cell can see two of them.

    ``sees``: from ``in_cells`` or ``in_module``. Greedy, in the answers' order, so the same answers
    always give the same students. An answer whose code reaches the namespace indirectly, or that a
    test it must fail does not depend on, gets a student of its own.
    """

    def separable(group: list[Answer]) -> bool:
        seen = sees(group)
        return (len({a.solution_id for a in group}) == len(group)
                and all(len(names) <= 1 for names in seen.values())
                and all(a.name in seen[t] for a in group for t in a.fails))

    students: list[list[Answer]] = []
    packed: list[list[Answer]] = []  # the students that more answers may join
    for answer in answers:
        if reaches_namespace(answer.code) or not separable([answer]):
            students.append([answer])
            continue
        home = next((s for s in packed
                     if answer.solution_id not in {a.solution_id for a in s} and separable(s + [answer])), None)
        if home is None:
            home = [answer]
            students.append(home)
            packed.append(home)
        else:
            home.append(answer)
    out = []
    for i, group in enumerate(students):
        seen = sees(group)
        seen_by = {a.name: {t for t, names in seen.items() if a.name in names} for a in group}
        out.append(Student(group[0].name if len(group) == 1 else f"pack-{i:02d}", group, seen_by))
    return out
