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

# Per kind: the config's kind, the scope it lists, the target kind of its pushes, the
# credential shape (bearer, or Basic with the user the fake expects; the secret is the fakes'
# `token`), whether it sends an Idempotency-Key, the push's method, whether its listing pages.
KINDS: dict[str, dict] = {
    "mstodo": {
        "kind": "mstodo",
        "scope": "list-1",
        "target": "MS_TODO",
        "basic_user": None,
        "idempotency_key": True,
        "push_method": "PATCH",
        "pages": True,
    },
    "connectwise": {
        "kind": "connectwise",
        "scope": "tickets",
        "target": "CONNECT_WISE_TICKET",
        "basic_user": "acme+pubKEY",
        "idempotency_key": True,
        "push_method": "PATCH",
        "pages": True,
    },
    "processplan": {
        "kind": "processplan",
        "scope": "p1",
        "target": "PROCESS_STEP",
        "basic_user": None,
        "idempotency_key": True,
        "push_method": "PATCH",
        "pages": False,
    },
    "azure_devops": {
        "kind": "azure-devops",
        "scope": "*",
        "target": "AZURE_DEV_OPS",
        "basic_user": "",
        "idempotency_key": False,
        "push_method": "PATCH",
        "pages": False,
    },
    "caldav": {
        "kind": "caldav",
        "scope": "tasks",
        "target": "CAL_DAV",
        "basic_user": "alice",
        "idempotency_key": False,
        "push_method": "PUT",
        "pages": False,
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

    def user(self, name: str) -> str | None:
        spec = KINDS[name]
        if spec["basic_user"] is None:
            return None
        users = self.info.get("users")
        if isinstance(users, dict) and name in users:
            return users[name]
        if name == "caldav" and "user" in self.info:
            return self.info["user"]
        return spec["basic_user"]

    def config(self, name: str, secret: str | None = None, **extra) -> str:
        secret = self.token if secret is None else secret
        config: dict = {"kind": KINDS[name]["kind"], "base_url": self.base(name)}
        user = self.user(name)
        if user is None:
            config["token"] = secret
        else:
            config["user"] = user
            config["password"] = secret
        if name == "connectwise":
            config["client_id"] = self.info.get("client_id", "tasksync-tests")
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
        credential = (
            {"token": secret} if user is None else {"user": user, "password": secret}
        )
        self._control(name, "POST", "credential", credential)
