"""Exit codes CI can act on. A low score is not a failure: only grading that went wrong is."""

OK = 0
GRADER_ERROR = 3  # a grader crashed or could not run: the scores are not trustworthy
USAGE = 2  # bad arguments, unknown assignment, missing file
CHECKS_FAILED = 1  # `tensorgrade check` only: some public checks did not pass (students' own CI)
