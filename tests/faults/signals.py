# fault: row_view ignores and blocks every signal it can, then loops for ever
# defence: SIGKILL can be neither caught nor blocked: the timeout still stops the worker
# breaks: test_row_view
# says: did not finish within
import signal


def row_view(x, i):
    for sig in signal.valid_signals():
        try:
            signal.signal(sig, signal.SIG_IGN)
        except (OSError, ValueError, RuntimeError):
            pass
    signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    while True:
        pass
