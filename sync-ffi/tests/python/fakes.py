"""The loopback provider fakes (sync-providers' `fakes` example) for the Python tests: one
process per test module, started with its stdin held open (it exits when the test process
does), its JSON line read, and its `/_fake/` control endpoints called over plain HTTP.

The binary is `$TASKSYNC_FAKES`, else `<target>/debug/examples/fakes` (built here with cargo
when missing, `<target>` being `$CARGO_TARGET_DIR` or the workspace's `target`).
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import subprocess
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[3]

# Per kind (the names of the fakes' JSON line: `mstodo`, `connectwise`, `processplan`,
# `azure_devops`, `caldav`): the target kind of its pushes, the method and path of a push,
# whether the adapter sends an Idempotency-Key, how many tasks its scope lists at the start
# and in how many requests (the pages).
# The base URL, the scope, the credential and a ready configuration come from the line itself
# (`configs`, `scopes`, `users`, `token`, `fresh`: see sync-providers/examples/fakes.md).
KINDS: dict[str, dict] = {
    "mstodo": {
        "target": "MS_TODO",
        "push_method": "PATCH",
        "push_path": r"^/v1\.0/me/todo/lists/list-1/tasks/t\d+$",
        "idempotency_key": True,
        "items": 5,
        "reads": 3,
    },
    "connectwise": {
        "target": "CONNECT_WISE_TICKET",
        "push_method": "PATCH",
        "push_path": r"^/v4_6_release/apis/3\.0/service/tickets/\d+$",
        "idempotency_key": True,
        "items": 5,
        "reads": 3,
    },
    "processplan": {
        "target": "PROCESS_STEP",
        "push_method": "PATCH",
        "push_path": r"^/api/processes/p1/steps/s\d+$",
        "idempotency_key": True,
        "items": 2,
        "reads": 1,
    },
    "azure_devops": {
        "target": "AZURE_DEV_OPS",
        "push_method": "PATCH",
        "push_path": r"^/acme/web/_apis/wit/workitems/\d+$",
        "idempotency_key": False,
        "items": 4,
        "reads": 2,
    },
    "caldav": {
        "target": "CAL_DAV",
        "push_method": "PUT",
        "push_path": r"^/alice/tasks/[a-z]+\.ics$",
        "idempotency_key": False,
        "items": 4,
        "reads": 1,
    },
}


def binary() -> str:
    given = os.environ.get("TASKSYNC_FAKES")
    if given:
        return given
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    path = target / "debug" / "examples" / "fakes"
    if not path.exists():
        subprocess.run(
            ["cargo", "build", "-q", "-p", "sync-providers", "--example", "fakes"],
            cwd=ROOT,
            check=True,
        )
    return str(path)


class Fakes:
    """A running fakes process: `info` is its JSON line."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [binary()], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fakes binary printed nothing")
        self.info: dict = json.loads(line)
        self.token: str = self.info["token"]
        self.fresh: str = self.info["fresh"]

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()

    # Per kind.
    def base(self, name: str) -> str:
        return self.info[name]

    def scope(self, name: str) -> str:
        return self.info["scopes"][name]

    def user(self, name: str) -> str | None:
        """The Basic user of `name`'s credential, None for a bearer token."""
        return self.info["users"].get(name)

    def config(self, name: str, secret: str | None = None, **extra) -> str:
        """The fakes' ready configuration of `name` (its secret replaced by `secret`), with
        a rate limit that never makes a test wait, and `extra` keys."""
        config: dict = dict(self.info["configs"][name])
        if secret is not None:
            config["password" if "password" in config else "token"] = secret
        config["rate_limit"] = {"per_second": 1000.0, "burst": 1000}
        config.update(extra)
        return json.dumps(config)

    def authorization(self, name: str, secret: str) -> str:
        user = self.user(name)
        if user is None:
            return f"Bearer {secret}"
        raw = f"{user}:{secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def _control(self, name: str, method: str, path: str, body=None):
        parts = urllib.parse.urlsplit(self.base(name))
        url = f"{parts.scheme}://{parts.netloc}/_fake/{path}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("content-type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        return json.loads(text) if text.strip() else None

    def reset(self, name: str) -> None:
        self._control(name, "POST", "reset", {})

    def seen(self, name: str) -> list[dict]:
        return self._control(name, "GET", "seen")

    def fault(self, name: str, status: int, headers=None, body: str = "{}") -> None:
        self._control(
            name,
            "POST",
            "fault",
            {"status": status, "headers": headers or {}, "body": body, "delay_ms": 0},
        )

    def accept(self, name: str, secret: str) -> None:
        user = self.user(name)
        credential = {"token": secret} if user is None else {"user": user, "password": secret}
        self._control(name, "POST", "credential", credential)
