"""``tunelab dashboard``: serve the live web dashboard over a storage."""

from __future__ import annotations

import argparse
from typing import Any

from tunelab.cli._common import add_storage_argument, storage_url


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("dashboard", help="serve a live web dashboard of the studies in a storage (read-only)")
    add_storage_argument(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080; 0 picks a free one)")
    p.set_defaults(handler=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    from tunelab._errors import invalid
    from tunelab.dashboard import make_server

    if not 0 <= args.port <= 65535:
        raise invalid("--port", args.port, "0..65535")
    server = make_server(storage_url(args), host=args.host, port=args.port)
    host, port = server.server_address[:2]
    print(f"tunelab dashboard: http://{host}:{port}/  (read-only; Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
