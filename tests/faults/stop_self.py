# fault: row_view stops itself with SIGSTOP (a process that neither runs nor dies)
# defence: the wall-clock timeout kills stopped processes too
# breaks: test_row_view
# says: did not finish within
import os
import signal


def row_view(x, i):
    os.kill(os.getpid(), signal.SIGSTOP)
    return x[i]
