"""Odoo set up in .odoo/ when missing (scripts/bootstrap.py through devtool.py)."""

import json
import subprocess

import bootstrap
import pytest
from conftest import SCRIPTS, make_odoo_repo


def venv_has(python, code):
    proc = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=False
    )
    return proc.returncode == 0, proc.stdout.strip()


class TestFixedRequirements:
    def test_pinned_cbor2_lines_are_replaced_by_the_fix(self):
        text = (
            "Babel==2.10.3 ; python_version >= '3.11'\n"
            "cbor2==5.4.2 ; python_version < '3.12'\n"
            "CBOR2==5.6.2 ; python_version >= '3.12'  # comment\n"
            "# cbor2 in a comment stays\n"
        )
        fixed = bootstrap.fixed_requirements(text, {"cbor2": "cbor2==5.6.5"})
        lines = fixed.splitlines()
        assert "Babel==2.10.3 ; python_version >= '3.11'" in lines
        assert "# cbor2 in a comment stays" in lines
        active = [line for line in lines if bootstrap.requirement_name(line) == "cbor2"]
        assert active == ["cbor2==5.6.5"]

    def test_project_fixes_pin_a_cbor2_release_with_wheels(self):
        fixes = bootstrap.read_fixes(bootstrap.Layout(SCRIPTS.parent).fixes)
        pin = fixes["cbor2"].split("==")[1]
        assert tuple(int(n) for n in pin.split(".")[:2]) >= (5, 6)

    def test_local_source_is_cloned_through_a_file_url(self, odoo_repo):
        assert bootstrap.clone_url(str(odoo_repo)).startswith("file://")
        url = "https://example.com/odoo.git"
        assert bootstrap.clone_url(url) == url


class TestFirstRun:
    def test_sets_up_odoo_in_dot_odoo_then_reuses_it(
        self, devtool, checkout, base_python, odoo_repo
    ):
        first = devtool("setup")
        assert first.returncode == 0, first.stdout + first.stderr
        out = first.stdout
        for number in range(1, 7):
            assert f"==> [{number}/6]" in out
        assert out.count("done in ") == 6
        assert "skipped (SKIP_SYSTEM_PACKAGES is set)" in out
        assert "Using Odoo 18.0-test" in out
        assert "Ready: Odoo 18.0-test (set up in .odoo/" in out

        venv = checkout / ".odoo" / "venv" / "bin" / "python"
        found, version = venv_has(venv, "import cbor2; print(cbor2.__version__)")
        assert found and version == "5.6.5"  # the fix, not Odoo's pin
        assert venv_has(venv, "import tinyreq_a, tinyaddonreq, odoo")[0]
        stamp = json.loads((checkout / ".odoo/venv/bootstrap.json").read_text())
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=odoo_repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert (stamp["url"], stamp["ref"], stamp["commit"]) == (
            str(odoo_repo),
            "18.0",
            head,
        )
        assert (checkout / ".odoo/odoo/.git/shallow").is_file()
        # the Python that ran make got nothing installed
        assert not venv_has(base_python, "import odoo")[0]
        assert not venv_has(base_python, "import tinyaddonreq")[0]

        again = devtool("setup")
        assert again.returncode == 0, again.stdout + again.stderr
        assert "[1/6]" not in again.stdout
        assert "Using Odoo 18.0-test from" in again.stdout

        doctor = devtool("doctor")
        assert doctor.returncode == 0, doctor.stderr
        odoo_line = next(
            line for line in doctor.stdout.splitlines() if " Odoo " in line
        )
        assert "18.0-test" in odoo_line and f"(.odoo/: {odoo_repo}" in odoo_line
        assert "tinyaddonreq" in doctor.stdout and "2.0" in doctor.stdout

    def test_unreachable_source_stops_with_advice(self, devtool, checkout, tmp_path):
        run = devtool("setup", env={"ODOO_GIT_URL": str(tmp_path / "nowhere")})
        assert run.returncode == 1
        assert "Could not fetch Odoo 18.0" in run.stderr
        assert "ODOO_GIT_URL" in run.stderr
        assert not (checkout / ".odoo" / "odoo").exists()
        assert not (checkout / ".odoo" / "odoo.partial").exists()
        assert not (checkout / ".odoo" / "venv").exists()

    def test_other_serie_is_refused(self, devtool, tmp_path):
        repo = make_odoo_repo(tmp_path / "odoo17", "17.0", 17)
        run = devtool("setup", env={"ODOO_GIT_URL": str(repo), "ODOO_GIT_REF": "17.0"})
        assert run.returncode == 1
        assert "this addon needs 18.0" in run.stderr


class TestOdooAlreadyThere:
    @pytest.mark.parametrize("how", ["ODOO_PATH", "PYTHONPATH"])
    def test_nothing_is_set_up(self, devtool, checkout, odoo_repo, how):
        run = devtool("setup", env={how: str(odoo_repo)})
        assert run.returncode == 0, run.stdout + run.stderr
        assert "Ready: Odoo 18.0-test" in run.stdout
        assert "[1/6]" not in run.stdout
        assert not (checkout / ".odoo" / "venv").exists()
        assert not (checkout / ".odoo" / "odoo").exists()

    def test_doctor_names_odoo_path_as_the_origin(self, devtool, odoo_repo):
        run = devtool("doctor", env={"ODOO_PATH": str(odoo_repo)})
        assert run.returncode == 0, run.stderr
        odoo_line = next(
            line for line in run.stdout.splitlines() if line.split()[1:2] == ["Odoo"]
        )
        assert odoo_line.split()[0] == "ok"
        assert f"18.0-test  (ODOO_PATH={odoo_repo}" in odoo_line
