# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The logging job of a logged segment: the record logs its segment itself.

Each batch reads the next lines after the cursor (one query on the addon's own
tables), renders their subjects per language group, creates their
interactions through ``crm.interaction.create`` (one batched value list: the
defaults, stored computes, ``create`` overrides and automated actions of any
installed addon apply), queues their deliveries and moves the job's cursor
(the last segment line logged) in the same transaction.  A batch costs a
fixed number of statements, whatever the size of the segment, and every
query it runs is driven by a primary key or a unique index, so its plan does
not depend on table statistics.  After a crash the next batch starts after
the cursor of the last committed batch, so each line is logged exactly once
(the unique index on interactions makes sure of it) and e-mailed at most
once.
"""

import psycopg2.errors

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# context of the records a batch creates, as Odoo's own bulk code has it: no
# "created" message, no follower, no tracking per interaction
LOG_CREATE_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}


class CrmLoggedSegment(models.Model):
    _inherit = "crm.logged.segment"

    log_cursor = fields.Integer(
        string="Last Line Logged",
        default=0,
        readonly=True,
        copy=False,
        help="Id of the last segment line logged: the next batch starts after it.",
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
        limit or None): interactions, subjects, deliveries and the job's
        cursor, in a fixed number of statements.

        :return: the number of segment lines the batch went through (0:
            nothing left in the span)
        """
        rows, last_line = self._log_read_batch(span)
        if rows:
            subjects = self._log_render_subjects(rows)
            interactions = (
                self.env["crm.interaction"]
                .sudo()
                .with_context(**LOG_CREATE_CONTEXT)
                .create([self._log_interaction_values(row, subjects) for row in rows])
            ).with_env(self.env)
            if self.send:
                interactions._deliver()
        if move_cursor and last_line:
            # the job's own counter, under the job's exclusive lock
            self.sudo().log_cursor = last_line
        return len(rows) if rows else (1 if last_line else 0)

    def _log_read_batch(self, span):
        """The lines of ``span`` not logged yet, with what their interactions
        take from the segment's header and the templates: the template's
        values (or the segment's for its own template), the campaign of the
        segment (else of the template), the subject's source text (the
        template's row for the contact's language, else the line's or the
        segment's subject, else the template's default row).

        Reads only the addon's own tables; the span's lines come from the
        index (segment, id) and each "already logged" probe from the unique
        index (logged segment, line): the plan is the same whatever the
        statistics of tables that grow while the job runs.

        :return: (list of dicts, id of the span's last line or None)
        """
        segment = self.segment_id
        header_template = segment.interaction_template_id.id or None
        campaign = segment.campaign_id.id or None
        after, upto, limit = span
        self.env.flush_all()
        query = SQL(
            """
            WITH batch AS MATERIALIZED (
                SELECT l.id, l.partner_id, l.company_partner_id, l.subject,
                       l.interaction_template_id, l.correspondence_type, l.lang,
                       l.evaluation, l.user_id
                  FROM crm_segment_line l
                 WHERE l.segment_id = %(segment)s AND l.id > %(after)s %(upto)s
                 ORDER BY l.id
                 %(limit)s
            )
            SELECT b.id AS line_id, b.partner_id, b.company_partner_id,
                   t.id AS template_id,
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
                   done.id IS NOT NULL AS logged
              FROM batch b
              JOIN crm_interaction_template t
                ON t.id = COALESCE(b.interaction_template_id, %(template)s)
              LEFT JOIN crm_interaction_template_lang own
                ON own.template_id = t.id AND own.lang = b.lang
              LEFT JOIN crm_interaction_template_lang def
                ON def.template_id = t.id AND def.lang = t.lang
              LEFT JOIN crm_campaign_entry e
                ON e.logged_segment_id = %(logged)s
               AND e.campaign_id = COALESCE(%(campaign)s, t.campaign_id)
              LEFT JOIN LATERAL (
                  SELECT i.id
                    FROM crm_interaction i
                   WHERE i.logged_segment_id = %(logged)s
                     AND i.segment_line_id = b.id
                   LIMIT 1
              ) done ON TRUE
             ORDER BY b.id
            """,
            segment=segment.id,
            after=after,
            upto=SQL("AND l.id <= %s", upto) if upto else SQL(""),
            limit=SQL("LIMIT %s", limit) if limit else SQL(""),
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
            logged=self.id,
        )
        self.env.cr.execute(query)
        columns = [column.name for column in self.env.cr.description]
        rows = [dict(zip(columns, row, strict=True)) for row in self.env.cr.fetchall()]
        last_line = rows[-1]["line_id"] if rows else None
        return [row for row in rows if not row["logged"]], last_line

    def _log_interaction_values(self, row, subjects):
        """The values of the interaction of one line (extension point)."""
        return {
            "logged_segment_id": self.id,
            "segment_line_id": row["line_id"],
            "campaign_entry_id": row["campaign_entry_id"],
            "partner_id": row["partner_id"],
            "company_partner_id": row["company_partner_id"],
            "date": self.date,
            "template_id": row["template_id"],
            "description": row["description"],
            "subject": subjects.get(row["line_id"], row["subject"]),
            "cost": row["cost"],
            "duration": row["duration"],
            "information_flow": row["information_flow"],
            "initiated_by": row["initiated_by"],
            "correspondence_type": row["correspondence_type"],
            "lang": row["lang"],
            "campaign_id": row["campaign_id"],
            "campaign_target": row["campaign_target"],
            "campaign_response": row["campaign_response"],
            "evaluation": row["evaluation"],
            "user_id": row["user_id"],
            "company_id": self.segment_id.company_id.id,
            "delivery_status": (
                "in_progress"
                if self.send and row["correspondence_type"] in ("email", "hard_copy")
                else "none"
            ),
        }

    def _log_render_subjects(self, rows):
        """Render the subjects with placeholders of the batch's lines, per
        language group, before their interactions are written: the e-mail,
        the letter and the Subject merge field show them.

        :return: {line id: rendered subject}
        """
        segment = self.segment_id
        todo = [row for row in rows if "{{" in (row["subject"] or "")]
        if not todo:
            return {}
        render = self.env["crm.interaction.render"]
        Template = self.env["crm.interaction.template"]
        sources = {}
        items = []
        for row in todo:
            key = (row["subject_row"], row["template_id"])
            if key not in sources:
                if row["subject_row"]:
                    # template rows are checked when saved
                    sources[key] = (
                        True,
                        Template.browse(row["template_id"]).display_name,
                    )
                else:
                    # typed on the segment or the line: simple fields only
                    sources[key] = (False, segment.display_name)
            trusted, where = sources[key]
            items.append(
                (
                    row["line_id"],
                    row["partner_id"],
                    row["user_id"],
                    row["lang"],
                    (row["subject"], trusted, where),
                )
            )
        return render._render_texts(segment, items, escape=False)

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
