"""``BoundOutputs``: every autograded output cut to a bounded size before anything reads it.

The steps after it match text against outputs (hidden-test lines, nbgrader's ``IgnorePattern``) and
the gradebook and feedback keep them, so a submission that prints a megabyte per call must cost a
bounded amount of work, whatever the patterns. Text is cut, not dropped: the learner still sees how
their output began and that it was cut.
"""

from __future__ import annotations

import json

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Int

CUT_NOTE = "\n[output cut: {size:,} characters, the first {kept:,} kept]\n"


def bounded(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else its first ``limit`` and a note saying so."""
    if len(text) <= limit:
        return text
    return text[:limit] + CUT_NOTE.format(size=len(text), kept=limit)


class BoundOutputs(NbGraderPreprocessor):
    """Stream text, error messages and traceback lines at most ``max_text`` characters each (a
    traceback at most ``max_traceback_lines`` lines), rich data (figures, HTML) at most ``max_data``."""

    max_text = Int(64 * 1024, help="Characters kept of a stream, an error message or a traceback line").tag(config=True)
    max_traceback_lines = Int(200, help="Lines kept of a traceback").tag(config=True)
    max_data = Int(4 * 1024 * 1024, help="Characters kept of one rich output (an image, HTML)").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            self.bound(output)
        return cell, resources

    def bound(self, output) -> None:
        if "text" in output:
            output["text"] = bounded("".join(output["text"]), self.max_text)
        if "evalue" in output:
            output["evalue"] = bounded(str(output["evalue"]), self.max_text)
        if "traceback" in output:
            lines = [bounded(str(line), self.max_text) for line in output["traceback"][: self.max_traceback_lines]]
            output["traceback"] = lines
        data = output.get("data", {})
        for mime, value in list(data.items()):
            text = "".join(map(str, value)) if isinstance(value, list) else value
            if mime.startswith("text/") and isinstance(text, str):
                data[mime] = bounded(text, self.max_text if mime == "text/plain" else self.max_data)
            elif len(text if isinstance(text, str) else json.dumps(text)) > self.max_data:
                del data[mime]  # a figure cut in half is no figure: say so instead
                note = f"[{mime} output of more than {self.max_data:,} characters left out]"
                data["text/plain"] = "\n".join(filter(None, ["".join(data.get("text/plain", "")), note]))
