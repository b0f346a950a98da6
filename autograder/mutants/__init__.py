"""Mutation testing of the hidden graders: how many plausible wrong solutions do they catch?

:mod:`.operators` holds the PyTorch-aware mutation operators (libcst), :mod:`.generate` applies
them inside the ``BEGIN/END SOLUTION`` regions of a reference solution, :mod:`.run` grades every
mutant in the sandbox like any submission, :mod:`.equivalents` reads ``solutions/<hw>/mutants.toml``
and :mod:`.report` writes the terminal summary and the HTML page.
"""
