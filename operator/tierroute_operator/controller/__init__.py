"""The kopf operator: custom resources in the cluster → routing table ConfigMaps and status.

Pure decisions live in `reconcile.py`, `catalog_status.py`, `budget_status.py`, `status.py` and
`generated.py`; `sync.py` is the shell that reads the cluster, calls them and writes; kopf only
watches, indexes and enqueues (`handlers.py`). `runner.py` starts everything for
`tierroute operator`.
"""
