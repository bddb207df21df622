# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Opportunities from a segment of up to 10,000 lines.

Anchor: the same opportunities created the plain way, one ``create`` per
line with tracking and a follow-up activity each, on a tenth of the lines
(extrapolated), in the same run.
"""

import sys
import time

from odoo.tools import SQL

from odoo.addons.crm_campaign_segment.tests.bench_data import (
    BENCH_REF,
    create_contacts,
)

MAX_LINES = 10_000


def _segment(env, campaign, partner_ids, name):
    segment = env["crm.segment"].create(
        {"description": name, "campaign_id": campaign.id, "user_id": env.uid}
    )
    env.flush_all()
    env.execute_query(
        SQL(
            """
            INSERT INTO crm_segment_line (segment_id, partner_id, correspondence_type,
                                          user_id, create_uid, create_date,
                                          write_uid, write_date)
            SELECT %s, id, 'email', %s, %s, NOW(), %s, NOW()
              FROM unnest(%s::int[]) AS id
            """,
            segment.id,
            env.uid,
            env.uid,
            env.uid,
            partner_ids,
        )
    )
    env.invalidate_all()
    return segment


def run(env, args):
    count = min(args.contacts, MAX_LINES)
    start = time.perf_counter()
    create_contacts(env, count)
    partner_ids = [
        row[0]
        for row in env.execute_query(
            SQL(
                "SELECT id FROM res_partner WHERE ref LIKE %s ORDER BY id LIMIT %s",
                f"{BENCH_REF}%",
                count,
            )
        )
    ]
    sys.stdout.write(
        f"Created {len(partner_ids)} contacts in {time.perf_counter() - start:.1f} s\n"
    )
    campaign = env["utm.campaign"].create({"title": "Benchmark opportunities"})
    segment = _segment(env, campaign, partner_ids, "Benchmark opportunities")

    # anchor: one create per line, tracked, one activity each, on a tenth
    sample = partner_ids[: max(len(partner_ids) // 10, 1)]
    Lead = env["crm.lead"].with_context(tracking_disable=False)
    activity_type = env.ref("mail.mail_activity_data_todo")
    start = time.perf_counter()
    for partner_id in sample:
        lead = Lead.create(
            {
                "name": "Anchor",
                "type": "opportunity",
                "partner_id": partner_id,
                "campaign_id": campaign.id,
                "user_id": env.uid,
            }
        )
        lead.activity_schedule(activity_type_id=activity_type.id, user_id=env.uid)
    env.flush_all()
    anchor = (time.perf_counter() - start) * len(partner_ids) / len(sample)
    # the anchor's opportunities would be skipped: drop them
    env["crm.lead"].search([("campaign_id", "=", campaign.id)]).unlink()

    start = time.perf_counter()
    leads, skipped = segment._create_opportunities()
    env.flush_all()
    elapsed = time.perf_counter() - start
    sys.stdout.write(
        f"Opportunities from a segment of {len(partner_ids)} lines "
        f"(database {env.cr.dbname}):\n"
        f"  anchor, one create per line (extrapolated from {len(sample)}): "
        f"{anchor:.1f} s\n"
        f"  crm.segment._create_opportunities: {elapsed:.1f} s "
        f"({len(leads)} opportunities, {len(skipped)} skipped)\n"
    )
