"""The logical job: operators, edges, partitioners, functions."""
from .functions import FunctionRegistry, UserFunction, format_count, split_words
from .graph import ChannelSpec, JobGraph, PhysicalPlan, TaskSpec

__all__ = ["FunctionRegistry", "UserFunction", "JobGraph", "PhysicalPlan", "TaskSpec", "ChannelSpec",
           "split_words", "format_count"]
