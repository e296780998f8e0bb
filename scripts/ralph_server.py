"""Run Ralph (ralph-malph 5.1) as a throwaway external LRS on loopback, for tests and benchmarks.

Run it with the Python of .venv-ralph (`make ralph` creates it), never the project's own:

    .venv-ralph/bin/python scripts/ralph_server.py --port 8100 --dir /tmp/ralph --user induction --password secret

It keeps statements in DIR/fs_lrs.jsonl (the filesystem backend), writes DIR/auth.json for
one Basic-auth user, and serves `ralph.api:app` with uvicorn in this one process, which
stops cleanly on SIGTERM. The filesystem backend of 5.1 writes with INDEX, so only its
first write succeeds; it is switched to APPEND before the app is imported.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--user", default="induction")
    parser.add_argument("--password", required=True)
    args = parser.parse_args()

    directory: Path = args.dir.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "fs_lrs.jsonl").touch()
    auth_file = directory / "auth.json"

    import bcrypt

    hashed = bcrypt.hashpw(args.password.encode(), bcrypt.gensalt(rounds=4)).decode()
    users = [
        {
            "agent": {"objectType": "Agent", "mbox": "mailto:induction-forwarder@example.org"},
            "scopes": ["all"],
            "hash": hashed,
            "username": args.user,
        }
    ]
    auth_file.write_text(json.dumps(users))
    os.environ.update(
        RALPH_APP_DIR=str(directory),
        RALPH_AUTH_FILE=str(auth_file),
        RALPH_RUNSERVER_BACKEND="fs",
        RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH=str(directory),
    )

    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.lrs.fs import FSLRSBackend

    FSLRSBackend.default_operation_type = BaseOperationType.APPEND

    import uvicorn
    from ralph.api import app

    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
