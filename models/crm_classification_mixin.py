# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Classification codes that segments filter on.

Job responsibilities describe persons, business relations describe companies
(persons match through their company) and mailing groups describe any contact.
Interaction groups classify interaction templates.
"""

from odoo import fields, models


class CrmClassificationMixin(models.AbstractModel):
    _name = "crm.classification.mixin"
    _description = "Classification Code"
    _order = "code"
    _rec_names_search = ["code", "name"]
    _check_company_auto = True

    code = fields.Char(required=True)
    name = fields.Char(string="Description", required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty to share this code between companies.",
    )

    _sql_constraints = [
        (
            "code_company_unique",
            "UNIQUE NULLS NOT DISTINCT (code, company_id)",
            "This code is already used in this company.",
        ),
    ]

    def _compute_display_name(self):
        for record in self:
            record.display_name = f"{record.code} - {record.name}"
