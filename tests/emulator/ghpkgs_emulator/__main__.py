"""CLI: ``python -m ghpkgs_emulator serve|seed ...`` (see tests/emulator/README.md)."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from . import load_seed
from .seedgen import PROFILES, generate
from .server import EmulatorServer, EmulatorState


def serve(args: argparse.Namespace) -> int:
    state = EmulatorState(load_seed(args.seed), log_file=args.log_file, registry=args.registry)
    server = EmulatorServer(state, host=args.host, port=args.port)
    port = server.server_address[1]
    if args.port_file:
        tmp = Path(args.port_file + ".tmp")
        tmp.write_text(f"{port}\n", encoding="utf-8")
        os.replace(tmp, args.port_file)
    print(f"ghpkgs emulator listening on http://127.0.0.1:{port}", file=sys.stderr, flush=True)

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    return 0


def seed(args: argparse.Namespace) -> int:
    data = generate(args.profile, seed_value=args.seed_value, packages=args.packages,
                    versions_per_package=args.versions_per_package)
    tmp = Path(args.out + ".tmp")
    tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, args.out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ghpkgs_emulator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="serve the emulated API until SIGTERM/SIGINT")
    p_serve.add_argument("--host", default="127.0.0.1", help="must be 127.0.0.1")
    p_serve.add_argument("--port", type=int, default=0)
    p_serve.add_argument("--port-file")
    p_serve.add_argument("--seed", required=True, help="seed JSON file")
    p_serve.add_argument("--log-file", help="append one JSON line per request")
    p_serve.add_argument("--registry", help="a real registry (http://127.0.0.1:PORT) that holds the container manifests and tags")
    p_serve.set_defaults(func=serve)
    p_seed = sub.add_parser("seed", help="write a deterministic seed file")
    p_seed.add_argument("--profile", choices=sorted(PROFILES), required=True)
    p_seed.add_argument("--out", required=True)
    p_seed.add_argument("--seed-value", type=int, default=1)
    p_seed.add_argument("--packages", type=int, help="override the profile's generated package count")
    p_seed.add_argument("--versions-per-package", type=int, help="override the profile's versions per package")
    p_seed.set_defaults(func=seed)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"ghpkgs_emulator: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
