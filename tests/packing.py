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

A replaced cell is analysed twice, as the source has it and as the answer writes it, and depends and
touches the union. An answer is never packed if its code reaches the namespace some other way
(``globals()``, ``exec``, ``setattr``…), or if a test cell it must fail does not depend on its cell
(the analysis would not explain the failure).
"""

from __future__ import annotations

import ast
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


def names_of(code: str) -> Names:
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


class Notebook:
    """The code cells of a source notebook, in order, with what each one binds and refers to."""

    def __init__(self, nb):
        self.cells = []
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            meta = cell.metadata.get("nbgrader", {})
            self.cells.append(Cell(meta.get("grade_id"), bool(meta.get("grade")) and not meta.get("solution"),
                                   names_of(cell.source)))
        self.index = {c.grade_id: i for i, c in enumerate(self.cells) if c.grade_id}
        bound = set().union(*(c.names.bound for c in self.cells))
        functions = set().union(*(c.names.functions for c in self.cells))
        self.defined = bound | functions
        self.data = bound - functions

    def tests(self) -> list[str]:
        return [c.grade_id for c in self.cells if c.graded]

    def seen(self, replaced: dict[str, Names]) -> dict[str, set[str]]:
        """graded test id -> grade ids of the earlier cells it depends on, transitively.

        ``replaced``: solution grade id -> the names of the answer written there; such a cell reads
        and touches what the source's code and the answer's code do together.
        """
        reads, touches = self._reads_and_touches(replaced)
        out = {}
        for end, cell in enumerate(self.cells):
            if not cell.graded:
                continue
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
                return reads, touches
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


def pack(nb, answers: list[Answer]) -> list[Student]:
    """Students carrying ``answers``, several per student where no graded test cell can see two of them.

    Greedy, in the answers' order, so the same answers always give the same students. An answer whose
    code reaches the namespace indirectly, or whose cell a test it must fail does not depend on, gets
    a student of its own.
    """
    notebook = Notebook(nb)
    names = {a.name: names_of(a.code) for a in answers}

    def seen(pack: list[Answer]) -> dict[str, set[str]]:
        return notebook.seen({a.solution_id: names[a.name] for a in pack})

    def separable(pack: list[Answer]) -> bool:
        depends = seen(pack)
        cells = {a.solution_id for a in pack}
        return (len(cells) == len(pack)
                and all(len(cells & d) <= 1 for d in depends.values())
                and all(a.solution_id in depends[t] for a in pack for t in a.fails))

    students: list[list[Answer]] = []
    packed: list[list[Answer]] = []  # the students that more answers may join
    for answer in answers:
        if reaches_namespace(answer.code) or not separable([answer]):
            students.append([answer])
            continue
        home = next((s for s in packed if separable(s + [answer])), None)
        if home is None:
            home = [answer]
            students.append(home)
            packed.append(home)
        else:
            home.append(answer)
    out = []
    for i, group in enumerate(students):
        depends = seen(group)
        seen_by = {a.name: {t for t, d in depends.items() if a.solution_id in d} for a in group}
        out.append(Student(group[0].name if len(group) == 1 else f"pack-{i:02d}", group, seen_by))
    return out
