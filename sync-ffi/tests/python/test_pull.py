"""The folder source and the puller through the generated Python bindings: `FolderSource`
reads examples/tasks (the listing in the core's JSON form, no problems), reports a bad file
as a problem of a partial listing, refuses a missing root; `Puller` executes a folder's plan
under the default rule, holds it (a `pull_held` event, `held()`, executed by hand) when the
rule says so, records a failed listing as a failed preview run and writes nothing, refuses a
bad configuration naming the key, and `run(stop, context)` loops on the binding's timer until
stopped, every run recorded with the host's actor.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

import tasksync_ffi as ts

ROOT = pathlib.Path(__file__).resolve().parents[3]
EXAMPLES = str(ROOT / "examples" / "tasks")


class Collect(ts.EventSink):
    def __init__(self) -> None:
        self.events: list[dict] = []

    def emit(self, event_json: str) -> None:
        self.events.append(json.loads(event_json))


def folder(files: dict[str, str]) -> str:
    root = tempfile.mkdtemp(prefix="tasksync-ffi-")
    for name, text in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return root


class Folder(unittest.TestCase):
    def test_examples_read_as_the_cores_listing(self) -> None:
        report = ts.FolderSource(EXAMPLES, "files").read_report()
        self.assertEqual(report.problems, [])
        self.assertTrue(report.listing.complete)
        self.assertEqual(len(report.listing.items), 28)
        core = json.loads(report.listing_json)
        self.assertEqual(set(core), {"source", "items", "complete"})
        self.assertEqual(core["source"], "files")
        self.assertEqual(
            [i["external_id"] for i in core["items"]],
            [i.external_id for i in report.listing.items],
        )
        # The default source name is `files`.
        self.assertEqual(ts.FolderSource(EXAMPLES).read_report().listing.source, "files")

    def test_a_bad_file_is_a_problem_and_the_listing_partial(self) -> None:
        root = folder(
            {
                "good.md": "# Good\n",
                "bad.md": "---\nstatus: finished-ish\n---\n# Bad\n",
            }
        )
        report = ts.FolderSource(root, "files").read_report()
        self.assertFalse(report.listing.complete)
        [problem] = report.problems
        self.assertEqual(problem.kind, "unknown_status")
        self.assertTrue(problem.path.endswith("bad.md"), problem.path)
        self.assertIn("finished-ish", problem.message)
        self.assertEqual([i.external_id for i in report.listing.items], ["good"])

    def test_a_missing_root_is_refused_naming_it(self) -> None:
        missing = os.path.join(tempfile.gettempdir(), "tasksync-no-such-folder")
        with self.assertRaises(ts.TasksyncError.InvalidInput) as caught:
            ts.FolderSource(missing, "files").read_report()
        self.assertIn(missing, str(caught.exception))

    def test_the_folder_as_a_provider_lists_and_refuses_pushes(self) -> None:
        async def run() -> None:
            provider = ts.FolderSource(EXAMPLES, "files").provider()
            self.assertEqual(provider.name(), "files")
            listing = await ts.list_from(provider, "anything")
            self.assertEqual(listing, ts.FolderSource(EXAMPLES).read_report().listing)

        asyncio.run(run())


class PrintListing(unittest.TestCase):
    """sync-ffi/tests/print_listing.py, which the cross-host comparison runs."""

    def run_script(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "sync-ffi" / "tests" / "print_listing.py"), *args],
            capture_output=True,
            text=True,
            check=False,
        )

    def test_prints_the_cores_listing(self) -> None:
        out = self.run_script(EXAMPLES)
        self.assertEqual(out.returncode, 0, out.stderr)
        [line] = out.stdout.splitlines()
        printed = json.loads(line)
        core = json.loads(ts.FolderSource(EXAMPLES).read_report().listing_json)
        self.assertEqual(list(printed), list(core), "the core's field names, in its order")
        self.assertEqual(len(printed["items"]), 28)
        self.assertEqual(printed, core)
        self.assertNotIn(" ", line.split('"title"')[0], "compact")
        named = json.loads(self.run_script(EXAMPLES, "--source", "notes").stdout)
        self.assertEqual(named["source"], "notes")

    def test_a_missing_folder_exits_1(self) -> None:
        out = self.run_script(os.path.join(tempfile.gettempdir(), "tasksync-no-such-folder"))
        self.assertEqual((out.returncode, out.stdout), (1, ""))
        self.assertIn("error:", out.stderr)
        self.assertEqual(self.run_script().returncode, 2)


class Pull(unittest.TestCase):
    def test_a_folder_pull_executes_under_the_default_rule(self) -> None:
        async def run() -> None:
            store = ts.HubStore.memory()
            history = await ts.History.memory()
            engine = ts.SyncEngine(store, history=history)
            source = ts.FolderSource(EXAMPLES, "files")
            count = len(source.read_report().listing.items)
            puller = ts.Puller(engine, source.provider(), json.dumps({"scope": "s"}))
            report = await puller.pull()
            self.assertEqual(report.outcome, "executed")
            self.assertEqual(report.executed.created, count)
            self.assertIsNone(puller.held())
            core = json.loads(report.report_json)
            self.assertEqual(
                (core["outcome"], core["scope"], core["source"], core["complete"]),
                ("executed", "s", "files", True),
            )
            self.assertEqual(len((await store.snapshot("s")).tasks), count)
            again = await puller.pull()
            self.assertEqual(again.outcome, "unchanged")
            await history.shutdown()
            kinds = [(r.kind, r.status) for r in (await history.runs()).runs]
            self.assertIn((ts.RunKind.EXECUTE, ts.RunStatus.COMPLETED), kinds)

        asyncio.run(run())

    def test_a_held_plan_is_announced_kept_and_executed_by_hand(self) -> None:
        async def run() -> None:
            store = ts.HubStore.memory()
            engine = ts.SyncEngine(store)
            events = Collect()
            config = {"scope": "s", "rule": {"auto_execute": False}}
            puller = ts.Puller(
                engine, ts.FolderSource(EXAMPLES).provider(), json.dumps(config), events
            )
            report = await puller.pull()
            self.assertEqual(report.outcome, "held")
            self.assertEqual(report.reasons, ["auto_execute_off"])
            self.assertEqual((await store.snapshot("s")).tasks, [], "nothing written")
            [held] = [e for e in events.events if e["type"] == "pull_held"]
            self.assertEqual((held["scope"], held["source"]), ("s", "files"))
            self.assertEqual([r["reason"] for r in held["reasons"]], ["auto_execute_off"])
            self.assertGreater(held["creates"], 0)
            plan = puller.held()
            self.assertIsNotNone(plan)
            self.assertEqual(plan.to_json(), report.plan.to_json())
            done = await engine.execute(plan, True)
            self.assertEqual(done.created, held["creates"])

        asyncio.run(run())

    def test_a_failed_listing_writes_nothing_and_is_a_failed_run(self) -> None:
        async def run() -> None:
            store = ts.HubStore.memory()
            history = await ts.History.memory()
            engine = ts.SyncEngine(store, history=history)
            missing = os.path.join(tempfile.gettempdir(), "tasksync-no-such-folder")
            puller = ts.Puller(
                engine, ts.FolderSource(missing).provider(), json.dumps({"scope": "s"})
            )
            with self.assertRaises(ts.TasksyncError.Provider) as caught:
                await puller.pull()
            self.assertEqual(caught.exception.provider, "files")
            self.assertEqual((await store.snapshot("s")).tasks, [])
            await history.shutdown()
            [failed] = (await history.runs()).runs
            self.assertEqual(
                (failed.kind, failed.status, failed.scope),
                (ts.RunKind.PREVIEW, ts.RunStatus.FAILED, "s"),
            )
            self.assertIn("does not exist", failed.error or "")

        asyncio.run(run())

    def test_a_bad_configuration_is_refused_naming_the_key(self) -> None:
        engine = ts.SyncEngine(ts.HubStore.memory())
        provider = ts.FolderSource(EXAMPLES).provider()
        cases = [
            ({"scope": "s", "schedule": 5}, "schedule"),
            ({"scope": "s", "rule": {"auto": True}}, "auto"),
            ({"scope": "s", "interval_ms": 5}, "interval_ms"),
            ({"interval_ms": 5_000}, "scope"),
        ]
        for config, named in cases:
            with self.assertRaises(ts.TasksyncError.InvalidInput, msg=named) as caught:
                ts.Puller(engine, provider, json.dumps(config))
            self.assertIn(named, str(caught.exception))
        with self.assertRaises(ts.TasksyncError.InvalidInput):
            ts.Puller(engine, provider, "{not json")

    def test_run_pulls_until_stopped_as_the_hosts_actor(self) -> None:
        async def run() -> None:
            store = ts.HubStore.memory()
            history = await ts.History.memory()
            engine = ts.SyncEngine(store, history=history)
            config = {"scope": "s", "interval_ms": 1_000}
            puller = ts.Puller(engine, ts.FolderSource(EXAMPLES).provider(), json.dumps(config))
            stop = ts.StopSignal()
            context = ts.RunContext(actor=ts.Actor(user="scheduler"), source_id="examples")
            loop = asyncio.ensure_future(puller.run(stop, context))
            for _ in range(3_000):
                if (await store.snapshot("s")).tasks:
                    break
                await asyncio.sleep(0.01)
            stop.stop()
            totals = await asyncio.wait_for(loop, 30)
            self.assertGreaterEqual(totals.pulls, 1)
            self.assertEqual(totals.executed, 1)
            self.assertEqual((totals.failed, totals.held), (0, 0))
            self.assertEqual(totals.pulls, totals.executed + totals.unchanged)
            self.assertEqual(len((await store.snapshot("s")).tasks), 28)
            await history.shutdown()
            runs = (await history.runs()).runs
            self.assertTrue(runs)
            for r in runs:
                self.assertEqual(r.context.actor.user, "scheduler", r)
                self.assertEqual(r.context.source_id, "examples", r)
            # Without a context the runs carry no actor.
            bare = ts.Puller(
                ts.SyncEngine(ts.HubStore.memory()),
                ts.FolderSource(EXAMPLES).provider(),
                json.dumps(config),
            )
            stopped = ts.StopSignal()
            stopped.stop()
            self.assertEqual((await bare.run(stopped)).pulls, 0)

        asyncio.run(run())

    def test_a_pull_records_its_actor(self) -> None:
        async def run() -> None:
            history = await ts.History.memory()
            engine = ts.SyncEngine(ts.HubStore.memory(), history=history)
            puller = ts.Puller(
                engine, ts.FolderSource(EXAMPLES).provider(), json.dumps({"scope": "s"})
            )
            context = ts.RunContext(actor=ts.Actor(user="kim", ip="127.0.0.1"))
            self.assertEqual((await puller.pull(context)).outcome, "executed")
            await history.shutdown()
            users = {r.context.actor.user for r in (await history.runs()).runs}
            self.assertEqual(users, {"kim"})

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
