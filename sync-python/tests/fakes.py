"""The loopback provider fakes (sync-providers' `fakes` example) for the Python tests: one
process per test session, started with its stdin held open (it exits when the test process
does), its JSON line read, and its `/_fake/` control endpoints called over plain HTTP.

The binary is `$TASKSYNC_FAKES`, else `<target>/debug/examples/fakes`, built here with cargo
when missing (`<target>` is `$CARGO_TARGET_DIR` or the workspace's `target`).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Kind:
    """One built-in provider as the fakes serve it."""

    name: str  # the fakes' key and the provider's name
    kind: str  # the configuration's `kind`
    scope: str  # the scope the fake lists
    target: str  # the status mapping of its pushes (a `StatusService` target kind)
    basic: bool  # Basic credentials (user + password) rather than a bearer token
    idempotency_key: bool  # the adapter sends `Idempotency-Key` on a push
    push_method: str
    pages: bool  # the listing takes more than one request


KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind("mstodo", "mstodo", "list-1", "ms_todo", False, True, "PATCH", True),
        Kind(
            "connectwise",
            "connectwise",
            "tickets",
            "connect_wise_ticket",
            True,
            True,
            "PATCH",
            True,
        ),
        Kind("processplan", "processplan", "p1", "process_step", False, True, "PATCH", False),
        Kind("azure_devops", "azure-devops", "*", "azure_devops", True, False, "PATCH", False),
        Kind("caldav", "caldav", "tasks", "cal_dav", True, False, "PUT", False),
    ]
}


def binary() -> str:
    """The fakes binary, built with cargo when it is not given and not built yet."""
    given = os.environ.get("TASKSYNC_FAKES")
    if given:
        return given
    target = Path(os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target")))
    path = target / "debug" / "examples" / "fakes"
    if not path.exists():
        subprocess.run(
            ["cargo", "build", "-q", "-p", "sync-providers", "--example", "fakes"],
            cwd=ROOT,
            check=True,
        )
    return str(path)


class Fakes:
    """A running fakes process; `info` is its JSON line."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [binary()], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fakes binary printed nothing")
        self.info: dict[str, Any] = json.loads(line)
        self.token: str = self.info["token"]
        self.fresh: str = self.info["fresh"]

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()

    def base(self, name: str) -> str:
        url: str = self.info[name]
        return url

    def user(self, name: str) -> str | None:
        if not KINDS[name].basic:
            return None
        user: str = self.info["users"][name]
        return user

    def config(self, name: str, secret: str | None = None, **extra: Any) -> dict[str, Any]:
        """A provider configuration of kind `name` on its fake, with `secret` (default: the
        start token) as its credential."""
        secret = self.token if secret is None else secret
        config: dict[str, Any] = {"kind": KINDS[name].kind, "base_url": self.base(name)}
        user = self.user(name)
        if user is None:
            config["token"] = secret
        else:
            config["user"] = user
            config["password"] = secret
        if name == "connectwise":
            config["client_id"] = self.info["client_id"]
        config["rate_limit"] = {"per_second": 1000.0, "burst": 1000}
        config.update(extra)
        return config

    def authorization(self, name: str, secret: str) -> str:
        """The `Authorization` header the fake accepts with `secret`."""
        user = self.user(name)
        if user is None:
            return f"Bearer {secret}"
        return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()

    def _control(self, name: str, method: str, path: str, body: Any = None) -> Any:
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

    def seen(self, name: str) -> list[dict[str, Any]]:
        """The provider requests the fake got: `{"method", "path", "query", "headers",
        "body"}`."""
        seen: list[dict[str, Any]] = self._control(name, "GET", "seen")
        return seen

    def fault(
        self, name: str, status: int, headers: dict[str, str] | None = None, body: str = "{}"
    ) -> None:
        """The next provider request is answered `status`."""
        fault = {"status": status, "headers": headers or {}, "body": body, "delay_ms": 0}
        self._control(name, "POST", "fault", fault)

    def accept(self, name: str, secret: str) -> None:
        """From now on the fake accepts only `secret`."""
        user = self.user(name)
        credential = {"token": secret} if user is None else {"user": user, "password": secret}
        self._control(name, "POST", "credential", credential)

    def data(self, name: str) -> Any:
        return self._control(name, "GET", "data")

    def set_data(self, name: str, data: Any) -> None:
        self._control(name, "PUT", "data", data)
