"""What the solution cells' source shows about a function: loops, names, NumPy, ``@``: read, never run.

The judge checks how an answer is written ("no loops", "by hand", "without np.broadcast_shapes")
from the code the student wrote, not from objects in the student's interpreter. A function is its
last top-level ``def`` (or ``name = lambda``) in the solution cells, with every top-level function
of the cells it calls, directly or through another, and every top-level statement of the cells that
is not a definition (where an alias such as ``bs = np.broadcast_shapes`` would be made).
"""

from __future__ import annotations

import ast

# Ways of reaching a function by a string, which a reading of the source cannot follow.
DYNAMIC = frozenset({"getattr", "eval", "exec", "compile", "__import__", "globals", "locals", "vars",
                     "importlib", "__dict__", "__getattribute__", "attrgetter", "methodcaller", "modules",
                     "import_module", "__builtins__", "builtins", "ctypes", "setattr", "delattr"})
# String-based calls that can bind a name elsewhere (``getattr`` only reads one).
REBINDING = DYNAMIC - {"getattr", "attrgetter", "methodcaller", "__getattribute__", "modules", "builtins"}
# Calls that loop for the caller.
LOOPING_CALLS = frozenset({"map", "filter", "reduce", "vectorize", "frompyfunc", "apply_along_axis",
                           "apply_over_axes", "fromiter", "starmap", "accumulate"})
# NumPy's integer and bool scalar types: sizes such as np.int64(3) are plain numbers, not arrays.
SCALAR_TYPES = frozenset({"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "intp",
                          "uintp", "integer", "signedinteger", "unsignedinteger", "bool_", "number"})
_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _parse(code: str) -> ast.Module | None:
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        code = TransformerManager().transform_cell(code)  # %magics and !commands as plain Python
    except Exception:  # noqa: BLE001 - without IPython, the code as written
        pass
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError):
        return None


class FunctionSource:
    """The code of one student function as the judge reads it: its own and what it reaches."""

    def __init__(self, name: str, functions: list[ast.AST], statements: list[ast.AST], numpy_names: set[str]):
        self.__name__ = name
        self.functions = functions
        self.statements = statements  # the top-level statements that bind a name the functions use
        self.numpy_names = numpy_names

    def _walk(self, statements: bool = True):
        for node in [*self.functions, *(self.statements if statements else [])]:
            yield from ast.walk(node)

    def has_loops(self) -> bool:
        """A ``for``/``while`` loop, a comprehension, recursion-free looping calls such as ``map``."""
        return bool(self.loops())

    def loops(self) -> list[str]:
        found = []
        for node in self._walk(statements=False):
            if isinstance(node, _LOOPS):
                found.append(type(node).__name__)
            elif isinstance(node, ast.Call) and _called_name(node) in LOOPING_CALLS:
                found.append(_called_name(node))
        return found

    def names(self) -> set[str]:
        """Every name, attribute and imported name in the code (a name reached by a string is ``dynamic``)."""
        names = set()
        for node in self._walk():
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.alias):
                names.update(node.name.split("."))
                if node.asname:
                    names.add(node.asname)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
        return names

    def dynamic(self) -> list[str]:
        """The string-based lookups in the code (``getattr``, ``eval``, ``__import__``...)."""
        return sorted(self.names() & DYNAMIC)

    def uses_numpy(self) -> list[str]:
        """What of NumPy the code uses (through ``np``, ``numpy``, ``from numpy import ...`` or an alias),
        its integer and bool scalar types (``np.int64``) apart, and any string-based lookup."""
        used = set(self.dynamic())
        bases = {id(node.value) for node in self._walk() if isinstance(node, ast.Attribute)}
        for node in self._walk():
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in self.numpy_names:
                if node.attr not in SCALAR_TYPES:
                    used.add(f"{node.value.id}.{node.attr}")
            elif isinstance(node, ast.Name) and node.id in self.numpy_names and id(node) not in bases:
                used.add(node.id)
        return sorted(used)

    def uses_matmul_operator(self) -> bool:
        return any(isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.MatMult)
                   for node in self._walk(statements=False))


def _called_name(call: ast.Call) -> str:
    fn = call.func
    return fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""


class SolutionSource:
    """The solution cells of a submission, read for ``function(name)``."""

    def __init__(self, sources: list[str]):
        self.definitions: dict[str, ast.AST] = {}
        self.statements: list[ast.AST] = []
        self.numpy_names = {"numpy"}
        for code in sources:
            module = _parse(code) if isinstance(code, str) else None
            if module is None:
                continue
            for node in module.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    self.definitions[node.name] = node
                elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda)
                      and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
                    self.definitions[node.targets[0].id] = node
                else:
                    self.statements.append(node)
                self._note_numpy(node)

    def _note_numpy(self, node: ast.AST) -> None:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import):
                for alias in inner.names:
                    if alias.name == "numpy" or alias.name.startswith("numpy."):
                        self.numpy_names.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(inner, ast.ImportFrom) and (inner.module or "").split(".")[0] == "numpy":
                self.numpy_names.update(a.asname or a.name for a in inner.names if a.name not in SCALAR_TYPES)

    def function(self, name: str) -> FunctionSource | None:
        """``name``'s code and everything it reaches among the cells' top-level functions; None if not defined."""
        if name not in self.definitions:
            return None
        reached, todo = {}, [name]
        while todo:
            current = todo.pop()
            if current in reached or current not in self.definitions:
                continue
            reached[current] = self.definitions[current]
            todo += [n.id for n in ast.walk(reached[current]) if isinstance(n, ast.Name)]
        statements = self._binding(_loaded(reached.values()))
        # The course's setup cells import NumPy as np; a student's cell may rely on that.
        numpy_names = self.numpy_names | {"np"}
        for statement in statements:
            if _loaded([statement]) & numpy_names:
                numpy_names |= _bound(statement)
        return FunctionSource(name, list(reached.values()), statements, numpy_names)

    def _binding(self, wanted: set[str]) -> list[ast.AST]:
        """The top-level statements that may bind a name in ``wanted`` (and those binding what they use):
        an assignment or import of it, a store into an attribute of that name (``builtins.max = ...``),
        any store by subscript (``globals()[...] = ...``), and any string-based call (``setattr``, ``exec``)."""
        chosen: list[ast.AST] = []
        changed = True
        while changed:
            changed = False
            for statement in self.statements:
                if statement in chosen:
                    continue
                if _bound(statement) & wanted or _stored_attributes(statement) & wanted or _rebinds_by_string(statement):
                    chosen.append(statement)
                    wanted |= _loaded([statement])
                    changed = True
        return chosen


def _stored_attributes(statement: ast.AST) -> set[str]:
    return {n.attr for n in ast.walk(statement) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)}


def _rebinds_by_string(statement: ast.AST) -> bool:
    for node in ast.walk(statement):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, ast.Call) and _called_name(node) in REBINDING:
            return True
    return False


def _loaded(nodes) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for node in nodes for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def _bound(statement: ast.AST) -> set[str]:
    """The names a top-level statement binds (assignments, imports, ``with ... as``, loop targets)."""
    names = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names
