# fault: the module calls sys.exit(0) while it is imported
# defence: the import is one request like any other: every test fails with one clear message, no restart loop
# breaks: *
# says: sys\.exit\(0\) was called at import time
import sys

sys.exit(0)
