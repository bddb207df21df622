# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The statistics period of a campaign is each user's
(crm.campaign.statistics.period), no longer one value of the campaign shared
by all users: its columns go."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        ALTER TABLE utm_campaign
            DROP COLUMN IF EXISTS statistics_date_from,
            DROP COLUMN IF EXISTS statistics_date_to
        """
    )
