# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Segment values that follow the interaction template.

They are stored computed fields a user may still change, so that choosing a
template gives the same values in the form, over RPC, from an import or from an
automated action. The form asks whether to update the lines when they change
(``crm.segment._onchange_header_warning``).
"""

from odoo import api, fields, models

from .crm_interaction_template import INFORMATION_FLOWS, INITIATED_BY, _lang_get
from .res_partner import CORRESPONDENCE_TYPES


class CrmSegment(models.Model):
    _inherit = "crm.segment"

    # values that follow the template (_follow_template); a user may
    # still change them
    unit_cost = fields.Float(
        digits="Product Price",
        compute="_compute_unit_cost",
        store=True,
        readonly=False,
        precompute=True,
    )
    unit_duration = fields.Float(
        help="Time spent on one interaction, in hours.",
        compute="_compute_unit_duration",
        store=True,
        readonly=False,
        precompute=True,
    )
    information_flow = fields.Selection(
        INFORMATION_FLOWS,
        compute="_compute_information_flow",
        store=True,
        readonly=False,
        precompute=True,
    )
    initiated_by = fields.Selection(
        INITIATED_BY,
        compute="_compute_initiated_by",
        store=True,
        readonly=False,
        precompute=True,
    )
    lang = fields.Selection(
        _lang_get,
        string="Language (Default)",
        compute="_compute_lang",
        store=True,
        readonly=False,
        precompute=True,
    )
    correspondence_type = fields.Selection(
        CORRESPONDENCE_TYPES,
        string="Correspondence Type (Default)",
        compute="_compute_correspondence_type",
        store=True,
        readonly=False,
        precompute=True,
    )
    ignore_partner_correspondence_type = fields.Boolean(
        string="Ignore Contact Correspondence Type",
        compute="_compute_ignore_partner_correspondence_type",
        store=True,
        readonly=False,
        precompute=True,
    )
    # the campaign and its flags, when the template has a campaign
    campaign_id = fields.Many2one(
        "utm.campaign",
        tracking=True,
        index=True,
        compute="_compute_campaign_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    campaign_target = fields.Boolean(
        tracking=True,
        compute="_compute_campaign_target",
        store=True,
        readonly=False,
        precompute=True,
    )
    campaign_response = fields.Boolean(
        tracking=True,
        compute="_compute_campaign_response",
        store=True,
        readonly=False,
        precompute=True,
    )

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------
    @api.model
    def _template_defaults(self, template):
        """Values a segment takes from an interaction template; the campaign
        and its flags only when the template has a campaign."""
        values = {
            "unit_cost": template.unit_cost,
            "unit_duration": template.unit_duration,
            "information_flow": template.information_flow,
            "initiated_by": template.initiated_by,
            "correspondence_type": template.correspondence_type,
            "ignore_partner_correspondence_type": (
                template.ignore_partner_correspondence_type
            ),
            "lang": template.lang,
        }
        if template.campaign_id:
            values.update(
                campaign_id=template.campaign_id,
                campaign_target=template.campaign_target,
                campaign_response=template.campaign_response,
            )
        return values

    def _follow_template(self, fname):
        """Set ``fname`` from the template: in the form, over RPC and from
        automated actions alike. A segment without template keeps its value,
        as does a segment whose template has no campaign for the campaign
        fields. One compute method per field, so that a value given with the
        template overrides that field only."""
        for segment in self:
            template = segment.interaction_template_id
            values = self._template_defaults(template) if template else {}
            if fname in values:
                segment[fname] = values[fname]

    @api.depends("interaction_template_id")
    def _compute_unit_cost(self):
        self._follow_template("unit_cost")

    @api.depends("interaction_template_id")
    def _compute_unit_duration(self):
        self._follow_template("unit_duration")

    @api.depends("interaction_template_id")
    def _compute_information_flow(self):
        self._follow_template("information_flow")

    @api.depends("interaction_template_id")
    def _compute_initiated_by(self):
        self._follow_template("initiated_by")

    @api.depends("interaction_template_id")
    def _compute_lang(self):
        self._follow_template("lang")

    @api.depends("interaction_template_id")
    def _compute_correspondence_type(self):
        self._follow_template("correspondence_type")

    @api.depends("interaction_template_id")
    def _compute_ignore_partner_correspondence_type(self):
        self._follow_template("ignore_partner_correspondence_type")

    @api.depends("interaction_template_id")
    def _compute_campaign_id(self):
        self._follow_template("campaign_id")

    @api.depends("interaction_template_id")
    def _compute_campaign_target(self):
        self._follow_template("campaign_target")

    @api.depends("interaction_template_id")
    def _compute_campaign_response(self):
        self._follow_template("campaign_response")
