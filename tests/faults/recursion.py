# fault: row_view recurses without end; numpy_copy raises the recursion limit first and overflows the C stack
# defence: RecursionError is an ordinary exception; a C stack overflow is a crash the grader survives
# breaks: test_row_view test_numpy_copy
# says: RecursionError|crashed
import sys


def row_view(x, i):
    return row_view(x, i)


def numpy_copy(arr):
    sys.setrecursionlimit(10**8)

    def down(n):
        return down(n + 1) + 1

    return down(0)
