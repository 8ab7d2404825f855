"""Views of a run drawn from its trace: the step-through player and the one-page HTML report."""
