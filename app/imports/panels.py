"""The directory imports an association's page lists (app/core/panels.py)."""
from app.core import panels
from app.imports.services import batches_of


@panels.register("associations.detail")
def association_batches(association) -> dict:
    return {"batches": batches_of(association)}
