# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Many contacts, set-based, and the segment builder's steps timed on them.

Used by the tests (``tests/test_segment_queries.py``) and by the benchmark
(``bench/bench.py``, run by ``make bench``); not part of the addon at runtime.
"""

import sys
import time

BENCH_REF = "crm-segment-bench"
COMPANY_SIZE = 10  # a company contact and nine persons


def create_contacts(env, count, tag=BENCH_REF):
    """Create ``count`` contacts set-based and classify them.

    One contact in ten is a company; every other company is a customer, one
    person in three has job responsibility Purchase, one in fifty is excluded
    from segments. Returns ``(job responsibility, business relation)``.
    """
    from odoo.tools import SQL

    job = env["crm.job.responsibility"].search([("code", "=", "BENCH-PURCH")])
    job = job or env["crm.job.responsibility"].create(
        {"code": "BENCH-PURCH", "name": "Purchase (benchmark)"}
    )
    relation = env["crm.business.relation"].search([("code", "=", "BENCH-CUST")])
    relation = relation or env["crm.business.relation"].create(
        {"code": "BENCH-CUST", "name": "Customer (benchmark)"}
    )
    env.flush_all()
    companies = max(count // COMPANY_SIZE, 1)
    columns = SQL(
        "name, complete_name, email, city, is_company, parent_id, "
        "exclude_from_segment, active, type, lang, create_uid, create_date, "
        "write_uid, write_date, ref"
    )
    cr = env.cr
    # a batch tag in `ref` marks the rows of this call
    batch = f"{tag}:{time.time_ns()}"
    common = SQL(
        "TRUE, 'contact', 'en_US', %(uid)s, NOW() AT TIME ZONE 'UTC', "
        "%(uid)s, NOW() AT TIME ZONE 'UTC', %(batch)s",
        uid=env.uid,
        batch=batch,
    )
    # required columns of other installed modules (account's autopost_bills),
    # with their defaults
    Partner = env["res.partner"]
    listed = {name.strip() for name in columns.code.split(",")}
    required = [
        field
        for field in Partner._fields.values()
        if field.store
        and field.required
        and field.column_type
        and field.default
        and field.name not in listed | {"commercial_partner_id"}
    ]
    if required:
        columns = SQL(", ").join(
            [columns, *(SQL.identifier(field.name) for field in required)]
        )
        common = SQL(", ").join(
            [
                common,
                *(
                    SQL("%s", field.convert_to_column(field.default(Partner), Partner))
                    for field in required
                ),
            ]
        )
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (%(columns)s)
            SELECT 'Bench Company ' || g, 'Bench Company ' || g,
                   'info' || g || '@company.example.com', 'Bench City', TRUE,
                   NULL, FALSE, %(common)s
              FROM generate_series(1, %(companies)s) g
            """,
            columns=columns,
            common=common,
            companies=companies,
        )
    )
    cr.execute(
        SQL(
            "UPDATE res_partner SET commercial_partner_id = id WHERE ref = %s",
            batch,
        )
    )
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (%(columns)s, commercial_partner_id)
            SELECT 'Bench Person ' || c.id || '-' || s,
                   c.name || ', Bench Person ' || c.id || '-' || s,
                   'person' || c.id || '-' || s || '@example.com', c.city, FALSE,
                   c.id, mod(c.id + s, 50) = 0, %(common)s, c.id
              FROM res_partner c, generate_series(1, %(persons)s) s
             WHERE c.ref = %(batch)s AND c.is_company
            """,
            columns=columns,
            common=common,
            persons=COMPANY_SIZE - 1,
            batch=batch,
        )
    )
    # as the ORM's compute of email_normalized would
    cr.execute(
        SQL(
            "UPDATE res_partner SET email_normalized = LOWER(email) WHERE ref = %s",
            batch,
        )
    )
    cr.execute(
        SQL(
            """
            INSERT INTO crm_business_relation_partner_rel
                   (business_relation_id, partner_id)
            SELECT %s, id FROM res_partner WHERE ref = %s AND mod(id, 2) = 0
            """,
            relation.id,
            batch,
        )
    )
    cr.execute(
        SQL(
            """
            INSERT INTO crm_job_responsibility_partner_rel
                   (job_responsibility_id, partner_id)
            SELECT %s, id FROM res_partner
             WHERE ref = %s AND parent_id IS NOT NULL AND mod(id, 3) = 0
            """,
            job.id,
            batch,
        )
    )
    for table in (
        "res_partner",
        "crm_job_responsibility_partner_rel",
        "crm_business_relation_partner_rel",
    ):
        cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    env.invalidate_all()
    return job, relation


def bench_steps(env, segment, job, relation):
    """Run the benchmark's steps on ``segment``.

    Returns a list of ``(step, lines after, change, queries, seconds)``.
    """

    def step(mode, **filter_values):
        return lambda: segment._apply_step(mode, filter_values)

    steps = [
        ("add: Purchase", step("add", job_responsibility_ids=job.ids)),
        (
            "add: Customer, expand companies",
            step("add", business_relation_ids=relation.ids, expand_company=True),
        ),
        (
            "reduce: e-mail like '7@'",
            step("reduce", partner_domain="[('email', 'ilike', '7@')]"),
        ),
        (
            "refine: Customer, entire companies",
            step("refine", business_relation_ids=relation.ids, entire_companies=True),
        ),
        ("go back", segment.action_go_back),
        ("go back", segment.action_go_back),
        ("go forward", segment.action_go_forward),
        ("go forward", segment.action_go_forward),
    ]
    results = []
    cr = env.cr
    for name, run in steps:
        env.invalidate_all()
        if name == "go back":
            target = segment._last_step(undone=False)
        elif name == "go forward":
            target = segment._last_step(undone=True)
        queries = cr.sql_log_count
        start = time.perf_counter()
        result = run()
        env.flush_all()
        seconds = time.perf_counter() - start
        queries = cr.sql_log_count - queries
        if name in ("go back", "go forward"):
            change = f"{'undo' if name == 'go back' else 'redo'} {target.sequence}"
        else:
            change = result.change_summary
        results.append((name, segment.line_count, change, queries, seconds))
    # opening the segment: the count and the first page of lines
    env.invalidate_all()
    queries = cr.sql_log_count
    start = time.perf_counter()
    segment.read(["line_count", "can_go_back", "can_go_forward"])
    env["crm.segment.line"].search_read(
        [("segment_id", "=", segment.id)], ["partner_id", "email"], limit=80
    )
    results.append(
        (
            "open: count and first 80 lines",
            segment.line_count,
            "",
            cr.sql_log_count - queries,
            time.perf_counter() - start,
        )
    )
    return results


def _raw_insert(segment_id, uid, condition):
    """Raw SQL: lines (contact, its company, language, audit columns) for the
    active, not excluded contacts of ``condition`` (alias ``p``)."""
    from odoo.tools import SQL

    return SQL(
        """
        INSERT INTO crm_segment_line (
            segment_id, partner_id, company_partner_id, lang,
            create_uid, create_date, write_uid, write_date
        )
        SELECT %(segment)s, p.id, p.commercial_partner_id, p.lang,
               %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
          FROM res_partner p
         WHERE p.active AND NOT p.exclude_from_segment AND %(condition)s
        ON CONFLICT (segment_id, partner_id) DO NOTHING
        """,
        segment=segment_id,
        uid=uid,
        condition=condition,
    )


def _raw_delete(segment_id, condition):
    from odoo.tools import SQL

    return SQL(
        """
        DELETE FROM crm_segment_line l
         USING res_partner p
         WHERE p.id = l.partner_id AND l.segment_id = %(segment)s AND %(condition)s
        """,
        segment=segment_id,
        condition=condition,
    )


def bench_against_sql(env, job, relation):
    """The steps of the issue on a new segment, each beside the raw SQL
    statement writing the same lines on a second segment, in the same run.

    Returns a list of ``(step, lines, queries, seconds, raw seconds)``.
    """
    from odoo.tools import SQL

    segment = env["crm.segment"].create({"description": "Benchmark steps"})
    anchor = env["crm.segment"].create({"description": "Benchmark raw SQL"})
    env.flush_all()
    has_job = SQL(
        "EXISTS (SELECT 1 FROM crm_job_responsibility_partner_rel j "
        "WHERE j.partner_id = p.id AND j.job_responsibility_id = %s)",
        job.id,
    )
    has_relation = SQL(
        "EXISTS (SELECT 1 FROM crm_business_relation_partner_rel r "
        "WHERE r.partner_id = p.commercial_partner_id "
        "AND r.business_relation_id = %s)",
        relation.id,
    )
    filters = {"job_responsibility_ids": job.ids}
    relation_filter = {"business_relation_ids": relation.ids}
    steps = [
        (
            "add: job responsibility",
            lambda: segment._apply_step("add", filters),
            _raw_insert(anchor.id, env.uid, has_job),
        ),
        (
            "reduce: company's business relation",
            lambda: segment._apply_step("reduce", relation_filter),
            _raw_delete(anchor.id, has_relation),
        ),
        (
            "go back",
            segment.action_go_back,
            _raw_insert(anchor.id, env.uid, SQL("%s AND %s", has_job, has_relation)),
        ),
        (
            "go forward",
            segment.action_go_forward,
            _raw_delete(anchor.id, has_relation),
        ),
        (
            "go back",
            segment.action_go_back,
            _raw_insert(anchor.id, env.uid, SQL("%s AND %s", has_job, has_relation)),
        ),
        (
            "refine: company has the relation",
            lambda: segment._apply_step("refine", relation_filter),
            _raw_delete(anchor.id, SQL("NOT %s", has_relation)),
        ),
    ]
    cr = env.cr
    results = []
    for name, run, raw in steps:
        env.invalidate_all()
        queries = cr.sql_log_count
        start = time.perf_counter()
        run()
        env.flush_all()
        seconds = time.perf_counter() - start
        queries = cr.sql_log_count - queries
        start = time.perf_counter()
        cr.execute(raw)
        raw_seconds = time.perf_counter() - start
        results.append((name, segment.line_count, queries, seconds, raw_seconds))
        if segment.line_count != anchor.line_count:
            raise AssertionError(
                f"{name}: {segment.line_count} lines, raw SQL {anchor.line_count}"
            )
    return results


def bench_wizard_add_all(env):
    """Add every contact through the wizard on a new segment, flushed.

    Returns ``(lines, seconds)``."""
    start = time.perf_counter()
    segment = env["crm.segment"].create({"description": "Benchmark all contacts"})
    wizard = env["crm.segment.filter"].create(
        {"segment_id": segment.id, "mode": "add", "partner_domain": "[]"}
    )
    wizard.action_apply()
    env.flush_all()
    seconds = time.perf_counter() - start
    return segment, seconds


def bench_open_form(env, segment):
    """Open the segment form as the web client does, its view loaded: its
    fields and the first page of lines. Returns ``(queries, seconds)``."""
    # the web client loads the view once and keeps it
    views = segment.get_views([(False, "form")])
    env.invalidate_all()
    cr = env.cr
    queries = cr.sql_log_count
    start = time.perf_counter()
    fields_spec = {
        name: {}
        for name in views["models"]["crm.segment"]["fields"]
        if segment._fields[name].type not in ("one2many", "many2many")
    }
    # the form's line tab: the first lines (line_preview_ids), not all of them
    fields_spec["line_preview_ids"] = {
        "fields": {
            "partner_id": {"fields": {"display_name": {}}},
            "email": {},
            "lang": {},
        },
        "limit": 40,
    }
    segment.web_read(fields_spec)
    return cr.sql_log_count - queries, time.perf_counter() - start


def print_sql_table(title, results, out=sys.stdout):
    out.write(f"\n{title}\n")
    header = (
        f"| {'step':<36} | {'lines':>9} | {'queries':>7} | {'addon s':>8} "
        f"| {'raw SQL s':>9} | {'ratio':>5} |\n"
    )
    out.write(header)
    out.write(f"|{'-' * 38}|{'-' * 11}|{'-' * 9}|{'-' * 10}|{'-' * 11}|{'-' * 7}|\n")
    for name, lines, queries, seconds, raw in results:
        ratio = seconds / raw if raw else float("inf")
        out.write(
            f"| {name:<36} | {lines:>9} | {queries:>7} | {seconds:>8.2f} "
            f"| {raw:>9.2f} | {ratio:>5.2f} |\n"
        )
    out.flush()


def print_table(title, results, out=sys.stdout):
    out.write(f"\n{title}\n")
    header = f"{'step':<38} {'lines':>9} {'change':>18} {'queries':>8} {'seconds':>8}\n"
    out.write(header)
    out.write("-" * (len(header) - 1) + "\n")
    for name, lines, change, queries, seconds in results:
        out.write(
            f"{name:<38} {lines:>9} {change or '':>18} {queries:>8} {seconds:>8.2f}\n"
        )
    out.flush()
