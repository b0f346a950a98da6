# fault: row_view prints a gigabyte
# defence: the grader keeps 64 KiB of output, counts the rest, and stops a worker past max_output_bytes
# breaks: test_row_view
# says: printed more than
import sys


def row_view(x, i):
    chunk = "x" * (2**20) + "\n"
    for _ in range(1024):
        sys.stdout.write(chunk)
    return x[i]
