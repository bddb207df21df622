from . import crm_campaign_statistics_report
