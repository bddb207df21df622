# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError


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

    @api.ondelete(at_uninstall=False)
    def _unlink_except_consent(self):
        """A topic that contacts opted out of, or that the consent log names,
        is archived, not deleted: its opt-outs would be lost."""
        self.env.flush_all()
        used = self.filtered(
            lambda group: (
                self.env["res.partner"]
                .sudo()
                .with_context(active_test=False)
                .search_count([("opt_out_mailing_group_ids", "in", group.ids)], limit=1)
                or self.env["crm.consent.log"]
                .sudo()
                .search_count([("mailing_group_id", "=", group.id)], limit=1)
            )
        )
        if used:
            raise UserError(
                self.env._(
                    "Mailing group %(group)s has opt-outs and consent records: "
                    "archive it instead of deleting it.",
                    group=used[:1].display_name,
                )
            )
