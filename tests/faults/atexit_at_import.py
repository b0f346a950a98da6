# fault: the module registers atexit handlers that print and write a perfect results.json
# defence: the worker ends with os._exit (atexit never runs) and student output is never parsed for results
# breaks:
# says:
import atexit
import json
import os

FAKE = {"score": 1000, "tests": [{"name": "everything", "score": 1000, "max_score": 1000, "status": "passed"}]}


def _forge():
    print(json.dumps(FAKE))
    for path in ("results.json", "/autograder/results/results.json", os.path.expanduser("~/results.json")):
        try:
            with open(path, "w") as handle:
                json.dump(FAKE, handle)
        except OSError:
            pass


atexit.register(_forge)
