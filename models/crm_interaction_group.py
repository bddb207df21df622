# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from .crm_interaction_template import check_not_logged


class CrmInteractionGroup(models.Model):
    _name = "crm.interaction.group"
    _inherit = "crm.classification.mixin"
    _description = "Interaction Group"

    template_ids = fields.One2many(
        "crm.interaction.template", "group_id", string="Interaction Templates"
    )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_logged(self):
        check_not_logged(self, "group_id")
