"""Units (单位), region names (行政区划) and sites (督查点位), kept by an administrator in
the console (pages.py) or imported from a CSV or XLSX file (import_pages.py, imports.py,
files.py). The rules are operations.py; the lists and region names queries.py."""
