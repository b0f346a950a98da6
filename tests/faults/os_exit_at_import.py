# fault: the module calls os._exit(0) while it is imported (the worker dies before answering)
# defence: a crash during import is recorded once as the submission's problem; the worker is not restarted per test
# breaks: *
# says: importing storage.py crashed
import os

os._exit(0)
