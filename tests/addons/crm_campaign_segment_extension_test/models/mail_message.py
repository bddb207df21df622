# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    ext_channel = fields.Char(required=True, default="extension")
    ext_created = fields.Boolean()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals["ext_created"] = True
        return super().create(vals_list)
