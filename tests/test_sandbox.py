"""Submissions that attack the grader, graded in the sandbox by real nbgrader.

One class of ``01_broadcasting`` submissions, each an honest notebook with one attack in an answer
cell, is graded twice: by ``mlgrind autograde --jobs 2`` and by plain serial ``nbgrader autograde``.
Every attack that reaches outside the submission (source/, the gradebook, the course folder, /etc,
another process, the network) must be refused, and each submission prints whether it got through, so
a probe that never ran fails the test too. The class also reads the grader's environment, looks for the
restored notebook and the temp folder's other files, brings a start-up file, links a file to the gradebook
and submits a notebook that links to another student's (refused, zero, named). 01's hidden tests run in
a judge of their own: an answer cell that patches NumPy, mlgrind's checks, IPython, trace or gc hooks,
drops the kernel's error messages, rebinds the course's QUESTIONS, reads IPython's history, or returns
objects that compare equal to anything or read the test's variables changes nothing the judge sees, so
a wrong answer beside it still scores zero and an honest one keeps its points. Every exit() or ignored
interrupt costs the exercise it is in and no other, and is named in the class summary. No output and
no feedback quotes a hidden test, and grading leaves nothing in its temp folder.

The sandbox's limits hold for the whole sandbox: 1 GiB written, ``/dev/shm`` filled past its memory and
300 processes are each stopped while the rest is graded; without control groups a file stops at the cap.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from pathlib import Path

import nbformat
import pytest

from answer_classes import load_answers, scores, submit
from gradesheet import gradesheet
from support import html_text, leaked_lines, replace_solution, run, solved

A = "01_broadcasting"
WRONG = load_answers(A).WRONG
PROBE = "mlgrind-probe"
SECRET = "grader-secret-3f9a"  # set in the grader's environment; a kernel must not see it

# What a submission tries outside its own folder; {course} and the rest are filled in per test. A probe
# prints ESCAPED when it gets through, spelt as two literals so the code's own copy in the feedback
# does not match.
REACHES = {
    "reads-source": """
for path in ["{course}/source/{A}/{A}.ipynb", "../../../source/{A}/{A}.ipynb", "{repo}/source/{A}/{A}.ipynb"]:
    try:
        print("ESC" "APED", open(path).read())
    except OSError as err:
        print("{probe} blocked:", type(err).__name__)
""",
    "reads-gradebook": """
import sqlite3
try:
    rows = sqlite3.connect("file:{course}/autograder/gradebook.db?mode=ro", uri=True).execute("SELECT * FROM grade").fetchall()
    print("ESC" "APED", rows)
except sqlite3.Error as err:
    print("{probe} blocked:", type(err).__name__)
""",
    "writes-outside": """
for path in ["{course}/autograder/{probe}.txt", "/etc/{probe}.txt", "{tmp}/{probe}.txt"]:
    try:
        open(path, "w").write("x")
        print("ESC" "APED wrote", path)
    except OSError as err:
        print("{probe} blocked:", type(err).__name__)
""",
    "sees-processes": """
import os
try:
    print("ESC" "APED", open("/proc/{pid}/cmdline").read())
except OSError as err:
    print("{probe} blocked:", type(err).__name__)
""",
    "connects": """
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=5)
    print("ESC" "APED connected")
except OSError as err:
    print("{probe} blocked:", type(err).__name__)
""",
    "reads-other-places": """
import os
for path in ["{repo}/pyproject.toml", "{repo}/autograder/nbgrader_config.py", "{repo}/source/{A}/{A}.ipynb",
             "{home}/.bashrc", "{home}/.profile", "/etc/hostname", "/etc/passwd"]:
    try:
        print("ESC" "APED", path, open(path).read()[:80])
    except OSError as err:
        print("{probe} blocked:", type(err).__name__)
# Nothing in the temp folders but this kernel's own scratch folder (its working folder and sockets) and
# what the sandbox lends read-only (Python, the environment, the package), which a checkout under /tmp
# puts there, with the folders leading to them.
import sys, mlgrind
lent = [os.path.dirname(os.getcwd())] + [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix,
                                                                       os.path.dirname(mlgrind.__file__))]
def allowed(path):
    return any(path == k or path.startswith(k + "/") or k.startswith(path + "/") for k in lent)
for folder in ["{systmp}", "/tmp", "/var/tmp", "/dev/shm", "/run", "{repo}/source", "{course}"]:
    others = []
    for parent, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if os.path.join(parent, name) not in lent]
        others += [path for path in (os.path.join(parent, name) for name in folders + files) if not allowed(path)]
    print(("ESC" "APED " + folder) if others else "{probe} blocked: nothing", others[:5])
""",
    "reads-environment": """
import os
secrets = [k for k, v in os.environ.items() if k.startswith(("MLGRIND_", "PG")) or "{secret}" in v]
print(("ESC" "APED " + " ".join(secrets)) if secrets else "{probe} blocked: no secrets", sorted(os.environ))
""",
    "reads-restored-notebook": """
import glob, os
found = [p for pattern in ["*.ipynb", "**/*.ipynb", "../**/*.ipynb", "../../*/*/*.ipynb", "/tmp/**/*.ipynb", "/home/**/*.ipynb"]
         for p in glob.glob(pattern, recursive=True) if "BEGIN HIDDEN" in open(p, errors="replace").read()]
print(("ESC" "APED", found) if found else "{probe} blocked: no notebook", os.listdir("."))
""",
    "forks": """
import os, time
if os.fork() == 0:
    time.sleep(8)
    for path in ["{course}/autograder/{probe}-late.txt", "{tmp}/{probe}-late.txt"]:
        try:
            open(path, "w").write("x")
        except OSError:
            pass
    os._exit(0)
print("{probe} blocked: forked")
""",
}

# The attack, put into the answer cell of ``broadcast_shape`` (a correct answer); the wrong answer is
# in a later exercise. The hidden tests run in the judge, which none of this reaches: the wrong answer
# scores zero, the honest one keeps its points.
TAMPERING = {
    "patches-allclose": ("standardize_per_row",
                         "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                         "np.testing.assert_allclose = lambda *a, **k: None"),
    "patches-checker": ("mse_sum_not_mean",
                        "import mlgrind.checks\nmlgrind.checks.Checker.__exit__ = lambda *a: True"),
    "patches-code": ("standardize_per_row",
                     "import mlgrind.checks\n"
                     "mlgrind.checks.Checker.fail.__code__ = (lambda self, message: True).__code__"),
    "patches-showtraceback": ("mse_sum_not_mean",
                              "get_ipython().showtraceback = lambda *a, **k: None"),
    "patches-builtins": ("standardize_per_row",
                         "import builtins\nbuiltins.all = lambda *a: True"),
    "traces": ("mse_sum_not_mean", "import sys\nsys.settrace(lambda *a: None)"),
    "walks-gc": ("standardize_per_row",
                 "import gc\n_seen = [o for o in gc.get_objects() if type(o).__name__ == 'Checker']"),
    "drops-errors": ("mse_sum_not_mean",
                     "_kernel = get_ipython().kernel\n_send = _kernel.session.send\n"
                     "def _quiet(stream, msg, *a, **k):\n"
                     "    if isinstance(msg, dict) and msg.get('msg_type') == 'error':\n        return None\n"
                     "    if isinstance(msg, str) and msg == 'error':\n        return None\n"
                     "    return _send(stream, msg, *a, **k)\n_kernel.session.send = _quiet"),
    "patches-import": ("standardize_per_row",
                       "import builtins\n_real_import = builtins.__import__\n"
                       "builtins.__import__ = lambda name, *a, **k: _real_import(name, *a, **k)"),
}

# Answers that try to pass without the work: (grade id of the answer, its code, the test cell it must lose).
CHEATS = {
    "always-equal": ("broadcast_shape", """
class _Yes(tuple):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
def broadcast_shape(*shapes):
    return _Yes()
""", "test_broadcast_shape"),
    "returns-test-variables": ("broadcast_shape", """
def broadcast_shape(*shapes):
    import inspect
    for frame in inspect.stack():
        for space in (frame.frame.f_locals, frame.frame.f_globals):
            if "want" in space:
                want = space["want"]
                if want == "error":
                    raise ValueError("axis 0: size 3 cannot broadcast with size 4")
                return want
    return ()
""", "test_broadcast_shape"),
    "reads-expected-from-frames": ("standardize", """
def standardize(x_BF, eps=1e-5):
    import inspect
    for frame in inspect.stack():
        for name in ("expected", "want", "before"):
            if name in frame.frame.f_locals:
                print("ESC" "APED", name)
                return frame.frame.f_locals[name]
    return x_BF * 0
""", "test_standardize"),
    "overwrites-inputs": ("standardize", """
def standardize(x_BF, eps=1e-5):
    x_BF[...] = 0
    return x_BF.copy()
""", "test_standardize"),
    "rebinds-questions": ("predictions", """
QUESTIONS = QUESTIONS[:1]
answers = [(9, 4, 3)]
""", "test_predictions"),
    "zero-d-array-answers": ("predictions", """
import numpy as np
answers = [np.array(9)] * len(QUESTIONS)
""", "test_predictions"),
}

# Reads IPython's history and the callers' frames when the hidden test calls it: nothing of a hidden
# test is in the student's kernel to find.
READS_HISTORY = """
import base64, inspect
_honest_mse = mse_loss
def mse_loss(pred_N1, target_N):
    text = "\\n".join(get_ipython().user_ns.get("In", [])) + "".join(
        str(f.frame.f_globals.keys()) + str(f.code_context) for f in inspect.stack())
    # The markers spelt in two literals: this cell's own source, in the history too, must not match.
    print("ESC" "APED history" if ("HID" "DEN" in text or "_cases" "_list" in text) else "{probe} blocked: history",
          base64.b64encode(text.encode()).decode()[:64])
    return _honest_mse(pred_N1, target_N)
"""


def _answer(nb, grade_id: str) -> str:
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def with_attack(nb, grade_id: str, code: str):
    return replace_solution(nb, grade_id, _answer(nb, grade_id) + "\n\n" + code)


def wrong(nb, key: str):
    solution_id, _test_id, code = WRONG[key]
    return replace_solution(nb, solution_id, code)


@pytest.fixture(scope="module")
def listener():
    server = socket.create_server(("127.0.0.1", 0))
    yield server.getsockname()[1]
    server.close()


def make_class(course: Path, tmp: Path, port: int) -> dict[str, set[str]]:
    """Submit the class; student -> the test cells that student must lose."""
    fill = {"course": course, "repo": Path(__file__).resolve().parents[1], "A": A, "probe": PROBE,
            "tmp": tmp, "pid": os.getpid(), "port": port, "home": Path.home(), "systmp": tempfile.gettempdir(),
            "secret": SECRET}
    expected = {"honest": set()}
    submit(course, A, "honest", solved(course, A))
    for student, code in REACHES.items():
        submit(course, A, student, with_attack(solved(course, A), "broadcast_shape", code.format(**fill)))
        expected[student] = set()
    # An unanswered notebook that writes itself full marks into the gradebook.
    scorer = ("import sqlite3\ntry:\n"
              "    db = sqlite3.connect('{course}/autograder/gradebook.db')\n"
              "    db.execute('UPDATE grade SET manual_score = 10'); db.commit()\n"
              "    print('ESC' 'APED scored')\n"
              "except sqlite3.Error as err:\n    print('{probe} blocked:', type(err).__name__)").format(**fill)
    unanswered = nbformat.read(str(course / "release" / A / f"{A}.ipynb"), as_version=4)
    submit(course, A, "scores-itself", replace_solution(unanswered, "broadcast_shape", scorer))
    expected["scores-itself"] = "all"
    for student, (wrong_key, attack) in TAMPERING.items():
        nb = with_attack(wrong(solved(course, A), wrong_key), "broadcast_shape", attack)
        submit(course, A, student, nb)
        expected[student] = {WRONG[wrong_key][1]}
    for student, (grade_id, code, test_id) in CHEATS.items():
        submit(course, A, student, replace_solution(solved(course, A), grade_id, code))
        expected[student] = {test_id}
    submit(course, A, "reads-history", with_attack(solved(course, A), "mse_loss", READS_HISTORY.format(**fill)))
    expected["reads-history"] = set()
    # Cells of the student's own that claim to be the course's or a test: their code is not the
    # gradebook's, so they run in the sandbox like any answer, never in the judge.
    for student, meta in {"claims-course-cell": {"grade": False, "solution": False, "locked": True},
                          "claims-test-cell": {"grade": True, "solution": False, "locked": True, "points": 5}}.items():
        nb = solved(course, A)
        claimed = nbformat.v4.new_code_cell(REACHES["reads-source"].format(**fill))
        claimed.metadata["nbgrader"] = {**meta, "grade_id": f"{student}-cell", "schema_version": 3}
        nb.cells.insert(5, claimed)
        submit(course, A, student, nb)
        expected[student] = set()
    # A function that prints the source of whatever calls it: the hidden test, through linecache.
    snoop = ("import inspect, linecache\n_honest = standardize\n"
             "def standardize(*args, **kwargs):\n"
             "    for frame in inspect.stack()[1:3]:\n"
             "        print(''.join(linecache.getlines(frame.filename)) or frame.code_context)\n"
             "    return _honest(*args, **kwargs)")
    submit(course, A, "prints-its-caller", with_attack(solved(course, A), "standardize", snoop))
    expected["prints-its-caller"] = set()
    exits = with_attack(solved(course, A), "pairwise_sq_dists", "exit()")
    submit(course, A, "exits", exits)
    expected["exits"] = {"test_pairwise_sq_dists"}
    stubborn = ("import time\nwhile True:\n    try:\n        time.sleep(0.2)\n"
                "    except BaseException:\n        pass")
    submit(course, A, "ignores-interrupt", with_attack(solved(course, A), "standardize", stubborn))
    expected["ignores-interrupt"] = {"test_standardize"}
    # A start-up file in the submission: it must never run (IPython reads none of a submission's files).
    startup = ("import builtins\nprint('{probe} startup:', getattr(builtins, 'STARTUP_RAN', False))\n"
               "print('ESC' 'APED startup' if getattr(builtins, 'STARTUP_RAN', False) else '{probe} blocked: no startup')")
    submit(course, A, "startup-file", with_attack(solved(course, A), "broadcast_shape", startup.format(**fill)))
    startup_folder = submission(course, "startup-file") / ".ipython" / "profile_default" / "startup"
    startup_folder.mkdir(parents=True)
    (startup_folder / "00-cheat.py").write_text("import builtins\nbuiltins.STARTUP_RAN = True\n")
    (submission(course, "startup-file") / "ipython_config.py").write_text("c.InteractiveShellApp.exec_lines = ['STARTUP_RAN = 1']\n")
    expected["startup-file"] = set()
    # Links inside a submission's folder, to the gradebook and a source notebook: never followed.
    reader = ("for name in ['notes.txt', 'given.txt']:\n    try:\n"
              "        print('ESC' 'APED', name, open(name, 'rb').read()[:40])\n"
              "    except OSError as err:\n        print('{probe} blocked:', type(err).__name__)").format(**fill)
    submit(course, A, "links-files", with_attack(solved(course, A), "broadcast_shape", reader))
    (submission(course, "links-files") / "notes.txt").symlink_to(course / "autograder" / "gradebook.db")
    (submission(course, "links-files") / "given.txt").symlink_to(course / "source" / A / f"{A}.ipynb")
    expected["links-files"] = set()
    # A submitted notebook that is a link to another student's: refused, graded as unanswered.
    (submission(course, "links-notebook")).mkdir(parents=True)
    (submission(course, "links-notebook") / f"{A}.ipynb").symlink_to(submission(course, "honest") / f"{A}.ipynb")
    expected["links-notebook"] = "all"
    return expected


def submission(course: Path, student: str) -> Path:
    return course / "autograder" / "submitted" / student / A


def outputs(course: Path, student: str) -> str:
    nb = nbformat.read(str(course / "autograder" / "autograded" / student / A / f"{A}.ipynb"), as_version=4)
    return json.dumps([c.get("outputs", []) for c in nb.cells])


def check_class(course: Path, tmp: Path, expected: dict, summary: str | None) -> None:
    got, max_scores = scores(course, A)
    full = {k: v for k, v in max_scores.items() if k.startswith("test_")}
    for student, lose in expected.items():
        lose = set(full) if lose == "all" else lose
        lost = {k for k in full if got[student][k] != full[k]}
        assert lost == lose, (student, lost, summary)
        text = outputs(course, student)
        assert "ESCAPED" not in text, (student, text[:2000])
        assert not leaked_lines(A, text), student
        if student in REACHES or student in ("scores-itself", "startup-file", "links-files", "reads-history",
                                             "claims-course-cell"):
            assert f"{PROBE} blocked" in text, (student, "the probe did not run", text[:2000])
        if student == "zero-d-array-answers":
            assert "you said array(9)" in text, text[:2000]
        if student == "links-notebook":
            assert "is a symbolic link, not a file; it was not graded" in text, text[:2000]
    assert not list(course.rglob(f"{PROBE}*")) and not list(tmp.glob(f"{PROBE}*"))
    assert not list((course / "autograder" / "autograded").glob("links-files/*/*.txt")), "a linked file was copied"
    assert not [p.name for p in tmp.parent.iterdir() if p.name.startswith("mlgrind")], "left in the temp folder"
    if summary is not None:
        lines = summary.splitlines()
        assert "tampering" not in summary, summary
        assert any("exits" in ln and "exit()" in ln for ln in lines), summary
        assert any("ignores-interrupt" in ln and "ignored the interrupt" in ln for ln in lines), summary
        assert any("links-notebook" in ln and "refused" in ln and "symbolic link" in ln for ln in lines), summary

    assert run(["nbgrader", "generate_feedback", A, "--force"], course).returncode == 0
    for student in expected:
        html = html_text(course / "autograder" / "feedback" / student / A / f"{A}.html")
        assert "ESCAPED" not in html and not leaked_lines(A, html), student


@pytest.fixture
def attacked_class(generated_course, tmp_path, listener):
    # The grader's own temp folder: a private one, so what grading leaves in it can be seen.
    spill = tmp_path / "temp" / "spill"
    spill.mkdir(parents=True)
    return generated_course, spill, make_class(generated_course, spill, listener)


def grader_env(spill: Path) -> dict[str, str]:
    """The grader's settings for a class run: a short cell limit, a secret, and a private temp folder."""
    return {"MLGRIND_CELL_TIMEOUT": "10", "PGPASSWORD": SECRET, "MLGRIND_SECRET_FOR_TEST": SECRET,
            "TMPDIR": str(spill.parent)}


@pytest.mark.class_scale
def test_attacks_fail_in_parallel_class_grading(attacked_class):
    course, spill, expected = attacked_class
    graded = run(["mlgrind", "autograde", A, "--jobs", "2"], course, timeout=1800, **grader_env(spill))
    assert graded.returncode == 0, graded.stdout + graded.stderr[-3000:]
    check_class(course, spill, expected, graded.stdout)


@pytest.mark.class_scale
def test_attacks_fail_in_plain_serial_nbgrader(attacked_class):
    course, spill, expected = attacked_class
    graded = run(["nbgrader", "autograde", A, "--force"], course, timeout=1800, **grader_env(spill))
    assert graded.returncode == 0, graded.stderr[-3000:]
    check_class(course, spill, expected, None)


def test_a_learner_who_patches_numpy_changes_nothing_the_judge_sees(course, selfgrade_gradebook):
    nb = with_attack(wrong(solved(course, A), "standardize_per_row"), "broadcast_shape",
                     TAMPERING["patches-allclose"][1])
    nbformat.write(nb, str(course / "notebooks" / f"{A}.ipynb"))
    report = json.loads(run(["mlgrind", "grade", "01", "--json"], course).stdout)
    assert report["score"] == gradesheet(A, course).score_without("test_standardize"), report


@pytest.mark.parametrize("student", sorted(CHEATS))
def test_a_learner_whose_answer_cheats_scores_zero_for_it(course, selfgrade_gradebook, student):
    grade_id, code, test_id = CHEATS[student]
    nbformat.write(replace_solution(solved(course, A), grade_id, code), str(course / "notebooks" / f"{A}.ipynb"))
    report = json.loads(run(["mlgrind", "grade", "01", "--json"], course).stdout)
    assert report["score"] == gradesheet(A, course).score_without(test_id), report


# Each attack is one answer cell's addition; each prints how far it got.
GIB_INTO = """
written = 0
try:
    with open("{path}", "wb") as big:
        for _ in range(128):
            big.write(b"x" * 2**23)
            big.flush()
            written += 2**23
    print("ESC" "APED {verb} 1 GiB in {path}")
except OSError as err:
    print("{{probe}} blocked: {verb}", written >> 20, "MiB", type(err).__name__)
"""
WRITES_A_GIB = GIB_INTO.format(path="big.bin", verb="wrote")
FILLS_SHM = GIB_INTO.format(path="/dev/shm/fill", verb="held")
FORKS_300 = """
import os, signal, time
children = []
try:
    for _ in range(300):
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        children.append(pid)
    print("ESC" "APED forked 300")
except OSError as err:
    print("{probe} blocked: forked", len(children), type(err).__name__)
for pid in children:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
"""


def test_the_sandbox_holds_its_limits_as_a_whole(generated_course, tmp_path):
    """1 GiB written, /dev/shm filled past the sandbox's memory, 300 processes: each stopped, the rest graded."""
    course = generated_course
    fill = {"probe": PROBE}
    nb = solved(course, A)
    for grade_id, attack in [("broadcast_shape", WRITES_A_GIB), ("standardize", FILLS_SHM),
                             ("pairwise_sq_dists", FORKS_300)]:
        nb = with_attack(nb, grade_id, attack.format(**fill))
    submit(course, A, "greedy", nb)
    submit(course, A, "honest", solved(course, A))
    temp = tmp_path / "temp"
    temp.mkdir()
    free_before = shutil.disk_usage(course).free
    # Small caps, set by the grader: memory below what /dev/shm and the working folder may hold.
    graded = run(["mlgrind", "autograde", A, "--jobs", "1"], course, timeout=1200, TMPDIR=str(temp),
                 MLGRIND_SANDBOX_MEMORY="384M", MLGRIND_KERNEL_WRITE="1G", MLGRIND_KERNEL_PROCESSES="100")
    assert graded.returncode == 0, graded.stdout + graded.stderr[-3000:]
    got, max_scores = scores(course, A)
    full = {k: v for k, v in max_scores.items() if k.startswith("test_")}
    assert got["honest"] == {**got["honest"], **full}
    lost = {k for k in full if got["greedy"][k] != full[k]}
    text = outputs(course, "greedy")
    assert "ESCAPED" not in text, text[:3000]
    summary = graded.stdout
    # /dev/shm is charged to the sandbox's memory: the filler was killed, its exercise lost, the rest graded.
    assert "test_standardize" in lost and any("greedy" in ln and "standardize" in ln and "killed the kernel" in ln
                                              for ln in summary.splitlines()), summary
    # 1 GiB never reaches the grader's disk: the write stopped at the cap, or the writer was killed.
    assert f"{PROBE} blocked: wrote" in text or "broadcast_shape killed the kernel" in summary, (text[:3000], summary)
    assert shutil.disk_usage(course).free > free_before - 2**29
    assert not [p for p in course.rglob("*") if p.is_file() and p.stat().st_size > 2**26]
    # The processes stopped below 300 and the exercise kept its marks.
    assert f"{PROBE} blocked: forked" in text, text[:3000]
    forked = int(text.split(f"{PROBE} blocked: forked")[1].split()[0])
    assert forked < 100
    assert lost <= {"test_broadcast_shape", "test_standardize"}, (lost, summary)
    assert not list(temp.iterdir()), "grading left files in the temp folder"


def test_only_a_submissions_plain_data_is_copied_in_privately(tmp_path):
    from mlgrind.grading.copyin import copy_data

    folder, target = tmp_path / "submission", tmp_path / "scratch"
    (folder / "data" / ".hidden").mkdir(parents=True)
    target.mkdir(mode=0o700)
    (folder / "data" / "x.csv").write_text("1,2")
    (folder / "data" / ".hidden" / "y.csv").write_text("3")
    (folder / "notes.txt").write_text("mine")
    (folder / f"{A}.ipynb").write_text("{}")  # the restored notebook, hidden tests and all
    (folder / ".ipython" / "profile_default" / "startup").mkdir(parents=True)
    (folder / ".ipython" / "profile_default" / "startup" / "00.py").write_text("x = 1")
    (folder / "linked.txt").symlink_to(folder / "notes.txt")
    (folder / "linked-folder").symlink_to(folder / "data")
    folder.chmod(0o755)
    assert copy_data(folder, target) == []
    copied = sorted(str(p.relative_to(target)) for p in target.rglob("*"))
    assert copied == ["data", "data/x.csv", "notes.txt"]
    assert (target / "data").stat().st_mode & 0o777 == 0o700
    assert (target / "notes.txt").stat().st_mode & 0o777 == 0o600


def test_the_kernels_environment_is_an_allowlist():
    from mlgrind.grading.sandbox import environment

    grader = {"PATH": "/x", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "MLGRIND_DB_URL": f"postgresql://u:{SECRET}@h/db",
              "PGPASSWORD": SECRET, "HOME": "/root", "JUPYTER_CONFIG_DIR": "/root/.jupyter", "PYTHONPATH": "/work/main"}
    kernel = environment(grader)
    assert kernel["LANG"] == kernel["LC_ALL"] == "C.UTF-8"
    assert kernel["HOME"] != "/root" and kernel["IPYTHONDIR"].startswith(kernel["HOME"])
    assert not [k for k, v in kernel.items() if k.startswith(("MLGRIND_", "PG", "JUPYTER", "PYTHONPATH")) or SECRET in v]


def test_mlgrind_says_which_limits_hold_here():
    from mlgrind.grading import cgroups, sandbox
    from mlgrind.course.limits import MAX_RESTARTS, SandboxLimits

    limits = SandboxLimits.from_environment({"MLGRIND_KERNEL_MEMORY": "3G", "MLGRIND_KERNEL_PROCESSES": "64",
                                             "MLGRIND_KERNEL_WRITE": "100M"})
    assert limits == SandboxLimits(memory=3 * 2**30, processes=64, write=100 * 2**20)
    rows = {name: (value, how) for name, value, how in sandbox.limits_table(limits)}
    assert rows["memory"][0] == "3 GiB" and rows["processes"][0] == "64" and rows["bytes written"][0] == "100 MiB"
    if sandbox.mode() == "require" and not cgroups.available():
        assert rows["memory"][1].startswith("whole sandbox") and rows["processes"][1].startswith("whole sandbox")
    printed = run(["mlgrind", "limits"], Path(__file__).parent, MLGRIND_SUBMISSION_SECONDS="120")
    assert printed.returncode == 0 and "processes" in printed.stdout and "bytes written" in printed.stdout
    lines = [line.split() for line in printed.stdout.splitlines()]
    assert ["time", "per", "submission", "120", "s"] in [words[:5] for words in lines], printed.stdout
    assert ["kernel", "restarts", str(MAX_RESTARTS)] in [words[:3] for words in lines], printed.stdout


def _run_in_kernel(km, code: str) -> str:
    """What ``code`` prints in ``km``'s kernel (stdout and stderr, and an error's name and message)."""
    import asyncio

    async def execute() -> str:
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=120)
            msg_id = kc.execute(code)
            printed = []
            while True:
                msg = await kc.get_iopub_msg(timeout=120)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    printed.append(msg["content"]["text"])
                elif msg["msg_type"] == "error":
                    printed.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
                elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return "".join(printed)
        finally:
            kc.stop_channels()

    return asyncio.run(execute())


def test_without_control_groups_bytes_written_are_capped_per_file(tmp_path, monkeypatch):
    """Where the grader may not make control groups or mount a tmpfs (no root), a file stops at the cap."""
    import asyncio

    from mlgrind.grading import cgroups, sandbox
    from mlgrind.grading.kernels import GradingKernelManager

    if sandbox.mode() == "off" or (sandbox.mode() == "auto" and sandbox._probe()):
        pytest.skip("bubblewrap cannot run here")  # under MLGRIND_SANDBOX=require (CI) this fails instead
    monkeypatch.setattr(cgroups, "available", lambda: "control groups need root here (the grader runs as a user)")
    monkeypatch.setattr(sandbox, "_tmpfs_mounts_allowed", lambda: False)
    monkeypatch.setenv("MLGRIND_KERNEL_WRITE", "8M")
    temp = Path(tempfile.mkdtemp(prefix="t-", dir="/tmp"))  # short: the kernel's socket paths live in it
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "given.csv").write_text("1,2\n")
    km = GradingKernelManager(kernel_name="python3")
    asyncio.run(km.start_kernel(cwd=str(submission)))
    try:
        scratch = km.provisioner.scratch
        assert scratch.parent == temp and scratch.stat().st_mode & 0o777 == 0o700
        printed = _run_in_kernel(km, "print(open('given.csv').read().strip())\n"
                                     "with open('big.bin', 'wb') as f:\n    f.write(b'x' * 2**24)")
    finally:
        asyncio.run(km.shutdown_kernel(now=True))
    assert printed.startswith("1,2\n") and "File too large" in printed, printed
    left = list(temp.iterdir())
    temp.rmdir()
    assert not scratch.exists() and not left, left
    rows = {name: how for name, _value, how in sandbox.limits_table()}
    assert "per file" in rows["bytes written"] and rows["processes"].startswith("not held")


def test_a_submission_past_its_time_budget_is_graded_no_further(course, selfgrade_gradebook):
    # standardize's cell alone outlasts the budget: nothing after it runs, and every cell not run says why.
    nb = with_attack(solved(course, A), "standardize", "import time\ntime.sleep(6)")
    nbformat.write(nb, str(course / "notebooks" / f"{A}.ipynb"))
    graded = run(["mlgrind", "grade", "01", "--json"], course, MLGRIND_SUBMISSION_SECONDS="5", MLGRIND_WARM="0")
    report = json.loads(graded.stdout)
    later = [c for c in report["cells"] if c["grade_id"] in ("test_standardize", "test_pairwise_sq_dists", "test_mse_loss")]
    assert len(later) == 3 and all(c["score"] == 0 and "budget" in c["message"] for c in later), report["cells"]
