"""A live web dashboard over a tunelab database: ``tunelab dashboard --storage URL``.

The server uses the standard library only (plotly.js, the ``dashboard`` extra, is served from the
installed ``plotly`` package, so the page works offline), binds to 127.0.0.1 unless told
otherwise and only reads: SQLite files (also while trials are being written, in WAL mode) and
PostgreSQL. Every figure is built on the server by :mod:`tunelab.visualization` (the figures of the
Python API and the report) and drawn by the page with plotly. Pages: the study list; a study page
with the optimization history (one per objective), for several objectives the Pareto front with
infeasible trials marked and its trade-off table, parallel coordinates over the parameters most
trials share (selectable, log axes, top-k% filter), parameter importance with each estimate's spread
and trial count, intermediate values with pruned trials marked, the timeline per worker, the
learning rates of the selected trials, each schedule family's values, and a sortable, filterable
trial table with CSV export; a trial page.

>>> from tunelab.dashboard import make_server
>>> make_server("sqlite:///no/such/file.db")
Traceback (most recent call last):
...
tunelab._errors.StorageError: storage 'sqlite:///no/such/file.db': the folder '.../no/such' does not exist
"""

from __future__ import annotations

from tunelab.dashboard._server import CONTENT_SECURITY_POLICY, make_server

__all__ = ["CONTENT_SECURITY_POLICY", "make_server", "serve"]


def serve(storage: str, *, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve the dashboard for ``storage`` until interrupted (Ctrl-C)."""
    server = make_server(storage, host=host, port=port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
