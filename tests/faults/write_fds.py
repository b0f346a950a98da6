# fault: row_view writes junk to every file descriptor it inherited, the grader's reply pipe included
# defence: replies are length-prefixed frames read by the safe loader; junk is refused and the worker restarted
# breaks: test_row_view
# says: cannot accept|not in the grader's format|does not answer|did not finish
import os


def row_view(x, i):
    for fd in range(1, 64):
        try:
            os.write(fd, b"\x00\x00\x00\x00\x00\x00\x00\x10{'ok': True}   junk" * 4)
        except OSError:
            pass
    return x[i]
