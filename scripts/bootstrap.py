"""Odoo 18.0 Community in .odoo/ when the Python in use has none (make run, make test).

When Odoo is neither importable by the running Python nor given by ODOO_PATH,
scripts/devtool.py calls ensure_odoo(), which

  1. installs the Debian packages that building Odoo's requirements needs (as root
     or with passwordless sudo; otherwise prints the apt-get command and stops),
  2. fetches Odoo: a shallow clone of ODOO_GIT_REF (18.0) of ODOO_GIT_URL (the
     official repository) into .odoo/odoo,
  3. creates the virtual environment .odoo/venv,
  4. installs Odoo's requirements.txt into it, with the project's known fixes
     (scripts/odoo-requirements-fixes.txt),
  5. puts .odoo/odoo on the venv's path (a .pth file: what ODOO_PATH does),
  6. installs the addon's requirements.txt and requirements-test.txt,

then runs devtool.py again with .odoo/venv's Python, which goes on as when Odoo is
installed. Later runs find .odoo/venv complete and only switch to it. A Python that
has Odoo is never changed. Nothing here asks a question. Standard library only.
"""

import contextlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

from system_setup import (
    BUILD_PACKAGES,
    RUN_PACKAGES,
    TEST_PACKAGES,
    Fail,
    install_packages,
    pg_accepting,
    pg_local,
    pg_server_installed,
    python_has_venv,
)

ODOO_SERIE = 18
DEFAULT_GIT_URL = "https://github.com/odoo/odoo"
DEFAULT_GIT_REF = f"{ODOO_SERIE}.0"
FIXES = "odoo-requirements-fixes.txt"  # in scripts/
REEXEC_MARK = "DEVTOOL_ODOO_VENV"  # set when devtool.py runs again in the venv
ADDON_REQUIREMENTS = ("requirements.txt", "requirements-test.txt")
SHOWN_PIP_LINES = ("Building wheel for", "ERROR", "error:", "WARNING: Skipping")


def say(msg):
    print("    " + msg, flush=True)


def duration(seconds):
    if seconds < 60:
        return f"{seconds:.0f}s"
    return f"{int(seconds // 60)}min {int(seconds % 60):02d}s"


class Layout:
    """Where the bootstrap puts things, under <checkout>/.odoo/."""

    def __init__(self, root):
        self.root = Path(root)
        self.work = self.root / ".odoo"
        self.src = self.work / "odoo"
        self.venv = self.work / "venv"
        self.stamp = self.venv / "bootstrap.json"
        self.requirements = self.work / "odoo-requirements.txt"
        self.logs = self.work / "logs"
        self.fixes = self.root / "scripts" / FIXES

    @property
    def python(self):
        if os.name == "nt":
            return self.venv / "Scripts" / "python.exe"
        return self.venv / "bin" / "python"

    def rel(self, path):
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    def stamp_data(self):
        """What the last complete set-up recorded, or None."""
        try:
            data = json.loads(self.stamp.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if self.python.exists() else None

    def running_in_venv(self):
        return Path(sys.prefix).resolve() == self.venv.resolve()


def git_source():
    """(url, ref) of the Odoo source to fetch; ODOO_GIT_URL / ODOO_GIT_REF win."""
    url = os.environ.get("ODOO_GIT_URL", "").strip() or DEFAULT_GIT_URL
    ref = os.environ.get("ODOO_GIT_REF", "").strip() or DEFAULT_GIT_REF
    return url, ref


def clone_url(url):
    """git ignores --depth for a plain local path: make it a file:// URL."""
    if "://" not in url and Path(url).expanduser().exists():
        return Path(url).expanduser().resolve().as_uri()
    return url


# --------------------------------------------------------------------------
# Requirements with the project's fixes
# --------------------------------------------------------------------------

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(line):
    """Canonical package name of a requirements line, None for comments/options."""
    text = line.split("#", 1)[0].strip()
    if not text or text.startswith("-"):
        return None
    match = _NAME.match(text)
    return canonical(match.group(1)) if match else None


def read_fixes(path):
    """{canonical name: requirement line} of a fixes (constraints) file."""
    fixes = {}
    if not Path(path).is_file():
        return fixes
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        name = requirement_name(line)
        if name:
            fixes[name] = line.split("#", 1)[0].strip()
    return fixes


def fixed_requirements(text, fixes):
    """Odoo's requirements.txt with each line of a fixed package replaced."""
    out = []
    for line in text.splitlines():
        name = requirement_name(line)
        if name in fixes:
            out.append(f"# replaced by {FIXES}: {line.strip()}")
        else:
            out.append(line)
    out.append(f"# from {FIXES}")
    out.extend(fixes.values())
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------


class Steps:
    """Numbered steps, each with its duration."""

    def __init__(self, total):
        self.total = total
        self.number = 0
        self.times = []

    @contextlib.contextmanager
    def __call__(self, title):
        self.number += 1
        print(f"==> [{self.number}/{self.total}] {title}", flush=True)
        start = time.monotonic()
        yield
        seconds = time.monotonic() - start
        self.times.append((title, seconds))
        say(f"done in {duration(seconds)}")


def system_packages(command, build=True):
    """Debian packages of the set-up (build=False: those Odoo uses once set up)."""
    packages = [*(BUILD_PACKAGES if build else ()), *RUN_PACKAGES]
    if command == "test":
        packages += TEST_PACKAGES
    if build and not python_has_venv(sys.executable):
        packages.append("python3-venv")
    if pg_local() and not pg_server_installed() and not pg_accepting():
        packages.append("postgresql")  # started after the set-up
    return packages


def skip_system_packages():
    return os.environ.get("SKIP_SYSTEM_PACKAGES", "").strip() not in ("", "0")


def run_quiet(cmd, what, **kwargs):
    proc = subprocess.run(
        cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kwargs
    )
    if proc.returncode != 0:
        raise Fail(
            f"{what} failed ({shlex.join(str(c) for c in cmd)}):\n"
            + (proc.stderr or proc.stdout).strip()[-3000:]
        )
    return proc.stdout.strip()


def fetch_odoo(layout, url, ref):
    """Shallow clone of ref into .odoo/odoo (through .odoo/odoo.partial)."""
    if (layout.src / "odoo" / "__init__.py").is_file():
        say(f"already there: {layout.rel(layout.src)} (remove it to fetch anew)")
        return
    if not shutil.which("git"):
        raise Fail("git is needed to fetch Odoo: apt-get install git")
    partial = layout.work / "odoo.partial"
    shutil.rmtree(partial, ignore_errors=True)
    layout.work.mkdir(parents=True, exist_ok=True)
    say(f"git clone --depth 1 --branch {ref} {url} {layout.rel(layout.src)}")
    cmd = ["git", "clone", "--depth", "1", "--branch", ref, "--single-branch"]
    cmd += ["--no-tags", clone_url(url), str(partial)]
    if not sys.stderr.isatty():
        cmd.insert(2, "--quiet")  # progress on a terminal only
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise Fail(
            f"Could not fetch Odoo {ref} from {url}. Set ODOO_GIT_URL to a reachable"
            " copy (a mirror, or a local clone) and ODOO_GIT_REF to its branch, or"
            " point ODOO_PATH at an Odoo 18.0 source folder."
        )
    if not (partial / "odoo" / "__init__.py").is_file():
        shutil.rmtree(partial, ignore_errors=True)
        raise Fail(f"{url} ({ref}) is not an Odoo source tree (no odoo/__init__.py).")
    partial.rename(layout.src)


def create_venv(layout, base_python):
    if layout.python.exists():
        say(f"already there: {layout.rel(layout.venv)}")
        return
    say(f"{base_python} -m venv {layout.rel(layout.venv)}")
    shutil.rmtree(layout.venv, ignore_errors=True)
    run_quiet([base_python, "-m", "venv", str(layout.venv)], "Creating the venv")


def pip_install(layout, args, log_name):
    """pip install into the venv; its whole output in .odoo/logs/, a summary here."""
    layout.logs.mkdir(parents=True, exist_ok=True)
    log_path = layout.logs / log_name
    cmd = [str(layout.python), "-m", "pip", "install", "--progress-bar", "off", *args]
    shown = shlex.join([layout.rel(cmd[0]), *cmd[1:]])
    say("$ " + shown.replace(str(layout.root) + os.sep, ""))
    env = dict(os.environ, PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    tail = deque(maxlen=40)
    terminal = sys.stdout.isatty()
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            env=env,
            cwd=layout.root,
        )
        for line in proc.stdout:
            log.write(line)
            tail.append(line.rstrip())
            stripped = line.strip()
            if stripped.startswith(SHOWN_PIP_LINES) or (
                terminal and stripped.startswith("Collecting ")
            ):
                say(stripped[:160])
            elif stripped.startswith("Successfully installed"):
                say(f"installed {len(stripped.split()) - 2} package(s)")
        returncode = proc.wait()
    if returncode != 0:
        print("\n".join(tail), flush=True)
        raise Fail(
            f"pip install failed (full log: {layout.rel(log_path)}). A requirement"
            f" that does not build here can be replaced in scripts/{FIXES}."
        )


def install_odoo_requirements(layout):
    fixes = read_fixes(layout.fixes)
    text = (layout.src / "requirements.txt").read_text(encoding="utf-8")
    layout.requirements.write_text(fixed_requirements(text, fixes), encoding="utf-8")
    if fixes:
        say(f"with the fixes of scripts/{FIXES}: {', '.join(fixes.values())}")
    args = ["-r", str(layout.requirements)]
    if layout.fixes.is_file():
        args += ["-c", str(layout.fixes)]
    pip_install(layout, args, "bootstrap-odoo-requirements.log")


def link_odoo(layout):
    """.odoo/odoo on the venv's sys.path (an editable install without a build)."""
    site = run_quiet(
        [
            str(layout.python),
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ],
        "Locating the venv's site-packages",
    )
    pth = Path(site) / "odoo-source.pth"
    pth.write_text(str(layout.src.resolve()) + "\n", encoding="utf-8")
    say(f"{layout.rel(pth)} -> {layout.rel(layout.src)}")
    version = run_quiet(
        [
            str(layout.python),
            "-c",
            "import odoo, odoo.release as r; print(r.version_info[0], r.version)",
        ],
        "Importing the fetched Odoo",
        cwd=layout.work,
    )
    major, label = version.split()[-2:]
    if int(major) != ODOO_SERIE:
        raise Fail(
            f"The fetched Odoo is {label}, this addon needs {ODOO_SERIE}.0: set"
            f" ODOO_GIT_REF to {ODOO_SERIE}.0 and remove {layout.rel(layout.src)}."
        )
    return label


def install_addon_requirements(layout):
    args = []
    for name in ADDON_REQUIREMENTS:
        if (layout.root / name).is_file():
            args += ["-r", name]
    if args:
        pip_install(layout, args, "bootstrap-addon-requirements.log")
    else:
        say("none")


def setup(layout, command="run", base_python=None):
    """Set up .odoo/odoo and .odoo/venv; return the stamp written."""
    base_python = base_python or sys.executable
    url, ref = git_source()
    skip_system = skip_system_packages()
    step = Steps(6)
    started = time.monotonic()
    print(
        f"==> Odoo is not installed for {base_python} and ODOO_PATH is not set:"
        f" setting up Odoo {ref} in {layout.rel(layout.work)}/"
        " (first time only; make doctor shows what is there)",
        flush=True,
    )
    with step("System packages (Debian)"):
        if skip_system:
            say("skipped (SKIP_SYSTEM_PACKAGES is set)")
        else:
            installed = install_packages(
                system_packages(command), "Setting up Odoo in .odoo/"
            )
            say("installed: " + " ".join(installed) if installed else "all there")
    with step(f"Fetching Odoo {ref} into {layout.rel(layout.src)}"):
        fetch_odoo(layout, url, ref)
    with step(f"Creating the virtual environment {layout.rel(layout.venv)}"):
        create_venv(layout, base_python)
    with step("Installing Odoo's Python requirements into it"):
        install_odoo_requirements(layout)
    with step("Installing Odoo into it"):
        label = link_odoo(layout)
    with step("Installing the addon's Python requirements into it"):
        install_addon_requirements(layout)
    commit = run_quiet(["git", "-C", str(layout.src), "rev-parse", "HEAD"], "git")
    data = {
        "url": url,
        "ref": ref,
        "commit": commit,
        "odoo": label,
        "python": run_quiet(
            [str(layout.python), "-c", "import sys; print(sys.version.split()[0])"],
            "python",
        ),
        "steps": {title: round(seconds, 1) for title, seconds in step.times},
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    layout.stamp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(
        f"==> Odoo {label} set up in {layout.rel(layout.work)}/ in"
        f" {duration(time.monotonic() - started)}; make doctor shows it,"
        f" removing {layout.rel(layout.work)}/ undoes it",
        flush=True,
    )
    return data


@contextlib.contextmanager
def locked(layout):
    """One set-up at a time per checkout (two make commands started together)."""
    layout.work.mkdir(parents=True, exist_ok=True)
    with open(layout.work / "bootstrap.lock", "w", encoding="utf-8") as handle:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            yield
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            say("another make command is setting up .odoo/: waiting for it")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def describe(data):
    return f"Odoo {data.get('odoo')} from {data.get('url')} {data.get('ref')}" + (
        f" ({data['commit'][:10]})" if data.get("commit") else ""
    )


def ensure_odoo(root, script, argv, command="run", allow_setup=True):
    """Return when the running Python can use Odoo; else set up .odoo/ if needed and
    run `script argv` again with .odoo/venv's Python (this does not return)."""
    if os.environ.get("ODOO_PATH", "").strip():
        return
    layout = Layout(root)
    has_odoo = importlib.util.find_spec("odoo") is not None
    data = layout.stamp_data()
    if has_odoo and (data or not layout.running_in_venv()):
        return
    if os.environ.get(REEXEC_MARK) and not has_odoo and data:
        raise Fail(f"{layout.rel(layout.python)} cannot import Odoo: remove .odoo/venv")
    if data:
        if not skip_system_packages():  # e.g. the browser, when make run set up
            install_packages(system_packages(command, build=False), f"make {command}")
        url, ref = git_source()
        if (url, ref) != (data.get("url"), data.get("ref")) and (
            os.environ.get("ODOO_GIT_URL") or os.environ.get("ODOO_GIT_REF")
        ):
            say(
                f"note: .odoo/ holds {describe(data)}; remove .odoo/odoo and"
                f" .odoo/venv to fetch {url} {ref} instead"
            )
    else:
        if not allow_setup:
            return
        with locked(layout):
            data = layout.stamp_data() or setup(layout, command)
    print(
        f"==> Using {describe(data)} in {layout.rel(layout.work)}/"
        f" ({layout.rel(layout.python)})",
        flush=True,
    )
    python = str(layout.python)
    os.environ[REEXEC_MARK] = "1"
    os.execv(python, [python, str(script), *argv])
