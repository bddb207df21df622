from . import docx_merge
from . import markers
