"""Read models: the state projection queries read, named projections, and AIP-158 paging.

Generated query handlers and projections import read-model names from here.
"""

from __future__ import annotations

from potter_runtime.readmodels.documents import DocumentProjection, DocumentReadModel, document_table
from potter_runtime.readmodels.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, CountedPage, Page, PageTokens
from potter_runtime.readmodels.projections import Projection, ProjectionRunner, ProjectionWorker
from potter_runtime.readmodels.state import StateReader, StateReadModel, StateView

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "DocumentProjection",
    "DocumentReadModel",
    "CountedPage",
    "Page",
    "PageTokens",
    "Projection",
    "ProjectionRunner",
    "ProjectionWorker",
    "StateReadModel",
    "StateReader",
    "StateView",
    "document_table",
]
