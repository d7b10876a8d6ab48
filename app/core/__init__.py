"""Grove's shared core: pieces every domain may use, importing no domain.

Money, local time, enumerations, safe cells and text, region-scoped loading and roles,
column types, input hygiene and shared form fields each have one home here.
"""
