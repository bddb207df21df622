from . import docx_merge
from . import html_render
from . import markers
