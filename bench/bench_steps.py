# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The segment builder's steps on many contacts, with their SQL statement counts."""

import sys
import time

from odoo.addons.crm_campaign_segment.tests.bench_data import (
    bench_steps,
    create_contacts,
    print_table,
)


def run(env, args):
    start = time.perf_counter()
    job, relation = create_contacts(env, args.contacts)
    sys.stdout.write(
        f"Created {args.contacts} contacts in {time.perf_counter() - start:.1f} s\n"
    )
    segment = env["crm.segment"].create({"description": "Benchmark"})
    results = bench_steps(env, segment, job, relation)
    print_table(
        f"Segment builder on {args.contacts} contacts (database {env.cr.dbname})",
        results,
    )
