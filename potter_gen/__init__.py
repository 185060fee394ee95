"""potter-gen: annotated `.proto` files → an event-sourced CQRS Python service.

The public API is the pipeline's stages; the CLI and the protoc plugin are
thin shells over them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
