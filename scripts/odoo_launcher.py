#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Start Odoo through a script of its own, so that Odoo can restart itself.

When a worker passes Odoo's real-time limit, or on SIGHUP, Odoo re-executes
``sys.executable`` with ``sys.argv`` and the interpreter's bare name as
argv[0]: started as ``python -m odoo`` that is ``odoo/__main__.py``, which
cannot run alone; started through this script it is this script again. The
interpreter's own folder goes first on PATH, so that the bare name finds the
same Python (a virtual environment's, not the system's), and the script's
path is made absolute, so that the restart finds it from any folder.
"""

import os
import sys

import odoo

if __name__ == "__main__":
    bin_dir = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "").split(os.pathsep)
    if bin_dir and path[:1] != [bin_dir]:
        os.environ["PATH"] = os.pathsep.join([bin_dir, *path])
    sys.argv[0] = os.path.abspath(sys.argv[0])
    odoo.cli.main()
