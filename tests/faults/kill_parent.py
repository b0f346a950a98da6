# fault: row_view kills its parent, pid 1 and every process it may signal (os.kill(-1)), then answers
# defence: its own PID namespace and uid: all it can reach is its own sandbox (where killing bubblewrap or a warm
#   worker's template takes the worker down with it, costing that test) or nothing at all
# breaks: test_row_view?
# says: crashed
import os
import signal
import time


def row_view(x, i):
    if i != 1:  # the first case only: one crash makes the point, each costs a fresh worker
        return x[i]
    for attempt in (lambda: os.kill(1, signal.SIGKILL), lambda: os.kill(os.getppid(), signal.SIGKILL),
                    lambda: os.kill(-1, signal.SIGKILL)):
        try:
            attempt()
        except OSError:
            pass
    time.sleep(1)  # let the kill land before answering, so the outcome is the same every run
    return x[i]
