"""One module per picture, each drawn from traces (and, for the crash-point map, the rows of an
exploration: outcomes of many runs, no runtime objects)."""
