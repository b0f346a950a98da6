# fault: row_view never returns (a busy infinite loop)
# defence: the per-call wall-clock timeout; the worker's process group is killed and a fresh worker serves later tests
# breaks: test_row_view
# says: did not finish within


def row_view(x, i):
    while True:
        pass
