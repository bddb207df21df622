# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

# Header fields whose change is passed on to the lines that use the template
LINE_HEADER_FIELDS = (
    "interaction_template_id",
    "correspondence_type",
    "ignore_partner_correspondence_type",
    "lang",
    "subject",
)
# Fields that follow the interaction template (_follow_template)
TEMPLATE_VALUE_FIELDS = (
    "unit_cost",
    "unit_duration",
    "information_flow",
    "initiated_by",
    "correspondence_type",
    "ignore_partner_correspondence_type",
    "lang",
    "campaign_id",
    "campaign_target",
    "campaign_response",
)
# What can no longer change once a segment is logged
LOGGED_LOCKED_FIELDS = {
    *LINE_HEADER_FIELDS,
    *TEMPLATE_VALUE_FIELDS,
    "line_ids",
    "attachment_ids",
    "send_word_as_attachment",
    "company_id",
}
# How many lines the segment form shows; all of them open in their own list
LINE_PREVIEW_LIMIT = 80
# Line columns that take their value from the header and the contact
LINE_DEFAULT_COLUMNS = (
    "interaction_template_id",
    "correspondence_type",
    "lang",
    "subject",
    "user_id",
)


class CrmSegment(models.Model):
    _name = "crm.segment"
    _description = "Segment"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _rec_names_search = ["name", "description"]
    _check_company_auto = True

    name = fields.Char(
        string="Segment No.", copy=False, readonly=True, index=True, tracking=True
    )
    description = fields.Char(tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("logged", "Logged")],
        default="draft",
        required=True,
        copy=False,
        readonly=True,
        tracking=True,
        index=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        default=lambda self: self.env.user,
        tracking=True,
    )
    date = fields.Date(default=fields.Date.context_today)

    # Interaction
    interaction_template_id = fields.Many2one(
        "crm.interaction.template",
        check_company=True,
        tracking=True,
    )
    subject = fields.Char(string="Subject (Default)")
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "crm_segment_attachment_rel",
        "segment_id",
        "attachment_id",
        string="Attachments",
        help="Word (.docx) documents are merged for each contact; other files "
        "are sent as they are.",
    )
    send_word_as_attachment = fields.Boolean(
        string="Send Word Docs as Attachments",
        help="Attach the merged Word document to the e-mail instead of using "
        "the template's e-mail body only.",
    )
    apply_header_to_lines = fields.Boolean(
        string="Update Lines with Header Changes",
        default=True,
        help="When an interaction field of the segment changes, update the lines "
        "that use the same interaction template.",
    )

    # Lines
    line_ids = fields.One2many("crm.segment.line", "segment_id", string="Lines")
    line_count = fields.Integer(string="No. of Lines", compute="_compute_line_count")
    line_preview_ids = fields.Many2many(
        "crm.segment.line",
        compute="_compute_line_preview_ids",
        string="First Lines",
        help="The first lines of the segment; all of them open from the Lines "
        "button, page by page.",
    )
    line_preview_limit = fields.Integer(compute="_compute_line_preview_ids")
    logged_segment_ids = fields.One2many(
        "crm.logged.segment", "segment_id", string="Logged Segments"
    )

    _sql_constraints = [
        (
            "name_company_unique",
            "UNIQUE(name, company_id)",
            "A segment with this number already exists in this company.",
        ),
    ]

    # -------------------------------------------------------------------------
    # COMPUTE / ONCHANGE
    # -------------------------------------------------------------------------
    def _compute_line_count(self):
        counts = dict(
            self.env["crm.segment.line"]._read_group(
                [("segment_id", "in", self.ids)], ["segment_id"], ["__count"]
            )
        )
        for segment in self:
            segment.line_count = counts.get(segment._origin, 0)

    @api.depends("line_ids")
    def _compute_line_preview_ids(self):
        # the form never loads every line id: a segment may hold a million
        Line = self.env["crm.segment.line"]
        for segment in self:
            segment.line_preview_limit = LINE_PREVIEW_LIMIT
            segment.line_preview_ids = (
                Line.search(
                    [("segment_id", "=", segment._origin.id)], limit=LINE_PREVIEW_LIMIT
                )
                if segment._origin.id
                else Line
            )

    @api.depends("name", "description")
    def _compute_display_name(self):
        for segment in self:
            segment.display_name = " ".join(
                part for part in (segment.name, segment.description) if part
            ) or self.env._("New Segment")

    @api.onchange("interaction_template_id")
    def _onchange_interaction_template_id(self):
        return self._onchange_header_warning()

    @api.onchange(
        "correspondence_type", "ignore_partner_correspondence_type", "lang", "subject"
    )
    def _onchange_header_fields(self):
        return self._onchange_header_warning()

    def _onchange_header_warning(self):
        origin = self._origin
        if not origin.id or not self.apply_header_to_lines:
            return None
        count = self.env["crm.segment.line"].search_count(
            [
                ("segment_id", "=", origin.id),
                (
                    "interaction_template_id",
                    "in",
                    [origin.interaction_template_id.id, False],
                ),
            ]
        )
        if not count:
            return None
        return {
            "warning": {
                "title": self.env._("Update the lines?"),
                "message": self.env._(
                    "%(count)s lines use the interaction template of this segment: "
                    "they will take the new values when you save. Clear "
                    "'Update Lines with Header Changes' to keep them as they are.",
                    count=count,
                ),
                "type": "notification",
            }
        }

    @api.onchange("campaign_id")
    def _onchange_campaign_id(self):
        if not self.campaign_id:
            self.campaign_target = False
            self.campaign_response = False

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------
    @api.constrains("campaign_id", "campaign_target", "campaign_response")
    def _check_campaign_flags(self):
        for segment in self:
            if (
                segment.campaign_target or segment.campaign_response
            ) and not segment.campaign_id:
                raise ValidationError(
                    self.env._(
                        "Segment %(segment)s: campaign target and campaign response "
                        "can only be set together with a campaign.",
                        segment=segment.display_name,
                    )
                )

    # -------------------------------------------------------------------------
    # ORM overrides
    # -------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("state", "draft") != "draft" and not self.env.su:
                self._raise_engine_field("state")
            if not vals.get("name"):
                vals["name"] = self.env["ir.sequence"].next_by_code("crm.segment")
        return super().create(vals_list)

    def _raise_engine_field(self, fname):
        raise AccessError(
            self.env._(
                "Segment %(segment)s: %(field)s is set by logging the segment only.",
                segment=self[:1].display_name or self.env._("New Segment"),
                field=self._fields[fname].get_description(self.env)["string"],
            )
        )

    def write(self, vals):
        # the status belongs to the logging engine, which writes it as superuser,
        # and a logged segment never goes back to draft
        if "state" in vals:
            back = self.filtered(
                lambda s: s.state == "logged" and vals["state"] != s.state
            )
            if not self.env.su or back:
                (back or self)._raise_engine_field("state")
        if "campaign_id" in vals and not vals["campaign_id"]:
            vals = dict(vals, campaign_target=False, campaign_response=False)
        header_changed = any(field in vals for field in LINE_HEADER_FIELDS)
        logged = self.filtered(lambda s: s.state == "logged")
        if logged and set(vals) & LOGGED_LOCKED_FIELDS:
            raise UserError(
                self.env._(
                    "Segment %(segment)s is logged: its interaction, campaign "
                    "and lines can no longer be changed.",
                    segment=logged[:1].display_name,
                )
            )
        old_templates = {s.id: s.interaction_template_id.id for s in self}
        res = super().write(vals)
        if header_changed:
            for segment in self.filtered("apply_header_to_lines"):
                segment._apply_header_to_lines(old_templates[segment.id])
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        logged = self.filtered(lambda segment: segment.state != "draft")
        if logged:
            raise UserError(
                self.env._(
                    "Segment %(segment)s is logged: it stays as the source of its "
                    "logged segment and cannot be deleted.",
                    segment=logged[:1].display_name,
                )
            )

    # -------------------------------------------------------------------------
    # LINE DEFAULTS (set-based)
    # -------------------------------------------------------------------------
    def _line_default_sql(self):
        """SQL expressions of the line columns taken from the header and contact.

        They read the aliases ``s`` (crm_segment), ``p`` (res_partner) and
        ``t`` (crm_interaction_template of the line, may be NULL).
        """
        return {
            "interaction_template_id": SQL("t.id"),
            "correspondence_type": SQL(
                """CASE
                    WHEN s.ignore_partner_correspondence_type
                        THEN s.correspondence_type
                    WHEN t.ignore_partner_correspondence_type
                         OR p.correspondence_type IS NULL
                        THEN COALESCE(t.correspondence_type, s.correspondence_type)
                    ELSE p.correspondence_type
                END"""
            ),
            "lang": SQL(
                """CASE
                    WHEN EXISTS (
                        SELECT 1 FROM crm_interaction_template_lang tl
                         WHERE tl.template_id = t.id AND tl.lang = p.lang
                    ) THEN p.lang
                    ELSE COALESCE(s.lang, p.lang)
                END"""
            ),
            "subject": SQL("s.subject"),
            "user_id": SQL("COALESCE(s.user_id, p.user_id)"),
        }

    def _refresh_line_defaults(self, line_ids=None, columns=LINE_DEFAULT_COLUMNS):
        """Recompute the header-driven columns of lines in one statement."""
        self.ensure_one()
        if line_ids is not None and not line_ids:
            return
        self.env.flush_all()
        defaults = self._line_default_sql()
        assignments = SQL(", ").join(
            SQL("%s = v.%s", SQL.identifier(col), SQL.identifier(col))
            for col in columns
        )
        selects = SQL(", ").join(
            SQL("%s AS %s", defaults[col], SQL.identifier(col)) for col in columns
        )
        line_filter = SQL("AND l.id IN %s", tuple(line_ids)) if line_ids else SQL("")
        self.env.execute_query(
            SQL(
                """
                WITH v AS (
                    SELECT l.id, %(selects)s
                      FROM crm_segment_line l
                      JOIN crm_segment s ON s.id = l.segment_id
                      JOIN res_partner p ON p.id = l.partner_id
                      LEFT JOIN crm_interaction_template t
                             ON t.id = COALESCE(
                                l.interaction_template_id, s.interaction_template_id)
                     WHERE l.segment_id = %(segment)s %(line_filter)s
                )
                UPDATE crm_segment_line l
                   SET %(assignments)s,
                       write_uid = %(uid)s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM v
                 WHERE v.id = l.id
                """,
                selects=selects,
                assignments=assignments,
                segment=self.id,
                line_filter=line_filter,
                uid=self.env.uid,
            )
        )
        self.env["crm.segment.line"].invalidate_model()

    def _apply_header_to_lines(self, old_template_id):
        """Pass header changes on to the lines using the (old) header template."""
        self.ensure_one()
        self.env.flush_all()
        template_filter = (
            SQL(
                "(interaction_template_id = %s OR interaction_template_id IS NULL)",
                old_template_id,
            )
            if old_template_id
            else SQL("interaction_template_id IS NULL")
        )
        rows = self.env.execute_query(
            SQL(
                """
                UPDATE crm_segment_line
                   SET interaction_template_id = %s
                 WHERE segment_id = %s AND %s
                RETURNING id
                """,
                self.interaction_template_id.id or None,
                self.id,
                template_filter,
            )
        )
        self._refresh_line_defaults(
            [row[0] for row in rows],
            columns=("correspondence_type", "lang", "subject"),
        )

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------
    def _check_draft(self):
        for segment in self:
            if segment.state != "draft":
                raise UserError(
                    self.env._(
                        "Segment %(segment)s is logged already: it can no longer "
                        "be changed.",
                        segment=segment.display_name,
                    )
                )

    def _open_wizard(self, model, name, context=None):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": dict(context or {}, default_segment_id=self.id),
        }

    def action_add_contacts(self):
        self._check_draft()
        return self._open_wizard(
            "crm.segment.filter", self.env._("Add Contacts"), {"default_mode": "add"}
        )

    def action_reduce_contacts(self):
        self._check_draft()
        return self._open_wizard(
            "crm.segment.filter",
            self.env._("Reduce Contacts"),
            {"default_mode": "reduce"},
        )

    def action_refine_contacts(self):
        self._check_draft()
        return self._open_wizard(
            "crm.segment.filter",
            self.env._("Refine Contacts"),
            {"default_mode": "refine"},
        )

    def action_save_criteria(self):
        return self._open_wizard(
            "crm.segment.criteria.save", self.env._("Save Criteria")
        )

    def action_reuse_criteria(self):
        self._check_draft()
        return self._open_wizard(
            "crm.segment.reuse",
            self.env._("Reuse Criteria"),
            {"default_reuse_type": "criteria"},
        )

    def action_reuse_logged_segment(self):
        self._check_draft()
        return self._open_wizard(
            "crm.segment.reuse",
            self.env._("Reuse Logged Segment"),
            {"default_reuse_type": "logged_segment"},
        )

    def action_log(self):
        self._check_draft()
        return self._open_wizard("crm.segment.log", self.env._("Log Segment"))

    def action_view_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_campaign_segment.crm_segment_line_action"
        )
        action["domain"] = [("segment_id", "=", self.id)]
        action["name"] = self.env._("Lines of %(segment)s", segment=self.display_name)
        action["context"] = {"default_segment_id": self.id}
        if self.state != "draft":
            action["context"].update(create=False, edit=False, delete=False)
        return action

    def action_view_logged_segments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_campaign_segment.crm_logged_segment_action"
        )
        action["domain"] = [("segment_id", "=", self.id)]
        return action
