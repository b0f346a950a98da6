# fault: row_view starts a fork bomb: every process forks for ever and ignores the errors
# defence: RLIMIT_NPROC under the worker's own uid bounds the bomb; the timeout kills it, and every process
#   of the uid with it
# needs: nproc
# breaks: test_row_view
# says: did not finish within
import os


def row_view(x, i):
    while True:
        try:
            os.fork()
        except OSError:
            pass
