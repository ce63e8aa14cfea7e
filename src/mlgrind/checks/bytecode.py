"""What a function's bytecode shows: whether it loops, which names it looks up.

Read from the compiled code, nested functions and comprehensions included, so no call is needed.
"""

from __future__ import annotations

import dis
import types


def _code_has_loop(code: types.CodeType) -> bool:
    jumps = set(dis.hasjrel) | set(dis.hasjabs)
    for ins in dis.get_instructions(code):
        if ins.opname == "FOR_ITER" or "BACKWARD" in ins.opname:
            return True
        # Any jump back to an earlier instruction is a loop (how it is spelled varies by Python version).
        if ins.opcode in jumps and isinstance(ins.argval, int) and ins.argval < ins.offset:
            return True
    return any(_code_has_loop(c) for c in code.co_consts if isinstance(c, types.CodeType))


def has_loops(fn) -> bool:
    """Whether ``fn`` contains a Python loop or comprehension (read from its bytecode)."""
    return _code_has_loop(fn.__code__)


def code_names(code: types.CodeType) -> set[str]:
    """Every global, attribute and imported name ``code`` and the code nested in it look up."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= code_names(const)
    return names
