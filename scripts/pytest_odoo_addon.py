"""pytest plugin loaded by `make test` next to pytest-odoo (`-p pytest_odoo_addon`).

- Test modules of this checkout import as odoo.addons.crm_campaign_segment.tests...,
  whatever the checkout's folder is called and whether pytest reaches it through the
  .odoo/addons link or not (pytest-odoo alone names them after the folder).
- Tests tagged 'tour' are skipped: browser tours need Odoo's full server and asset
  set-up, so `make test` runs them with Odoo's own test runner after pytest.
"""

import os
from pathlib import Path

import _pytest.pathlib
import pytest
from devtool import ADDONS_DIR, MODULE, ROOT

TOUR_SKIP_REASON = "browser tour: Odoo's test runner runs it after pytest"


def _addon_module_name(path):
    """odoo.addons.<MODULE>[.<sub.module>] for a file of this checkout, else None."""
    real = Path(path).resolve()
    if real != ROOT and ROOT not in real.parents:
        return None
    parts = list(real.relative_to(ROOT).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(["odoo", "addons", MODULE, *parts])


def pytest_configure(config):
    # pytest-odoo patches this function in pytest_cmdline_main, before this hook runs
    resolve = _pytest.pathlib.resolve_pkg_root_and_module_name

    def resolve_pkg_root_and_module_name(path, *, consider_namespace_packages=False):
        name = _addon_module_name(path)
        if name:
            return ADDONS_DIR, name
        return resolve(path, consider_namespace_packages=consider_namespace_packages)

    _pytest.pathlib.resolve_pkg_root_and_module_name = resolve_pkg_root_and_module_name


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason=TOUR_SKIP_REASON)
    for item in items:
        if "tour" in (getattr(getattr(item, "cls", None), "test_tags", None) or ()):
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped test fails the run (browser tours excepted, which
    Odoo's test runner runs after pytest): CI must run every test."""
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or os.environ.get("CI", "").lower() not in (
        "1",
        "true",
        "yes",
    ):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
    if TOUR_SKIP_REASON in str(reason):
        return
    report.outcome = "failed"
    report.longrepr = f"Skipped, which CI=true forbids: {reason}"
