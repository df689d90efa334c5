"""Stub drift check: the `.pyi` and the native module must name the same things with the same
parameters, and the package must re-export them all. CI fails on any difference. (make
test-python also runs mypy's stubtest on the module, which checks parameter kinds and
defaults, `@final` and properties; see stubtest-allowlist.txt.)"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import tasksync
from tasksync import _native

STUB = Path(tasksync.__file__).parent / "_native.pyi"
TREE = ast.parse(STUB.read_text())
PRIVATE_STUB_NAMES = {"_Json", "_ListingArg", "_PolicyArg", "_RunContextArg", "_Record"}
CONSTRUCTORS = {"__init__", "__new__"}
RECORD_METHODS = {"__getattr__", "__dir__", "to_dict", "to_json"}


def stub_params(fn: ast.FunctionDef) -> list[str]:
    names = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
    if fn.args.kwarg:
        names.append("**" + fn.args.kwarg.arg)
    return [n for n in names if n not in ("self", "cls")]


def native_params(obj: Any) -> list[str]:
    sig = inspect.signature(obj)
    out = []
    for p in sig.parameters.values():
        if p.name in ("self", "$self", "cls"):
            continue
        out.append(("**" if p.kind is p.VAR_KEYWORD else "") + p.name)
    return out


def stub_items() -> dict[str, ast.AST]:
    items: dict[str, ast.AST] = {}
    for node in TREE.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            items[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            items[node.target.id] = node
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    items[t.id] = node
    return {k: v for k, v in items.items() if k not in PRIVATE_STUB_NAMES}


def test_stub_and_module_name_the_same_things() -> None:
    native = {n for n in dir(_native) if not n.startswith("__")}
    assert set(stub_items()) == native


def test_functions_and_methods_have_the_stubbed_parameters() -> None:
    for name, node in stub_items().items():
        obj = getattr(_native, name)
        if isinstance(node, ast.FunctionDef):
            assert stub_params(node) == native_params(obj), name
        if isinstance(node, ast.ClassDef) and not issubclass(obj, BaseException):
            stubbed = {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
            public = {m for m in vars(obj) if not m.startswith("__")}
            stubbed_methods = {
                m
                for m, f in stubbed.items()
                if m not in CONSTRUCTORS
                and not any(
                    isinstance(d, ast.Name) and d.id == "property" for d in f.decorator_list
                )
            }
            getters = {
                m
                for m, f in stubbed.items()
                if any(isinstance(d, ast.Name) and d.id == "property" for d in f.decorator_list)
            }
            assert public == stubbed_methods | getters | (
                RECORD_METHODS - {"__getattr__", "__dir__"}
                if "_Record" in [b.id for b in node.bases if isinstance(b, ast.Name)]
                else set()
            ), name
            for m in stubbed_methods:
                assert stub_params(stubbed[m]) == native_params(getattr(obj, m)), f"{name}.{m}"
            for ctor in CONSTRUCTORS & set(stubbed):
                if obj.__text_signature__:
                    assert stub_params(stubbed[ctor]) == native_params(obj), f"{name}()"


def test_the_package_exports_every_public_native_name() -> None:
    public = {n for n in stub_items() if not n.startswith("_")}
    assert public <= set(tasksync.__all__)
    for name in tasksync.__all__:
        assert hasattr(tasksync, name), name
