# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class CrmBusinessRelation(models.Model):
    _name = "crm.business.relation"
    _inherit = "crm.classification.mixin"
    _description = "Business Relation"

    partner_ids = fields.Many2many(
        "res.partner",
        "crm_business_relation_partner_rel",
        "business_relation_id",
        "partner_id",
        string="Companies",
    )
