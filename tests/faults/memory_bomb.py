# fault: numpy_copy allocates without end (touching the memory) and row_view asks torch for 4 TB
# defence: RLIMIT_AS turns both into exceptions in the worker instead of the machine running out of memory
# breaks: test_row_view test_numpy_copy
# says: MemoryError|allocate
import torch


def numpy_copy(arr):
    hoard = []
    while True:
        hoard.append(b"x" * (512 * 2**20))


def row_view(x, i):
    return torch.empty(2**40, dtype=torch.float32)[:0] if i >= 0 else x[i]
