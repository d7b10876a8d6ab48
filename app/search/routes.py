"""Routes of the search."""
from app.search import models  # noqa: F401  (the index table belongs to the metadata)
