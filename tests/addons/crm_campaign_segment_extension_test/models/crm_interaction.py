# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class CrmInteraction(models.Model):
    _inherit = "crm.interaction"

    # a required field with a default: a row written past create has none
    ext_channel = fields.Char(required=True, default="extension")
    # a stored computed field: computed by create, never by a raw INSERT
    ext_subject_size = fields.Integer(compute="_compute_ext_subject_size", store=True)
    # set by the override of create below
    ext_created = fields.Boolean()
    # set by an automated action of the tests
    ext_automated = fields.Boolean()

    @api.depends("subject")
    def _compute_ext_subject_size(self):
        for interaction in self:
            interaction.ext_subject_size = len(interaction.subject or "")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals["ext_created"] = True
        return super().create(vals_list)
