# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class UtmStage(models.Model):
    _inherit = "utm.stage"

    code = fields.Char(
        help="Short status code of the campaign, such as 1-PLAN or 5-START.",
    )

    _sql_constraints = [
        (
            "code_unique",
            "UNIQUE(code)",
            "A campaign status with this code already exists.",
        ),
    ]

    def _compute_display_name(self):
        for stage in self:
            stage.display_name = (
                f"{stage.code} {stage.name}" if stage.code else stage.name
            )
