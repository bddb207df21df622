# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Fewer indexes on interactions: every logged line writes each of them.

Dropped: the booleans, and the logged segment (the unique index on logged
segment and segment line serves its searches).  Rebuilt as partial indexes
(rows with a value only) by the update: campaign, campaign entry, segment
line, opportunity.  Segment lines lose their two redundant indexes.
"""


def migrate(cr, version):
    if not version:
        return
    for name in (
        "campaign_response",
        "canceled",
        "logged_segment_id",
        "campaign_id",
        "campaign_entry_id",
        "segment_line_id",
        "lead_id",
    ):
        cr.execute(f"DROP INDEX IF EXISTS crm_interaction__{name}_index")
    # segment lines: the index (segment, id) serves searches by segment
    cr.execute("DROP INDEX IF EXISTS crm_segment_line__segment_id_index")
    cr.execute("DROP INDEX IF EXISTS crm_segment_line_segment_id_id_idx")
