# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The segment builder's steps on many contacts, with their SQL statement counts."""

import sys
import time

from odoo.addons.crm_campaign_segment.tests.bench_data import (
    bench_against_sql,
    bench_open_form,
    bench_steps,
    bench_wizard_add_all,
    create_contacts,
    print_sql_table,
    print_table,
)


def run(env, args):
    start = time.perf_counter()
    job, relation = create_contacts(env, args.contacts)
    sys.stdout.write(
        f"Created {args.contacts} contacts in {time.perf_counter() - start:.1f} s\n"
    )
    env.cr.execute("ANALYZE")
    print_sql_table(
        f"Segment steps beside raw SQL on {args.contacts} contacts",
        bench_against_sql(env, job, relation),
    )
    segment = env["crm.segment"].create({"description": "Benchmark"})
    results = bench_steps(env, segment, job, relation)
    print_table(
        f"Segment builder on {args.contacts} contacts (database {env.cr.dbname})",
        results,
    )
    everyone, seconds = bench_wizard_add_all(env)
    sys.stdout.write(
        f"\nWizard: add all contacts: {everyone.line_count} lines in {seconds:.1f} s\n"
    )
    # what autovacuum does once the million lines are committed
    env.cr.execute("ANALYZE crm_segment_line")
    queries, seconds = bench_open_form(env, everyone)
    sys.stdout.write(
        f"Segment form with {everyone.line_count} lines: {queries} queries, "
        f"{seconds:.2f} s\n"
    )
