"""Read Chinese government plans into cited clauses, and build the searchable index.

Public verbs (nothing heavy is imported until one is called):
- ``read_plan(path)``: a source file → ``ParsedPlan`` (document metadata, heading tree, clauses, indicators).
"""
