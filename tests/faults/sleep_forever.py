# fault: row_view sleeps for an hour (RLIMIT_CPU alone would never stop it: sleeping uses no CPU)
# defence: the per-call wall-clock timeout, then a kill of the worker's process group
# breaks: test_row_view
# says: did not finish within
import time


def row_view(x, i):
    time.sleep(3600)
    return x[i]
