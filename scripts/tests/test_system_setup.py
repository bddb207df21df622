"""Debian packages and PostgreSQL (scripts/system_setup.py), without changing any."""

import shutil

import pytest
import system_setup

NO_SUCH_PACKAGE = "crm-campaign-segment-no-such-package"


def test_missing_package_without_root_prints_the_apt_get_command():
    with pytest.raises(system_setup.Fail) as failure:
        system_setup.install_packages([NO_SUCH_PACKAGE], "Testing", prefix=None)
    message = str(failure.value)
    if shutil.which("apt-get") and shutil.which("dpkg-query"):
        assert (
            f"sudo apt-get install -y --no-install-recommends {NO_SUCH_PACKAGE}"
            in message
        )
    else:
        assert NO_SUCH_PACKAGE in message


@pytest.mark.skipif(not shutil.which("git"), reason="git is not installed")
def test_packages_present_are_not_installed_again():
    assert system_setup.install_packages(["git"], "Testing", prefix=None) == []


def test_setup_packages_cover_the_builds_of_odoos_requirements():
    needed = {"libpq-dev", "libldap2-dev", "libsasl2-dev", "build-essential", "git"}
    assert needed <= set(system_setup.BUILD_PACKAGES)
    assert {"wkhtmltopdf", "fonts-dejavu-core"} <= set(system_setup.RUN_PACKAGES)


@pytest.mark.skipif(
    not system_setup.pg_local() or not system_setup.pg_accepting(),
    reason="needs a running local PostgreSQL",
)
def test_running_postgres_is_left_as_it_is(capsys):
    assert system_setup.main(["postgres"]) == 0
    out = capsys.readouterr().out
    assert "PostgreSQL running on this machine" in out
    assert "started" not in out and "created" not in out
