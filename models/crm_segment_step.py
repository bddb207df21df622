# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import ast
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL, create_index

from .crm_interaction_template import _lang_get
from .crm_segment_line import EVALUATIONS
from .res_partner import CORRESPONDENCE_TYPES

ONE_DAY = timedelta(days=1)

FILTER_MODES = [
    ("add", "Add Contacts"),
    ("reduce", "Reduce Contacts"),
    ("refine", "Refine Contacts"),
]
STEP_MODES = FILTER_MODES + [("refresh", "Refresh")]


class CrmSegmentStep(models.Model):
    """One change of a segment's contacts, as applied, with what it changed."""

    _name = "crm.segment.step"
    _description = "Segment Criteria Step"
    _order = "segment_id, sequence, id"

    segment_id = fields.Many2one(
        "crm.segment", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="segment_id.company_id")
    sequence = fields.Integer(string="Step No.", required=True, default=1)
    mode = fields.Selection(STEP_MODES, required=True)
    origin = fields.Selection(
        [
            ("filter", "Filter"),
            ("manual", "Manual Edit"),
            ("criteria", "Saved Criteria"),
            ("logged_segment", "Logged Segment"),
            ("refresh", "Refresh"),
        ],
        default="filter",
        required=True,
    )
    partner_domain = fields.Text(
        string="Contact Filter", help="The contact domain as it was applied."
    )
    filter_values = fields.Json(
        help="Every filter and option of the step, to replay it."
    )
    description = fields.Text(string="Filter", help="The filter in words.")
    inserted_count = fields.Integer(string="Added")
    removed_count = fields.Integer(string="Removed")
    undone = fields.Boolean(
        help="Undone by Go Back; Go Forward applies it again.", index=True
    )
    change_summary = fields.Char(
        string="Changes", compute="_compute_change_summary", help="+added / -removed"
    )
    history_ids = fields.One2many(
        "crm.segment.history", "step_id", string="Contacts Changed"
    )

    @api.depends("inserted_count", "removed_count")
    def _compute_change_summary(self):
        for step in self:
            parts = []
            if step.inserted_count or not step.removed_count:
                parts.append(f"+{step.inserted_count}")
            if step.removed_count:
                parts.append(f"-{step.removed_count}")
            step.change_summary = " / ".join(parts)


class CrmSegmentHistory(models.Model):
    """A contact inserted into or removed from a segment by a step.

    Removed lines keep their values here so that undoing the step restores
    exactly the lines as they were.
    """

    _name = "crm.segment.history"
    _description = "Segment Step History"
    _order = "step_id, id"
    _log_access = False

    step_id = fields.Many2one(
        "crm.segment.step", required=True, ondelete="cascade", index=True
    )
    segment_id = fields.Many2one(
        "crm.segment", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade")
    operation = fields.Selection(
        [("insert", "Inserted"), ("delete", "Removed")], required=True
    )
    # values of a removed line
    company_partner_id = fields.Many2one("res.partner")
    correspondence_type = fields.Selection(CORRESPONDENCE_TYPES)
    lang = fields.Selection(_lang_get)
    subject = fields.Char()
    interaction_template_id = fields.Many2one("crm.interaction.template")
    user_id = fields.Many2one("res.users")
    evaluation = fields.Char()
    contact_via = fields.Char()

    def init(self):
        # undo and redo match history rows by step and contact
        create_index(
            self.env.cr,
            "crm_segment_history_step_partner_index",
            self._table,
            ["step_id", "operation", "partner_id"],
        )


# -----------------------------------------------------------------------------
# STEP ENGINE
# -----------------------------------------------------------------------------
# Keys of ``filter_values`` holding lists of record ids, with their model
ID_FILTERS = {
    "partner_ids": "res.partner",
    "job_responsibility_ids": "crm.job.responsibility",
    "business_relation_ids": "crm.business.relation",
    "mailing_group_ids": "crm.mailing.group",
    "industry_ids": "res.partner.industry",
    "category_ids": "res.partner.category",
    "interaction_template_ids": "crm.interaction.template",
    "interaction_group_ids": "crm.interaction.group",
    "interaction_campaign_ids": "utm.campaign",
    "logged_segment_ids": "crm.logged.segment",
    "opportunity_stage_ids": "crm.stage",
    "activity_type_ids": "mail.activity.type",
}
SELECTION_FILTERS = {
    "interaction_evaluation": {key for key, __ in EVALUATIONS},
    "opportunity_filter": {"open", "stage", "none"},
    "activity_filter": {"overdue", "planned"},
}
DATE_FILTERS = ("interaction_date_from", "interaction_date_to")
BOOLEAN_FILTERS = ("interaction_campaign_response",)
OPTIONS = ("expand_company", "include_company", "ignore_exclusion", "entire_companies")
INTERACTION_FILTERS = (
    "interaction_template_ids",
    "interaction_group_ids",
    "interaction_campaign_ids",
    "interaction_date_from",
    "interaction_date_to",
    "interaction_evaluation",
    "interaction_campaign_response",
)
# Values of a line kept in the history, so that undo and redo restore them
LINE_VALUE_COLUMNS = (
    "company_partner_id",
    "correspondence_type",
    "lang",
    "subject",
    "interaction_template_id",
    "user_id",
    "evaluation",
    "contact_via",
)
# how deep saved criteria may refer to saved criteria (refresh steps)
MAX_CRITERIA_DEPTH = 5


def _columns(prefix, columns=LINE_VALUE_COLUMNS):
    return SQL(", ").join(
        SQL.identifier(prefix, col) if prefix else SQL.identifier(col)
        for col in columns
    )


class CrmSegmentStepEngine(models.Model):
    """Set-based engine of the steps: filter to SQL, apply, undo, redo.

    Every method costs a fixed number of SQL statements, whatever the number
    of contacts: the contacts are never loaded into Python.
    """

    _inherit = "crm.segment.step"

    # -------------------------------------------------------------------------
    # FILTER VALUES
    # -------------------------------------------------------------------------
    @api.model
    def _normalize_filter_values(self, filter_values):
        """Check ``filter_values`` and return them without the empty ones.

        :raise UserError: on an unknown key or a value of the wrong type
        """
        values = {}
        for key, value in (filter_values or {}).items():
            if key in ID_FILTERS:
                if value:
                    values[key] = self._normalize_ids(key, value)
                    self._check_readable_ids(key, values[key])
            elif key == "partner_domain":
                if value and value.strip() not in ("[]", "()"):
                    self._parse_partner_domain(value)
                    values[key] = value
            elif key in SELECTION_FILTERS:
                if not value:
                    continue
                if value not in SELECTION_FILTERS[key]:
                    raise UserError(
                        _(
                            "Segment filter %(filter)s: %(value)r is not one of "
                            "%(allowed)s.",
                            filter=key,
                            value=value,
                            allowed=", ".join(sorted(SELECTION_FILTERS[key])),
                        )
                    )
                values[key] = value
            elif key in DATE_FILTERS:
                if not value:
                    continue
                try:
                    values[key] = fields.Date.to_string(fields.Date.to_date(value))
                except (TypeError, ValueError) as error:
                    raise UserError(
                        _(
                            "Segment filter %(filter)s: %(value)r is not a date.",
                            filter=key,
                            value=value,
                        )
                    ) from error
            elif key in BOOLEAN_FILTERS or key in OPTIONS:
                if value:
                    values[key] = True
            elif key == "criteria_id":
                if value:
                    values[key] = int(value)
                    self._check_readable_ids(
                        key, [values[key]], model="crm.segment.criteria"
                    )
            else:
                raise UserError(
                    _(
                        "Unknown segment filter %(filter)s. Known filters: %(known)s.",
                        filter=key,
                        known=", ".join(
                            sorted(
                                [
                                    *ID_FILTERS,
                                    *SELECTION_FILTERS,
                                    *DATE_FILTERS,
                                    *BOOLEAN_FILTERS,
                                    *OPTIONS,
                                    "partner_domain",
                                    "criteria_id",
                                ]
                            )
                        ),
                    )
                )
        return values

    @api.model
    def _check_readable_ids(self, key, ids, model=None):
        """Refuse ids of records the user may not read (ids that no longer
        exist are kept: they match nothing)."""
        records = self.env[model or ID_FILTERS[key]].browse(ids).exists()
        hidden = records - records._filtered_access("read")
        if hidden:
            raise UserError(
                _(
                    "Segment filter %(filter)s: you cannot read %(count)s of the "
                    "selected records (ids %(ids)s).",
                    filter=key,
                    count=len(hidden),
                    ids=", ".join(str(record_id) for record_id in hidden.ids[:10]),
                )
            )

    @api.model
    def _normalize_ids(self, key, value):
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise UserError(
                _(
                    "Segment filter %(filter)s expects a list of record ids, not "
                    "%(value)r.",
                    filter=key,
                    value=value,
                )
            )
        return sorted(set(value))

    @api.model
    def _parse_partner_domain(self, text):
        """Turn the text of a contact domain into a checked domain.

        Only literal domains are accepted (no ``uid``, no ``context_today()``),
        and every field must exist: the domain is compiled once to check it.
        """
        if not text or not text.strip():
            return []
        try:
            domain = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as e:
            raise UserError(
                _(
                    "The contact filter %(domain)s is not a literal domain: %(error)s",
                    domain=text,
                    error=e,
                )
            ) from e
        if not isinstance(domain, list | tuple):
            raise UserError(
                _(
                    "The contact filter %(domain)s is not a domain: it must be a "
                    "list of conditions such as [('city', '=', 'Oslo')].",
                    domain=text,
                )
            )
        try:
            domain = expression.normalize_domain(list(domain))
            self.env["res.partner"]._search(domain)
        except (ValueError, TypeError, KeyError, AssertionError, IndexError) as e:
            raise UserError(
                _(
                    "The contact filter %(domain)s is not valid: %(error)s",
                    domain=text,
                    error=e,
                )
            ) from e
        return domain

    @api.model
    def _filter_domain(self, filter_values):
        """One ``res.partner`` domain from the filters (combined with AND)."""
        fv = filter_values
        domains = []
        if fv.get("partner_domain"):
            domains.append(self._parse_partner_domain(fv["partner_domain"]))
        if fv.get("partner_ids"):
            domains.append([("id", "in", fv["partner_ids"])])
        if fv.get("job_responsibility_ids"):
            domains.append(
                [("job_responsibility_ids", "in", fv["job_responsibility_ids"])]
            )
        if fv.get("mailing_group_ids"):
            domains.append([("mailing_group_ids", "in", fv["mailing_group_ids"])])
        if fv.get("category_ids"):
            domains.append([("category_id", "in", fv["category_ids"])])
        # company-level classification: a person matches through its company
        # (a company is its own commercial partner, so one condition covers
        # companies and their persons, without an OR that would slow the query)
        for key, fname in (
            ("business_relation_ids", "business_relation_ids"),
            ("industry_ids", "industry_id"),
        ):
            if fv.get(key):
                domains.append([(f"commercial_partner_id.{fname}", "in", fv[key])])
        interaction_domain = self._interaction_domain(fv)
        if interaction_domain:
            domains.append([("interaction_ids", "any", interaction_domain)])
        if fv.get("logged_segment_ids"):
            domains.append(
                [
                    (
                        "interaction_ids",
                        "any",
                        [("logged_segment_id", "in", fv["logged_segment_ids"])],
                    )
                ]
            )
        domains.extend(self._opportunity_domains(fv))
        activity_domain = self._activity_domain(fv)
        if activity_domain:
            domains.append([("activity_ids", "any", activity_domain)])
        return expression.AND(domains) if domains else []

    @api.model
    def _interaction_domain(self, fv):
        if not any(fv.get(key) for key in INTERACTION_FILTERS):
            return []
        domain = [("canceled", "=", False)]
        if fv.get("interaction_template_ids"):
            domain.append(("template_id", "in", fv["interaction_template_ids"]))
        if fv.get("interaction_group_ids"):
            domain.append(("group_id", "in", fv["interaction_group_ids"]))
        if fv.get("interaction_campaign_ids"):
            domain.append(("campaign_id", "in", fv["interaction_campaign_ids"]))
        if fv.get("interaction_date_from"):
            domain.append(("date", ">=", fv["interaction_date_from"]))
        if fv.get("interaction_date_to"):
            date_to = fields.Date.to_date(fv["interaction_date_to"])
            domain.append(("date", "<", fields.Date.to_string(date_to + ONE_DAY)))
        if fv.get("interaction_evaluation"):
            domain.append(("evaluation", "=", fv["interaction_evaluation"]))
        if fv.get("interaction_campaign_response"):
            domain.append(("campaign_response", "=", True))
        return domain

    @api.model
    def _opportunity_domains(self, fv):
        """Opportunities of the contact or of its company."""
        kind = fv.get("opportunity_filter") or (
            "stage" if fv.get("opportunity_stage_ids") else False
        )
        if not kind:
            return []
        lead_domain = [("type", "=", "opportunity")]
        if kind in ("open", "none"):
            lead_domain.append(("stage_id.is_won", "=", False))
        if fv.get("opportunity_stage_ids") and kind != "none":
            lead_domain.append(("stage_id", "in", fv["opportunity_stage_ids"]))
        operator = "not any" if kind == "none" else "any"
        own = ("opportunity_ids", operator, lead_domain)
        company = ("commercial_partner_id.opportunity_ids", operator, lead_domain)
        if kind == "none":
            return [[own, company]]
        return [["|", own, company]]

    @api.model
    def _activity_domain(self, fv):
        if not (fv.get("activity_filter") or fv.get("activity_type_ids")):
            return []
        domain = [("active", "=", True)]
        today = fields.Date.context_today(self)
        if fv.get("activity_filter") == "overdue":
            domain.append(("date_deadline", "<", today))
        elif fv.get("activity_filter") == "planned":
            domain.append(("date_deadline", ">=", today))
        if fv.get("activity_type_ids"):
            domain.append(("activity_type_id", "in", fv["activity_type_ids"]))
        return domain

    @api.model
    def _describe(self, mode, filter_values):
        """The filter of a step in words, for the Criteria tab."""
        fv = filter_values
        wizard_fields = self.env["crm.segment.filter"]._fields
        labels = {
            "partner_ids": _("Contacts"),
            "logged_segment_ids": _("Logged Segments"),
            "criteria_id": _("Saved Criteria"),
            "partner_domain": _("Contact Filter"),
        }

        def label(key):
            if key in labels:
                return labels[key]
            return wizard_fields[key]._description_string(self.env)

        parts = []
        if mode == "refresh":
            criteria = (
                self.env["crm.segment.criteria"]
                .browse(fv.get("criteria_id"))
                .exists()
                ._filtered_access("read")
            )
            parts.append(
                _(
                    "Refresh from saved criteria %(criteria)s",
                    criteria=criteria.display_name or fv.get("criteria_id"),
                )
            )
        if fv.get("partner_domain"):
            parts.append(f"{label('partner_domain')}: {fv['partner_domain']}")
        for key, model in ID_FILTERS.items():
            ids = fv.get(key)
            if not ids:
                continue
            # only what the user may read is named (the ids come over RPC)
            records = self.env[model].browse(ids).exists()
            readable = records._filtered_access("read")
            names = ", ".join(readable[:10].mapped("display_name"))
            if len(readable) > 10:
                names = _(
                    "%(names)s and %(count)s more",
                    names=names,
                    count=len(readable) - 10,
                )
            hidden = len(records) - len(readable)
            if hidden:
                hidden_text = (
                    _("1 hidden record")
                    if hidden == 1
                    else _("%(count)s hidden records", count=hidden)
                )
                names = f"{names}, {hidden_text}" if names else hidden_text
            parts.append(f"{label(key)}: {names}")
        for key in (*DATE_FILTERS, *SELECTION_FILTERS):
            if fv.get(key):
                field = wizard_fields[key]
                value = fv[key]
                if field.type == "selection":
                    value = dict(field._description_selection(self.env)).get(
                        value, value
                    )
                parts.append(f"{label(key)}: {value}")
        options = [label(key) for key in (*BOOLEAN_FILTERS, *OPTIONS) if fv.get(key)]
        if options:
            parts.append(_("Options: %(options)s", options=", ".join(options)))
        return "; ".join(parts) or _("All contacts")

    # -------------------------------------------------------------------------
    # FILTER TO SQL
    # -------------------------------------------------------------------------
    @api.model
    def _add_partner_sql(self, filter_values):
        """SELECT of the contacts an Add step brings, options applied.

        The filters find contacts (record rules, companies and archived
        contacts respected by the ORM); Expand Companies brings every contact
        of their companies, Include Company Contacts their company contacts;
        then excluded contacts (unless Ignore Exclusion) and archived ones are
        left out of the whole set.
        """
        fv = filter_values
        partners = self.env["res.partner"].with_context(active_test=True)
        found = partners._search(self._filter_domain(fv))
        final = partners._search(
            [] if fv.get("ignore_exclusion") else [("exclude_from_segment", "=", False)]
        )
        # one IN over a UNION ALL, not ORs of IN: PostgreSQL then joins the
        # sets instead of probing a hashed subplan per contact
        sources = [found.select()]
        if fv.get("expand_company"):
            sources.append(
                SQL(
                    "SELECT expand.id FROM res_partner expand "
                    "WHERE expand.commercial_partner_id IN %s",
                    found.subselect("res_partner.commercial_partner_id"),
                )
            )
        if fv.get("include_company"):
            sources.append(found.select("res_partner.commercial_partner_id"))
        final.add_where(SQL("res_partner.id IN (%s)", SQL(" UNION ALL ").join(sources)))
        return final.select()

    @api.model
    def _match_sql(self, filter_values, alias):
        """Condition: the contact of ``alias`` (a res_partner alias) matches.

        With Entire Companies, a contact matches when any contact of its
        company matches. Archived contacts can match: Reduce and Refine work
        on the contacts the segment holds.
        """
        match = (
            self.env["res.partner"]
            .with_context(active_test=False)
            ._search(self._filter_domain(filter_values))
        )
        column = (
            "commercial_partner_id" if filter_values.get("entire_companies") else "id"
        )
        match.add_where(
            SQL(
                "%s = %s",
                SQL.identifier("res_partner", column),
                SQL.identifier(alias, column),
            )
        )
        return SQL("EXISTS (%s)", match.select(SQL("1")))

    @api.model
    def _criteria_set_sql(self, criteria_steps, depth=0):
        """SELECT of the contacts a list of ``(mode, filter_values)`` gives,
        replayed on an empty segment, as one SQL expression."""
        if depth > MAX_CRITERIA_DEPTH:
            raise UserError(
                _(
                    "Saved criteria refer to each other more than %(depth)s levels "
                    "deep.",
                    depth=MAX_CRITERIA_DEPTH,
                )
            )
        current = SQL("SELECT NULL::integer AS id WHERE FALSE")
        for index, (mode, fv) in enumerate(criteria_steps):
            if mode == "add":
                current = SQL("(%s) UNION (%s)", current, self._add_partner_sql(fv))
            elif mode == "refresh":
                current = self._criteria_set_sql(
                    self._criteria_steps(fv.get("criteria_id")), depth + 1
                )
            else:
                alias = f"crm_set_{depth}_{index}"
                match = self._match_sql(fv, alias)
                if mode == "refine":
                    match = SQL("NOT %s", match)
                current = SQL(
                    "SELECT %(set)s.id FROM (%(current)s) %(set)s "
                    "JOIN res_partner %(alias)s ON %(alias)s.id = %(set)s.id "
                    "WHERE NOT %(match)s",
                    set=SQL.identifier(alias + "_set"),
                    alias=SQL.identifier(alias),
                    current=current,
                    match=match,
                )
        return current

    @api.model
    def _criteria_steps(self, criteria_id):
        criteria = self.env["crm.segment.criteria"].browse(criteria_id).exists()
        if not criteria:
            raise UserError(
                _("Saved criteria %(criteria)s do not exist.", criteria=criteria_id)
            )
        return [(step.mode, step.filter_values or {}) for step in criteria.step_ids]

    # -------------------------------------------------------------------------
    # APPLY (one statement each, the history written in the same statement)
    # -------------------------------------------------------------------------
    def _insert_partners(self, partner_sql):
        """Insert lines for the contacts of ``partner_sql`` not yet in the
        segment, with the header and contact defaults, and record them."""
        self.ensure_one()
        segment = self.segment_id
        defaults = segment._line_default_sql()
        self.env.execute_query(
            SQL(
                """
                WITH ins AS (
                    INSERT INTO crm_segment_line (
                        segment_id, partner_id, company_partner_id,
                        interaction_template_id, correspondence_type, lang,
                        subject, user_id,
                        create_uid, create_date, write_uid, write_date
                    )
                    SELECT s.id, p.id, p.commercial_partner_id,
                           %(template)s, %(ctype)s, %(lang)s, %(subject)s,
                           %(user)s,
                           %(uid)s, NOW() AT TIME ZONE 'UTC',
                           %(uid)s, NOW() AT TIME ZONE 'UTC'
                      FROM crm_segment s
                      JOIN res_partner p ON p.id IN (%(partners)s)
                      LEFT JOIN crm_interaction_template t
                             ON t.id = s.interaction_template_id
                     WHERE s.id = %(segment)s
                    ON CONFLICT (segment_id, partner_id) DO NOTHING
                    RETURNING partner_id
                ), hist AS (
                    INSERT INTO crm_segment_history
                           (step_id, segment_id, partner_id, operation)
                    SELECT %(step)s, %(segment)s, ins.partner_id, 'insert'
                      FROM ins
                    RETURNING 1
                )
                UPDATE crm_segment_step
                   SET inserted_count = COALESCE(inserted_count, 0)
                                        + (SELECT COUNT(*) FROM hist)
                 WHERE id = %(step)s
                """,
                template=defaults["interaction_template_id"],
                ctype=defaults["correspondence_type"],
                lang=defaults["lang"],
                subject=defaults["subject"],
                user=defaults["user_id"],
                uid=self.env.uid,
                partners=partner_sql,
                segment=segment.id,
                step=self.id,
            )
        )

    def _delete_lines(self, condition):
        """Delete the lines of the segment for which ``condition`` holds
        (aliases ``l``: the line, ``lp``: its contact), keeping their values
        in the history."""
        self.ensure_one()
        self.env.execute_query(
            SQL(
                """
                WITH del AS (
                    DELETE FROM crm_segment_line l
                     USING res_partner lp
                     WHERE lp.id = l.partner_id
                       AND l.segment_id = %(segment)s
                       AND %(condition)s
                    RETURNING l.partner_id, %(line_columns)s
                ), hist AS (
                    INSERT INTO crm_segment_history
                           (step_id, segment_id, partner_id, operation,
                            %(columns)s)
                    SELECT %(step)s, %(segment)s, del.partner_id, 'delete',
                           %(del_columns)s
                      FROM del
                    RETURNING 1
                )
                UPDATE crm_segment_step
                   SET removed_count = COALESCE(removed_count, 0)
                                       + (SELECT COUNT(*) FROM hist)
                 WHERE id = %(step)s
                """,
                segment=self.segment_id.id,
                condition=condition,
                line_columns=_columns("l"),
                columns=_columns(None),
                del_columns=_columns("del"),
                step=self.id,
            )
        )

    def _apply(self, filter_values):
        """Apply the step's mode with ``filter_values`` to its segment."""
        self.ensure_one()
        fv = filter_values
        if self.mode == "add":
            self._insert_partners(self._add_partner_sql(fv))
        elif self.mode in ("reduce", "refine"):
            match = self._match_sql(fv, "lp")
            self._delete_lines(match if self.mode == "reduce" else SQL("NOT %s", match))
        elif self.mode == "refresh":
            target = self._criteria_set_sql(self._criteria_steps(fv.get("criteria_id")))
            self._delete_lines(
                SQL(
                    "NOT EXISTS (SELECT 1 FROM (%s) target WHERE target.id = lp.id)",
                    target,
                )
            )
            self._insert_partners(target)

    # -------------------------------------------------------------------------
    # UNDO / REDO
    # -------------------------------------------------------------------------
    def _move_lines(self, remove_operation, restore_operation, undone):
        """Delete the lines of the contacts recorded as ``remove_operation``
        (keeping their values in those history rows), then insert the lines
        recorded as ``restore_operation`` with their recorded values."""
        self.ensure_one()
        segment_id = self.segment_id.id
        self.env.execute_query(
            SQL(
                """
                WITH del AS (
                    DELETE FROM crm_segment_line l
                     USING crm_segment_history h
                     WHERE h.step_id = %(step)s
                       AND h.operation = %(remove)s
                       AND l.segment_id = %(segment)s
                       AND l.partner_id = h.partner_id
                    RETURNING h.id AS history_id, %(line_columns)s
                )
                UPDATE crm_segment_history h
                   SET %(assignments)s
                  FROM del
                 WHERE h.id = del.history_id
                """,
                step=self.id,
                remove=remove_operation,
                segment=segment_id,
                line_columns=_columns("l"),
                assignments=SQL(", ").join(
                    SQL("%s = %s", SQL.identifier(col), SQL.identifier("del", col))
                    for col in LINE_VALUE_COLUMNS
                ),
            )
        )
        self.env.execute_query(
            SQL(
                """
                WITH ins AS (
                    INSERT INTO crm_segment_line (
                        segment_id, partner_id, %(columns)s,
                        create_uid, create_date, write_uid, write_date
                    )
                    SELECT %(segment)s, h.partner_id, %(h_columns)s,
                           %(uid)s, NOW() AT TIME ZONE 'UTC',
                           %(uid)s, NOW() AT TIME ZONE 'UTC'
                      FROM crm_segment_history h
                     WHERE h.step_id = %(step)s
                       AND h.operation = %(restore)s
                    ON CONFLICT (segment_id, partner_id) DO NOTHING
                    RETURNING 1
                )
                UPDATE crm_segment_step
                   SET undone = %(undone)s,
                       write_uid = %(uid)s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                 WHERE id = %(step)s
                """,
                columns=_columns(None),
                h_columns=_columns("h"),
                segment=segment_id,
                uid=self.env.uid,
                step=self.id,
                restore=restore_operation,
                undone=undone,
            )
        )

    def _undo(self):
        """Undo the step exactly: its inserted contacts go, its removed
        contacts come back with the line values they had."""
        self._move_lines("insert", "delete", True)

    def _redo(self):
        """Apply the step again exactly as recorded (not re-evaluated)."""
        self._move_lines("delete", "insert", False)
