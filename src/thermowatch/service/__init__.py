"""The prediction service (FastAPI): routes, auth, audit, metrics and model hot reload.

Entry point: :func:`thermowatch.app.create_app` (this API plus the dashboard);
``thermowatch serve`` runs it with uvicorn. Submodules are imported lazily so that ``import thermowatch.service.fastpath`` stays light.
"""
