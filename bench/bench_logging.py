# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Logging a segment against Odoo's Email Marketing, on the same contacts.

``logging``: e-mail lines of this addon (``log_segment(send=True)`` then the
background job batch by batch, committed after each batch) against
``mailing.mailing.action_send_mail`` (mass_mailing installed in the same
database), both until every recipient has a queued ``mail.mail``, with the same
template (a subject and a body with ``{{ object.name }}`` and two links,
shortened on both sides: this addon tracks opens and clicks, its template's
default; no attachment);
hard-copy lines (interactions only) beside a raw ``INSERT ... SELECT`` of the
same rows; 1,000 letters in one PDF; 1,000 merged Word documents.  E-mail jobs
log 1,000 lines per batch (``crm_campaign_segment.batch_size``), jobs that only
write interactions ten times as many (the default of
``crm_campaign_segment.batch_size_interactions``).

``logging_memory``: the peak memory of the worker logging ``--contacts``
hard-copy lines (``resource.getrusage``).

The suites commit (the job commits each batch, as the cron does): run them on
a throwaway database, as ``make bench`` does.
"""

import base64
import resource
import sys
import time

from odoo.tools import SQL
from odoo.tools.misc import file_open

from odoo.addons.crm_campaign_segment.tests.bench_data import create_contacts

SUBJECT = "Hello {{ object.name }}"
# two links: both sides shorten them (this addon: opens and clicks tracked,
# the template's default; mass_mailing: its link tracker)
BODY = (
    "<p>Dear {{ object.name }}, welcome to our fair: see the "
    '<a href="https://www.example.com/fair">programme</a> and our '
    '<a href="https://www.example.com/offer">offer</a>.</p>'
)


def _write(text):
    sys.stdout.write(text)
    sys.stdout.flush()


def _template(env, code, **row):
    code = f"{code}-{time.time_ns()}"
    values = {"lang": "en_US", "subject": SUBJECT, "body_html": BODY, **row}
    return env["crm.interaction.template"].create(
        {"code": code, "name": f"Benchmark {code}", "language_ids": [(0, 0, values)]}
    )


def _segment(env, template, partner_ids, ctype, description):
    """A segment of ``partner_ids``, its lines inserted set-based."""
    segment = env["crm.segment"].create(
        {
            "description": description,
            "interaction_template_id": template.id,
            "correspondence_type": ctype,
            "send_word_as_attachment": False,
        }
    )
    env.flush_all()
    env.cr.execute(
        SQL(
            """
            INSERT INTO crm_segment_line (segment_id, partner_id, company_partner_id,
                   correspondence_type, lang, create_uid, create_date, write_uid,
                   write_date)
            SELECT %(segment)s, p.id, p.commercial_partner_id, %(ctype)s,
                   'en_US', %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s,
                   NOW() AT TIME ZONE 'UTC'
              FROM res_partner p
             WHERE p.id = ANY(%(ids)s)
            """,
            segment=segment.id,
            ctype=ctype,
            uid=env.uid,
            ids=partner_ids,
        )
    )
    env.cr.execute("ANALYZE crm_segment_line")
    env.invalidate_all()
    return segment


def _bench_partners(env, count):
    create_contacts(env, count)
    env.cr.execute(
        SQL(
            "SELECT id FROM res_partner WHERE ref LIKE %s ORDER BY id DESC LIMIT %s",
            "crm-segment-bench:%",
            count,
        )
    )
    return [row[0] for row in env.cr.fetchall()]


def _log_in_background(env, segment, send):
    """log_segment, then the job batch by batch, each batch committed."""
    cr = env.cr
    queries = cr.sql_log_count
    start = time.perf_counter()
    logged = env["crm.logged.segment"].browse(segment.log_segment(send=send))
    cr.commit()
    Job = env["crm.logged.segment"]
    batches = 0
    times = []
    if logged.log_fanned_out:
        raise RuntimeError(f"{logged.name}: fanned out to queue jobs")
    while logged.job_state == "queued":
        batch_start = time.perf_counter()
        Job._cron_log_segments()
        cr.commit()
        env.invalidate_all()
        times.append(time.perf_counter() - batch_start)
        batches += 1
    seconds = time.perf_counter() - start
    if logged.job_state != "done":
        raise RuntimeError(f"{logged.name}: {logged.job_state}")
    # the tables logging writes are not analyzed meanwhile: a batch must cost
    # the same at the end of the job as at its start
    if len(times) >= 4:
        edge = max(1, len(times) // 5)
        first = sorted(times[:edge])[edge // 2]
        last = sorted(times[-edge:])[edge // 2]
        _write(
            f"{logged.name}: batch {first:.2f} s at the start, {last:.2f} s at "
            f"the end ({last / first:.2f} x, {len(times)} batches)\n"
        )
    return logged, seconds, batches, cr.sql_log_count - queries


def _mass_mailing(env, partner_ids):
    """Odoo's Email Marketing on the same contacts: seconds until queued."""
    Mailing = env["mailing.mailing"]
    mailing = Mailing.create(
        {
            "subject": SUBJECT,
            "body_arch": BODY,
            "body_html": BODY,
            "mailing_model_id": env["ir.model"]._get_id("res.partner"),
            "mailing_domain": repr([("id", "in", partner_ids)]),
            "email_from": env.user.email_formatted or "bench@example.com",
        }
    )
    env.cr.commit()
    start = time.perf_counter()
    mailing.action_send_mail(res_ids=partner_ids)
    env.cr.commit()
    seconds = time.perf_counter() - start
    queued = env["mail.mail"].search_count([("mailing_id", "=", mailing.id)])
    return seconds, queued


def _raw_insert(env, segment):
    """A raw INSERT ... SELECT of the same interaction rows (rolled back)."""
    env.flush_all()
    cr = env.cr
    cr.execute("SAVEPOINT bench_raw_insert")
    start = time.perf_counter()
    cr.execute(
        SQL(
            """
            INSERT INTO crm_interaction (partner_id, company_partner_id,
                   segment_line_id, template_id, name, subject, date,
                   correspondence_type, lang, company_id, delivery_status,
                   create_uid, create_date, write_uid, write_date)
            SELECT l.partner_id, l.company_partner_id, l.id, %(template)s,
                   p.name, 'Hello', NOW() AT TIME ZONE 'UTC',
                   l.correspondence_type, l.lang, %(company)s, 'none',
                   %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s,
                   NOW() AT TIME ZONE 'UTC'
              FROM crm_segment_line l JOIN res_partner p ON p.id = l.partner_id
             WHERE l.segment_id = %(segment)s
            """,
            template=segment.interaction_template_id.id,
            company=segment.company_id.id,
            uid=env.uid,
            segment=segment.id,
        )
    )
    seconds = time.perf_counter() - start
    cr.execute("ROLLBACK TO SAVEPOINT bench_raw_insert")
    return seconds


def _row(table, name, count, seconds, note=""):
    table.append((name, count, seconds, count / seconds if seconds else 0.0, note))


def _print(title, table):
    _write(f"\n{title}\n")
    header = f"{'measure':<52} {'lines':>9} {'seconds':>9} {'per s':>9}  note\n"
    _write(header + "-" * (len(header) - 1) + "\n")
    for name, count, seconds, rate, note in table:
        _write(f"{name:<52} {count:>9} {seconds:>9.2f} {rate:>9.0f}  {note}\n")


def run(env, args):
    params = env["ir.config_parameter"].sudo()
    params.set_param("crm_campaign_segment.background_threshold", 0)
    params.set_param("crm_campaign_segment.batch_size", 1000)
    # one worker: the cron path, even where queue_job is installed (the
    # fan-out suite measures queue jobs)
    params.set_param("crm_campaign_segment.use_queue_job", "False")
    env.user.partner_id.email = env.user.partner_id.email or "admin@example.com"
    start = time.perf_counter()
    partner_ids = _bench_partners(env, args.contacts)
    env.cr.commit()
    count = len(partner_ids)
    _write(f"{count} contacts in {time.perf_counter() - start:.1f} s\n")
    table = []

    template = _template(env, "BENCH-MAIL")
    segment = _segment(env, template, partner_ids, "email", "Benchmark e-mails")
    env.cr.commit()
    logged, seconds, batches, queries = _log_in_background(env, segment, True)
    mails = env["mail.mail"].search_count(
        [
            ("model", "=", "crm.interaction"),
            ("res_id", "in", logged.interaction_ids.ids),
        ]
    )
    ours = count / seconds
    trackers = env["link.tracker"].search_count(
        [("source_id", "=", logged.source_id.id)]
    )
    _row(
        table,
        "e-mail lines: log_segment(send=True) + job",
        mails,
        seconds,
        f"{batches} batches, {queries / max(batches, 1):.0f} statements/batch, "
        f"tracked: {trackers} link trackers",
    )
    # the same e-mails without opens and clicks tracking: what tracking costs
    template = _template(env, "BENCH-UNTRACKED")
    template.track_links = False
    segment = _segment(env, template, partner_ids, "email", "Benchmark untracked")
    env.cr.commit()
    logged, untracked, batches, queries = _log_in_background(env, segment, True)
    _row(
        table,
        "the same, tracking off (track_links unset)",
        logged.interaction_count,
        untracked,
        f"{batches} batches, {queries / max(batches, 1):.0f} statements/batch; "
        f"tracked / untracked time: {seconds / untracked:.2f} x",
    )
    if "mailing.mailing" in env:
        seconds, queued = _mass_mailing(env, partner_ids)
        _row(table, "mass_mailing: mailing.action_send_mail", queued, seconds)
        theirs = queued / seconds
        _row(table, "ratio (this addon / mass_mailing)", 0, 1, f"{ours / theirs:.1f} x")
    else:
        _row(table, "mass_mailing: not installed in this database", 0, 0)

    template = _template(env, "BENCH-PAPER", subject="Visit", body_html=False)
    segment = _segment(env, template, partner_ids, "hard_copy", "Benchmark paper")
    env.cr.commit()
    seconds = _raw_insert(env, segment)
    _row(table, "raw INSERT ... SELECT of the same rows", count, seconds)
    logged, seconds, batches, queries = _log_in_background(env, segment, False)
    _row(
        table,
        "hard-copy lines: log_segment() + job",
        logged.interaction_count,
        seconds,
        f"{batches} batches, {queries / max(batches, 1):.0f} statements/batch",
    )

    letters = partner_ids[:1000]
    template = _template(
        env, "BENCH-LETTER", letter_body="<p>Dear {{ object.name }},</p><p>Hi.</p>"
    )
    segment = _segment(env, template, letters, "hard_copy", "Benchmark letters")
    env.cr.commit()
    start = time.perf_counter()
    logged = env["crm.logged.segment"].browse(
        segment.with_context(force_report_rendering=True).log_segment(send=True)
    )
    Job = env["crm.logged.segment"].with_context(force_report_rendering=True)
    while logged.job_state == "queued":
        Job._cron_log_segments()
        env.cr.commit()
    seconds = time.perf_counter() - start
    pdfs = env["ir.attachment"].search_count(
        [
            ("res_model", "=", "crm.logged.segment"),
            ("res_id", "=", logged.id),
            ("mimetype", "=", "application/pdf"),
        ]
    )
    _row(
        table, "letters in one PDF (log + print)", len(letters), seconds, f"{pdfs} PDF"
    )

    with file_open("crm_campaign_segment/demo/bus_letter_en.docx", "rb") as docx:
        data = docx.read()
    template = _template(
        env,
        "BENCH-WORD",
        word_document=base64.b64encode(data),
        word_document_name="letter.docx",
    )
    segment = _segment(env, template, letters, "hard_copy", "Benchmark Word")
    logged = env["crm.logged.segment"].browse(segment.log_segment(send=False))
    while logged.job_state == "queued":
        env["crm.logged.segment"]._cron_log_segments()
    interactions = logged.interaction_ids
    start = time.perf_counter()
    merged = env["crm.interaction.render"]._merge_documents(segment, interactions)
    seconds = time.perf_counter() - start
    _row(table, "merged Word documents", len(merged), seconds)
    env.cr.commit()

    _print(
        f"Logging on {count} contacts (database {env.cr.dbname}, "
        f"peak memory {_peak_mib():.0f} MiB)",
        table,
    )


def _peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_memory(env, args):
    """Peak memory of the worker logging ``--contacts`` hard-copy lines."""
    params = env["ir.config_parameter"].sudo()
    params.set_param("crm_campaign_segment.background_threshold", 0)
    params.set_param("crm_campaign_segment.batch_size", 5000)
    params.set_param("crm_campaign_segment.use_queue_job", "False")
    partner_ids = _bench_partners(env, args.contacts)
    env.cr.commit()
    template = _template(env, "BENCH-MEM", subject="Visit")
    segment = _segment(env, template, partner_ids, "hard_copy", "Benchmark memory")
    del partner_ids
    env.cr.commit()
    before = _peak_mib()
    logged, seconds, batches, queries = _log_in_background(env, segment, False)
    table = []
    _row(
        table,
        "hard-copy lines: log_segment() + job",
        logged.interaction_count,
        seconds,
        f"{batches} batches, {queries / max(batches, 1):.0f} statements/batch",
    )
    _print(
        f"Memory: peak {_peak_mib():.0f} MiB (before logging {before:.0f} MiB)",
        table,
    )
