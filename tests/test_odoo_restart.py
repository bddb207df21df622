# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Odoo started through scripts/odoo_launcher.py survives its own restart.

When a request or a cron run passes the real-time limit, Odoo re-executes
itself (``odoo.service.server._reexec``): the interpreter, with the bare
interpreter name as argv[0] and the command line it was started with. SIGHUP
makes the server take the same path. The test starts Odoo through the
launcher on a free port, on the test database, sends SIGHUP twice and checks
that the login page answers after each restart. The first restart runs the
launcher again; a decoy interpreter first on PATH would be the one the
second restart executes, unless the launcher puts its interpreter's folder
first. The server is stopped at the end.

A plain pytest test (run by ``make test``): it needs the configuration and
the database of the run, not Odoo's test runner.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from odoo.tools import config

LAUNCHER = Path(__file__).resolve().parent.parent / "scripts" / "odoo_launcher.py"
STARTED = "HTTP service (werkzeug) running on"
TIMEOUT = 180


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _login_page_status(port):
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/web/login", timeout=30
        ) as response:
            return response.status
    except (urllib.error.URLError, OSError):
        return None


def _wait(what, test, proc, log_path):
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        if proc.poll() is not None:
            break
        if test():
            return
        time.sleep(0.5)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    raise AssertionError(
        f"{what}: not so within {TIMEOUT}s (server exit status {proc.poll()});"
        f" end of its log:\n{log[-4000:]}"
    )


def test_odoo_restarts_itself_through_the_launcher(tmp_path):
    port = _free_port()
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    fake = decoy / Path(sys.executable).name
    fake.write_text("#!/bin/sh\necho 'not the interpreter Odoo runs on' >&2\nexit 3\n")
    fake.chmod(0o755)
    env = dict(os.environ, PATH=os.pathsep.join([str(decoy), os.environ["PATH"]]))
    cmd = [
        sys.executable,
        str(LAUNCHER),
        "-c",
        config.rcfile,
        "-d",
        config["db_name"],
        f"--http-port={port}",
        "--http-interface=127.0.0.1",
        "--max-cron-threads=0",
        "--workers=0",
        "--log-level=info",
    ]
    log_path = tmp_path / "odoo.log"
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=tempfile.gettempdir(),
        )
    try:

        def started(times):
            text = log_path.read_text(encoding="utf-8", errors="replace")
            return text.count(STARTED) >= times and _login_page_status(port) == 200

        _wait("the login page answers", lambda: started(1), proc, log_path)
        for restart in (1, 2):
            proc.send_signal(signal.SIGHUP)
            _wait(
                f"the login page answers after restart {restart}",
                lambda restart=restart: started(restart + 1),
                proc,
                log_path,
            )
        assert proc.poll() is None, "the server runs on, in the same process"
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
