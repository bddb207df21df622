#!/usr/bin/env python3
"""System prerequisites: Debian packages and a local PostgreSQL server.

Used by scripts/devtool.py (make run, make test) and by .ci/run, so that both
install packages and start PostgreSQL the same way:

    system_setup.py debs PACKAGE...   install the Debian packages that are missing
    system_setup.py postgres          start a local PostgreSQL that is down and give
                                      the current user a role

Packages are installed with apt-get when running as root or with passwordless sudo;
otherwise the exact command to run is printed and the command fails. Nothing here
asks a question. Standard library only: it runs before Odoo and its requirements
are there.
"""

import getpass
import glob
import os
import shlex
import shutil
import subprocess
import sys
import time


class Fail(Exception):
    """A problem with a message for the developer; exits with status 1."""


def say(msg):
    print("    " + msg, flush=True)


def have(command):
    return shutil.which(command) is not None


# --------------------------------------------------------------------------
# Debian packages
# --------------------------------------------------------------------------

# What builds Odoo's Python requirements in a virtual environment (python-ldap,
# psycopg2 and the C extensions without a wheel) and fetches its source.
BUILD_PACKAGES = (
    "git",
    "build-essential",
    "python3-dev",
    "libpq-dev",
    "libldap2-dev",
    "libsasl2-dev",
)
# What Odoo and the addon use at run time (PDF letters and their fonts).
RUN_PACKAGES = ("wkhtmltopdf", "fonts-dejavu-core")
# What `make test` adds: the browser of the tours, pdftotext for the letters' text.
TEST_PACKAGES = ("chromium", "poppler-utils")

# Packages recognised by a command they install, so that a program installed some
# other way (by hand, another distribution) counts as well.
COMMANDS = {
    "git": ("git",),
    "make": ("make",),
    "build-essential": ("gcc", "make"),
    "wkhtmltopdf": ("wkhtmltopdf",),
    "chromium": (
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ),
    "poppler-utils": ("pdftotext",),
    "postgresql": ("pg_ctlcluster",),
    "postgresql-client": ("psql",),
}


def deb_version(package):
    """Installed version of a Debian package, or None (None too without dpkg)."""
    if not have("dpkg-query"):
        return None
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}\t${Version}", package],
        capture_output=True,
        text=True,
        check=False,
    )
    status, _, version = proc.stdout.partition("\t")
    return version if proc.returncode == 0 and status.endswith(" installed") else None


def package_present(package):
    commands = COMMANDS.get(package)
    if commands:
        if package == "build-essential":
            return all(have(c) for c in commands)
        return any(have(c) for c in commands)
    if package == "python3-venv":
        return python_has_venv(sys.executable)
    return deb_version(package) is not None


def python_has_venv(python):
    """The venv module with its pip bootstrap (Debian splits it into python3-venv)."""
    proc = subprocess.run(
        [python, "-c", "import ensurepip, venv"], capture_output=True, check=False
    )
    return proc.returncode == 0


def missing_packages(packages):
    return [p for p in dict.fromkeys(packages) if not package_present(p)]


def root_prefix():
    """[] as root, ["sudo", "-n"] with passwordless sudo, else None."""
    if os.geteuid() == 0:
        return []
    if have("sudo"):
        proc = subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False)
        if proc.returncode == 0:
            return ["sudo", "-n"]
    return None


def apt_command(packages):
    return ["apt-get", "install", "-y", "--no-install-recommends", *packages]


AUTO = object()


def install_packages(packages, reason, prefix=AUTO):
    """Install the Debian packages of `packages` that are missing.

    prefix: how to run apt-get as root ([] or sudo), None when that is impossible,
    found out by default. Fails with the exact command to run when this process
    may not install them."""
    missing = missing_packages(packages)
    if not missing:
        return []
    prefix = root_prefix() if prefix is AUTO else prefix
    command = shlex.join(["sudo", *apt_command(missing)])
    if not have("apt-get") or not have("dpkg-query"):
        raise Fail(
            f"{reason} needs these packages, which are missing: {', '.join(missing)}."
            "\nInstall them with your system's package manager (names are Debian's)"
            " and try again."
        )
    if prefix is None:
        raise Fail(
            f"{reason} needs Debian packages that are missing: {', '.join(missing)}."
            f"\nInstall them (this needs root), then try again:\n    {command}"
        )
    say("$ " + shlex.join([*prefix, *apt_command(missing)]))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], [*apt_command(missing), "-qq"]):
        if prefix and prefix[0] == "sudo":
            cmd = [*prefix, "env", "DEBIAN_FRONTEND=noninteractive", *cmd]
        proc = subprocess.run(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(proc.stdout[-3000:], flush=True)
            raise Fail(f"{shlex.join(cmd)} failed; run it yourself:\n    {command}")
    still = missing_packages(missing)
    if still:
        raise Fail(f"Still missing after apt-get install: {', '.join(still)}")
    return missing


# --------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------


def pg_role():
    return os.environ.get("PGUSER") or getpass.getuser()


def pg_local():
    host = os.environ.get("PGHOST", "")
    return host in ("", "localhost", "127.0.0.1", "::1") or host.startswith("/")


def pg_client_args():
    args = []
    if os.environ.get("PGHOST"):
        args += ["-h", os.environ["PGHOST"]]
    if os.environ.get("PGPORT"):
        args += ["-p", os.environ["PGPORT"]]
    return args


def pg_listening():
    """Something listens where libpq would connect (without PostgreSQL's client)."""
    import socket

    host = os.environ.get("PGHOST", "")
    port = int(os.environ.get("PGPORT") or 5432)
    targets = []
    if host.startswith("/") or not host:
        folder = host or "/var/run/postgresql"
        targets.append((socket.AF_UNIX, os.path.join(folder, f".s.PGSQL.{port}")))
    if not host.startswith("/"):
        targets.append((socket.AF_INET, (host or "127.0.0.1", port)))
    for family, address in targets:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(3)
            try:
                sock.connect(address)
                return True
            except OSError:
                continue
    return False


def pg_accepting():
    """The server accepts connections (pg_isready, else a plain connection)."""
    if not have("pg_isready"):
        return pg_listening()
    cmd = ["pg_isready", "-q", "-t", "3", *pg_client_args()]
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


def pg_login_works():
    cmd = ["psql", *pg_client_args(), "-d", "postgres", "-XAtqc", "select 1"]
    proc = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL)
    return proc.returncode == 0


def pg_server_installed():
    return bool(glob.glob("/usr/lib/postgresql/*/bin/postgres"))


def _root_run(prefix, cmd):
    return subprocess.run(
        [*prefix, *cmd], capture_output=True, stdin=subprocess.DEVNULL, check=False
    ).returncode


def pg_start(prefix):
    """Start the local server(s): service, then each cluster of pg_lsclusters."""
    _root_run(prefix, ["service", "postgresql", "start"])
    if not pg_accepting() and have("pg_lsclusters"):
        proc = subprocess.run(
            ["pg_lsclusters", "-h"], capture_output=True, text=True, check=False
        )
        for line in proc.stdout.splitlines():
            fields = line.split()
            if len(fields) >= 2:
                _root_run(prefix, ["pg_ctlcluster", fields[0], fields[1], "start"])
    for _ in range(30):
        if pg_accepting():
            return True
        time.sleep(1)
    return False


def ensure_postgres():
    """A reachable PostgreSQL and a role for the current user (local server only).

    Returns a line saying what was found or done; leaves a remote server alone (the
    caller's connection check reports it)."""
    if not pg_local():
        return f"PostgreSQL at {os.environ['PGHOST']}: left as it is (not local)"
    role = pg_role()
    done = []
    if not pg_accepting():
        if not pg_server_installed():
            install_packages(["postgresql"], "A local PostgreSQL server")
            done.append("installed")
        prefix = root_prefix()
        if prefix is None:
            raise Fail(
                "PostgreSQL is not running on this machine. Start it (this needs"
                " root), then try again:\n    sudo service postgresql start"
            )
        say("PostgreSQL is not running: starting the local server")
        if not pg_start(prefix):
            raise Fail(
                "Could not start PostgreSQL (tried: service postgresql start,"
                " pg_ctlcluster). See /var/log/postgresql/."
            )
        done.append("started")
    if have("psql") and not pg_login_works():  # without psql, devtool.py checks
        if role == "postgres":
            raise Fail("Odoo refuses the role 'postgres': set PGUSER to another role.")
        prefix = root_prefix()
        create = f'CREATE ROLE "{role}" LOGIN SUPERUSER'
        port = ["-p", os.environ["PGPORT"]] if os.environ.get("PGPORT") else []
        cmd = ["runuser", "-u", "postgres", "--", "psql", *port, "-d", "postgres"]
        if prefix is None:
            raise Fail(
                f"PostgreSQL has no role {role} for you. Create it (this needs root):"
                f"\n    sudo -u postgres createuser --superuser {role}"
            )
        say(f"creating the PostgreSQL role {role} (superuser, like a developer's own)")
        if _root_run(prefix, [*cmd, "-Xqc", create]) != 0 or not pg_login_works():
            raise Fail(
                f"Could not create the PostgreSQL role {role}:"
                f"\n    sudo -u postgres createuser --superuser {role}"
            )
        done.append(f"role {role} created")
    state = f" ({', '.join(done)})" if done else ""
    return f"PostgreSQL running on this machine, role {role}{state}"


# --------------------------------------------------------------------------
# Command line (.ci/run)
# --------------------------------------------------------------------------


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["debs"] and len(argv) > 1:
            installed = install_packages(argv[1:], "This machine")
            say(
                "installed: " + " ".join(installed)
                if installed
                else "all there: " + ", ".join(argv[1:])
            )
        elif argv == ["postgres"]:
            say(ensure_postgres())
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except Fail as exc:
        print(f"==> error: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
