"""Read models: the state projection queries read, and checkpointed named projections.

Generated query handlers import read-model names from here.
"""

from __future__ import annotations

from potter_runtime.readmodels.projections import Projection, ProjectionRunner
from potter_runtime.readmodels.state import StateReadModel, StateView

__all__ = ["Projection", "ProjectionRunner", "StateReadModel", "StateView"]
