"""``lifecycle:``: what an operator of the cluster does to a job, beyond in-job failover (docs/lifecycle.md).

Actions at times, in time order::

    lifecycle:
      - {at: 20s, savepoint: sp1}                 # take a savepoint named sp1; the job goes on
      - {at: 30s, stop: {savepoint: sp2}}         # stop-with-savepoint: the job finishes
      - {at: 31s, cancel: true}                   # cancel without a savepoint (instead of stop)
      - {at: 40s, submit: {from: sp2, parallelism: 4}}   # from a savepoint, latest_checkpoint, or none

:func:`check_lifecycle` checks the order a real cluster imposes: a savepoint, stop or cancel needs
a running job, a submit a stopped or cancelled one, and ``from`` names an earlier savepoint.
"""
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, Discriminator, Field, Tag

from .common import Duration, Strict

__all__ = ["LifecycleAction", "SavepointAction", "StopAction", "CancelAction", "SubmitAction", "check_lifecycle"]

_NAME = r"^[A-Za-z_][A-Za-z0-9_\-]*$"


class SavepointAction(Strict):
    at: Duration
    savepoint: str = Field(pattern=_NAME)


class StopSpec(Strict):
    savepoint: str = Field(pattern=_NAME)


class StopAction(Strict):
    at: Duration
    stop: StopSpec


class CancelAction(Strict):
    at: Duration
    cancel: Literal[True]


class SubmitSpec(Strict):
    #: a savepoint's name, ``latest_checkpoint`` (the newest checkpoint the cancelled job retained) or ``none``
    from_: str = Field("latest_checkpoint", alias="from")
    #: the job's default parallelism (operators that set their own keep it, as with ``flink run -p``)
    parallelism: Optional[int] = Field(None, ge=1)
    #: a new transactional_id_prefix for every Kafka sink of the job
    transactional_id_prefix: Optional[str] = None


class SubmitAction(Strict):
    at: Duration
    submit: SubmitSpec


def _kind(value):
    keys = ("savepoint", "stop", "cancel", "submit")
    fields = value if isinstance(value, dict) else (type(value).model_fields if isinstance(value, BaseModel) else {})
    found = [k for k in keys if k in fields]
    return f"is:{found[0]}" if len(found) == 1 else None


LifecycleAction = Annotated[Union[Annotated[SavepointAction, Tag("is:savepoint")], Annotated[StopAction, Tag("is:stop")],
                                  Annotated[CancelAction, Tag("is:cancel")], Annotated[SubmitAction, Tag("is:submit")]],
                            Discriminator(_kind, custom_error_type="lifecycle_kind",
                                          custom_error_message="a lifecycle action has 'at' and exactly one of "
                                                               "savepoint, stop, cancel or submit")]


def check_lifecycle(s) -> None:
    """Raise a ScenarioError for an action a cluster would refuse at that point."""
    running, savepoints, last = True, set(), -1.0
    for i, action in enumerate(s.lifecycle):
        kind = _kind(action)[3:]
        if action.at < last:
            raise s.error("lifecycle actions are listed in time order", "lifecycle", i, "at")
        last = action.at
        name = action.savepoint if kind == "savepoint" else action.stop.savepoint if kind == "stop" else None
        if kind != "submit" and not running:
            raise s.error(f"the job is not running at {action.at:g} ms (it was stopped or cancelled): "
                          f"submit it first", "lifecycle", i, kind)
        if kind == "submit" and running:
            raise s.error(f"the job is still running at {action.at:g} ms: stop or cancel it before submitting",
                          "lifecycle", i, "submit")
        if name is not None:
            if name in savepoints:
                raise s.error(f"savepoint name '{name}' is used twice", "lifecycle", i, kind)
            savepoints.add(name)
        if kind == "submit":
            src = action.submit.from_
            if src not in ("none", "latest_checkpoint") and src not in savepoints:
                known = ", ".join(sorted(savepoints)) or "none taken before"
                raise s.error(f"'{src}' is neither none, latest_checkpoint nor an earlier savepoint ({known})",
                              "lifecycle", i, "submit", "from")
        running = kind in ("savepoint", "submit")
