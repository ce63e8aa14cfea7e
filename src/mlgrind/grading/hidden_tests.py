"""A notebook's hidden test regions, and the output lines that would quote them.

A test cell's ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region is the grader's secret;
``hidden_lines`` lists its telling lines and ``scrub_outputs`` removes any output line quoting one
(a cell that printed the code calling it, say), whatever produced it.
"""

from __future__ import annotations

import re

HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*", re.S | re.M)
REMOVED_LINE = "[a line of the hidden tests was removed from this output]"
# Hidden lines shorter than this ("else:", "check.true(ok)") say nothing and could match honest output.
SHORTEST_SECRET = 12


def hidden_lines(nb) -> set[str]:
    """Every telling line of the notebook's hidden test regions, stripped, that no visible cell shows too."""
    hidden, shown = set(), set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for region in HIDDEN_TESTS.findall(cell.source):
            hidden.update(line.strip() for line in region.splitlines()[1:-1])
        shown.update(line.strip() for line in HIDDEN_TESTS.sub("", cell.source).splitlines())
    return {line for line in hidden - shown if len(line) >= SHORTEST_SECRET and not line.startswith("#")}


def _scrub(text: str, secrets: set[str]) -> str:
    if not any(secret in text for secret in secrets):
        return text
    return "\n".join(REMOVED_LINE if any(s in line for s in secrets) else line for line in text.split("\n"))


def scrub_outputs(cell, secrets: set[str]) -> None:
    """Remove every output line that quotes a hidden test (a cell that printed the code calling it, say)."""
    if not secrets:
        return
    for output in cell.get("outputs", []):
        if "text" in output:
            output["text"] = _scrub("".join(output["text"]), secrets)
        if "evalue" in output:
            output["evalue"] = _scrub(str(output["evalue"]), secrets)
        if "traceback" in output:
            output["traceback"] = [_scrub(line, secrets) for line in output["traceback"]]
        for mime, value in output.get("data", {}).items():
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                value = "".join(value)
            if isinstance(value, str):
                output["data"][mime] = _scrub(value, secrets)
