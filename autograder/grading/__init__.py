"""Grading one submission, in the trusted process: the runner, the pytest plugin, the session, the results.

``runner``   grade(): one submission under pytest, into a Report
``plugin``   the fixtures (``student``, ``credit``, ``device``), markers and scoring hooks; state in pytest's stash
``session``  one submission's worker and the exchange with it
``results``  TestResult and Report, Gradescope's results.json
``render``   the terminal table
"""
