# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

FILTER_MODES = [
    ("add", "Add Contacts"),
    ("reduce", "Reduce Contacts"),
    ("refine", "Refine Contacts"),
]
STEP_MODES = FILTER_MODES + [("refresh", "Refresh")]


# -----------------------------------------------------------------------------
# STEP ENGINE: the SQL of filters, lines and their history
# -----------------------------------------------------------------------------
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
# ids kept as plain integers in the history, restored only when they exist
RESTORED_IDS = {
    "company_partner_id": ("cp", "id"),
    "interaction_template_id": ("t", "id"),
    "user_id": ("u", "id"),
}
# how deep saved criteria may refer to saved criteria (refresh steps)
MAX_CRITERIA_DEPTH = 5
# the alias of the line's contact in the statements that delete lines
CONTACT = "res_partner"


def _columns(prefix, columns=LINE_VALUE_COLUMNS):
    return SQL(", ").join(
        SQL.identifier(prefix, col) if prefix else SQL.identifier(col)
        for col in columns
    )


def partner_query(env, filter_values, active_test, domain=None):
    """Query on ``res_partner`` (alias ``res_partner``) of the contacts the
    filters find, record rules applied by the ORM, flat SQL conditions of the
    filter language added to the same query (no nested contact query)."""
    Filter = env["crm.segment.filter.mixin"]
    filter_domain, conditions = Filter._filter_conditions(filter_values)
    if domain:
        filter_domain = expression.AND([filter_domain, domain])
    query = (
        env["res.partner"].with_context(active_test=active_test)._search(filter_domain)
    )
    for condition in conditions:
        query.add_where(condition)
    return query


def add_partner_query(env, filter_values):
    """Query of the contacts an Add step brings, options applied.

    The filters find contacts (record rules, companies and archived contacts
    respected by the ORM); Expand Companies brings every contact of their
    companies, Include Company Contacts their company contacts; then excluded
    contacts (unless Ignore Exclusion) and archived ones are left out of the
    whole set. Without the company options, all of it is one flat query.
    """
    fv = filter_values
    exclusion = (
        [] if fv.get("ignore_exclusion") else [("exclude_from_segment", "=", False)]
    )
    if not (fv.get("expand_company") or fv.get("include_company")):
        return partner_query(env, fv, True, exclusion)
    found = partner_query(env, fv, True)
    final = env["res.partner"].with_context(active_test=True)._search(exclusion)
    # one IN over a UNION ALL, not ORs of IN: PostgreSQL then joins the sets
    # instead of probing a hashed subplan per contact
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
    return final


def match_sql(env, filter_values, alias):
    """Condition: the contact of ``alias`` (a res_partner alias) matches.

    With Entire Companies, a contact matches when any contact of its company
    matches. Archived contacts can match: Reduce and Refine work on the
    contacts the segment holds. On the alias ``res_partner`` of a plain
    query, the conditions apply to the contact directly (no subquery).
    """
    query = partner_query(env, filter_values, False)
    column = _match_column(filter_values)
    if alias == CONTACT:
        # the conditions alone, when they need no other table than res_partner
        # itself (Query's public from_clause and where_clause)
        if column == "id" and query.from_clause == SQL.identifier(query.table):
            if not query.where_clause:
                return SQL("TRUE")
            return SQL("(%s)", query.where_clause)
        return SQL("EXISTS (%s)", _matched_set(query, column, alias))
    query.add_where(
        SQL(
            "%s = %s",
            SQL.identifier("res_partner", column),
            SQL.identifier(alias, column),
        )
    )
    return SQL("EXISTS (%s)", query.select(SQL("1")))


def no_match_sql(env, filter_values, alias):
    """Condition: the contact of ``alias`` does not match.

    An anti-join on the set of matching contacts (or companies): linear on
    any number of contacts, where ``NOT (...)`` over subqueries would probe
    them once per line when their set outgrows the memory of a hash.
    """
    if alias != CONTACT:
        return SQL("NOT %s", match_sql(env, filter_values, alias))
    query = partner_query(env, filter_values, False)
    column = _match_column(filter_values)
    return SQL("NOT EXISTS (%s)", _matched_set(query, column, alias))


def _match_column(filter_values):
    return "commercial_partner_id" if filter_values.get("entire_companies") else "id"


def _matched_set(query, column, alias):
    """SELECT over the matching contacts' ``column`` equal to that of
    ``alias``; the query's own alias (``res_partner``) is wrapped in a derived
    table, so that ``alias`` may be ``res_partner`` too."""
    return SQL(
        "SELECT 1 FROM (%s) matched WHERE matched.value = %s",
        query.select(SQL("%s AS value", SQL.identifier("res_partner", column))),
        SQL.identifier(alias, column),
    )


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

    # -------------------------------------------------------------------------
    # ENGINE: apply, undo, redo, set-based
    # -------------------------------------------------------------------------
    # Every method costs a fixed number of SQL statements, whatever the number
    # of contacts: the contacts are never loaded into Python. The filters come
    # from the filter language (crm.segment.filter.mixin).

    @api.model
    def _criteria_set_sql(self, criteria_steps, depth=0):
        """SELECT of the contacts a list of ``(mode, filter_values)`` gives,
        replayed on an empty segment, as one SQL expression."""
        if depth > MAX_CRITERIA_DEPTH:
            raise UserError(
                self.env._(
                    "Saved criteria refer to each other more than %(depth)s levels "
                    "deep.",
                    depth=MAX_CRITERIA_DEPTH,
                )
            )
        current = SQL("SELECT NULL::integer AS id WHERE FALSE")
        for index, (mode, fv) in enumerate(criteria_steps):
            if mode == "add":
                current = SQL(
                    "(%s) UNION (%s)",
                    current,
                    add_partner_query(self.env, fv).select("res_partner.id"),
                )
            elif mode == "refresh":
                current = self._criteria_set_sql(
                    self._criteria_steps(fv.get("criteria_id")), depth + 1
                )
            else:
                alias = f"crm_set_{depth}_{index}"
                match = match_sql(self.env, fv, alias)
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
                self.env._(
                    "Saved criteria %(criteria)s do not exist.", criteria=criteria_id
                )
            )
        # replayed in restricted mode: every saved step is checked again as
        # the user who replays it, as if they applied it now (literal domains
        # on fields they may search, records they may read)
        Filter = self.env["crm.segment.filter.mixin"]
        return [
            (step.mode, Filter._filter_normalize(step.filter_values or {}, step.mode))
            for step in criteria.step_ids
        ]

    # -------------------------------------------------------------------------
    # APPLY (one statement each, the history written in the same statement)
    # -------------------------------------------------------------------------
    def _insert_partners(self, partners):
        """Insert lines for the contacts of ``partners`` (a res_partner
        Query) not yet in the segment, with the header and contact defaults,
        and record them, in one statement."""
        self.ensure_one()
        segment = self.segment_id
        defaults = segment._line_default_sql()
        # the languages of the header's template, read once: a constant array
        # instead of a lookup per contact
        defaults["lang"] = SQL(
            "CASE WHEN p.lang = ANY(%(langs)s) THEN p.lang "
            "ELSE COALESCE(s.lang, p.lang) END",
            langs=segment.interaction_template_id.sudo().language_ids.mapped("lang")
            or [""],
        )
        # contacts of the segment's company or shared ones only, even for a
        # user working in several companies at once (as check_company on the
        # lines' contact has it)
        partners.add_where(
            SQL(
                "(res_partner.company_id IS NULL OR res_partner.company_id = %s)",
                segment.company_id.id,
            )
        )
        partners = partners.select(
            SQL(
                "res_partner.id, res_partner.commercial_partner_id, "
                "res_partner.lang, res_partner.correspondence_type, "
                "res_partner.user_id"
            )
        )
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
                      LEFT JOIN crm_interaction_template t
                             ON t.id = s.interaction_template_id
                     CROSS JOIN (%(partners)s) p
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
                partners=partners,
                segment=segment.id,
                step=self.id,
            )
        )

    def _delete_lines(self, condition):
        """Delete the lines of the segment for which ``condition`` holds
        (aliases ``l``: the line, ``res_partner``: its contact), keeping their
        values in the history, in one statement."""
        self.ensure_one()
        self.env.execute_query(
            SQL(
                """
                WITH del AS (
                    DELETE FROM crm_segment_line l
                     USING res_partner
                     WHERE res_partner.id = l.partner_id
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
            self._insert_partners(add_partner_query(self.env, fv))
        elif self.mode == "reduce":
            self._delete_lines(match_sql(self.env, fv, CONTACT))
        elif self.mode == "refine":
            self._delete_lines(no_match_sql(self.env, fv, CONTACT))
        elif self.mode == "refresh":
            target = self._criteria_set_sql(self._criteria_steps(fv.get("criteria_id")))
            self._delete_lines(
                SQL(
                    "NOT EXISTS (SELECT 1 FROM (%s) target "
                    "WHERE target.id = res_partner.id)",
                    target,
                )
            )
            target_query = (
                self.env["res.partner"].with_context(active_test=False)._search([])
            )
            target_query.add_where(SQL("res_partner.id IN (%s)", target))
            self._insert_partners(target_query)

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
                   AND (%(h_values)s) IS DISTINCT FROM (%(del_values)s)
                """,
                h_values=_columns("h"),
                del_values=_columns("del"),
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
                    SELECT %(segment)s, p.id, %(h_columns)s,
                           %(uid)s, NOW() AT TIME ZONE 'UTC',
                           %(uid)s, NOW() AT TIME ZONE 'UTC'
                      FROM crm_segment_history h
                      JOIN res_partner p ON p.id = h.partner_id
                      LEFT JOIN res_partner cp ON cp.id = h.company_partner_id
                      LEFT JOIN crm_interaction_template t
                             ON t.id = h.interaction_template_id
                      LEFT JOIN res_users u ON u.id = h.user_id
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
                h_columns=SQL(", ").join(
                    SQL.identifier(*RESTORED_IDS.get(col, ("h", col)))
                    for col in LINE_VALUE_COLUMNS
                ),
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
