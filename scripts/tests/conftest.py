"""Fixtures of the set-up tests: a stand-in for Odoo's repository, wheels, Pythons.

Nothing here uses the network: the "Odoo" repository is a local git repository with
a tiny odoo package, and pip installs from a folder of wheels built here
(PIP_NO_INDEX, PIP_FIND_LINKS).
"""

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SCRIPTS))

# Odoo's requirements in the stand-in: one plain package and cbor2 pinned at the
# release that does not build (the project's fixes file replaces it by 5.6.5).
FAKE_ODOO_REQUIREMENTS = """\
# stand-in for Odoo's requirements.txt
tinyreq-a==1.0
cbor2==5.4.2 ; python_version < '3.12'
cbor2==5.6.2 ; python_version >= '3.12'
"""
FAKE_RELEASE = """\
version_info = ({serie}, 0, 0, "final", 0, "")
version = "{serie}.0-test"
"""


def git(*args, cwd):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def build_wheel(folder, name, version):
    """A pure-Python wheel whose module records its version."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    files = {
        f"{dist}/__init__.py": f'__version__ = "{version}"\n',
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        ),
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(folder / f"{dist}-{version}-py3-none-any.whl", "w") as whl:
        for path, text in files.items():
            whl.writestr(path, text)


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheels")
    build_wheel(folder, "tinyreq-a", "1.0")
    build_wheel(folder, "cbor2", "5.6.5")  # only the fixed release is available
    build_wheel(folder, "tinyaddonreq", "2.0")
    return folder


def make_odoo_repo(folder, branch, serie):
    folder.mkdir()
    (folder / "odoo").mkdir()
    (folder / "odoo" / "__init__.py").write_text("from . import release\n")
    (folder / "odoo" / "release.py").write_text(FAKE_RELEASE.format(serie=serie))
    (folder / "requirements.txt").write_text(FAKE_ODOO_REQUIREMENTS)
    git("init", "-q", "-b", branch, cwd=folder)
    git("add", "-A", cwd=folder)
    git("commit", "-qm", "stand-in for Odoo", cwd=folder)
    return folder


@pytest.fixture(scope="session")
def odoo_repo(tmp_path_factory):
    """A git repository standing in for Odoo's: branch 18.0 with odoo 18."""
    return make_odoo_repo(tmp_path_factory.mktemp("repos") / "odoo", "18.0", 18)


@pytest.fixture(scope="session")
def base_python(tmp_path_factory):
    """A Python without Odoo (a venv: the interpreter running the tests may have it)."""
    folder = tmp_path_factory.mktemp("base") / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True
    )
    return folder / "bin" / "python"


@pytest.fixture
def checkout(tmp_path):
    """A checkout of the addon reduced to scripts/ and its requirements files."""
    root = tmp_path / "addon"
    (root / "scripts").mkdir(parents=True)
    for path in SCRIPTS.iterdir():
        if path.is_file() and path.suffix in (".py", ".txt"):
            shutil.copy2(path, root / "scripts" / path.name)
    (root / "requirements.txt").write_text("tinyaddonreq==2.0\n")
    (root / "__manifest__.py").write_text('{"name": "t", "depends": []}\n')
    return root


@pytest.fixture
def offline_env(wheelhouse, odoo_repo):
    """Environment of a devtool.py run: no network, no machine pip settings, no
    Debian packages step, the stand-in repository as Odoo's source."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "ODOO_", "PYTHON", "VIRTUAL_ENV"))
        and key not in ("DEVTOOL_ODOO_VENV", "TESTS")
    }
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse),
        ODOO_GIT_URL=str(odoo_repo),
        ODOO_GIT_REF="18.0",
        SKIP_SYSTEM_PACKAGES="1",
        NO_COLOR="1",
    )
    return env


@pytest.fixture
def devtool(checkout, base_python, offline_env):
    """Run scripts/devtool.py of the checkout with the Python without Odoo."""

    def run(*args, python=base_python, env=None):
        return subprocess.run(
            [str(python), str(checkout / "scripts" / "devtool.py"), *args],
            cwd=checkout,
            env={**offline_env, **(env or {})},
            stdin=subprocess.DEVNULL,  # not a terminal: nothing may be asked
            capture_output=True,
            text=True,
            timeout=600,
        )

    return run
