"""Pure snapshot logic: Flink's barrier handlers and the classic Chandy-Lamport algorithm."""
from .handlers import (EOP, Abort, Aligned, Aligner, AlternatingHandler, AtLeastOnceTracker, Barrier, Block,
                       CancelMarker, Emit, EndOfPartition, Handler, Persist, SetTimer, Store, Trigger, Unblock,
                       UnalignedHandler, make_handler)

__all__ = ["Barrier", "CancelMarker", "EndOfPartition", "EOP", "Emit", "Trigger", "Abort", "Block", "Unblock",
           "Persist", "Store", "SetTimer", "Aligned", "Handler", "Aligner", "UnalignedHandler",
           "AlternatingHandler", "AtLeastOnceTracker", "make_handler"]
