# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Functions a reader can hold: none of the addon's Python code is longer
than about 80 lines."""

import ast
from pathlib import Path

from odoo.tests import BaseCase, tagged
from odoo.tools.misc import file_path

MODULE = "crm_campaign_segment"
FOLDERS = ("models", "wizards", "controllers", "report", "tools")
MAX_LINES = 80


@tagged("post_install", "-at_install")
class TestFunctionSize(BaseCase):
    def test_no_function_over_80_lines(self):
        root = Path(file_path(MODULE))
        too_long = []
        for folder in FOLDERS:
            for path in sorted((root / folder).rglob("*.py")):
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                        size = node.end_lineno - node.lineno + 1
                        if size > MAX_LINES:
                            where = path.relative_to(root)
                            too_long.append(f"{where}: {node.name} ({size} lines)")
        self.assertFalse(too_long, "split these functions")
