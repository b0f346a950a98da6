# fault: row_view calls sys.exit(3) and numpy_copy calls os._exit(0)
# defence: SystemExit is caught like any exception; os._exit ends the worker, which the grader reports and restarts
# breaks: test_row_view test_numpy_copy
# says: sys.exit|exited
import os
import sys


def row_view(x, i):
    sys.exit(3)


def numpy_copy(arr):
    os._exit(0)
