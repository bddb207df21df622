from . import docx_merge
