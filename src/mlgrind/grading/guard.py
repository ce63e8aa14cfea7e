"""The grading kernel's guard: notices student code replacing what the hidden tests rely on.

``install`` runs in the kernel before any cell. It records what the hidden tests use (builtins,
NumPy's namespaces, every ``mlgrind`` module, function and class, IPython's shell, kernel and
hooks, the interpreter's trace and output hooks) and adds an audit hook, which the interpreter keeps
for the life of the process. After every cell the grader raises the ``REPORT`` audit event; the
hook answers with what changed since ``install``, signed with a key that only it and the grader know
(read from a file deleted before any cell runs), so an answer forged by replacing the guard is
noticed as well. The hook also counts, as they happen, the checks the ``Checker`` records as failed
(``FAILED``) and the calls that serve only tampering (walking the garbage collector's references,
ctypes, adding an audit hook), so neither can be undone afterwards.

The hook never calls anything a cell could have replaced: it keeps its own references to the few
builtins it uses and touches only objects whose exact type it has checked.
"""

from __future__ import annotations

REPORT = "mlgrind.guard.report"
FAILED = "mlgrind.guard.failed"
SUSPECT_EVENTS = ("gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.addaudithook",
                  "sys._current_frames", "ctypes.")
# Modules whose IPython callbacks are the inline-plotting and widget machinery, not a cell's.
CALLBACK_MODULES = ("matplotlib_inline.", "ipykernel.", "IPython.", "ipywidgets.", "matplotlib.")
# Names IPython itself rebinds in builtins around every cell.
VOLATILE_BUILTINS = ("_", "__", "___", "display", "get_ipython", "exit", "quit")


def install(key_file: str) -> None:
    """Record the grading kernel's pristine state and start the audit hook (once per kernel)."""
    import builtins
    import hmac
    import os
    import sys
    import threading
    import types

    import numpy
    import numpy.linalg
    import numpy.testing

    import mlgrind.checks  # noqa: F401  (the hidden tests' helpers, recorded as loaded now)

    with open(key_file, "rb") as handle:
        key = handle.read()
    os.unlink(key_file)

    function_type, method_type, str_type, type_type = types.FunctionType, types.MethodType, str, type
    ident, length, listed, sort = id, len, list, sorted
    try:
        from _hashlib import hmac_digest as digest  # the C function: nothing a cell can patch
    except ImportError:
        digest = hmac.digest

    shell = get_ipython()  # noqa: F821 - runs inside IPython
    kernel = shell.kernel
    shell_type, kernel_type = type(shell), type(kernel)

    watched = {"builtins": builtins, "sys": sys, "threading": threading}
    for name, module in listed(sys.modules.items()):
        if type(name) is str and (name == "numpy" or name.startswith(("numpy.testing", "numpy.linalg", "mlgrind."))):
            watched[name] = module

    def everything(namespace: dict) -> dict:
        return {k: v for k, v in namespace.items() if type(k) is str and k not in VOLATILE_BUILTINS}

    spaces = []  # (label, live dict, recorded copy)
    classes = []  # (label, class, recorded copy of its dict)
    functions = []  # (label, function, __code__, __defaults__, __kwdefaults__)
    seen = set()

    def record_function(label, fn):
        if ident(fn) not in seen:
            seen.add(ident(fn))
            functions.append((label, fn, fn.__code__, fn.__defaults__, fn.__kwdefaults__))

    def record_class(label, cls):
        if ident(cls) in seen or type(cls) is not type_type:
            return
        seen.add(ident(cls))
        members = dict(vars(cls))
        classes.append((label, cls, members))
        for name, member in members.items():
            if type(member) is function_type:
                record_function(f"{label}.{name}", member)

    for label, module in watched.items():
        namespace = vars(module)
        copy = everything(namespace)
        if label == "sys":
            copy = {k: copy[k] for k in ("stdout", "stderr", "modules", "audit") if k in copy}
        elif label == "threading":
            copy = {k: copy[k] for k in ("_trace_hook", "_profile_hook") if k in copy}
        spaces.append((label, namespace, copy))
        if label in ("builtins", "sys", "threading"):
            continue
        for name, value in copy.items():
            if type(value) is function_type:
                record_function(f"{label}.{name}", value)
            elif type(value) is type_type and (getattr(value, "__module__", "") or "").startswith(("mlgrind", "numpy")):
                record_class(f"{label}.{name}", value)
    for cls in (*shell_type.__mro__, *kernel_type.__mro__):
        if cls is not object:
            record_class(f"IPython's {cls.__name__}", cls)

    modules = sys.modules
    recorded_modules = {name: module for name, module in watched.items()}
    shell_dict, kernel_dict = vars(shell), vars(kernel)
    methods = {cls: {n for c in cls.__mro__ for n, v in vars(c).items() if type(v) is function_type}
               for cls in (shell_type, kernel_type)}
    shell_attrs, kernel_attrs = dict(shell_dict), dict(kernel_dict)
    traits = shell_dict.get("_trait_values")
    trait_copy = dict(traits) if type(traits) is dict else {}
    event_manager = shell_dict.get("events")
    event_manager_dict = vars(event_manager)
    events = event_manager_dict.get("callbacks")
    hooks_copy = {name: listed(callbacks) for name, callbacks in events.items()}
    transformer_lists = {name: trait_copy.get(name) for name in
                         ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")}
    transformer_copy = {name: listed(v) for name, v in transformer_lists.items() if type(v) is list}
    gettrace, getprofile = sys.gettrace, sys.getprofile
    trace0, profile0 = gettrace(), getprofile()
    suspects: list = []
    state = {"failed": 0}

    def same(a, b) -> bool:
        if a is b:
            return True
        return type(a) is method_type and type(b) is method_type and a.__self__ is b.__self__ and a.__func__ is b.__func__

    def callback_is_machinery(fn) -> bool:
        target = fn.__func__ if type(fn) is method_type else fn
        if type(target) is not function_type:
            return False
        namespace = target.__globals__
        for module_name, module in listed(modules.items()):
            if type(module_name) is str and module_name.startswith(CALLBACK_MODULES) and \
                    type(module) is types.ModuleType and vars(module) is namespace:
                return True
        return False

    def changes() -> list:
        found = []
        if type(shell) is not shell_type or type(kernel) is not kernel_type:
            found.append("IPython's shell or kernel class replaced")
        for label, live, copy in spaces:
            for name, value in copy.items():
                if name not in live:
                    found.append(f"{label}.{name} deleted")
                elif not same(live[name], value):
                    found.append(f"{label}.{name} replaced")
        for label, cls, copy in classes:
            members = vars(cls)
            for name, value in copy.items():
                if name not in members:
                    found.append(f"{label}.{name} deleted")
                elif not same(members[name], value):
                    found.append(f"{label}.{name} replaced")
        for label, fn, code, defaults, kwdefaults in functions:
            if fn.__code__ is not code or fn.__defaults__ is not defaults or fn.__kwdefaults__ is not kwdefaults:
                found.append(f"{label} rewritten")
        for name, module in recorded_modules.items():
            if modules.get(name) is not module:
                found.append(f"module {name} replaced")
        for label, live, copy, names in (("shell", shell_dict, shell_attrs, methods[shell_type]),
                                         ("kernel", kernel_dict, kernel_attrs, methods[kernel_type])):
            for name, value in listed(live.items()):
                if type(name) is str and name in names and not (name in copy and same(value, copy[name])):
                    found.append(f"IPython's {label}.{name} replaced")
        if shell_dict.get("_trait_values") is not traits:
            found.append("IPython's shell settings replaced")
        elif type(traits) is dict:
            for name, copy in transformer_copy.items():
                live = traits.get(name)
                if live is not transformer_lists[name] or length(live) != length(copy) or \
                        any(a is not b for a, b in zip(live, copy)):
                    found.append(f"IPython's {name} changed")
        if shell_dict.get("events") is not event_manager or event_manager_dict.get("callbacks") is not events:
            found.append("IPython's event callbacks replaced")
        for name, callbacks in listed(events.items()):
            before = hooks_copy.get(name, [])
            for fn in listed(callbacks):
                if not any(same(fn, b) for b in before) and not callback_is_machinery(fn):
                    found.append(f"IPython '{name}' callback added")
        if gettrace() is not trace0:
            found.append("a trace function set (sys.settrace)")
        if getprofile() is not profile0:
            found.append("a profile function set (sys.setprofile)")
        return found

    def hook(event, args):
        if event == FAILED:
            state["failed"] += 1
            return
        if event == REPORT:
            if length(args) == 2 and type(args[0]) is str_type and type(args[1]) is list:
                answer(args[0], args[1])
            return
        if event.startswith(SUSPECT_EVENTS):
            suspects.append(event)

    def answer(nonce, box):
        try:
            lines = sort(set(changes()))
        except Exception as exc:  # noqa: BLE001 - a broken state is itself the finding
            lines = [f"the guard could not inspect the kernel ({type(exc).__name__})"]
        lines += [f"{event} called" for event in sort(set(suspects))]
        text = "\n".join([f"failed checks: {state['failed']}", *lines])
        box.append(text)
        box.append(digest(key, (nonce + "\n" + text).encode(), "sha256").hex())

    sys.addaudithook(hook)


def request(nonce: str) -> str:
    """The user expression a grader evaluates after a cell: ``[report, signature]``."""
    return f"(lambda box: (__import__('sys').audit({REPORT!r}, {nonce!r}, box), box)[1])([])"


def read(reply_value: str, nonce: str, key: bytes) -> tuple[int, list[str]] | None:
    """``(failed checks, changes)`` from a guard's answer, or None if it is missing or not signed with ``key``."""
    import ast
    import hmac

    try:
        text, signature = ast.literal_eval(reply_value)
    except (ValueError, SyntaxError, TypeError):
        return None
    if type(text) is not str or type(signature) is not str:
        return None
    expected = hmac.digest(key, (nonce + "\n" + text).encode(), "sha256").hex()
    if not hmac.compare_digest(expected, signature):
        return None
    first, *changes = text.split("\n")
    return int(first.removeprefix("failed checks: ")), changes
