#!/usr/bin/env python3
"""Screenshots of the key screens for README.md (`make screenshots`).

Installs the addon with its demo data into a fresh database, plays the
walkthrough on it (the segment built with saved criteria, another one logged),
starts Odoo and takes, in headless Chromium (driven through the DevTools
protocol with websocket-client): the campaign with its prices, the segment
with its steps, the log wizard's review, the logged segment, the campaign
responses and the campaign statistics, in English, and the statistics once
more in Norwegian (as a Campaign Manager whose language is nb_NO). The images
go to static/description/screenshots/, where README.md and the Apps page
(static/description/index.html) show them; the database is dropped afterwards.

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

SHOTS = ROOT / "static" / "description" / "screenshots"
WIDTH, HEIGHT = 1366, 860
# pictures taller than the window, for forms whose notebook matters
TALL = {"segment": 1500, "log_wizard": 1000, "statistics": 1100, "statistics_nb": 1100}
ADMIN = ("admin", "admin")
# the Norwegian marketing manager of the story (a Campaign Manager)
NORWEGIAN = ("markedssjef", "markedssjef")

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
    # the Norwegian screen: Odoo's and the addon's terms, a Norwegian manager
    env["res.lang"]._activate_lang("nb_NO")
    env["ir.module.module"]._load_module_terms(
        ["base", "web", "mail", "utm", "sales_team", "crm", "sale", module], ["nb_NO"])
    env["res.users"].with_context(no_reset_password=True).create({
        "name": "Markedsføringssjef", "login": "markedssjef",
        "password": "markedssjef", "lang": "nb_NO", "tz": "Europe/Oslo",
        "groups_id": [(6, 0, [env.ref("base.group_user").id,
                              ref("crm_campaign_segment_group_manager").id])]})
    cr.commit()
    print(json.dumps({"campaign": campaign.id, "segment": segment.id,
                      "logged": logged.id}))
"""

FORM_READY = (
    "!!document.querySelector('.o_form_view .o_form_sheet')"
    " && !document.querySelector('.o_loading_indicator, .o_blockUI')"
)
LIST_READY = (
    "!!document.querySelector('.o_list_view .o_data_row')"
    " && !document.querySelector('.o_loading_indicator, .o_blockUI')"
)
STATISTICS_TAB = (
    "document.querySelector('.o_notebook .nav-link[name=statistics]').click()"
)
# file name, what, url path, JavaScript run before the picture, then what it
# waits for, the page ready when it starts, the user, and one more (script,
# what it waits for)
SCREENS = [
    ("campaign", "the campaign with its prices", "utm_campaign_action/{campaign}"),
    (
        "segment",
        "the segment with its steps",
        "crm_segment_action/{segment}",
        "document.querySelector('.o_notebook .nav-link[name=criteria]').click()",
    ),
    (
        "log_wizard",
        "the log wizard's review",
        "crm_segment_action/{segment}",
        "document.querySelector('.o_form_statusbar button[name=action_log]').click()",
        "!!document.querySelector('.modal .o_field_widget[name=review_email_count]')",
        FORM_READY,
        ADMIN,
        # then tick Send: the review counts the letters and e-mails going out
        (
            "document.querySelector('.modal .o_field_widget[name=send] input').click()",
            "document.querySelector('.modal .o_field_widget[name=review_letter_count]')"
            ".innerText.trim() !== '0'",
        ),
    ),
    ("logged_segment", "the logged segment", "crm_logged_segment_action/{logged}"),
    (
        "responses",
        "the campaign responses",
        "crm_interaction_action_responses",
        None,
        None,
        LIST_READY,
    ),
    (
        "statistics",
        "the campaign statistics",
        "utm_campaign_action/{campaign}",
        STATISTICS_TAB,
    ),
    (
        "statistics_nb",
        "the campaign statistics in Norwegian",
        "utm_campaign_action/{campaign}",
        STATISTICS_TAB,
        None,
        FORM_READY,
        NORWEGIAN,
    ),
]


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


def login(base_url, db, user):
    """The session cookie of ``user`` (login, password)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"db": db, "login": user[0], "password": user[1]},
    }
    request = urllib.request.Request(
        f"{base_url}/web/session/authenticate",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with opener.open(request, timeout=60) as response:
        answer = json.load(response)
    if answer.get("error"):
        raise Fail(f"could not log in as {user[0]}: {answer['error']}")
    session = next((c.value for c in jar if c.name == "session_id"), None)
    if not session:
        raise Fail("no session cookie after logging in")
    return session


def take(base_url, db, ids, browser):
    sessions = {}
    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        chrome = Chromium(browser, profile)
        try:
            chrome.call("Page.enable")
            for screen in SCREENS:
                name, what, path, script, shown, ready, user, then = (
                    *screen,
                    *(None, None, FORM_READY, ADMIN, None)[len(screen) - 3 :],
                )
                if user not in sessions:
                    sessions[user] = login(base_url, db, user)
                chrome.call("Network.clearBrowserCookies")
                chrome.call(
                    "Network.setCookie",
                    name="session_id",
                    value=sessions[user],
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
                url = f"{base_url}/odoo/action-{MODULE}.{path.format(**ids)}"
                chrome.call("Page.navigate", url=url)
                time.sleep(1)
                chrome.wait(ready)
                if script:
                    chrome.evaluate(script)
                    if shown:
                        chrome.wait(shown)
                if then:
                    chrome.evaluate(then[0])
                    chrome.wait(then[1])
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
