# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class CrmJobResponsibility(models.Model):
    _name = "crm.job.responsibility"
    _inherit = "crm.classification.mixin"
    _description = "Job Responsibility"

    partner_ids = fields.Many2many(
        "res.partner",
        "crm_job_responsibility_partner_rel",
        "job_responsibility_id",
        "partner_id",
        string="Contacts",
    )
