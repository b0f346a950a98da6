# fault: row_view closes every file descriptor it inherited, the grader's pipes included
# defence: the worker exits, the grader reports a crash for this test only and restarts the worker
# breaks: test_row_view
# says: crashed
import os


def row_view(x, i):
    for fd in range(3, 256):
        try:
            os.close(fd)
        except OSError:
            pass
    return x[i]
