# fault: row_view dereferences a null pointer through ctypes (SIGSEGV)
# defence: the worker is a separate process; the grader reads the signal, names it, and restarts the worker
# breaks: test_row_view
# says: segmentation fault
import ctypes


def row_view(x, i):
    ctypes.string_at(0)
    return x[i]
