"""One ZeroMQ context for every grading and judge kernel of a process, and their clients.

jupyter_client gives each kernel manager and client a context of its own, left to the garbage
collector. Collected in a reference cycle with its sockets, a context's finalizer can run first and
wait forever for sockets already out of its reach: a grade that never ends. The process's own context
lives as long as the process (a forked worker gets a new one).
"""

from __future__ import annotations

import zmq.asyncio


def shared_context() -> zmq.asyncio.Context:
    return zmq.asyncio.Context.instance()
