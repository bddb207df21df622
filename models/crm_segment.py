# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Segments: the contacts a campaign reaches, built step by step (add, reduce
and refine contacts, go back and go forward, save and reuse criteria, dynamic
segments), then logged.

The steps themselves run in ``crm.segment.step`` (set-based SQL).

Logging a segment: the checks made before anything is written, the logged
segment's header, then its job (``crm.logged.segment``) logs the lines.
Placeholders are checked here, before anything is written, with the rules of
``crm.interaction.render``: interaction templates may use what a template editor
saved in them; subjects typed on the segment or its lines and Word documents
attached to the segment only simple field paths.  An expression that is not
allowed, or that does not compile, is refused with the contacts concerned.
Logging honours consent: e-mail lines of contacts who opted out of the
template's topic, or whose address is blacklisted, are left out; the review
counts what goes out per channel before anything is written.

Also: opportunities from a segment (one per line's contact, on the campaign),
address labels of its contacts (report/crm_segment_label_report.xml) and the
export of its contacts.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from psycopg2 import DataError

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL

from .crm_interaction_template import INFORMATION_FLOWS, INITIATED_BY, _lang_get
from .res_partner import CORRESPONDENCE_TYPES

_logger = logging.getLogger(__name__)

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
MAX_LISTED = 10
MEDIUM_BY_CORRESPONDENCE = {
    "email": "utm.utm_medium_email",
    "hard_copy": "utm.utm_medium_direct",
}
OPPORTUNITY_BATCH = 1000
# The contact fields of "Export Contacts": the columns of the contacts list it
# opens (Odoo's export proposes a list's columns) and the saved export
# template "Segment contacts" (data/crm_segment_export_data.xml).
EXPORT_VIEW = "crm_campaign_segment.res_partner_view_list_segment_export"
EXPORT_TEMPLATE = "crm_campaign_segment.ir_exports_segment_contacts"


def _label_pages(records, columns, rows):
    """The labels of the records' contacts, sheet by sheet, row by row (left
    to right); each record starts on a new sheet.

    One list for all the records: the report prints them in one document
    (wkhtmltopdf builds without patched Qt print one HTML document only)."""
    per_page = columns * rows
    pages = []
    for record in records:
        labels = [
            partner._get_label_lines() for partner in record._get_label_partners()
        ]
        for start in range(0, len(labels), per_page):
            page = labels[start : start + per_page]
            page += [[]] * (per_page - len(page))
            pages.append(
                [page[row : row + columns] for row in range(0, per_page, columns)]
            )
    return pages


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

    # Values that follow the interaction template (_follow_template): stored
    # computed fields a user may still change, so that choosing a template
    # gives the same values in the form, over RPC, from an import or from an
    # automated action. The form asks whether to update the lines when they
    # change (_onchange_header_warning).
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

    # Criteria steps
    step_ids = fields.One2many(
        "crm.segment.step", "segment_id", string="Criteria Steps", copy=False
    )
    can_go_back = fields.Boolean(compute="_compute_step_state")
    can_go_forward = fields.Boolean(compute="_compute_step_state")
    criteria_id = fields.Many2one(
        "crm.segment.criteria",
        string="Dynamic Criteria",
        check_company=True,
        help="Saved criteria the segment is rebuilt from by Refresh.",
    )
    auto_refresh = fields.Boolean(
        string="Refresh Automatically",
        help="Rebuild the segment from its saved criteria every night, as the "
        "user who created it (with that user's access rights), in the segment's "
        "company.",
    )

    # Logging
    logged_segment_id = fields.Many2one(
        "crm.logged.segment",
        compute="_compute_logged_segment_id",
        help="The logged segment created when this segment was logged.",
    )
    log_job_state = fields.Selection(
        [("queued", "Logging in Progress"), ("error", "Error"), ("done", "Done")],
        string="Logging Status",
        compute="_compute_logged_segment_id",
    )
    log_progress = fields.Float(
        string="Logging Progress (%)", compute="_compute_logged_segment_id"
    )

    # Opportunities
    source_id = fields.Many2one(
        "utm.source",
        readonly=True,
        copy=False,
        help="Source of the opportunities created from this segment.",
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

    def _compute_step_state(self):
        rows = self.env["crm.segment.step"]._read_group(
            [("segment_id", "in", self.ids)], ["segment_id", "undone"], ["__count"]
        )
        states = {(segment.id, undone) for segment, undone, __ in rows}
        for segment in self:
            segment.can_go_back = (segment._origin.id, False) in states
            segment.can_go_forward = (segment._origin.id, True) in states

    def _compute_logged_segment_id(self):
        for segment in self:
            logged = segment.logged_segment_ids.sorted("id")[-1:]
            segment.logged_segment_id = logged
            segment.log_job_state = logged.job_state
            segment.log_progress = logged.log_progress

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
    # VALUES FROM THE TEMPLATE
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

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------
    @api.constrains("subject")
    def _check_subject_placeholders(self):
        """A subject typed on a segment renders in restricted mode: checked
        when it is written, and again when the segment is logged."""
        render = self.env["crm.interaction.render"]
        for segment in self.filtered("subject"):
            render._check_expressions(
                render._text_expressions(segment.subject),
                segment.display_name,
                trusted=False,
            )

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

    # -------------------------------------------------------------------------
    # STEPS
    # -------------------------------------------------------------------------
    def _check_can_change_lines(self):
        self.ensure_one()
        self._check_draft()
        self.check_access("write")

    def _new_step(self, mode, filter_values, origin):
        """Create the next step, discarding what could have been redone.

        The undone steps (and their history) are deleted in SQL, after the
        check that the user may change the segment: users cannot delete steps
        nor write the history through the ORM."""
        self.ensure_one()
        self.check_access("write")
        self.env.flush_all()
        # a new step after going back discards the undone steps (their
        # history goes with them: its foreign key cascades)
        self.env.execute_query(
            SQL(
                "DELETE FROM crm_segment_step WHERE segment_id = %s AND undone",
                self.id,
            )
        )
        self.env["crm.segment.step"].invalidate_model()
        self.env["crm.segment.history"].invalidate_model()
        sequence = self.env.execute_query(
            SQL(
                "SELECT COALESCE(MAX(sequence), 0) + 1 FROM crm_segment_step "
                "WHERE segment_id = %s",
                self.id,
            )
        )[0][0]
        Step = self.env["crm.segment.step"]
        # users read steps, only the engine writes them
        return (
            Step.sudo()
            .create(
                {
                    "segment_id": self.id,
                    "sequence": sequence,
                    "mode": mode,
                    "origin": origin,
                    "filter_values": filter_values,
                    "partner_domain": filter_values.get("partner_domain") or False,
                    "description": self.env[
                        "crm.segment.filter.mixin"
                    ]._filter_describe(mode, filter_values),
                }
            )
            .sudo(False)
        )

    def _apply_step(self, mode, filter_values, origin="filter"):
        """Apply one step to the segment and record it.

        :param mode: ``add``, ``reduce``, ``refine`` or ``refresh``
        :param filter_values: JSON-able dict of filters and options, keys named
            like the fields of ``crm.segment.filter`` (lists of ids, strings,
            booleans, dates as ISO strings); ``partner_ids`` and
            ``logged_segment_ids`` select contacts directly, ``criteria_id``
            names the saved criteria of a ``refresh`` step
        :return: the new ``crm.segment.step``
        """
        self.ensure_one()
        self._check_can_change_lines()
        Step = self.env["crm.segment.step"]
        if mode not in dict(Step._fields["mode"].selection):
            raise UserError(
                self.env._("Unknown segment step mode %(mode)s.", mode=mode)
            )
        values = self.env["crm.segment.filter.mixin"]._filter_normalize(
            filter_values, mode
        )
        if mode == "refresh" and not values.get("criteria_id"):
            raise UserError(
                self.env._(
                    "Segment %(segment)s: a refresh needs saved criteria.",
                    segment=self.display_name,
                )
            )
        try:
            with self.env.cr.savepoint():
                step = self._new_step(mode, values, origin)
                step._apply(values)
        except DataError as error:
            raise UserError(
                self.env._(
                    "Segment %(segment)s: the filter could not be applied, the "
                    "segment is unchanged: %(error)s",
                    segment=self.display_name,
                    error=error,
                )
            ) from error
        self._invalidate_lines()
        return step

    def _invalidate_lines(self):
        self.env["crm.segment.line"].invalidate_model()
        self.env["crm.segment.step"].invalidate_model()
        self.env["crm.segment.history"].invalidate_model()
        self.invalidate_recordset(
            [
                "line_ids",
                "line_count",
                "line_preview_ids",
                "step_ids",
                "can_go_back",
                "can_go_forward",
            ]
        )

    def _last_step(self, undone):
        self.ensure_one()
        return self.env["crm.segment.step"].search(
            [("segment_id", "=", self.id), ("undone", "=", undone)],
            order="sequence desc, id desc" if not undone else "sequence, id",
            limit=1,
        )

    def action_go_back(self):
        """Undo the last active step exactly."""
        for segment in self:
            segment._check_can_change_lines()
            step = segment._last_step(undone=False)
            if not step:
                raise UserError(
                    self.env._(
                        "Segment %(segment)s has no step to undo.",
                        segment=segment.display_name,
                    )
                )
            self.env.flush_all()
            step._undo()
            segment._invalidate_lines()
        return True

    def action_go_forward(self):
        """Redo the first undone step exactly as it was applied."""
        for segment in self:
            segment._check_can_change_lines()
            step = segment._last_step(undone=True)
            if not step:
                raise UserError(
                    self.env._(
                        "Segment %(segment)s has no undone step to redo.",
                        segment=segment.display_name,
                    )
                )
            self.env.flush_all()
            step._redo()
            segment._invalidate_lines()
        return True

    def action_refresh(self):
        """Rebuild the segment from its saved criteria, as one undoable step."""
        for segment in self:
            if not segment.criteria_id:
                raise UserError(
                    self.env._(
                        "Segment %(segment)s has no saved criteria to refresh from.",
                        segment=segment.display_name,
                    )
                )
            segment._apply_step(
                "refresh", {"criteria_id": segment.criteria_id.id}, origin="refresh"
            )
        return True

    # -------------------------------------------------------------------------
    # SAVED CRITERIA AND DYNAMIC SEGMENTS
    # -------------------------------------------------------------------------
    def _save_criteria(self, code, name):
        """Store the active steps as saved criteria under ``code``."""
        self.ensure_one()
        steps = self.step_ids.filtered(lambda s: not s.undone).sorted(
            lambda s: (s.sequence, s.id)
        )
        if not steps:
            raise UserError(
                self.env._(
                    "Segment %(segment)s has no criteria steps to save.",
                    segment=self.display_name,
                )
            )
        code = (code or "").strip()
        if not code or not (name or "").strip():
            raise UserError(self.env._("Saved criteria need a code and a description."))
        Criteria = self.env["crm.segment.criteria"]
        if Criteria.with_context(active_test=False).search_count(
            [("code", "=", code), ("company_id", "=", self.company_id.id)]
        ):
            raise UserError(
                self.env._(
                    "Saved criteria with code %(code)s already exist in company "
                    "%(company)s.",
                    code=code,
                    company=self.company_id.display_name,
                )
            )
        return Criteria.create(
            {
                "code": code,
                "name": name.strip(),
                "company_id": self.company_id.id,
                "step_ids": [
                    fields.Command.create(
                        {
                            "sequence": index,
                            "mode": step.mode,
                            "filter_values": step.filter_values or {},
                            "description": step.description,
                        }
                    )
                    for index, step in enumerate(steps, start=1)
                ],
            }
        )

    def _reuse_criteria(self, criteria):
        """Replay every step of saved ``criteria`` on today's data, one step
        each (each undoable), on top of the segment's current lines."""
        self.ensure_one()
        criteria.ensure_one()
        if not criteria.step_ids:
            raise UserError(
                self.env._(
                    "Saved criteria %(criteria)s have no steps.",
                    criteria=criteria.display_name,
                )
            )
        steps = self.env["crm.segment.step"]
        for saved in criteria.step_ids.sorted(lambda s: (s.sequence, s.id)):
            steps |= self._apply_step(
                saved.mode, saved.filter_values or {}, origin="criteria"
            )
        return steps

    def _reuse_logged_segment(self, logged_segment, ignore_exclusion=False):
        """Add the contacts of a logged segment as one step."""
        self.ensure_one()
        logged_segment.ensure_one()
        return self._apply_step(
            "add",
            {
                "logged_segment_ids": [logged_segment.id],
                "ignore_exclusion": ignore_exclusion,
            },
            origin="logged_segment",
        )

    @api.model
    def _cron_refresh_dynamic_segments(self):
        """Rebuild the dynamic segments one by one, each as the owner of its
        saved criteria (the user who last changed them) in the segment's
        company, never as the superuser: that user's access rights and record
        rules decide which contacts come in, and every saved step is checked
        again as that user.  A segment whose criteria owner is missing,
        archived or without access to it is skipped and logged."""
        segments = self.sudo().search(
            [
                ("state", "=", "draft"),
                ("auto_refresh", "=", True),
                ("criteria_id", "!=", False),
            ]
        )
        for segment in segments:
            owner_segment = segment._as_refresh_owner()
            if not owner_segment:
                continue
            try:
                with self.env.cr.savepoint():
                    owner_segment.action_refresh()
            except Exception:
                _logger.exception(
                    "Dynamic segment %s could not be refreshed as its owner %s",
                    segment.display_name,
                    owner_segment.env.user.login,
                )

    def _as_refresh_owner(self):
        """The segment in the environment of the user who last changed its
        saved criteria, in its company, for the scheduled refresh: a domain
        runs with the rights of whoever wrote it, never of another user; an
        empty recordset (and a warning) when that user cannot refresh it."""
        self.ensure_one()
        owner = self.sudo().criteria_id._replay_user()
        reason = None
        if not owner or owner._is_superuser():
            reason = "it has no owner other than the superuser"
        elif not owner.active:
            reason = f"its owner {owner.login} is archived"
        elif self.company_id not in owner.company_ids:
            reason = f"its owner {owner.login} has no access to its company"
        else:
            segment = (
                self.with_user(owner)
                .with_context(allowed_company_ids=self.company_id.ids)
                .with_company(self.company_id)
            )
            if not (
                segment.has_access("write") and segment.criteria_id.has_access("read")
            ):
                reason = f"its owner {owner.login} has no access to it"
            else:
                return segment
        _logger.warning(
            "Dynamic segment %s (id %s) is not refreshed: %s.",
            self.display_name,
            self.id,
            reason,
        )
        return self.browse()

    # -------------------------------------------------------------------------
    # LOGGING (crm.segment.logging does it)
    # -------------------------------------------------------------------------
    def log_segment(
        self,
        send=False,
        create_follow_up=False,
        missing_email=False,
        one_email_per_address=True,
    ):
        """Log the segment: one interaction per line, deliveries when ``send``.

        Everything is checked before anything is written.  Above the
        ``crm_campaign_segment.background_threshold`` system parameter the
        interactions and deliveries are made in the background, batch by batch.

        :param bool send: send the e-mails and produce the letters
        :param bool create_follow_up: create "Follow-up on segment ..."
        :param missing_email: what to do with e-mail lines whose contact has
            no valid address: ``"hard_copy"`` (switch them to hard copy) or
            ``"skip"`` (leave them out of the segment); without it such lines
            are refused when sending
        :param bool one_email_per_address: contacts sharing an address get
            one e-mail (each still gets its interaction)
        :return: the id of the logged segment
        """
        self.ensure_one()
        self.check_access("write")
        logged = self.env["crm.segment.logging"]._log_segment(
            self, send, create_follow_up, missing_email, one_email_per_address
        )
        return logged.id

    @api.model
    def _cron_log_segments(self):
        """Kept for databases whose cron (``noupdate``) still calls it on
        segments: the job is ``crm.segment.logging``'s."""
        return self.env["crm.segment.logging"]._cron_log_segments()

    # -------------------------------------------------------------------------
    # REVIEW
    # -------------------------------------------------------------------------
    def log_review(self, send=True, missing_email=False, one_email_per_address=True):
        """What logging would do, without writing anything.

        :return: dict with ``emails`` and ``letters`` (going out),
            ``interactions``, and the e-mail lines left out: ``blacklisted``,
            ``opted_out``, ``no_address`` (no valid address, left out or
            switched to hard copy per ``missing_email``), ``shared_address``
            (covered by another contact's e-mail), and ``message`` (the same
            in words)
        """
        self.ensure_one()
        self.check_access("read")
        engine = self.env["crm.segment.logging"]
        excluded = engine._log_consent_excluded_lines(self)
        left_out = excluded["blacklisted"] | excluded["opted_out"]
        missing = engine._log_missing_email_lines(self)
        self.env.flush_all()
        [(email_lines, letter_lines, total, addresses)] = self.env.execute_query(
            SQL(
                """
                SELECT COUNT(*) FILTER (WHERE l.correspondence_type = 'email'
                                          AND NOT l.id = ANY(%(missing)s)),
                       COUNT(*) FILTER (WHERE l.correspondence_type = 'hard_copy'),
                       COUNT(*),
                       COUNT(DISTINCT p.email_normalized) FILTER (
                           WHERE l.correspondence_type = 'email'
                             AND NOT l.id = ANY(%(missing)s))
                  FROM crm_segment_line l
                  JOIN res_partner p ON p.id = l.partner_id
                 WHERE l.segment_id = %(segment)s AND NOT l.id = ANY(%(left_out)s)
                """,
                missing=missing.ids,
                left_out=left_out.ids,
                segment=self.id,
            )
        )
        shared = email_lines - addresses if one_email_per_address else 0
        switched = len(missing) if missing_email == "hard_copy" else 0
        skipped = len(missing) if missing_email == "skip" else 0
        result = {
            "emails": (email_lines - shared) if send else 0,
            "letters": (letter_lines + switched) if send else 0,
            "interactions": total - len(left_out) - skipped,
            "blacklisted": len(excluded["blacklisted"]),
            "opted_out": len(excluded["opted_out"]),
            "no_address": len(missing),
            "shared_address": shared if send else 0,
        }
        result["message"] = self.env._(
            "%(emails)s e-mails and %(letters)s letters go out, %(interactions)s "
            "interactions are logged. E-mail lines left out: %(blacklisted)s "
            "blacklisted, %(opted_out)s opted out of the topic; %(no_address)s "
            "without a valid address; %(shared_address)s covered by the e-mail "
            "of another contact with the same address.",
            **result,
        )
        return result

    def action_send_test_email(self, line):
        """Send the merged e-mail of ``line`` (a line or its id) to the current
        user, built by ``crm.interaction.delivery`` as the real one (merged
        Word documents included); log nothing.

        The interaction is only a draft in memory: no interaction, no logged
        segment, no change to the segment, no consent touched.
        """
        self.ensure_one()
        if isinstance(line, int):
            line = self.env["crm.segment.line"].browse(line)
        line.ensure_one()
        if line.segment_id != self:
            raise UserError(self.env._("Choose a line of this segment."))
        user = self.env.user
        if not user.email:
            raise UserError(
                self.env._("Your user has no e-mail address to send the test to.")
            )
        template = line.interaction_template_id or self.interaction_template_id
        if not template:
            raise UserError(self.env._("The line has no interaction template."))
        self.env["crm.segment.logging"]._log_check_deliveries(
            self, True, self.env["crm.segment.line"], line.browse()
        )
        self.env["crm.interaction.delivery"]._send_test_email(line, template)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Test e-mail for %(contact)s sent to %(email)s.",
                    contact=line.partner_id.display_name,
                    email=user.email,
                ),
                "sticky": False,
            },
        }

    # -------------------------------------------------------------------------
    # OPPORTUNITIES
    # -------------------------------------------------------------------------
    def _opportunity_medium(self, correspondence_type):
        xmlid = MEDIUM_BY_CORRESPONDENCE.get(correspondence_type)
        medium = xmlid and self.env.ref(xmlid, raise_if_not_found=False)
        return medium or self.env["utm.medium"]

    def _opportunity_source(self):
        self.ensure_one()
        if not self.source_id:
            self.sudo().source_id = (
                self.env["utm.source"]
                .sudo()
                .create({"name": " ".join(filter(None, (self.name, self.description)))})
            )
        return self.source_id

    @api.model
    def _opportunity_stage(self, team_id):
        """First stage of a new opportunity of the sales team ``team_id``, as
        crm.lead picks it: the team's stages and the shared ones, folded
        stages excluded, lowest sequence."""
        domain = [("team_id", "=", False)]
        if team_id:
            domain = expression.OR([domain, [("team_id", "=", team_id)]])
        return self.env["crm.stage"].search(
            expression.AND([domain, [("fold", "=", False)]]),
            order="sequence, id",
            limit=1,
        )

    def _create_opportunities(self):
        """Create one opportunity per line's contact on the segment's campaign.

        The opportunity's contact is the line's contact: a person keeps its
        company as Odoo's commercial partner (the opportunity shows both), a
        company line gets the company.  Campaign, source (the segment) and
        medium (the line's correspondence type) are set, with the line's
        salesperson, that salesperson's team and a to-do activity to follow
        up.  crm.lead fills in the rest from the contact, as for any new
        opportunity (names, e-mail, phone, address, language).  Contacts that
        already have an open opportunity on the campaign are skipped.
        Returns the new opportunities and the skipped contacts.
        """
        self.ensure_one()
        if not self.campaign_id:
            raise UserError(
                self.env._(
                    "Segment %(segment)s has no campaign: set one before creating "
                    "opportunities.",
                    segment=self.display_name,
                )
            )
        self.check_access("read")
        self.env["crm.lead"].check_access("create")
        rows = self._opportunity_rows()
        open_partner_ids = self._open_opportunity_partner_ids(rows)
        skipped_ids = [row[0] for row in rows if row[0] in open_partner_ids]
        todo = [row for row in rows if row[0] not in open_partner_ids]
        leads = self._create_opportunity_leads(self._opportunity_values_by_stage(todo))
        self._create_opportunity_activities(leads)
        return leads, self.env["res.partner"].browse(skipped_ids)

    def _opportunity_rows(self):
        """(partner id, salesperson id, correspondence type, partner name) of
        the lines, in line order, in one query."""
        self.env["crm.segment.line"].flush_model(
            ["segment_id", "partner_id", "user_id", "correspondence_type"]
        )
        self.env["res.partner"].flush_model(["name"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT l.partner_id, l.user_id, l.correspondence_type, p.name
                  FROM crm_segment_line l
                  JOIN res_partner p ON p.id = l.partner_id
                 WHERE l.segment_id = %s
                 ORDER BY l.id
                """,
                self.id,
            )
        )
        if not rows:
            raise UserError(
                self.env._(
                    "Segment %(segment)s has no contacts.", segment=self.display_name
                )
            )
        return rows

    def _open_opportunity_partner_ids(self, rows):
        """The contacts of ``rows`` with an open opportunity on the campaign,
        whoever owns it."""
        return {
            partner.id
            for [partner] in self.env["crm.lead"]
            .sudo()
            ._read_group(
                [
                    ("type", "=", "opportunity"),
                    ("campaign_id", "=", self.campaign_id.id),
                    ("partner_id", "in", [row[0] for row in rows]),
                    ("stage_id.is_won", "=", False),
                ],
                ["partner_id"],
            )
        }

    def _opportunity_values_by_stage(self, rows):
        """The values of the opportunities of ``rows``, by first stage."""
        campaign = self.campaign_id
        source = self._opportunity_source()
        # team and first stage once per salesperson, medium once per type
        teams, stages, media = {}, {}, {}
        Team = self.env["crm.team"]
        title = campaign.title or campaign.name or ""
        vals_by_stage = defaultdict(list)
        for partner_id, user_id, correspondence_type, partner_name in rows:
            user_id = user_id or self.user_id.id
            if user_id not in teams:
                # Odoo 18.0: the team crm.lead's own compute gives an opportunity
                # of this salesperson (crm.team has no public equivalent);
                # checked on 18.0
                teams[user_id] = Team._get_default_team_id(
                    user_id=user_id, domain=[("use_opportunities", "=", True)]
                ).id
            team_id = teams[user_id]
            if team_id not in stages:
                stages[team_id] = self._opportunity_stage(team_id)
            if correspondence_type not in media:
                media[correspondence_type] = self._opportunity_medium(
                    correspondence_type
                ).id
            vals_by_stage[stages[team_id]].append(
                {
                    "name": f"{title} - {partner_name}",
                    "type": "opportunity",
                    "partner_id": partner_id,
                    "campaign_id": campaign.id,
                    "source_id": source.id,
                    "medium_id": media[correspondence_type],
                    "user_id": user_id or False,
                    "team_id": team_id or False,
                    "company_id": self.company_id.id,
                }
            )
        return vals_by_stage

    def _create_opportunity_leads(self, vals_by_stage):
        """Create the opportunities, in batches, quietly (no tracking, no
        "created" message), with their first stage."""
        Lead = self.env["crm.lead"]
        quiet = Lead.with_context(
            tracking_disable=True,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            mail_notrack=True,
        )
        leads = Lead
        for stage, vals_list in vals_by_stage.items():
            if stage.is_won:
                # crm.lead counts leads created won in its scoring tables
                creator = quiet
                for vals in vals_list:
                    vals["stage_id"] = stage.id
            else:
                # the stage as a default: crm.lead's create then skips its
                # per-lead won/lost bookkeeping, which has nothing to count
                creator = quiet.with_context(default_stage_id=stage.id)
            for start in range(0, len(vals_list), OPPORTUNITY_BATCH):
                leads |= creator.create(vals_list[start : start + OPPORTUNITY_BATCH])
        return leads.with_env(self.env)

    def _create_opportunity_activities(self, leads):
        if not leads:
            return
        activity_type = self.env.ref(
            "mail.mail_activity_data_todo", raise_if_not_found=False
        )
        model_id = self.env["ir.model"]._get_id("crm.lead")
        deadline = fields.Date.context_today(self) + timedelta(days=3)
        summary = self.env._(
            "Follow up on campaign %(campaign)s", campaign=self.campaign_id.display_name
        )
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": lead.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "summary": summary,
                    "user_id": lead.user_id.id or self.env.user.id,
                    "date_deadline": deadline,
                }
                for lead in leads
            ]
        )

    def action_create_opportunities(self):
        """Create the opportunities of this segment; tell which contacts were
        skipped, then open the new opportunities."""
        self.ensure_one()
        leads, skipped = self._create_opportunities()
        message = self.env._(
            "%(count)s opportunities created on campaign %(campaign)s.",
            count=len(leads),
            campaign=self.campaign_id.display_name,
        )
        if skipped:
            message = " ".join(
                (
                    message,
                    self.env._(
                        "Skipped, they already have an open opportunity on the "
                        "campaign: %(contacts)s",
                        contacts=", ".join(skipped.mapped("display_name")),
                    ),
                )
            )
        self.message_post(body=message)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm.crm_lead_opportunities"
        )
        action["domain"] = [("id", "in", leads.ids)]
        action["context"] = {"create": False}
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Opportunities"),
                "message": message,
                "type": "warning" if skipped else "success",
                "sticky": bool(skipped),
                "next": action,
                "lead_ids": leads.ids,
                "skipped_partner_ids": skipped.ids,
            },
        }

    # -------------------------------------------------------------------------
    # LABELS AND EXPORT
    # -------------------------------------------------------------------------
    def _get_label_partners(self):
        """The contacts of the lines, in the order of the lines."""
        self.ensure_one()
        return self.line_ids.sorted("id").partner_id

    def _get_label_pages(self, columns, rows):
        return _label_pages(self, columns, rows)

    def action_export_contacts(self):
        """The segment's contacts in a list whose columns are the prepared
        export fields: select them all and export, in CSV or XLSX, as Odoo
        offers (or pick the export template "Segment contacts")."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Contacts of %(segment)s", segment=self.display_name),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "views": [(self.env.ref(EXPORT_VIEW).id, "list"), (False, "form")],
            "domain": [("segment_line_ids.segment_id", "=", self.id)],
            "context": {"create": False, "active_test": False},
        }
