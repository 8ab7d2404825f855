"""One module per picture or view, each drawn from traces (and, for the crash-point map, the rows
of an exploration: outcomes of many runs, no runtime objects); the step-through player and the
one-page HTML report."""
