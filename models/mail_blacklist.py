# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

from ..tools.markers import is_engine


class MailBlacklist(models.Model):
    _inherit = "mail.blacklist"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records.filtered("active")._consent_log_manual("opt_out")
        return records

    def write(self, vals):
        if "active" not in vals:
            return super().write(vals)
        changed = self.filtered(lambda record: record.active != bool(vals["active"]))
        result = super().write(vals)
        changed._consent_log_manual("opt_out" if vals["active"] else "opt_in")
        return result

    def _consent_log_manual(self, action):
        """Log a blacklisting (or its removal) made by hand or by an import
        for every contact with the address; the addon's own opt-outs are
        logged by their caller."""
        if is_engine(self.env) or not self:
            return
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search([("email_normalized", "in", self.mapped("email"))])
        )
        source = "import" if self.env.context.get("import_file") else "manual"
        self.env["crm.consent.log"]._record(
            [
                {
                    "partner_id": partner.id,
                    "email": partner.email_normalized,
                    "action": action,
                    "source": source,
                }
                for partner in partners
            ]
        )
