# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Word merge: documents merged per second with the demo letter template.

As a suite of ``bench/bench.py`` (``make bench``) it times the addon's engine.
Run on its own it needs no database, and ``--against REV`` times the engine of
another git revision in the same run, as the anchor::

    python3 bench/bench_docx.py [--documents N] [--against REV]
"""

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "demo" / "bus_letter_en.docx"
ENGINE = "tools/docx_merge.py"
DOCUMENTS = 300
ROUNDS = 3
CHUNK = 10  # documents timed in one go


def _values(engine, data, index):
    found = engine.find_placeholders(data)
    expressions = {e: f"Contact {index} {e}" for e in found["expressions"]}
    fields = {name: f"{name} {index}" for name in found["fields"]}
    fields["Address"] = f"Main Street {index}\nBuilding B"
    return expressions, fields


def _workloads(engine, data, documents):
    """name: function(start, stop) merging (or converting) those documents."""
    values = [_values(engine, data, index) for index in range(documents)]
    template = engine.DocxTemplate(data)  # once per batch, as the addon does
    merged = template.merge(*values[0])

    def prepared(start, stop):
        for expressions, fields in values[start:stop]:
            template.merge(expressions, fields)

    def per_document(start, stop):
        for expressions, fields in values[start:stop]:
            engine.merge_docx(data, expressions, fields)

    def to_html(start, stop):
        for __ in values[start:stop]:
            engine.docx_to_html(merged)

    return {
        "merge, template parsed once": prepared,
        "merge, template parsed per document": per_document,
        "merged document to HTML": to_html,
    }


def measure(engines, data, documents):
    """Documents per second of each engine ({label: module}).

    The documents go in chunks, and the engines take turns on each chunk, so
    that a machine busy with other work slows all engines alike; each chunk
    counts with its best time over a few rounds.
    """
    workloads = {
        label: _workloads(engine, data, documents) for label, engine in engines.items()
    }
    chunks = [
        (start, min(start + CHUNK, documents)) for start in range(0, documents, CHUNK)
    ]
    best = {}
    for __ in range(ROUNDS):
        for chunk in chunks:
            for name in next(iter(workloads.values())):
                for label, functions in workloads.items():
                    begin = time.perf_counter()
                    functions[name](*chunk)
                    elapsed = time.perf_counter() - begin
                    key = (label, name, chunk)
                    best[key] = min(best.get(key, elapsed), elapsed)
    result = {label: {} for label in engines}
    for (label, name, __), seconds in best.items():
        result[label][name] = result[label].get(name, 0.0) + seconds
    return {
        label: {name: documents / seconds for name, seconds in times.items()}
        for label, times in result.items()
    }


def _print(title, columns):
    names = list(next(iter(columns.values())))
    sys.stdout.write(f"\n{title}\n")
    header = "".join(f"{label:>14}" for label in columns)
    sys.stdout.write(f"{'documents per second':<38}{header}\n")
    for name in names:
        cells = "".join(f"{column[name]:>14.1f}" for column in columns.values())
        sys.stdout.write(f"{name:<38}{cells}\n")
    if len(columns) == 2:
        anchor, current = columns.values()
        for name in names:
            sys.stdout.write(f"{name:<38}{current[name] / anchor[name]:>13.2f}x\n")


def _engine_at(revision, folder):
    source = subprocess.run(
        ["git", "show", f"{revision}:{ENGINE}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    path = Path(folder) / "docx_merge_anchor.py"
    path.write_bytes(source)
    return _load(path, "docx_merge_anchor")


def _load(path, name):
    """Import a file (a package when it is an ``__init__.py``) without Odoo."""
    locations = [str(path.parent)] if path.name == "__init__.py" else None
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=locations
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run(env, args):
    """Suite of bench/bench.py: the installed addon's engine."""
    from odoo.addons.crm_campaign_segment.tools import docx_merge

    documents = min(args.contacts, DOCUMENTS)
    columns = measure({"now": docx_merge}, TEMPLATE.read_bytes(), documents)
    _print(f"Word merge of {TEMPLATE.name}, {documents} documents", columns)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=DOCUMENTS)
    parser.add_argument("--against", help="git revision whose engine is the anchor")
    args = parser.parse_args(argv)
    data = TEMPLATE.read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        engines = {}
        if args.against:
            engines[args.against[:12]] = _engine_at(args.against, folder)
        engines["now"] = _load(ROOT / "tools" / "__init__.py", "docx_tools").docx_merge
        columns = measure(engines, data, args.documents)
    _print(f"Word merge of {TEMPLATE.name}, {args.documents} documents", columns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
