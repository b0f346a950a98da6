# fault: row_view leaves threads behind: one spins for ever, one prints for ever, one sleeps for ever
# defence: nothing to stop while answers come back; the threads die with the worker (os._exit, then its uid is killed)
# breaks:
# says:
# touches: test_row_view
import threading
import time


def _spin():
    while True:
        pass


def _chatter():
    while True:
        print("still here")
        time.sleep(0.01)


def row_view(x, i):
    if not getattr(row_view, "started", False):
        row_view.started = True
        threading.Thread(target=_spin, daemon=True).start()
        threading.Thread(target=_chatter, daemon=True).start()
        threading.Thread(target=time.sleep, args=(3600,)).start()
    return x[i]
