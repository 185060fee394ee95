"""Observability: Prometheus metrics, JSON logs carrying dispatch ids, health endpoints.

The bus middleware that feeds them is in ``potter_runtime.bus`` (``metrics``, ``logging``).
"""
