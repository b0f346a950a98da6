"""Grading a whole class: find the submissions (discover), grade each as a job (jobs) on an executor
registered by name (executors: local lanes; ray: a cluster), record them (run), show progress (view)."""
