#!/usr/bin/env node
/**
 * Writes src/licenses.json: the open-source components Careboard ships and their licences,
 * for the About page. Run before every build (`prebuild`).
 *
 * - npm: the production dependency tree of package-lock.json (devDependencies are build
 *   tools, not shipped), each package's licence from its package.json in node_modules.
 * - Python: the runtime dependency tree of pyproject.toml's [project].dependencies (not the
 *   dev group), read through importlib.metadata from the project's virtualenv (`.venv`, which
 *   `make install` creates before `make frontend` builds; LICENSES_PYTHON overrides it, e.g.
 *   in a container whose environment lives elsewhere).
 *
 * The output is sorted and has no timestamp, so it changes only when a dependency does.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const frontend = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const root = resolve(frontend, "..");
const output = join(frontend, "src", "licenses.json");

function licenseOf(manifest) {
  const value = manifest.license ?? manifest.licenses;
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map((l) => (typeof l === "string" ? l : l.type)).join(" OR ");
  if (value && typeof value === "object" && value.type) return value.type;
  return "UNKNOWN";
}

function npmPackages() {
  const lock = JSON.parse(readFileSync(join(frontend, "package-lock.json"), "utf8"));
  const seen = new Map();
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    // "" is the app itself; dev and devOptional entries are needed only to build and test.
    if (!path || entry.dev || entry.devOptional || entry.link) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    const manifestPath = join(frontend, path, "package.json");
    // Optional packages for other platforms (native binaries) are in the lock, not installed.
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    const version = manifest.version ?? entry.version;
    seen.set(`${name}@${version}`, { name, version, license: licenseOf(manifest) });
  }
  return [...seen.values()];
}

// Runs in the project's interpreter: the closure of the runtime requirements, with extras,
// and each distribution's licence (PEP 639 expression, else a short License field, else the
// trove classifiers).
const PYTHON_LISTING = String.raw`
import json, re, sys, tomllib
from importlib import metadata
from packaging.requirements import Requirement

def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()

def license_of(dist):
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression.strip()
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 60 and text.upper() != "UNKNOWN":
        return text
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    classifiers = [c for c in classifiers if c != "OSI Approved"]
    if classifiers:
        return " OR ".join(sorted(set(classifiers)))
    return "UNKNOWN"

with open(sys.argv[1], "rb") as f:
    project = tomllib.load(f)["project"]

found = {}
todo = [(Requirement(r), "") for r in project["dependencies"]]
while todo:
    requirement, extra = todo.pop()
    if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
        continue
    try:
        dist = metadata.distribution(requirement.name)
    except metadata.PackageNotFoundError:
        continue
    key = canonical(dist.metadata["Name"])
    extras = set(requirement.extras)
    known = found.get(key)
    if known is not None and extras <= known["extras"]:
        continue
    if known is None:
        known = found[key] = {"dist": dist, "extras": set(), "done_base": False}
    new_extras = extras - known["extras"]
    known["extras"] |= extras
    for line in dist.requires or []:
        child = Requirement(line)
        if child.marker is None:
            if not known["done_base"]:
                todo.append((child, ""))
            continue
        for wanted in ([""] if not known["done_base"] else []) + sorted(new_extras):
            if child.marker.evaluate({"extra": wanted}):
                todo.append((child, wanted))
                break
    known["done_base"] = True

rows = [
    {"name": v["dist"].metadata["Name"], "version": v["dist"].version, "license": license_of(v["dist"])}
    for v in found.values()
]
print(json.dumps(rows))
`;

function pythonPackages() {
  const python = process.env.LICENSES_PYTHON || join(root, ".venv", "bin", "python");
  if (!existsSync(python)) {
    throw new Error(
      `licenses: no Python environment at ${python}. Run \`make install\` first (or set LICENSES_PYTHON).`,
    );
  }
  const out = execFileSync(python, ["-c", PYTHON_LISTING, join(root, "pyproject.toml")], { encoding: "utf8" });
  return JSON.parse(out);
}

function projectVersion() {
  const text = readFileSync(join(root, "pyproject.toml"), "utf8");
  return /^version\s*=\s*"([^"]+)"/m.exec(text)?.[1] ?? "0.0.0";
}

const byName = (a, b) =>
  a.name.localeCompare(b.name, "en", { sensitivity: "base" }) || a.version.localeCompare(b.version);
const data = {
  version: projectVersion(),
  npm: npmPackages().sort(byName),
  python: pythonPackages().sort(byName),
};
const text = `${JSON.stringify(data, null, 2)}\n`;
if (!existsSync(output) || readFileSync(output, "utf8") !== text) writeFileSync(output, text);
console.log(`licenses: ${data.npm.length} npm and ${data.python.length} Python components → src/licenses.json`);
