from . import crm_segment_filter
from . import crm_segment_criteria_save
from . import crm_segment_reuse
from . import crm_segment_log
from . import crm_interaction_response
