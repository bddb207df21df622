# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class CrmMailingGroup(models.Model):
    _name = "crm.mailing.group"
    _inherit = "crm.classification.mixin"
    _description = "Mailing Group"

    partner_ids = fields.Many2many(
        "res.partner",
        "crm_mailing_group_partner_rel",
        "mailing_group_id",
        "partner_id",
        string="Contacts",
    )
