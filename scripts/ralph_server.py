"""Run Ralph (ralph-malph 5.1) as a throwaway external LRS on loopback, for tests and benchmarks.

Run it with the Python of .venv-ralph (`make ralph` creates it), never the project's own:

    .venv-ralph/bin/python scripts/ralph_server.py --port 8100 --dir /tmp/ralph --user induction --password secret

It keeps statements in DIR/fs_lrs.jsonl (the filesystem backend), writes DIR/auth.json for
one Basic-auth user, and serves `ralph.api:app` with uvicorn in this one process, which
stops cleanly on SIGTERM. The filesystem backend of 5.1 writes with INDEX, so only its
first write succeeds; it is switched to APPEND before the app is imported.

With --mend-filters (the benchmark uses it), the filesystem backend's `verb` and `activity`
filters work: Ralph 5.1 hands them the parameter as a pydantic IRI object, which never equals the
string in a statement, so they matched nothing. The IRI is turned back into its string.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--user", default="induction")
    parser.add_argument("--password", required=True)
    parser.add_argument("--mend-filters", action="store_true", help="make the verb and activity filters match")
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
    if args.mend_filters:
        _mend_filters(FSLRSBackend)

    import uvicorn
    from ralph.api import app

    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


def _mend_filters(backend: Any) -> None:
    verb_filter, activity_filter = backend._add_filter_by_verb, backend._add_filter_by_activity

    def by_verb(filters: list, verb_id: object) -> None:  # type: ignore[type-arg]
        verb_filter(filters, str(verb_id) if verb_id is not None else None)

    def by_activity(filters: list, object_id: object, related: bool | None) -> None:  # type: ignore[type-arg]
        activity_filter(filters, str(object_id) if object_id is not None else None, related)

    backend._add_filter_by_verb = staticmethod(by_verb)
    backend._add_filter_by_activity = staticmethod(by_activity)


if __name__ == "__main__":
    main()
