"""``tunelab dashboard``: serve the live web dashboard over a storage."""

from __future__ import annotations

import argparse
from typing import Any

from tunelab.cli._common import add_storage_argument, integer, storage_url


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("dashboard", help="serve a live web dashboard of the studies in a storage (read-only)")
    add_storage_argument(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=integer(0, 65535), default=8080,
                   help="port to listen on (default 8080; 0 picks a free one)")
    p.set_defaults(handler=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    from tunelab._errors import InvalidArgumentError
    from tunelab.dashboard import make_server

    url = storage_url(args)
    try:
        server = make_server(url, host=args.host, port=args.port)
    except OSError as exc:  # an unknown host, a port in use or not ours to take
        raise InvalidArgumentError(f"--host={args.host!r} --port={args.port} cannot be served: "
                                   f"{exc.strerror or exc}; must be an address of this machine and a free port "
                                   "(--port 0 picks one)") from None
    host, port = server.server_address[:2]
    print(f"tunelab dashboard: http://{host}:{port}/  (read-only; Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
