#!/usr/bin/env python3
"""Screenshots of the key screens for README.md (`make screenshots`).

Installs the addon with its demo data into a fresh database, plays the
walkthrough on it (the segment built with saved criteria, another one logged),
starts Odoo and takes the campaign, the segment with its criteria, the log
wizard, the logged segment and the campaign statistics in headless Chromium
(driven through the DevTools protocol with websocket-client). The images go to
readme/screenshots/; the database is dropped afterwards.

    python3 scripts/screenshots.py            # what `make screenshots` runs
"""

import base64
import http.cookiejar
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import devtool
from devtool import MODULE, ROOT, Fail, info, ok, step

SHOTS = ROOT / "readme" / "screenshots"
WIDTH, HEIGHT = 1366, 860
# pictures taller than the window, for forms whose notebook matters
TALL = {"segment": 1500, "statistics": 1100}
ADMIN = ("admin", "admin")

# Run with Odoo in a child process (--prepare): the walkthrough's data, committed.
PREPARE = r"""
import json, sys
import odoo
from odoo import SUPERUSER_ID, api

conf, db, module = sys.argv[1:4]
odoo.tools.config.parse_config(["-c", conf, "-d", db])
registry = odoo.modules.registry.Registry(db)
with registry.cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {})
    admin = env.ref("base.user_admin")
    env = api.Environment(cr, admin.id, {"lang": "en_US", "tracking_disable": True})
    ref = lambda name: env.ref(f"{module}.{name}")
    campaign = ref("utm_campaign_office_futurus")
    bus = env["crm.interaction.template"].search([("code", "=", "BUS")], limit=1)
    purchase = env["crm.job.responsibility"].search([("code", "=", "PURCHASE")])
    customer = env["crm.business.relation"].search([("code", "=", "CUSTOMER")])

    def build(segment):
        Filter = env["crm.segment.filter"]
        Filter.create({"segment_id": segment.id, "mode": "add",
                       "job_responsibility_ids": [(6, 0, purchase.ids)]}).action_apply()
        Filter.create({"segment_id": segment.id, "mode": "reduce",
                       "business_relation_ids": [(6, 0, customer.ids)]}).action_apply()
        segment.write({"campaign_id": campaign.id, "campaign_target": True,
                       "interaction_template_id": bus.id})

    segment = ref("segment_office_futurus_visitors")
    build(segment)
    env["crm.segment.criteria.save"].create({
        "segment_id": segment.id, "code": "PURCH",
        "name": "Purchasers of our customers"}).action_save()
    second = env["crm.segment"].create({"description": "Office Futurus letters"})
    build(second)
    logged = env["crm.logged.segment"].browse(second.log_segment(send=False))
    cr.commit()
    print(json.dumps({"campaign": campaign.id, "segment": segment.id,
                      "logged": logged.id}))
"""

# (file name, what, url path, JavaScript run before the picture or None)
SCREENS = [
    ("campaign", "the campaign", "utm_campaign_action/{campaign}", None),
    (
        "segment",
        "the segment with its criteria",
        "crm_segment_action/{segment}",
        "document.querySelector('.o_notebook .nav-link[name=criteria]').click()",
    ),
    (
        "log_wizard",
        "the log wizard",
        "crm_segment_action/{segment}",
        "document.querySelector('.o_form_statusbar button[name=action_log]').click()",
    ),
    (
        "logged_segment",
        "the logged segment",
        "crm_logged_segment_action/{logged}",
        None,
    ),
    (
        "statistics",
        "the campaign statistics",
        "utm_campaign_action/{campaign}",
        "document.querySelector('.o_notebook .nav-link[name=statistics]').click()",
    ),
]
READY = (
    "!!document.querySelector('.o_form_view .o_form_sheet')"
    " && !document.querySelector('.o_loading_indicator, .o_blockUI')"
)


class Chromium:
    """Headless Chromium, driven through the DevTools protocol."""

    def __init__(self, browser, profile):
        import websocket  # noqa: PLC0415 (websocket-client, requirements-test.txt)

        port = devtool.free_port()
        self.proc = subprocess.Popen(
            [
                browser,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={profile}",
                f"--window-size={WIDTH},{HEIGHT}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = None
        for _attempt in range(60):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/json/list", timeout=2
                ) as response:
                    pages = [t for t in json.load(response) if t["type"] == "page"]
                if pages:
                    url = pages[0]["webSocketDebuggerUrl"]
                    break
            except OSError:
                pass
            time.sleep(0.5)
        if not url:
            self.close()
            raise Fail("Chromium did not open its DevTools port")
        self.socket = websocket.create_connection(url, timeout=60)
        self.counter = 0

    def call(self, method, **params):
        self.counter += 1
        self.socket.send(
            json.dumps({"id": self.counter, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.counter:
                if "error" in message:
                    raise Fail(f"Chromium: {method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression)
        return result.get("result", {}).get("value")

    def wait(self, expression, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.3)
        raise Fail(f"timed out waiting for: {expression}")

    def close(self):
        if getattr(self, "socket", None):
            self.socket.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


def login(base_url, db):
    """The session cookie of the demo administrator."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"db": db, "login": ADMIN[0], "password": ADMIN[1]},
    }
    request = urllib.request.Request(
        f"{base_url}/web/session/authenticate",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with opener.open(request, timeout=60) as response:
        answer = json.load(response)
    if answer.get("error"):
        raise Fail(f"could not log in as admin: {answer['error']}")
    session = next((c.value for c in jar if c.name == "session_id"), None)
    if not session:
        raise Fail("no session cookie after logging in")
    return session


def take(base_url, db, ids, browser):
    session = login(base_url, db)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        chrome = Chromium(browser, profile)
        try:
            chrome.call("Page.enable")
            chrome.call(
                "Network.setCookie",
                name="session_id",
                value=session,
                url=base_url,
                path="/",
            )
            chrome.call(
                "Emulation.setDeviceMetricsOverride",
                width=WIDTH,
                height=HEIGHT,
                deviceScaleFactor=1,
                mobile=False,
            )
            for name, what, path, script in SCREENS:
                url = f"{base_url}/odoo/action-{MODULE}.{path.format(**ids)}"
                chrome.call("Page.navigate", url=url)
                time.sleep(1)
                chrome.wait(READY)
                if script:
                    chrome.evaluate(script)
                    if name == "log_wizard":
                        chrome.wait("!!document.querySelector('.modal .o_form_view')")
                time.sleep(1.5)  # fonts, images and animations settle
                chrome.call(
                    "Emulation.setDeviceMetricsOverride",
                    width=WIDTH,
                    height=TALL.get(name, HEIGHT),
                    deviceScaleFactor=1,
                    mobile=False,
                )
                time.sleep(0.5)
                shot = chrome.call("Page.captureScreenshot", format="png")
                target = SHOTS / f"{name}.png"
                target.write_bytes(base64.b64decode(shot["data"]))
                info(f"{what}: {devtool.rel(target)}")
        finally:
            chrome.close()


def main():
    step("Checking prerequisites")
    addons_paths = devtool.check_all(("requirements.txt", "requirements-test.txt"))
    browser = next(filter(None, map(shutil.which, devtool.BROWSERS)), None)
    if not browser:
        raise Fail("Screenshots need Chrome or Chromium: apt-get install chromium")
    with devtool.TemporaryDatabase("shots") as tmp:
        port = devtool.free_port()
        conf = devtool.write_config(
            tmp.conf,
            tmp.name,
            addons_paths,
            port,
            {"http_interface": "127.0.0.1", "max_cron_threads": "0"},
        )
        devtool.install(conf, tmp.name, demo=True, label="Installing the addon")
        step("Playing the walkthrough on the demo data")
        prepared = subprocess.run(
            [sys.executable, "-c", PREPARE, str(conf), tmp.name, MODULE],
            cwd=ROOT,
            env=devtool.child_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if prepared.returncode:
            raise Fail(f"preparing the data failed:\n{prepared.stderr[-3000:]}")
        ids = json.loads(prepared.stdout.strip().splitlines()[-1])
        step(f"Starting Odoo on port {port} and taking the screenshots")
        log_path = devtool.LOG_DIR / f"{tmp.name}-server.log"
        with open(log_path, "w", encoding="utf-8") as log:
            server = subprocess.Popen(
                devtool.odoo_cmd(conf, tmp.name, f"--db-filter=^{tmp.name}$"),
                cwd=ROOT,
                env=devtool.child_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            try:
                base_url = f"http://127.0.0.1:{port}"
                deadline = time.monotonic() + 180
                while not devtool.port_busy(port):
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise Fail(f"Odoo did not start: see {devtool.rel(log_path)}")
                    time.sleep(1)
                take(base_url, tmp.name, ids, browser)
            finally:
                server.terminate()
                server.wait(timeout=60)
    ok(f"Screenshots in {devtool.rel(SHOTS)}")


if __name__ == "__main__":
    try:
        main()
    except Fail as exc:
        print(f"==> error: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
