# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The logging job of a logged segment: the record logs its segment itself.

Each batch writes the next lines' interactions in one ``INSERT ... SELECT``,
renders their subjects per language group, queues their deliveries and moves
the job's cursor (the last segment line logged) in the same transaction.  A
batch costs a fixed number of statements, whatever the size of the segment:
after a crash the next batch starts after the cursor of the last committed
batch, so each line is logged exactly once (the unique index on interactions
makes sure of it) and e-mailed at most once.
"""

import psycopg2.errors

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from odoo.addons.base_automation.models.base_automation import CREATE_TRIGGERS

# interaction columns the batch INSERT writes (the rest is NULL or computed)
INSERTED_FIELDS = (
    "logged_segment_id",
    "segment_line_id",
    "campaign_entry_id",
    "partner_id",
    "company_partner_id",
    "date",
    "template_id",
    "group_id",
    "name",
    "description",
    "subject",
    "cost",
    "duration",
    "information_flow",
    "initiated_by",
    "correspondence_type",
    "lang",
    "campaign_id",
    "campaign_target",
    "campaign_response",
    "evaluation",
    "user_id",
    "company_id",
    "delivery_status",
    # with the id of its future e-mail, or NULL
    "mail_id",
)


# inserted columns that delivery reads, left in the cache by the batch (their
# database values are their cache values)
CACHED_FIELDS = (
    "logged_segment_id",
    "partner_id",
    "date",
    "template_id",
    "name",
    "subject",
    "correspondence_type",
    "lang",
    "user_id",
    "company_id",
)


class CrmLoggedSegment(models.Model):
    _inherit = "crm.logged.segment"

    log_cursor = fields.Integer(
        string="Last Line Logged",
        default=0,
        readonly=True,
        copy=False,
        help="Id of the last segment line logged: the next batch starts after it.",
    )
    line_done = fields.Integer(
        string="Lines Logged", default=0, readonly=True, copy=False
    )

    # -------------------------------------------------------------------------
    # JOB
    # -------------------------------------------------------------------------
    def _log_batch_size(self):
        """Lines per batch: ``crm_campaign_segment.batch_size`` (1,000) for a
        job that delivers (renders, e-mails, prints); for a job that only
        writes interactions, ``crm_campaign_segment.batch_size_interactions``
        (ten times as many by default: a batch is then a few statements)."""
        params = self.env["ir.config_parameter"].sudo()
        size = max(1, int(params.get_param("crm_campaign_segment.batch_size", 1000)))
        if len(self) == 1 and not self.send:
            size = max(
                1,
                int(
                    params.get_param(
                        "crm_campaign_segment.batch_size_interactions", size * 10
                    )
                ),
            )
        return size

    def _log_run(self, batch_size=None):
        """Log all remaining lines now, batch by batch (in this transaction)."""
        self.ensure_one()
        batch_size = batch_size or self._log_batch_size()
        while self._log_batch(batch_size):
            pass
        self._log_finalize()

    def _log_lock(self, shared=False):
        """Lock this job for this transaction, or raise a UserError: one
        worker at a time logs a batch of it, and nobody cancels it meanwhile.

        :param bool shared: a key-share lock, which batches running in
            parallel hold together (and update the job's counters under),
            and which a manager's cancel (an exclusive lock) waits for
        """
        self.ensure_one()
        mode = SQL("FOR KEY SHARE NOWAIT") if shared else SQL("FOR UPDATE NOWAIT")
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.execute_query(
                    SQL(
                        "SELECT id FROM crm_logged_segment WHERE id = %s %s",
                        self.id,
                        mode,
                    )
                )
        except psycopg2.errors.LockNotAvailable:
            raise UserError(
                self.env._(
                    "Segment %(segment)s is being logged right now. Try again in "
                    "a moment.",
                    segment=self.display_name,
                )
            ) from None

    def _log_batch(self, limit):
        """Log the next ``limit`` lines after the cursor (one batch).

        :return: the number of lines logged (0: nothing left)
        """
        self.ensure_one()
        return self._log_write_batch((self.log_cursor, None, limit))

    def _log_write_batch(self, span, move_cursor=True):
        """Log the lines of ``span`` = (after line id, up to line id or None,
        limit or None): interactions, subjects, automated actions, deliveries,
        the job's counters, in a fixed number of statements.

        :return: the number of lines logged
        """
        subjects = self._log_render_subjects(span)
        Interaction = self.env["crm.interaction"]
        # e-mails get their id before their interaction is written, which then
        # links it at once (no second write of the interactions); the mails
        # are written later in the batch, checked when the batch ends
        preallocate, link = False, None
        if self.send:
            link, preallocate = Interaction._mail_link_constraint()
        if preallocate:
            Interaction._mail_link_check(link, deferred=True)
        rows = self._log_insert_interactions(span, subjects, preallocate)
        if not rows:
            if preallocate:
                Interaction._mail_link_check(link, deferred=False)
            return 0
        interactions = Interaction.browse([row["id"] for row in rows])
        self._log_recompute(interactions)
        self._log_run_automations(interactions)
        if self.send:
            interactions._deliver(
                mail_ids={row["id"]: row["mail_id"] for row in rows if row["mail_id"]}
            )
        if preallocate:
            Interaction._mail_link_check(link, deferred=False)
        self.env.execute_query(
            SQL(
                """
                UPDATE crm_logged_segment
                   SET log_cursor = CASE WHEN %(move)s THEN %(cursor)s
                                         ELSE log_cursor END,
                       line_done = COALESCE(line_done, 0) + %(count)s
                 WHERE id = %(id)s
                """,
                move=move_cursor,
                cursor=max(row["line_id"] for row in rows),
                count=len(rows),
                id=self.id,
            )
        )
        self.invalidate_recordset(["log_cursor", "line_done"])
        return len(rows)

    def _log_source(self, span):
        """The CTEs ``batch`` (the next lines after the cursor) and ``src``
        (the values of their interactions, as ``crm.interaction.create``
        would have them): the template's (or the segment's for its own
        template), the campaign of the segment (else of the template), the
        subject's source text (the template's row for the contact's language,
        else the line's or the segment's subject, else the template's default
        row)."""
        segment = self.segment_id
        header_template = segment.interaction_template_id.id or None
        campaign = segment.campaign_id.id or None
        deliver = SQL(
            "CASE WHEN %s AND b.correspondence_type IN ('email', 'hard_copy') "
            "THEN 'in_progress' ELSE 'none' END",
            bool(self.send),
        )
        return SQL(
            """
            WITH batch AS (
                SELECT l.*
                  FROM crm_segment_line l
                 WHERE l.segment_id = %(segment)s AND l.id > %(after)s %(upto)s
                 ORDER BY l.id
                 %(limit)s
            ), src AS (
                SELECT b.id AS line_id, b.partner_id,
                       COALESCE(b.company_partner_id, p.commercial_partner_id)
                           AS company_partner_id,
                       t.id AS template_id, t.group_id,
                       CONCAT_WS(' - ', NULLIF(t.code, ''), NULLIF(p.name, ''))
                           AS name,
                       COALESCE(t.name ->> %(lang)s, t.name ->> 'en_US')
                           AS description,
                       CASE WHEN COALESCE(own.subject, '') != '' THEN own.subject
                            WHEN COALESCE(NULLIF(b.subject, ''), %(subject)s)
                                 IS NOT NULL
                            THEN COALESCE(NULLIF(b.subject, ''), %(subject)s)
                            ELSE NULLIF(def.subject, '') END AS subject,
                       CASE WHEN COALESCE(own.subject, '') != '' THEN own.id
                            WHEN COALESCE(NULLIF(b.subject, ''), %(subject)s)
                                 IS NOT NULL THEN NULL
                            ELSE def.id END AS subject_row,
                       CASE WHEN t.id = %(template)s THEN %(cost)s
                            ELSE t.unit_cost END AS cost,
                       CASE WHEN t.id = %(template)s THEN %(duration)s
                            ELSE t.unit_duration END AS duration,
                       CASE WHEN t.id = %(template)s
                            THEN COALESCE(%(flow)s, t.information_flow)
                            ELSE t.information_flow END AS information_flow,
                       CASE WHEN t.id = %(template)s
                            THEN COALESCE(%(initiated)s, t.initiated_by)
                            ELSE t.initiated_by END AS initiated_by,
                       b.correspondence_type, b.lang,
                       COALESCE(%(campaign)s, t.campaign_id) AS campaign_id,
                       CASE WHEN %(campaign)s::int IS NOT NULL THEN %(target)s
                            ELSE t.campaign_target END AS campaign_target,
                       CASE WHEN %(campaign)s::int IS NOT NULL THEN %(response)s
                            ELSE t.campaign_response END AS campaign_response,
                       e.id AS campaign_entry_id,
                       b.evaluation,
                       COALESCE(b.user_id, %(user)s) AS user_id,
                       %(deliver)s AS delivery_status
                  FROM batch b
                  JOIN res_partner p ON p.id = b.partner_id
                  JOIN crm_interaction_template t
                    ON t.id = COALESCE(b.interaction_template_id, %(template)s)
                  LEFT JOIN crm_interaction_template_lang own
                    ON own.template_id = t.id AND own.lang = b.lang
                  LEFT JOIN crm_interaction_template_lang def
                    ON def.template_id = t.id AND def.lang = t.lang
                  LEFT JOIN crm_campaign_entry e
                    ON e.logged_segment_id = %(logged)s
                   AND e.campaign_id = COALESCE(%(campaign)s, t.campaign_id)
            )
            """,
            segment=segment.id,
            after=span[0],
            upto=SQL("AND l.id <= %s", span[1]) if span[1] else SQL(""),
            limit=SQL("LIMIT %s", span[2]) if span[2] else SQL(""),
            lang=self.env.lang or "en_US",
            subject=segment.subject or None,
            template=header_template,
            cost=segment.unit_cost,
            duration=segment.unit_duration,
            flow=segment.information_flow or None,
            initiated=segment.initiated_by or None,
            campaign=campaign,
            target=bool(segment.campaign_target),
            response=bool(segment.campaign_response),
            user=segment.user_id.id or None,
            deliver=deliver,
            logged=self.id,
        )

    def _log_insert_interactions(self, span, subjects, preallocate=False):
        """One ``INSERT ... SELECT`` of the interactions of the next lines.

        :param dict subjects: {line id: rendered subject} of the lines whose
            subject has placeholders
        :param bool preallocate: give each e-mail line the id of its future
            ``mail.mail`` (from the mails' sequence)
        :return: list of dicts (id, line_id, mail_id), in line order; the
            values written are in the cache of the new interactions, as
            ``create`` leaves them
        """
        self.env.flush_all()
        uid = self.env.uid
        # what delivery reads of the new interactions, left in the cache
        cached = CACHED_FIELDS if self.send else ()
        query = SQL(
            """
            %(source)s, ins AS (
                INSERT INTO crm_interaction (%(columns)s,
                       create_uid, create_date, write_uid, write_date)
                SELECT %(logged)s, src.line_id, campaign_entry_id, partner_id,
                       company_partner_id, %(date)s, template_id, group_id, name,
                       description, COALESCE(r.subject, src.subject), cost,
                       duration, information_flow, initiated_by,
                       correspondence_type, lang, campaign_id, campaign_target,
                       campaign_response, evaluation, user_id, %(company)s,
                       delivery_status,
                       CASE WHEN %(preallocate)s
                                 AND correspondence_type = 'email'
                            THEN nextval(%(sequence)s) END,
                       %(uid)s, NOW() AT TIME ZONE 'UTC',
                       %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM src
                  LEFT JOIN unnest(%(line_ids)s::int[], %(subjects)s::varchar[])
                       AS r(line_id, subject) ON r.line_id = src.line_id
                 ORDER BY src.line_id
                    ON CONFLICT (logged_segment_id, segment_line_id)
                 WHERE segment_line_id IS NOT NULL DO NOTHING
                RETURNING id, segment_line_id, mail_id %(returned)s
            )
            SELECT * FROM ins ORDER BY segment_line_id
            """,
            source=self._log_source(span),
            line_ids=list(subjects),
            subjects=list(subjects.values()),
            logged=self.id,
            columns=SQL(", ").join(SQL.identifier(name) for name in INSERTED_FIELDS),
            returned=SQL("").join(SQL(", %s", SQL.identifier(name)) for name in cached),
            preallocate=preallocate,
            sequence=f"{self.env['mail.mail']._table}_id_seq",
            date=self.date,
            company=self.segment_id.company_id.id,
            uid=uid,
        )
        rows = self.env.execute_query(query)
        if not rows:
            return []
        interactions = self.env["crm.interaction"].browse([row[0] for row in rows])
        cache = self.env.cache
        for index, name in enumerate(cached, start=3):
            cache.update(
                interactions, interactions._fields[name], [r[index] for r in rows]
            )
        return [{"id": row[0], "line_id": row[1], "mail_id": row[2]} for row in rows]

    def _log_recompute(self, interactions):
        """What ``create`` does after its INSERT: the cached one2many of the
        referenced records, the fields that depend on the new interactions,
        the stored computed fields the INSERT did not write."""
        for name in INSERTED_FIELDS:
            for inverse in self.pool.field_inverses[interactions._fields[name]]:
                self.env[inverse.model_name].invalidate_model([inverse.name])
        inserted = [interactions._fields[name] for name in INSERTED_FIELDS]
        # the INSERT wrote them: not recomputed, as create protects its values
        with self.env.protecting(inserted, interactions):
            interactions.modified(INSERTED_FIELDS, create=True)
        todo = [
            field
            for field in interactions._fields.values()
            if field.store
            and field.compute
            and field.column_type
            and field.name not in INSERTED_FIELDS
        ]
        for field in todo:
            self.env.add_to_compute(field, interactions)
        if todo:
            interactions.flush_recordset()

    def _log_run_automations(self, interactions):
        """Run the automated actions on creation of interactions, as the ORM's
        create would, on the records they apply to."""
        Automation = self.env["base.automation"]
        automations = Automation._get_actions(interactions, CREATE_TRIGGERS)
        if not automations:
            return
        records = interactions.with_env(automations.env)
        for automation in automations.with_context(old_values=None):
            candidates = records
            if automation.sudo().filter_domain:
                # the rule's own filter decides; SQL narrows the batch first
                domain = safe_eval(
                    automation.sudo().filter_domain, automation._get_eval_context()
                )
                try:
                    candidates = (
                        records.sudo()
                        .search(expression.AND([domain, [("id", "in", records.ids)]]))
                        .with_env(records.env)
                    )
                except (ValueError, UserError):
                    candidates = records
            automation._process(automation._filter_post(candidates, feedback=True))

    def _log_render_subjects(self, span):
        """Render the subjects with placeholders of the lines of ``span``, per
        language group, before their interactions are written: the e-mail,
        the letter and the Subject merge field show them.

        :return: {line id: rendered subject}
        """
        segment = self.segment_id
        self.env.flush_all()
        if self._log_subjects_static(span):
            return {}
        rows = self.env.execute_query(
            SQL(
                """
                %s
                SELECT line_id, partner_id, user_id, lang, subject, subject_row,
                       template_id
                  FROM src
                 WHERE STRPOS(subject, '{{') > 0
                """,
                self._log_source(span),
            )
        )
        if not rows:
            return {}
        render = self.env["crm.interaction.render"]
        Template = self.env["crm.interaction.template"]
        sources = {}
        items = []
        for line_id, partner_id, user_id, lang, subject, row_id, template_id in rows:
            key = (row_id, template_id)
            if key not in sources:
                if row_id:
                    # template rows are checked when saved
                    sources[key] = (True, Template.browse(template_id).display_name)
                else:
                    # typed on the segment or the line: simple fields only
                    sources[key] = (False, segment.display_name)
            trusted, where = sources[key]
            items.append(
                (line_id, partner_id, user_id, lang, (subject, trusted, where))
            )
        return render._render_texts(segment, items, escape=False)

    def _log_subjects_static(self, span):
        """Whether no subject of the lines of ``span`` can have placeholders:
        neither the segment's nor its template's, and no line of the span has
        its own template or a subject with placeholders (one index range
        scan of the span's lines, no join)."""
        segment = self.segment_id
        texts = [
            segment.subject,
            *segment.interaction_template_id.language_ids.mapped("subject"),
        ]
        if any("{{" in (text or "") for text in texts):
            return False
        after, upto, limit = span
        return not self.env.execute_query(
            SQL(
                """
                SELECT 1
                  FROM (SELECT l.interaction_template_id, l.subject
                          FROM crm_segment_line l
                         WHERE l.segment_id = %(segment)s AND l.id > %(after)s
                               %(upto)s
                         ORDER BY l.id
                         %(limit)s) batch
                 WHERE batch.interaction_template_id IS NOT NULL
                    OR STRPOS(batch.subject, '{{') > 0
                 LIMIT 1
                """,
                segment=segment.id,
                after=after,
                upto=SQL("AND l.id <= %s", upto) if upto else SQL(""),
                limit=SQL("LIMIT %s", limit) if limit else SQL(""),
            )
        )

    def _log_finalize(self):
        """Close the logging job: follow-up segment, message, status."""
        self.ensure_one()
        segment = self.segment_id
        if self.create_follow_up and not self.follow_up_segment_id and segment:
            self.sudo().follow_up_segment_id = self._log_create_follow_up()
        self.sudo().job_state = "done"
        self._message_log(
            body=self.env._(
                "Segment %(segment)s logged: %(count)s interactions.",
                segment=segment.display_name,
                count=self.interaction_count,
            )
        )

    def _log_create_follow_up(self):
        """Create "Follow-up on segment ..." with the same campaign and contacts,
        built by reusing this logged segment (one undoable Add step)."""
        self.ensure_one()
        segment = self.segment_id
        follow_up = self.env["crm.segment"].create(
            {
                "description": self.env._(
                    "Follow-up on segment %(segment)s", segment=segment.name
                ),
                "campaign_id": segment.campaign_id.id,
                "company_id": segment.company_id.id,
                "lang": segment.lang,
            }
        )
        follow_up._reuse_logged_segment(self, ignore_exclusion=True)
        return follow_up
