"""The size budget of the app's initial JavaScript: at most 250 kB gzip.

"Initial" is what the browser must load before the first page renders: the entry chunk and
every chunk it imports statically, as the build's manifest lists them. Lazy routes
(``dynamicImports``) are not counted; that is what they are for.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from careboard.e2e.server import ROOT

DIST = ROOT / "careboard" / "static" / "dist"
ENTRY = "src/main.ts"
BUDGET = 250_000  # bytes, gzip


def initial_chunks(manifest: dict[str, dict[str, Any]]) -> list[str]:
    """The entry chunk's file and those of its static imports, transitively, in load order."""
    seen: list[str] = []

    def visit(key: str) -> None:
        if key in seen:
            return
        seen.append(key)
        for imported in manifest[key].get("imports", []):
            visit(imported)

    visit(ENTRY)
    return [manifest[key]["file"] for key in seen]


def test_initial_chunks_follow_static_imports_only():
    manifest: dict[str, dict[str, Any]] = {
        "src/main.ts": {"file": "main.js", "imports": ["_vue.js"], "dynamicImports": ["v.vue"]},
        "_vue.js": {"file": "vue.js", "imports": ["_shared.js"]},
        "_shared.js": {"file": "shared.js", "imports": ["_vue.js"]},
        "v.vue": {"file": "view.js", "imports": ["_chart.js"]},
        "_chart.js": {"file": "chart.js"},
    }
    assert initial_chunks(manifest) == ["main.js", "vue.js", "shared.js"]


def test_initial_javascript_is_within_the_budget():
    manifest_path = DIST / "manifest.json"
    if not manifest_path.exists():
        pytest.skip("the front end is not built (careboard/static/dist): run `make frontend`")
    manifest = json.loads(manifest_path.read_text())
    sizes = {
        file: len(gzip.compress((DIST / file).read_bytes(), compresslevel=9))
        for file in initial_chunks(manifest)
    }
    total = sum(sizes.values())
    detail = ", ".join(f"{file} {size / 1000:.1f} kB" for file, size in sizes.items())
    assert total <= BUDGET, f"initial JS is {total / 1000:.1f} kB gzip (budget 250 kB): {detail}"
