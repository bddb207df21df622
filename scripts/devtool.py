#!/usr/bin/env python3
"""Developer commands for the crm_campaign_segment addon (called by the Makefile).

    devtool.py check   prerequisites only
    devtool.py run     demo database (created once) and Odoo on http://localhost:8069
    devtool.py test    fresh database with demo data, pytest-odoo, browser tours
    devtool.py bench   bench/bench.py against a fresh database without demo data
    devtool.py reset   drop the `make run` database
    devtool.py lint    ruff and pylint-odoo (OCA's mandatory checks)
    devtool.py i18n    export i18n/crm_campaign_segment.pot, merge it into every .po
    devtool.py doctor  every prerequisite, found or missing, version and origin
    devtool.py setup   only set up Odoo in .odoo/ when it is missing (see below)

When the Python in use has no Odoo and ODOO_PATH is not set, run, test, bench and
i18n first set up Odoo 18.0 in .odoo/ and go on with .odoo/venv's Python
(scripts/bootstrap.py; ODOO_GIT_URL and ODOO_GIT_REF choose the source).

Settings come from the environment (the Makefile passes its variables on): DB,
HTTP_PORT, TESTS, ODOO_ARGS, BENCH_DB, BENCH_ARGS, ODOO_PATH, EXTRA_ADDONS_PATH and
libpq's PGHOST / PGPORT / PGUSER / PGPASSWORD. Everything it writes stays in the
gitignored folder .odoo/ of the checkout. Standard library only (and psycopg2, which
comes with Odoo).
"""

import argparse
import ast
import importlib.metadata
import importlib.util
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import bootstrap
import doctor
import system_setup

MODULE = "crm_campaign_segment"
ODOO_SERIE = 18
PG_MIN_VERSION = 120000  # Odoo 18 needs PostgreSQL 12 or later
INSTALLED = ("installed", "to upgrade")  # ir_module_module.state of an installed addon

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".odoo"
ADDONS_DIR = WORK / "addons"
DATA_DIR = WORK / "data"
LOG_DIR = WORK / "logs"
RUN_CONF = WORK / "odoo.conf"
SCRIPTS = ROOT / "scripts"
ODOO_LAUNCHER = SCRIPTS / "odoo_launcher.py"

# "2025-01-31 12:00:00,123 4242 ERROR dbname odoo.modules.loading: message"
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) "
    r"(?P<logger>[^:\s]+): (?P<msg>.*)"
)
TEST_REPORT = re.compile(
    r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database"
)
TOUR_TAG = re.compile(r"""["']tour["']""")
BROWSERS = ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable")

ODOO_INSTALL_HELP = f"""\
How to get Odoo {ODOO_SERIE}.0 Community:
  - make run and make test set it up in .odoo/ by themselves (see README.md)
  - download the Odoo {ODOO_SERIE}.0 Community source (odoo.com/page/download, or
    git clone --depth 1 --branch {ODOO_SERIE}.0 https://github.com/odoo/odoo),
    install the system packages its requirements need (see Odoo's "Source install"
    documentation), then inside that folder:
        {{python}} -m pip install -r requirements.txt
        {{python}} -m pip install -e .
  - or leave it where it is and point ODOO_PATH at it (the folder holding odoo/):
        make run ODOO_PATH=<odoo source folder>"""


class Fail(system_setup.Fail):
    """A problem with a message for the developer; exits with status 1."""


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

_COLOR = (
    sys.stdout.isatty()
    and os.environ.get("NO_COLOR") is None
    and os.environ.get("TERM") != "dumb"
)


def _paint(code, text):
    return f"\033[{code}m{text}\033[0m" if _COLOR else text


def step(msg):
    print(_paint("1;34", "==> ") + _paint("1", msg), flush=True)


def info(msg):
    print("    " + msg, flush=True)


def warn(msg):
    print(_paint("33", "    warning: ") + msg, flush=True)


def ok(msg):
    print(_paint("1;32", "==> ") + _paint("1", msg), flush=True)


def rel(path):
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------
# Prerequisites
# --------------------------------------------------------------------------


def odoo_path():
    """The Odoo source tree given in ODOO_PATH, or None."""
    value = os.environ.get("ODOO_PATH", "").strip()
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not (path / "odoo" / "__init__.py").is_file():
        raise Fail(
            f"ODOO_PATH={value} is not an Odoo source tree (no odoo/__init__.py).\n"
            + ODOO_INSTALL_HELP.format(python=sys.executable)
        )
    return path


def child_env(extra_pythonpath=()):
    """Environment for Odoo and pytest: ODOO_PATH (if given) first on PYTHONPATH."""
    env = dict(os.environ)
    paths = [str(p) for p in extra_pythonpath]
    source = odoo_path()
    if source:
        paths.insert(0, str(source))
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


_ODOO_PROBE = r"""
import importlib.util, json, sys
spec = importlib.util.find_spec("odoo")
if spec is None:
    print(json.dumps({"missing": True})); sys.exit()
where = list(spec.submodule_search_locations or [])
try:
    import odoo, odoo.release
except Exception as exc:
    print(json.dumps({"where": where, "error": "%s: %s" % (type(exc).__name__, exc),
                      "module": getattr(exc, "name", None)})); sys.exit()
print(json.dumps({"where": where, "file": odoo.__file__,
                  "version": list(odoo.release.version_info[:2]),
                  "label": odoo.release.version}))
"""


def check_odoo():
    """Check Odoo 18 (installed, or ODOO_PATH); return it and its addons folders."""
    python = sys.executable
    source = odoo_path()
    proc = subprocess.run(
        [python, "-c", _ODOO_PROBE],
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        found = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise Fail(
            f"Could not check Odoo with {python}:\n{proc.stderr.strip()}"
        ) from None
    howto = ODOO_INSTALL_HELP.format(python=python)
    if found.get("missing"):
        raise Fail(
            f"Odoo is not installed for {python} and ODOO_PATH is not set.\n{howto}"
        )
    if "error" in found:
        where = ", ".join(found.get("where") or []) or "?"
        hint = (
            "Its Python requirements are incomplete: in the Odoo source folder,"
            f" {python} -m pip install -r requirements.txt"
            if found.get("module")
            else "Check that this is a complete Odoo 18.0 source tree."
        )
        raise Fail(
            f"Odoo found in {where} but it cannot be imported: {found['error']}\n{hint}"
        )
    if found["version"][0] != ODOO_SERIE:
        raise Fail(
            f"Odoo {found['label']} found in {Path(found['file']).parent},"
            f" but this addon needs Odoo {ODOO_SERIE}.0.\n{howto}"
        )
    package_dir = Path(found["file"]).resolve().parent
    addons = []
    for candidate in (package_dir / "addons", package_dir.parent / "addons"):
        if (candidate / "base" / "__manifest__.py").is_file() or _is_addons_dir(
            candidate
        ):
            addons.append(candidate)
    origin = "ODOO_PATH" if source else f"installed for {python}"
    if not source and bootstrap.Layout(ROOT).running_in_venv():
        origin = f"set up in .odoo/, {rel(python)}"
    label = f"Odoo {found['label']} ({origin})"
    return label, addons


def _is_addons_dir(path):
    return path.is_dir() and any(
        (p / "__manifest__.py").is_file() for p in path.iterdir() if p.is_dir()
    )


# optional addons fetched for the tests (OCA queue_job, see .ci/run), when present
FETCHED_ADDONS = WORK / "extra-addons"


def extra_addons_paths():
    paths = [FETCHED_ADDONS] if _is_addons_dir(FETCHED_ADDONS) else []
    for item in os.environ.get("EXTRA_ADDONS_PATH", "").split(","):
        if item.strip():
            path = Path(item.strip()).expanduser().resolve()
            if not _is_addons_dir(path):
                raise Fail(f"EXTRA_ADDONS_PATH entry {item} holds no Odoo addon.")
            paths.append(path)
    return paths


def manifest():
    return ast.literal_eval((ROOT / "__manifest__.py").read_text(encoding="utf-8"))


def check_dependencies(addons_paths):
    """Every module named in the manifest's depends can be found in the addons path."""
    missing = [
        dep
        for dep in manifest().get("depends", [])
        if not any((path / dep / "__manifest__.py").is_file() for path in addons_paths)
    ]
    if missing:
        raise Fail(
            f"Odoo addons this addon depends on were not found: {', '.join(missing)}.\n"
            f"Searched: {', '.join(str(p) for p in addons_paths)}\n"
            "Use a complete Odoo 18.0 Community (with its addons/ folder), or add"
            " the folder holding them to EXTRA_ADDONS_PATH."
        )


def pg():
    try:
        import psycopg2  # comes with Odoo
    except ImportError:
        raise Fail(
            f"psycopg2 is not installed for {sys.executable}; it is one of Odoo's"
            " requirements: pip install -r requirements.txt in the Odoo source folder."
        ) from None
    return psycopg2


def pg_where():
    host = os.environ.get("PGHOST") or "the local socket"
    port = os.environ.get("PGPORT") or "5432"
    user = os.environ.get("PGUSER") or _os_user()
    return f"{host}, port {port}, as role {user}"


def _os_user():
    import getpass

    return getpass.getuser()


def pg_connect(dbname="postgres"):
    """Connect through libpq, which reads PGHOST, PGPORT, PGUSER, PGPASSWORD itself."""
    psycopg2 = pg()
    conn = psycopg2.connect(dbname=dbname, connect_timeout=10)
    conn.autocommit = True
    return conn


def check_postgres():
    psycopg2 = pg()
    conn = None
    errors = []
    for dbname in ("postgres", "template1"):
        try:
            conn = pg_connect(dbname)
            break
        except psycopg2.Error as exc:
            errors.append(str(exc).strip())
    if conn is None:
        user = os.environ.get("PGUSER") or _os_user()
        raise Fail(
            f"PostgreSQL is not reachable on {pg_where()}:\n    {errors[0]}\n"
            "Start it and give your user a role that may create databases; on Debian:\n"
            "    sudo apt-get install postgresql && sudo service postgresql start\n"
            f"    sudo -u postgres createuser --createdb {user}\n"
            "or point PGHOST / PGPORT / PGUSER / PGPASSWORD at a running server."
        )
    with conn, conn.cursor() as cr:
        cr.execute(
            "SELECT current_user, current_setting('server_version_num')::int,"
            " (SELECT rolcreatedb OR rolsuper FROM pg_roles"
            "  WHERE rolname = current_user)"
        )
        user, version, can_create = cr.fetchone()
    conn.close()
    if user == "postgres":
        raise Fail(
            "Odoo refuses to run as the PostgreSQL superuser 'postgres': set PGUSER"
            " to another role (sudo -u postgres createuser --createdb $USER)."
        )
    if version < PG_MIN_VERSION:
        raise Fail(
            f"PostgreSQL {version // 10000} found; Odoo {ODOO_SERIE} needs 12 or later."
        )
    if not can_create:
        raise Fail(
            f"PostgreSQL role {user} may not create databases:"
            f" sudo -u postgres psql -c 'ALTER ROLE \"{user}\" CREATEDB'"
        )
    return f"PostgreSQL {version // 10000} on {pg_where()}"


def _requirement_names(path):
    """(name, specifier) of each requirement in a requirements file, following -r."""
    result = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            result += _requirement_names(path.parent / line.split(None, 1)[1])
            continue
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*([^;]*)", line)
        if match:
            result.append((match.group(1), match.group(3).strip()))
    return result


def _unmet(requirements):
    try:
        from packaging.specifiers import SpecifierSet
    except ImportError:
        SpecifierSet = None
    unmet = []
    for name, spec in requirements:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            unmet.append(f"{name}{spec}")
            continue
        if SpecifierSet and spec and version not in SpecifierSet(spec):
            unmet.append(f"{name}{spec} (found {version})")
    return unmet


def check_requirements(*files):
    """Install the Python requirements with pip when some are missing."""
    for name in files:
        path = ROOT / name
        if not path.is_file():
            continue
        unmet = _unmet(_requirement_names(path))
        if not unmet:
            continue
        step(f"Installing {name} ({', '.join(unmet)})")
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "-r", str(path)]
        if subprocess.run(cmd, cwd=ROOT, check=False).returncode != 0:
            raise Fail(
                f"pip could not install {name}: run"
                f" `{sys.executable} -m pip install -r {name}`"
                " yourself (in a virtualenv, or with --user) and try again."
            )
        still = _unmet(_requirement_names(path))
        if still:
            raise Fail(f"Still missing after pip install -r {name}: {', '.join(still)}")
    return "Python requirements: " + ", ".join(f for f in files if (ROOT / f).is_file())


def check_all(requirement_files=("requirements.txt",)):
    """Check Odoo, PostgreSQL and the Python requirements; return the addons path."""
    label, odoo_addons = check_odoo()
    addons_paths = [ADDONS_DIR, *extra_addons_paths(), *odoo_addons]
    check_dependencies(addons_paths[1:])
    pg_label = check_postgres()
    req_label = check_requirements(*requirement_files)
    for line in (label, pg_label, req_label):
        info("ok: " + line)
    if not shutil.which("wkhtmltopdf"):
        warn(
            "wkhtmltopdf is not installed: PDF letters need it"
            " (Debian/Ubuntu: apt-get install wkhtmltopdf)"
        )
    link_addon()
    return addons_paths


# --------------------------------------------------------------------------
# Addon link, configuration, databases
# --------------------------------------------------------------------------


def link_addon():
    """.odoo/addons/crm_campaign_segment -> ../.. so that Odoo and pytest-odoo see
    the checkout as odoo.addons.crm_campaign_segment, whatever its folder is called."""
    ADDONS_DIR.mkdir(parents=True, exist_ok=True)
    (WORK / ".gitignore").write_text("*\n", encoding="utf-8")
    link = ADDONS_DIR / MODULE
    target = os.path.relpath(ROOT, ADDONS_DIR)
    if link.is_symlink():
        if os.readlink(link) == target:
            return
        link.unlink()
    elif link.exists():
        raise Fail(f"{rel(link)} exists and is not a symbolic link: remove it.")
    link.symlink_to(target, target_is_directory=True)


def write_config(path, db, addons_paths, http_port, extra=None):
    """An Odoo configuration file; database settings from libpq's PG* variables."""
    options = {
        "addons_path": ",".join(str(p) for p in addons_paths),
        "data_dir": str(DATA_DIR),
        "db_name": db,
        "db_host": os.environ.get("PGHOST") or "False",
        "db_port": os.environ.get("PGPORT") or "False",
        "db_user": os.environ.get("PGUSER") or "False",
        # the password, if any, stays in PGPASSWORD or ~/.pgpass, where libpq reads it
        "http_port": str(http_port),
        "without_demo": "False",
    }
    options.update(extra or {})
    text = "; Written by scripts/devtool.py; edits are overwritten.\n[options]\n"
    text += "".join(f"{key} = {value}\n" for key, value in options.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def db_exists(db):
    with pg_connect() as conn, conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db])
        found = cr.fetchone() is not None
    conn.close()
    return found


def module_state(db):
    """(state, demo) of the addon in db; (None, None) if db has no Odoo in it."""
    psycopg2 = pg()
    conn = pg_connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT state, demo FROM ir_module_module WHERE name = %s", [MODULE]
            )
            row = cr.fetchone()
    except psycopg2.Error:
        row = None
    finally:
        conn.close()
    return row or (None, None)


def drop_db(db):
    psycopg2 = pg()
    from psycopg2 import sql

    conn = pg_connect()
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT current_setting('server_version_num')::int")
            if cr.fetchone()[0] >= 130000:
                cr.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(db)
                    )
                )
            else:
                cr.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    [db],
                )
                cr.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(db))
                )
    except psycopg2.Error as exc:
        raise Fail(f"Could not drop database {db}: {exc}") from None
    finally:
        conn.close()
    shutil.rmtree(DATA_DIR / "filestore" / db, ignore_errors=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_busy(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def temp_db_name(kind):
    return f"{MODULE}_{kind}_{time.strftime('%Y%m%d_%H%M%S')}_{secrets.token_hex(2)}"


# --------------------------------------------------------------------------
# Running Odoo
# --------------------------------------------------------------------------


def odoo_cmd(conf, db, *args):
    # through a launcher script, as odoo-bin: Odoo restarts itself by
    # executing its own command line again, which `python -m odoo` breaks
    return [sys.executable, str(ODOO_LAUNCHER), "-c", str(conf), "-d", db, *args]


class OdooRun:
    """Result of one Odoo process whose log went to a file."""

    def __init__(self, log_path):
        self.log_path = log_path
        self.returncode = None
        self.levels = {}
        self.blocks = []  # ERROR / CRITICAL lines with their tracebacks
        self.warnings = []  # WARNING lines about this addon
        self.report = None  # (failed, errors, tests) of Odoo's test runner
        self.skipped = []
        self.seconds = 0.0

    @property
    def problems(self):
        return self.levels.get("ERROR", 0) + self.levels.get("CRITICAL", 0)

    def print_failure(self):
        """The ERROR / CRITICAL lines with their tracebacks, else the end of the log."""
        if self.blocks:
            print(_paint("1", f"---- errors in {rel(self.log_path)} ----"))
            lines = [line for block in self.blocks for line in block]
        else:
            lines = self.log_path.read_text(
                encoding="utf-8", errors="replace"
            ).splitlines()
            print(_paint("1", f"---- last lines of {rel(self.log_path)} ----"))
            lines = lines[-60:]
        print("\n".join(lines))
        print(_paint("1", "----"), flush=True)


def run_odoo_logged(cmd, log_path, env=None):
    """Run Odoo with its whole log in log_path; show errors as they come."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    result = OdooRun(log_path)
    start = time.monotonic()
    block = None
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            env=env or child_env(),
            cwd=ROOT,
        )
        try:
            for line in proc.stdout:
                log.write(line)
                line = line.rstrip("\n")
                match = LOG_LINE.match(line)
                if not match:
                    if block is not None:
                        block.append(line)
                    continue
                block = None
                level, msg = match["level"], match["msg"]
                result.levels[level] = result.levels.get(level, 0) + 1
                if level in ("ERROR", "CRITICAL"):
                    block = [line]
                    result.blocks.append(block)
                    print(_paint("31", "    " + line[:300]), flush=True)
                elif level == "WARNING" and MODULE in match["logger"] + msg:
                    result.warnings.append(line)
                report = TEST_REPORT.search(msg)
                if report:
                    result.report = tuple(int(n) for n in report.groups())
                if level == "INFO" and msg.startswith("skipped "):
                    result.skipped.append(msg)  # a test skipped by Odoo's runner
            result.returncode = proc.wait()
            if result.returncode in (-signal.SIGINT, -signal.SIGTERM):
                raise KeyboardInterrupt
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    result.seconds = time.monotonic() - start
    return result


def install(conf, db, demo, label):
    """Create db and install the addon into it; Fail with the log on any problem."""
    log_path = LOG_DIR / f"{db}-install.log"
    step(
        f"Installing {MODULE} {'with' if demo else 'without'} demo data"
        f" into database {db}"
    )
    info(f"log: {rel(log_path)}")
    args = [
        "-i",
        MODULE,
        "--stop-after-init",
        "--log-level=info",
        "--max-cron-threads=0",
    ]
    if not demo:
        args.append("--without-demo=all")
    run = run_odoo_logged(odoo_cmd(conf, db, *args), log_path)
    for line in run.warnings[:20]:
        warn(line)
    state, has_demo = module_state(db) if db_exists(db) else (None, None)
    problem = None
    if run.returncode != 0:
        problem = f"Odoo exited with status {run.returncode}"
    elif state not in INSTALLED:
        problem = f"{MODULE} is not installed (state: {state or 'no Odoo database'})"
    elif run.problems:
        problem = f"the install log has {run.problems} ERROR/CRITICAL line(s)"
    elif demo and not has_demo:
        problem = "demo data was not loaded"
    if problem:
        run.print_failure()
        raise Fail(f"{label} failed: {problem}. Full log: {rel(log_path)}")
    info(
        f"installed in {run.seconds:.0f}s,"
        f" {run.levels.get('WARNING', 0)} warning(s) in the log"
    )
    return run


class TemporaryDatabase:
    """A fresh database name; on exit the database, its filestore and configuration
    are dropped, and its logs too unless something failed."""

    def __init__(self, kind):
        self.name = temp_db_name(kind)
        self.conf = WORK / f"{self.name}.conf"

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            step(f"Dropping database {self.name}")
            drop_db(self.name)
        finally:
            self.conf.unlink(missing_ok=True)
            if exc_type is None:
                for log in LOG_DIR.glob(f"{self.name}-*.log"):
                    log.unlink()
        return False


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------


def cmd_check(_args):
    step("Checking prerequisites")
    check_all(("requirements.txt", "requirements-test.txt"))
    ok("All prerequisites are there")


def cmd_run(args):
    db, port = args.db, args.http_port
    step("Checking prerequisites")
    addons_paths = check_all(("requirements.txt",))
    if port_busy(port):
        raise Fail(
            f"Port {port} is already in use (another Odoo?): stop it,"
            " or make run HTTP_PORT=<port>."
        )
    conf = write_config(
        RUN_CONF, db, addons_paths, port, {"dbfilter": f"^{re.escape(db)}$"}
    )
    exists = db_exists(db)
    state = module_state(db)[0] if exists else None
    if state in INSTALLED:
        step(f"Reusing database {db} (make reset drops it)")
    else:
        created = not exists
        if exists:
            info(
                f"database {db} exists but {MODULE} is not installed in it"
                f" ({state or 'no Odoo yet'})"
            )
        try:
            install(conf, db, demo=True, label=f"Setting up database {db}")
            ensure_admin_login(conf, db)
        except BaseException:
            if created:
                drop_db(db)
            raise
    extra = shlex.split(os.environ.get("ODOO_ARGS", ""))
    ok(
        f"Starting Odoo on http://localhost:{port}"
        "  (login admin / admin, Ctrl+C stops it)"
    )
    sys.stdout.flush()
    cmd = odoo_cmd(conf, db, *extra)
    os.chdir(ROOT)
    os.execvpe(cmd[0], cmd, child_env())


_SET_ADMIN = r"""
import sys, odoo
from odoo.exceptions import AccessDenied
from odoo.tools import config
config.parse_config(["-c", sys.argv[1], "-d", sys.argv[2], "--log-level=warn"])
from odoo.modules.registry import Registry

def works(admin):
    try:
        admin.with_user(admin)._check_credentials(
            {"type": "password", "password": "admin"}, {"interactive": False})
    except AccessDenied:
        return False
    return admin.login == "admin" and admin.active

with Registry(sys.argv[2]).cursor() as cr:
    admin = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}).ref("base.user_admin")
    if works(admin):
        print("already")
    else:
        admin.write({"login": "admin", "password": "admin", "active": True})
        assert works(admin), "admin / admin still refused"
        print("set")
"""


def ensure_admin_login(conf, db):
    """Login admin with password admin works (Odoo's base data already does so)."""
    proc = subprocess.run(
        [sys.executable, "-c", _SET_ADMIN, str(conf), db],
        env=child_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise Fail(
            f"Could not set the admin password in {db}:\n{proc.stdout}{proc.stderr}"
        )
    if proc.stdout.strip().endswith("set"):
        info("admin password set to admin (login admin)")
    else:
        info("checked: login admin / password admin works")


def cmd_reset(args):
    check_postgres()
    if db_exists(args.db):
        drop_db(args.db)
        ok(f"Dropped database {args.db}; the next make run creates it anew")
    else:
        shutil.rmtree(DATA_DIR / "filestore" / args.db, ignore_errors=True)
        ok(f"There was no database {args.db}")


def tour_tests_present():
    return any(
        TOUR_TAG.search(p.read_text(encoding="utf-8", errors="replace"))
        for p in sorted((ROOT / "tests").glob("*.py"))
    )


# the test addon that extends the records logging creates (tests/addons)
TEST_ADDONS = ROOT / "tests" / "addons"
TEST_EXTENSION = "crm_campaign_segment_extension_test"
QUEUE_JOB_REQUIREMENT = "odoo-addon-queue-job>=18.0,<18.1"


def fetch_queue_job():
    """OCA queue_job 18.0 in .odoo/extra-addons, unpacked from its PyPI wheel
    (never pip-installed: the wheel's odoo/addons folder would shadow Odoo)."""
    target = FETCHED_ADDONS / "queue_job"
    if (target / "__manifest__.py").is_file():
        return
    step(f"Fetching OCA queue_job 18.0 into {rel(FETCHED_ADDONS)} (its PyPI wheel)")
    with tempfile.TemporaryDirectory() as folder:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                QUEUE_JOB_REQUIREMENT,
                "-d",
                folder,
            ],
            check=False,
        )
        wheels = sorted(Path(folder).glob("odoo_addon_queue_job-*.whl"))
        if run.returncode != 0 or not wheels:
            raise Fail(
                f"pip download {QUEUE_JOB_REQUIREMENT} failed: the tests of the"
                " fan-out over queue jobs need it (see README.md)."
            )
        prefix = "odoo/addons/queue_job/"
        with zipfile.ZipFile(wheels[-1]) as archive:
            for name in archive.namelist():
                if name.startswith(prefix) and not name.endswith("/"):
                    path = target / name[len(prefix) :]
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(archive.read(name))
    ok(f"queue_job unpacked into {rel(target)}")


def install_test_addons(conf, db):
    """Install OCA queue_job and the test extension addon into the test
    database, so that the tests of the fan-out and of extensions run."""
    step(f"Installing queue_job and {TEST_EXTENSION} into the test database")
    log_path = LOG_DIR / f"{db}-test-addons.log"
    run = run_odoo_logged(
        odoo_cmd(
            conf,
            db,
            "-i",
            f"queue_job,{TEST_EXTENSION}",
            "--stop-after-init",
            "--max-cron-threads=0",
        ),
        log_path,
    )
    if run.returncode != 0 or run.problems:
        raise Fail(f"Installing the test addons failed: see {rel(log_path)}")


# The version the upgrade test starts from: the oldest one databases in use
# may still have, so that every migration script since runs, in order
UPGRADE_FROM_VERSION = "18.0.1.1.0"


def version_commit(wanted):
    """(commit, version) of the newest state of version ``wanted`` of the addon
    (the parent of the oldest commit at a later version), or None when the
    history does not reach it (a shallow clone)."""
    commits = subprocess.run(
        ["git", "-C", str(ROOT), "log", "--format=%H", "--", "__manifest__.py"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    oldest_later = None
    for commit in commits:
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{commit}:__manifest__.py"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        version = ast.literal_eval(text or "{}").get("version")
        if version != wanted:
            oldest_later = commit
        elif oldest_later:
            parent = subprocess.run(
                ["git", "-C", str(ROOT), "rev-parse", f"{oldest_later}^"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            return (parent, version) if parent else None
        else:
            return None  # the checkout itself is at that version
    return None


# SQL checks of a database updated from the previous version: (what, query
# returning true when it holds)
UPGRADE_CHECKS = (
    (
        "the link of interactions to e-mails is an ordinary foreign key",
        """SELECT bool_and(NOT condeferrable) FROM pg_constraint
            WHERE conrelid = 'crm_interaction'::regclass AND contype = 'f'
              AND conkey = ARRAY[(SELECT attnum FROM pg_attribute
                    WHERE attrelid = 'crm_interaction'::regclass
                      AND attname = 'mail_id')]::smallint[]""",
    ),
    (
        "the step history has its foreign keys",
        """SELECT COUNT(*) >= 3 FROM pg_constraint
            WHERE conrelid = 'crm_segment_history'::regclass AND contype = 'f'""",
    ),
    (
        "history rows of deleted steps are gone",
        "SELECT NOT EXISTS (SELECT 1 FROM crm_segment_history WHERE step_id = -1)",
    ),
    (
        "the export template lists each field once",
        """SELECT NOT EXISTS (SELECT 1 FROM ir_exports_line l
            JOIN ir_exports e ON e.id = l.export_id
           WHERE e.name = 'Segment contacts'
           GROUP BY l.export_id, l.name HAVING COUNT(*) > 1)""",
    ),
    (
        "the consent log names the topic of every row that has one",
        """SELECT NOT EXISTS (SELECT 1 FROM crm_consent_log
            WHERE mailing_group_id IS NOT NULL AND topic_name IS NULL)""",
    ),
    (
        "the consent log rows of a topic or contact of a company belong to it",
        """SELECT NOT EXISTS (SELECT 1 FROM crm_consent_log l
            LEFT JOIN crm_mailing_group g ON g.id = l.mailing_group_id
            LEFT JOIN res_partner p ON p.id = l.partner_id
           WHERE l.company_id IS NULL
             AND COALESCE(g.company_id, p.company_id) IS NOT NULL)""",
    ),
    (
        "interactions logged before tracking count no open and no click",
        """SELECT NOT EXISTS (SELECT 1 FROM crm_interaction
            WHERE opened_count IS DISTINCT FROM 0 OR clicked_count IS DISTINCT FROM 0
               OR click_count IS DISTINCT FROM 0)""",
    ),
    (
        "the link tracker is installed with the addon",
        """SELECT EXISTS (SELECT 1 FROM ir_module_module
            WHERE name = 'link_tracker' AND state = 'installed')""",
    ),
    (
        "the old counter column of logged segments is gone",
        """SELECT NOT EXISTS (SELECT 1 FROM information_schema.columns
            WHERE table_name = 'crm_logged_segment' AND column_name = 'line_done')""",
    ),
)


def run_upgrade_test(odoo_addons):
    """Install the oldest version still upgraded (``UPGRADE_FROM_VERSION``)
    with its demo data, update it to this checkout, and check what the
    migrations must change."""
    found = version_commit(UPGRADE_FROM_VERSION)
    if not found:
        shallow = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--is-shallow-repository"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if shallow == "true":
            warn("upgrade test NOT run: this clone is shallow (git fetch --unshallow)")
            return
        raise Fail("upgrade test: no earlier version of the addon in the history")
    commit, version = found
    step(f"Upgrade test: {version} ({commit[:7]}) updated to this checkout")
    with tempfile.TemporaryDirectory(dir=WORK) as folder:
        old_addons = Path(folder)
        target = old_addons / MODULE
        target.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        with TemporaryDatabase("upgrade") as tmp:
            old_conf = write_config(
                WORK / f"{tmp.name}-old.conf",
                tmp.name,
                [old_addons, *odoo_addons],
                free_port(),
            )
            try:
                install(old_conf, tmp.name, demo=True, label="previous version")
            finally:
                old_conf.unlink(missing_ok=True)
            with pg_connect(tmp.name) as conn, conn.cursor() as cr:
                # a history row whose step is gone, as a version before the
                # history's foreign keys could leave: the migration must remove
                # it (a later previous version has the keys: no such row)
                cr.execute(
                    """
                    SELECT COUNT(*) FROM pg_constraint
                     WHERE conrelid = 'crm_segment_history'::regclass
                       AND contype = 'f'
                    """
                )
                if not cr.fetchone()[0]:
                    cr.execute(
                        """
                        INSERT INTO crm_segment_history
                               (step_id, segment_id, partner_id, operation)
                        SELECT -1, segment_id, partner_id, 'insert'
                          FROM crm_segment_history LIMIT 1
                        """
                    )
            conn.close()
            conf = write_config(
                tmp.conf, tmp.name, [ADDONS_DIR, *odoo_addons], free_port()
            )
            log_path = LOG_DIR / f"{tmp.name}-update.log"
            run = run_odoo_logged(
                odoo_cmd(
                    conf,
                    tmp.name,
                    "-u",
                    MODULE,
                    "--stop-after-init",
                    "--max-cron-threads=0",
                ),
                log_path,
            )
            if run.returncode != 0 or run.problems:
                run.print_failure()
                raise Fail(f"upgrade test: the update failed, see {rel(log_path)}")
            failed = []
            with pg_connect(tmp.name) as conn, conn.cursor() as cr:
                cr.execute(
                    "SELECT latest_version FROM ir_module_module WHERE name = %s",
                    [MODULE],
                )
                if cr.fetchone()[0] != manifest()["version"]:
                    failed.append("the module is at the new version")
                for what, query in UPGRADE_CHECKS:
                    cr.execute(query)
                    if not cr.fetchone()[0]:
                        failed.append(what)
            conn.close()
            if failed:
                raise Fail(
                    "upgrade test: not so after the update: " + "; ".join(failed)
                )
    ok(f"upgrade test: {version} updated to {manifest()['version']}")


def cmd_test(args):
    started = time.monotonic()
    step("Checking prerequisites")
    addons_paths = check_all(("requirements.txt", "requirements-test.txt"))
    if not (ROOT / "tests").is_dir():
        raise Fail("There is no tests/ folder: nothing to test.")
    tours = tour_tests_present()
    no_browser = check_browser() if tours else None
    pytest_args = shlex.split(os.environ.get("TESTS", ""))
    if not pytest_args and (ROOT / "scripts" / "tests").is_dir():
        run_script_tests()
    fetch_queue_job()
    addons_paths = [*addons_paths, TEST_ADDONS]
    if FETCHED_ADDONS not in addons_paths:
        addons_paths.insert(1, FETCHED_ADDONS)
    with TemporaryDatabase("test") as tmp:
        conf = write_config(
            tmp.conf,
            tmp.name,
            addons_paths,
            free_port(),
            {"http_interface": "127.0.0.1", "max_cron_threads": "0"},
        )
        install(conf, tmp.name, demo=True, label="Installing the addon")
        install_test_addons(conf, tmp.name)

        step("Running the tests with pytest-odoo")
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "pytest_odoo_addon",  # scripts/pytest_odoo_addon.py
            "--odoo-config",
            str(conf),
            "--odoo-database",
            tmp.name,
            "--odoo-http",
            *pytest_args,  # none: testpaths of pytest.ini, the tests/ folder
        ]
        info("$ " + shlex.join([Path(cmd[0]).name, *cmd[1:]]))
        rc = subprocess.run(
            cmd, cwd=ROOT, env=child_env([SCRIPTS]), check=False
        ).returncode
        if rc != 0:
            raise Fail(
                f"pytest failed (exit status {rc}"
                f"{', no test collected' if rc == 5 else ''})."
            )

        if not tours:
            info("no test tagged 'tour' in tests/: no browser tour to run")
        elif no_browser:
            warn(f"browser tours NOT run: {no_browser}")
        elif pytest_args:
            info(
                "TESTS selects some tests: browser tours skipped"
                " (make test without TESTS runs them)"
            )
        else:
            run_tours(conf, tmp.name)
    if not pytest_args:
        run_upgrade_test(odoo_addons_only(addons_paths))
    ok(f"make test passed in {time.monotonic() - started:.0f}s")


def odoo_addons_only(addons_paths):
    """The addons path without this checkout nor the test addons."""
    return [
        path for path in addons_paths if Path(path) not in (ADDONS_DIR, TEST_ADDONS)
    ]


def in_ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def check_browser():
    """None when the browser tours can run, else why not. Under CI=true a tour that
    cannot run fails `make test`; elsewhere the tours are skipped with a warning."""
    problem = None
    if not any(shutil.which(b) for b in BROWSERS):
        problem = "Browser tours need Chrome or Chromium: apt-get install chromium"
    elif importlib.util.find_spec("websocket") is None:
        problem = (
            "Browser tours need websocket-client: pip install -r requirements-test.txt"
        )
    if problem and in_ci():
        raise Fail(f"{problem} (CI=true: the tours must run)")
    return problem


def run_tours(conf, db):
    port = free_port()
    log_path = LOG_DIR / f"{db}-tours.log"
    step(
        "Running the browser tours with Odoo's test runner"
        f" (tests tagged 'tour', port {port})"
    )
    info(f"log: {rel(log_path)}")
    cmd = odoo_cmd(
        conf,
        db,
        "--test-tags",
        f"tour/{MODULE}",
        "--stop-after-init",
        f"--http-port={port}",
        "--log-level=info",
        "--max-cron-threads=0",
    )
    run = run_odoo_logged(cmd, log_path)
    for msg in run.skipped:
        warn(msg)
    failed, errors, total = run.report or (None, None, 0)
    problem = None
    if failed or errors:
        problem = f"{failed} failed, {errors} error(s) of {total} tests"
    elif run.returncode != 0:
        problem = f"Odoo exited with status {run.returncode}"
    elif run.problems:
        problem = f"the log has {run.problems} ERROR/CRITICAL line(s)"
    elif run.report is None:
        problem = "Odoo's test runner printed no report"
    elif total == 0:
        problem = (
            "no tour ran: tag tour tests @tagged('post_install', '-at_install', 'tour')"
            " and import them in tests/__init__.py"
        )
    elif run.skipped and in_ci():
        problem = f"{len(run.skipped)} tour test(s) skipped, which CI=true forbids"
    if problem:
        run.print_failure()
        raise Fail(f"Browser tours failed: {problem}. Full log: {rel(log_path)}")
    print(
        f"tours: {total - len(run.skipped)} passed, 0 failed"
        + (f", {len(run.skipped)} skipped" if run.skipped else ""),
        flush=True,
    )


def cmd_bench(args):
    bench = ROOT / "bench" / "bench.py"
    if not bench.is_file():
        ok("No benchmark exists yet (bench/bench.py is missing): nothing to run.")
        return
    step("Checking prerequisites")
    addons_paths = check_all(("requirements.txt", "requirements-test.txt"))
    # the fan-out suite runs queue jobs
    fetch_queue_job()
    if FETCHED_ADDONS not in addons_paths:
        addons_paths.insert(1, FETCHED_ADDONS)
    extra = shlex.split(os.environ.get("BENCH_ARGS", ""))
    given = os.environ.get("BENCH_DB", "").strip()

    def bench_on(db, conf):
        step(f"Running bench/bench.py on database {db}")
        cmd = [
            sys.executable,
            str(bench),
            "--config",
            str(conf),
            "--database",
            db,
            *extra,
        ]
        rc = subprocess.run(cmd, cwd=ROOT, env=child_env(), check=False).returncode
        if rc != 0:
            raise Fail(f"bench/bench.py failed (exit status {rc}).")

    if given:
        if not db_exists(given) or module_state(given)[0] not in INSTALLED:
            raise Fail(
                f"BENCH_DB={given}: no database with {MODULE} installed of that name."
            )
        conf = write_config(WORK / "bench.conf", given, addons_paths, free_port())
        bench_on(given, conf)
    else:
        with TemporaryDatabase("bench") as tmp:
            conf = write_config(tmp.conf, tmp.name, addons_paths, free_port())
            install(conf, tmp.name, demo=False, label="Installing the addon")
            # the anchor of the logging suite: Odoo's Email Marketing, same run;
            # OCA queue_job for the fan-out suite
            step("Installing mass_mailing (the logging suite's anchor) and queue_job")
            log_path = LOG_DIR / f"{tmp.name}-mass_mailing.log"
            run = run_odoo_logged(
                odoo_cmd(
                    conf,
                    tmp.name,
                    "-i",
                    "mass_mailing,queue_job",
                    "--stop-after-init",
                    "--without-demo=all",
                    "--max-cron-threads=0",
                ),
                log_path,
            )
            if run.returncode != 0:
                raise Fail(f"Installing mass_mailing failed: see {rel(log_path)}")
            bench_on(tmp.name, conf)
    ok("Benchmark done")


def cmd_i18n(_args):
    """Export the .pot from a fresh database and merge it into every .po file.

    Odoo's export walks the module folder following links, and .odoo/ links back
    to the checkout: export from a copy of the tracked folders instead."""
    step("Checking prerequisites")
    addons_paths = check_all()
    source = WORK / "i18n-source"
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(
        ROOT,
        source / MODULE,
        ignore=shutil.ignore_patterns(".*", "__pycache__"),
    )
    addons_paths = [source, *addons_paths[1:]]
    pot = ROOT / "i18n" / f"{MODULE}.pot"
    try:
        with TemporaryDatabase("i18n") as tmp:
            conf = write_config(tmp.conf, tmp.name, addons_paths, free_port())
            install(conf, tmp.name, demo=False, label="Installing the addon")
            step(f"Exporting {rel(pot)}")
            cmd = odoo_cmd(
                conf,
                tmp.name,
                f"--i18n-export={pot}",
                f"--modules={MODULE}",
                "--stop-after-init",
                "--log-level=warn",
            )
            rc = subprocess.run(cmd, cwd=ROOT, env=child_env(), check=False).returncode
            if rc != 0:
                raise Fail(f"the export failed (exit status {rc}).")
    finally:
        shutil.rmtree(source, ignore_errors=True)
    msgmerge = shutil.which("msgmerge")
    for po in sorted((ROOT / "i18n").glob("*.po")):
        if not msgmerge:
            warn(f"msgmerge (gettext) is missing: {rel(po)} not merged")
            continue
        subprocess.run(
            [msgmerge, "--quiet", "--update", "--no-fuzzy-matching"]
            + ["--backup=none", str(po), str(pot)],
            check=True,
        )
        import polib  # noqa: PLC0415 (comes with Odoo)

        untranslated = polib.pofile(str(po)).untranslated_entries()
        info(f"{rel(po)}: {len(untranslated)} untranslated")
        for entry in untranslated[:20]:
            info(f"    {entry.msgid[:70]!r}")
    ok("Translations exported")


def cmd_lint(_args):
    """ruff (check, format) on the checkout, then pylint-odoo with OCA's mandatory
    18.0 checks (.pylintrc-mandatory) on the addon, reached through its link so that
    pylint-odoo sees it under its technical name. Under CI=true a missing linter
    fails the target; elsewhere it is skipped with a hint."""
    missing = []
    if importlib.util.find_spec("ruff") is not None:
        ruff = [sys.executable, "-m", "ruff"]
    elif shutil.which("ruff"):
        ruff = ["ruff"]
    else:
        ruff = None
        missing.append("ruff")
    if importlib.util.find_spec("pylint_odoo") is None:
        missing.append("pylint-odoo")
    if missing:
        hint = f"{sys.executable} -m pip install -r requirements-test.txt"
        if in_ci():
            raise Fail(f"{' and '.join(missing)} not installed: {hint}")
        warn(f"{' and '.join(missing)} not installed, not checked ({hint})")
    failed = []
    if ruff:
        for args in (["check", "--no-fix", "."], ["format", "--check", "--diff", "."]):
            step("ruff " + " ".join(args))
            if subprocess.run([*ruff, *args], cwd=ROOT, check=False).returncode:
                failed.append("ruff (ruff check --fix . && ruff format . mends most)")
    if "pylint-odoo" not in missing:
        step("pylint-odoo with OCA's mandatory checks (.pylintrc-mandatory)")
        link_addon()
        cmd = [
            sys.executable,
            "-m",
            "pylint",
            f"--rcfile={ROOT / '.pylintrc-mandatory'}",
            "--output-format=colorized"
            if sys.stdout.isatty()
            else "--output-format=text",
            MODULE,
        ]
        if subprocess.run(cmd, cwd=ADDONS_DIR, check=False).returncode:
            failed.append("pylint-odoo")
    if failed:
        raise Fail("lint found problems: " + "; ".join(dict.fromkeys(failed)))
    ok("lint: clean" + (f" ({', '.join(missing)} skipped)" if missing else ""))


# --------------------------------------------------------------------------
# Set-up: Odoo in .odoo/ when missing, a running PostgreSQL (scripts/bootstrap.py,
# scripts/system_setup.py)
# --------------------------------------------------------------------------

SETS_UP_ODOO = ("run", "test", "bench", "i18n", "setup")
NEEDS_POSTGRES = ("check", "run", "test", "bench", "i18n", "reset")


def prepare(command, argv):
    """Before a command: Odoo (set up in .odoo/ when missing; this re-executes
    devtool.py with .odoo/venv's Python) and a running local PostgreSQL."""
    if command in SETS_UP_ODOO or command in NEEDS_POSTGRES:
        bootstrap.ensure_odoo(
            ROOT,
            Path(__file__).resolve(),
            argv,
            command=command,
            allow_setup=command in SETS_UP_ODOO,
        )
    if command in NEEDS_POSTGRES and system_setup.pg_local():
        if not system_setup.pg_accepting() or (
            shutil.which("psql") and not system_setup.pg_login_works()
        ):
            step("PostgreSQL")
            info(system_setup.ensure_postgres())


def cmd_doctor(_args):
    doctor.report(ROOT)


def cmd_setup(_args):
    """Only what make run / make test set up first (Odoo in .odoo/ when missing)."""
    label, _addons = check_odoo()
    ok(f"Ready: {label}")


def run_script_tests():
    """The tests of scripts/ (the set-up itself): plain pytest, no Odoo."""
    step("Testing the developer scripts (scripts/tests, no Odoo)")
    cmd = [sys.executable, "-m", "pytest", "-p", "no:odoo", "-p", "no:cacheprovider"]
    cmd += ["-c", "scripts/tests/pytest.ini", "-q", "scripts/tests"]
    info("$ " + shlex.join([Path(cmd[0]).name, *cmd[1:]]))
    rc = subprocess.run(cmd, cwd=ROOT, check=False).returncode
    if rc != 0:
        raise Fail(f"the tests of scripts/ failed (exit status {rc}).")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("check", "run", "test", "bench", "reset", "lint", "i18n"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--db", default=os.environ.get("DB") or MODULE)
        cmd.add_argument(
            "--http-port", type=int, default=int(os.environ.get("HTTP_PORT") or 8069)
        )
    for name in ("doctor", "setup"):
        sub.add_parser(name)
    args = parser.parse_args(argv)
    # SIGTERM (CI timeouts, kill) unwinds like Ctrl+C: temporary databases get dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        prepare(args.command, sys.argv[1:] if argv is None else argv)
        globals()["cmd_" + args.command](args)
    except system_setup.Fail as exc:
        print(_paint("1;31", "==> error: ") + str(exc), file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print(_paint("1;31", "==> interrupted"), file=sys.stderr, flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
