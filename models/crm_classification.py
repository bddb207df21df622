# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Classification codes that segments filter on.

Job responsibilities describe persons, business relations describe companies
(persons match through their company) and mailing groups describe any contact.
Interaction groups classify interaction templates.
"""

from odoo import api, fields, models

from .crm_interaction_template import check_not_logged


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
