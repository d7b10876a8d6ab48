"""Grove's shared core: pieces every domain may use, importing no domain.

Money, local time, enumerations, safe cells and text, region-scoped loading and roles,
column types, input hygiene and shared form fields each have one home here.

A model describes itself with class attributes, read from `db.Model.registry.mappers` by the
region scope (access.py), the audit hook (app/audit.py) and the audit page (admin/services.py);
tests/test_models_described.py fails when a table says nothing:

    __audit_label__ = _l("Contact")         what the audit log calls a row (translatable)
    __region_via__ = "company"             the many-to-one parent a row reaches its region
                                           through; None: not limited by itself (a region_id
                                           column needs no declaration)
    __region_optional__ = True             rows without a region serve every region (experts)
    __page__ = ("accounts.detail", "company_id")   the record's page: endpoint and id argument
    __parent__ = "company_id"              the foreign key to the record whose page a row is on
    __audit_lists__ = {"role_rows": ("roles", "role")}   child rows folded into this entry
    __field_labels__ = {"goal": _l("Goal")}              labels of its own fields, before the
                                                         shared ones in admin/services.py
"""
