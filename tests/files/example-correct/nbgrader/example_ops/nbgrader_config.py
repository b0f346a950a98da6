# nbgrader course configuration (written by `tensorgrade release nbgrader`)
c = get_config()  # noqa: F821 - nbgrader provides get_config
c.CourseDirectory.course_id = 'course'
c.ClearSolutions.code_stub = {'python': '# YOUR CODE HERE\nraise NotImplementedError()'}
# importing torch in the first check cell can take longer than nbgrader's default 30 s per cell
c.Execute.timeout = 600
