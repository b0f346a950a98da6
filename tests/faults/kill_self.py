# fault: row_view kills its own process with SIGKILL
# defence: the grader sees the worker die, fails only this test, and starts a fresh worker for the next
# breaks: test_row_view
# says: died from being killed
import os
import signal


def row_view(x, i):
    os.kill(os.getpid(), signal.SIGKILL)
