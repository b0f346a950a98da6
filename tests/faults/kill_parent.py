# fault: row_view tries to kill its parent, its process group and every process it can signal, then answers
# defence: its own PID namespace (the parent is not visible) and its own uid (nothing else can be signalled)
# breaks:
# says:
# touches: test_row_view
import os
import signal


def row_view(x, i):
    for attempt in (lambda: os.kill(os.getppid(), signal.SIGKILL), lambda: os.kill(1, signal.SIGKILL),
                    lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGTERM), lambda: os.kill(-1, signal.SIGTERM)):
        try:
            attempt()
        except OSError:
            pass
    return x[i]
