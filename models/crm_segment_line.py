# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, create_index

from ..tools.markers import is_engine
from .crm_interaction_template import EVALUATIONS, _lang_get
from .crm_segment import LINE_DEFAULT_COLUMNS
from .crm_segment_step import LINE_VALUE_COLUMNS
from .res_partner import CORRESPONDENCE_TYPES


class CrmSegmentLine(models.Model):
    """Adding or deleting lines by hand records a step (origin Manual Edit)."""

    _name = "crm.segment.line"
    _description = "Segment Line"
    _order = "segment_id, id"
    _check_company_auto = True

    segment_id = fields.Many2one(
        "crm.segment",
        required=True,
        ondelete="cascade",
        # searched through the index (segment, id): see init()
        index=False,
    )
    company_id = fields.Many2one(related="segment_id.company_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Contact",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_partner_id = fields.Many2one(
        "res.partner",
        string="Company Contact",
        help="The company of the contact, or the contact itself.",
    )
    # read as the user: a line shows no more of its contact than the user may
    # read of the contact itself
    email = fields.Char(related="partner_id.email", compute_sudo=False)
    # follow the line's template (and contact); the segment engine fills them
    # set-based with the same rule (crm.segment._line_default_sql)
    correspondence_type = fields.Selection(
        CORRESPONDENCE_TYPES,
        compute="_compute_correspondence_type",
        store=True,
        readonly=False,
    )
    lang = fields.Selection(
        _lang_get,
        string="Language",
        compute="_compute_lang",
        store=True,
        readonly=False,
    )
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

    def init(self):
        # the form shows the first lines of a segment in their order, the
        # logging job reads the next lines after its cursor: read from this
        # index, not sorted out of a million lines (it also serves searches by
        # segment: segment_id has no index of its own)
        create_index(
            self.env.cr,
            "crm_segment_line_segment_id_id_index",
            self._table,
            ["segment_id", "id"],
        )

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------
    # The correspondence type and language a line takes from its template,
    # its segment and its contact, as the segment engine sets them in SQL
    # (crm.segment._line_default_sql): the same values whether the line is
    # created or its template changed in the form, over RPC or by an automated
    # action. One method per field: a value given overrides that field only.
    @api.depends("interaction_template_id", "partner_id")
    def _compute_correspondence_type(self):
        for line in self:
            segment = line.segment_id
            template = line.interaction_template_id or segment.interaction_template_id
            partner = line.partner_id
            if segment.ignore_partner_correspondence_type:
                ctype = segment.correspondence_type
            elif (
                template.ignore_partner_correspondence_type
                or not partner.correspondence_type
            ):
                ctype = template.correspondence_type or segment.correspondence_type
            else:
                ctype = partner.correspondence_type
            line.correspondence_type = ctype

    @api.depends("interaction_template_id", "partner_id")
    def _compute_lang(self):
        for line in self:
            segment = line.segment_id
            template = line.interaction_template_id or segment.interaction_template_id
            partner = line.partner_id
            if partner.lang and partner.lang in template.language_ids.mapped("lang"):
                line.lang = partner.lang
            else:
                line.lang = segment.lang or partner.lang

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------
    @api.constrains("subject")
    def _check_subject_placeholders(self):
        """A subject typed on a line renders in restricted mode: checked when
        it is written, and again when the segment is logged."""
        render = self.env["crm.interaction.render"]
        for line in self.filtered("subject"):
            render._check_expressions(
                render._text_expressions(line.subject),
                line.segment_id.display_name,
                trusted=False,
            )

    # -------------------------------------------------------------------------
    # ORM overrides
    # -------------------------------------------------------------------------
    def _check_segment_draft(self, segments):
        logged = segments.filtered(lambda s: s.state != "draft")
        if logged:
            raise UserError(
                self.env._(
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
        if not is_engine(self.env):
            for segment, segment_lines in lines._grouped_by_draft_segment():
                segment_lines._record_manual_step(segment, "add", "insert")
        return lines

    def write(self, vals):
        self._check_segment_draft(self.segment_id)
        moved = {"partner_id", "segment_id"} & set(vals)
        if moved and not is_engine(self.env):
            changed = self.filtered(
                lambda line: (
                    any(line[fname].id != vals[fname] for fname in moved if vals[fname])
                    or any(not vals[fname] for fname in moved)
                )
            )
            if changed:
                raise UserError(
                    self.env._(
                        "The contact of a segment line cannot be changed: remove "
                        "the line and add the other contact, so that Go Back can "
                        "undo it (%(contact)s in %(segment)s).",
                        contact=changed[:1].partner_id.display_name,
                        segment=changed[:1].segment_id.display_name,
                    )
                )
        return super().write(vals)

    def unlink(self):
        if not is_engine(self.env):
            for segment, segment_lines in self._grouped_by_draft_segment():
                segment_lines._record_manual_step(segment, "reduce", "delete")
        self._check_segment_draft(self.segment_id)
        return super().unlink()

    # -------------------------------------------------------------------------
    # MANUAL STEPS
    # -------------------------------------------------------------------------
    def _grouped_by_draft_segment(self):
        return [
            (segment, lines)
            for segment, lines in self.grouped("segment_id").items()
            if segment.state == "draft"
        ]

    def _record_manual_step(self, segment, mode, operation):
        step = segment._new_step(
            mode, {"partner_ids": sorted(self.partner_id.ids)}, "manual"
        )
        count_field = "inserted_count" if operation == "insert" else "removed_count"
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                """
                WITH hist AS (
                    INSERT INTO crm_segment_history
                           (step_id, segment_id, partner_id, operation, %(columns)s)
                    SELECT %(step)s, l.segment_id, l.partner_id, %(operation)s,
                           %(l_columns)s
                      FROM crm_segment_line l
                     WHERE l.id IN %(ids)s
                    RETURNING 1
                )
                UPDATE crm_segment_step
                   SET %(count_field)s = (SELECT COUNT(*) FROM hist)
                 WHERE id = %(step)s
                """,
                columns=SQL(", ").join(SQL.identifier(c) for c in LINE_VALUE_COLUMNS),
                l_columns=SQL(", ").join(
                    SQL.identifier("l", c) for c in LINE_VALUE_COLUMNS
                ),
                step=step.id,
                operation=operation,
                ids=tuple(self.ids),
                count_field=SQL.identifier(count_field),
            )
        )
        segment._invalidate_lines()
