"""`make doctor`: every prerequisite, found or missing, its version and its origin.

Only looks: installs, starts and changes nothing. Standard library only, so that it
works on a machine that has nothing yet.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import bootstrap
import system_setup

_PROBE = r"""
import importlib.metadata as md, importlib.util, json, sys
out = {"python": sys.version.split()[0], "packages": {}}
spec = importlib.util.find_spec("odoo")
if spec is not None:
    try:
        import odoo, odoo.release
        out["odoo"] = odoo.release.version
        out["odoo_file"] = odoo.__file__
    except Exception as exc:
        out["odoo_error"] = "%s: %s" % (type(exc).__name__, exc)
for name in sys.argv[1:]:
    try:
        out["packages"][name] = md.version(name)
    except md.PackageNotFoundError:
        out["packages"][name] = None
print(json.dumps(out))
"""


class Report:
    def __init__(self):
        self.missing = 0

    def line(self, found, what, detail):
        mark = "ok     " if found else "MISSING"
        if not found:
            self.missing += 1
        print(f"  {mark}  {what:<28} {detail}", flush=True)

    def note(self, what, detail):
        print(f"  -        {what:<28} {detail}", flush=True)


def probe(python, packages, env=None):
    proc = subprocess.run(
        [str(python), "-c", _PROBE, *packages],
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
        check=False,
    )
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": proc.stderr.strip()[-300:] or "does not run"}


def requirement_names(root):
    names = []
    for file in bootstrap.ADDON_REQUIREMENTS:
        path = root / file
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                name = bootstrap.requirement_name(line)
                if name:
                    names.append(name)
    return list(dict.fromkeys(names))


def command_version(command, *args):
    path = shutil.which(command)
    if not path:
        return None
    proc = subprocess.run(
        [path, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    text = (proc.stdout or proc.stderr).strip().splitlines()
    return (text[0] if text else "?")[:60] + f"  ({path})"


def report_odoo(rep, root, layout, names):
    """Odoo for the Python in use, ODOO_PATH or .odoo/; returns the probe used."""
    python = sys.executable
    env = dict(os.environ)
    source = os.environ.get("ODOO_PATH", "").strip()
    if source:
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [source, os.environ.get("PYTHONPATH")])
        )
    mine = probe(python, names, env)
    rep.line("error" not in mine, "Python", f"{mine.get('python', '?')}  ({python})")
    data = layout.stamp_data()
    if mine.get("odoo"):
        origin = f"ODOO_PATH={source}" if source else f"installed for {python}"
        where = Path(mine["odoo_file"]).parent
        rep.line(
            mine["odoo"].startswith(f"{bootstrap.ODOO_SERIE}."),
            "Odoo",
            f"{mine['odoo']}  ({origin}: {where})",
        )
        if data:
            rep.note(".odoo/venv", "set up but unused: this Python has Odoo")
        return mine, python
    if mine.get("odoo_error"):
        rep.line(False, "Odoo", f"cannot be imported: {mine['odoo_error']}")
        return mine, python
    if data:
        venv = probe(layout.python, names)
        rep.line(
            bool(venv.get("odoo")),
            "Odoo",
            f"{venv.get('odoo') or venv.get('odoo_error', 'missing')}  (.odoo/:"
            f" {data.get('url')} {data.get('ref')} {data.get('commit', '')[:10]})",
        )
        rep.line("error" not in venv, "Python of .odoo/venv", venv.get("python", "?"))
        return venv, str(layout.python)
    url, ref = bootstrap.git_source()
    rep.line(
        False,
        "Odoo",
        f"not installed for {python}, no ODOO_PATH, no .odoo/:"
        f" make run / make test fetch {ref} of {url} into .odoo/",
    )
    return mine, python


def report(root, command="test"):
    root = Path(root)
    layout = bootstrap.Layout(root)
    rep = Report()
    names = requirement_names(root)
    print("==> Prerequisites", flush=True)
    used, python = report_odoo(rep, root, layout, names)

    packages = used.get("packages") or {}
    for name in names:
        version = packages.get(name)
        will_set_up = not os.environ.get("ODOO_PATH", "").strip() and not (
            used.get("odoo") or used.get("odoo_error")
        )
        if not version and will_set_up:
            rep.note(f"  {name}", "not installed: the set-up of .odoo/ installs it")
            continue
        rep.line(
            bool(version),
            f"  {name}",
            f"{version}  (for {python})" if version else f"not installed for {python}",
        )

    up = system_setup.pg_accepting()
    where = os.environ.get("PGHOST") or "local socket"
    role = system_setup.pg_role()
    if up:
        version = ""
        if shutil.which("psql"):
            proc = subprocess.run(
                ["psql", *system_setup.pg_client_args(), "-d", "postgres"]
                + ["-XAtqc", "show server_version"],
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
            )
            version = proc.stdout.strip() or "login refused for role " + role
        rep.line(True, "PostgreSQL server", f"{version}  ({where}, role {role})")
    else:
        installed = system_setup.pg_server_installed()
        rep.line(
            False,
            "PostgreSQL server",
            f"not reachable ({where}); "
            + (
                "installed: make run starts it"
                if installed
                else "not installed: make run installs it (as root)"
            ),
        )
    for what, cmd, args in (
        ("psql", "psql", ["--version"]),
        ("git", "git", ["--version"]),
        ("wkhtmltopdf", "wkhtmltopdf", ["--version"]),
    ):
        version = command_version(cmd, *args)
        rep.line(bool(version), what, version or "not found")
    browser = next(
        (b for b in system_setup.COMMANDS["chromium"] if shutil.which(b)), None
    )
    version = command_version(browser, "--version") if browser else None
    rep.line(bool(version), "Chromium (browser tours)", version or "not found")

    if shutil.which("dpkg-query"):
        debs = [
            *system_setup.BUILD_PACKAGES,
            *system_setup.RUN_PACKAGES,
            *system_setup.TEST_PACKAGES,
        ]
        build_only = set(system_setup.BUILD_PACKAGES) - {"git"}
        for deb in dict.fromkeys(debs):
            version = system_setup.deb_version(deb)
            present = system_setup.package_present(deb)
            detail = f"{version}  (Debian package)" if version else ""
            if present and not version:
                detail = "found outside Debian's packages"
            if not present and deb in build_only and used.get("odoo"):
                rep.note(f"deb {deb}", "not installed (needed only to set up .odoo/)")
                continue
            rep.line(present, f"deb {deb}", detail or "not installed")
    fixes = bootstrap.read_fixes(layout.fixes)
    if fixes:
        rep.note("fixes for .odoo/", ", ".join(fixes.values()))
    if rep.missing:
        print(
            f"==> {rep.missing} missing: make run / make test install what they can"
            " (see README.md)",
            flush=True,
        )
    else:
        print("==> Everything is there", flush=True)
    return rep.missing
