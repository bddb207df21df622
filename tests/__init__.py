from . import test_docx_merge
from . import test_campaign
from . import test_segment_header
from . import test_security
