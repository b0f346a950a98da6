# fault: row_view recurses without end; numpy_copy lifts the recursion limit and recurses through C (sorted's key)
# defence: RecursionError is an ordinary exception; a C stack overflow is a crash the grader survives
# breaks: test_row_view test_numpy_copy
# says: RecursionError|segmentation fault
import sys


def row_view(x, i):
    return row_view(x, i)


def numpy_copy(arr):
    sys.setrecursionlimit(10**8)

    def down(n):
        return sorted([n + 1], key=down)

    return down(0)
