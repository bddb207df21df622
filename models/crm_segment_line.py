# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .crm_interaction_template import _lang_get
from .crm_segment import LINE_DEFAULT_COLUMNS
from .res_partner import CORRESPONDENCE_TYPES

# context key of the segment builder's own line changes (ENGINE_CONTEXT_KEY
# of crm_segment_step, which imports this module)
ENGINE_CONTEXT = "crm_segment_engine"

EVALUATIONS = [
    ("very_positive", "Very Positive"),
    ("positive", "Positive"),
    ("neutral", "Neutral"),
    ("negative", "Negative"),
    ("very_negative", "Very Negative"),
]


class CrmSegmentLine(models.Model):
    _name = "crm.segment.line"
    _description = "Segment Line"
    _order = "segment_id, id"

    segment_id = fields.Many2one(
        "crm.segment", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="segment_id.company_id")
    partner_id = fields.Many2one(
        "res.partner", string="Contact", required=True, ondelete="cascade", index=True
    )
    company_partner_id = fields.Many2one(
        "res.partner",
        string="Company Contact",
        help="The company of the contact, or the contact itself.",
    )
    email = fields.Char(related="partner_id.email")
    correspondence_type = fields.Selection(CORRESPONDENCE_TYPES)
    lang = fields.Selection(_lang_get, string="Language")
    subject = fields.Char()
    interaction_template_id = fields.Many2one("crm.interaction.template")
    user_id = fields.Many2one("res.users", string="Salesperson")
    evaluation = fields.Selection(EVALUATIONS)
    contact_via = fields.Char(
        help="The e-mail address or postal address used to reach the contact."
    )

    _sql_constraints = [
        (
            "segment_partner_unique",
            "UNIQUE(segment_id, partner_id)",
            "A contact can be in a segment only once.",
        ),
    ]

    def _check_segment_draft(self, segments):
        logged = segments.filtered(lambda s: s.state != "draft")
        if logged and not self.env.context.get("crm_segment_logging"):
            raise UserError(
                _(
                    "Segment %(segment)s is logged: its lines can no longer be "
                    "changed.",
                    segment=logged[:1].display_name,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        segments = self.env["crm.segment"].browse(
            {vals.get("segment_id") for vals in vals_list if vals.get("segment_id")}
        )
        self._check_segment_draft(segments)
        for vals in vals_list:
            if vals.get("partner_id") and "company_partner_id" not in vals:
                partner = self.env["res.partner"].browse(vals["partner_id"])
                vals["company_partner_id"] = partner.commercial_partner_id.id
        lines = super().create(vals_list)
        # fill the header-driven columns that were not given, set-based
        missing_groups = {}
        for line, vals in zip(lines, vals_list, strict=True):
            missing = tuple(col for col in LINE_DEFAULT_COLUMNS if col not in vals)
            if missing:
                key = (line.segment_id, missing)
                missing_groups.setdefault(key, []).append(line.id)
        for (segment, missing), line_ids in missing_groups.items():
            segment._refresh_line_defaults(line_ids, columns=missing)
        return lines

    def write(self, vals):
        self._check_segment_draft(self.segment_id)
        moved = {"partner_id", "segment_id"} & set(vals)
        if moved and not self.env.context.get(ENGINE_CONTEXT):
            changed = self.filtered(
                lambda line: (
                    any(line[fname].id != vals[fname] for fname in moved if vals[fname])
                    or any(not vals[fname] for fname in moved)
                )
            )
            if changed:
                raise UserError(
                    _(
                        "The contact of a segment line cannot be changed: remove "
                        "the line and add the other contact, so that Go Back can "
                        "undo it (%(contact)s in %(segment)s).",
                        contact=changed[:1].partner_id.display_name,
                        segment=changed[:1].segment_id.display_name,
                    )
                )
        return super().write(vals)

    def unlink(self):
        self._check_segment_draft(self.segment_id)
        return super().unlink()
