"""The likely causes a failed check names, as a short tag an instructor can count across a class.

Every cause a check says is one of a few fixed phrases (``shape_hint``'s, ``Checker``'s); each phrase
belongs to one tag here. ``cause_of`` reads the tag back from a failed test cell's message by looking
for those phrases in its first line only, cut to ``READ_AT_MOST`` characters, with plain substring
search: a message may hold a learner's own text, so the read stays linear and bounded, and text that
names no known phrase is just "wrong value".

>>> cause_of("pairwise_sq_dists: d_NM is (2, 3), expected (3, 2): transposed? (+1 more failed checks below)")
'transposed'
>>> cause_of("standardize: out is (4,), expected (4, 1): axis 1 of size 1 is missing: keepdims=True forgotten?")
'missing keepdims'
>>> cause_of("mse_loss: loss came out wrong: got 3, expected 1")
'wrong value'
"""

from __future__ import annotations

READ_AT_MOST = 2000  # characters of a message's first line that are read

# Tags of what stopped an exercise before any check could judge it (read from the cell, not a message).
NOT_ATTEMPTED = "not attempted"
TIME_LIMIT = "time limit"
MEMORY_LIMIT = "memory limit"
CRASH = "crash"
RAISED = "raised an error"
NOT_GRADED = "not graded"  # no autograded notebook: a submission nbgrader could not read
WRONG_VALUE = "wrong value"

# (phrase a check says, its tag), most specific first: the first phrase found names the cause.
PHRASES = (
    ("transposed?", "transposed"),
    ("a reshape where a transpose belongs", "reshape, not transpose"),
    ("reshaped to the wrong shape", "reshape, not transpose"),
    ("keepdims=True forgotten", "missing keepdims"),
    ("keepdims=True where it should not be", "extra keepdims"),
    ("broadcast against each other", "silent broadcast"),
    ("something broadcast that should not have", "silent broadcast"),
    ("silent", "silent broadcast"),
    ("summed or averaged over everything", "wrong axis"),
    ("along the wrong axis", "wrong axis"),
    ("reduced over an axis that should stay", "wrong axis"),
    ("wrong axis", "wrong axis"),
    ("dims instead of", "wrong shape"),
    ("missing return?", "missing return"),
    ("new array of the default dtype", "dtype"),
    ("a division by zero, or exp of a large number", "not finite"),
    ("changed its input in place", "changed its input"),
    ("returned its input, or a view of it", "changed its input"),
    ("which this exercise rules out", "ruled-out call"),
    ("work this one out with plain", "ruled-out call"),
    ("looks names up by string", "ruled-out call"),
    ("uses a Python loop", "loops"),
    ("expected it to raise", "error not raised"),
    ("the message should name", "error not raised"),
)

# Causes of failed checks in the order a report lists them; then what stopped an exercise.
CHECK_CAUSES = tuple(dict.fromkeys(tag for _, tag in PHRASES)) + (WRONG_VALUE,)
STOPPED = (NOT_ATTEMPTED, TIME_LIMIT, MEMORY_LIMIT, CRASH, RAISED, NOT_GRADED)
ALL = CHECK_CAUSES + STOPPED

# nbgrader's and the grader's names of an error that ended a cell -> what stopped it.
ERRORS = {
    "CellTimeoutError": TIME_LIMIT,
    "InterruptIgnored": TIME_LIMIT,
    "NotRun": TIME_LIMIT,  # the submission's whole grading budget ran out before this cell
    "MemoryError": MEMORY_LIMIT,
    "SandboxMemory": MEMORY_LIMIT,
    "DeadKernelError": CRASH,
    "KernelExited": CRASH,
}


def cause_of(message: str) -> str:
    """The tag of the likely cause a failed check's message names (its first failure only)."""
    first = message[:READ_AT_MOST].split("\n", 1)[0]
    for phrase, tag in PHRASES:
        if phrase in first:
            return tag
    return WRONG_VALUE
