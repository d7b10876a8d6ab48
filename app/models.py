"""Every model of every domain, imported once so the mappers and Alembic see the whole schema."""
from app.accounts.models import (Company, Contact, ContactRoleTag, Opportunity, Order,  # noqa: F401
                                 association_members, company_markets)
from app.admin.models import CadenceRule  # noqa: F401
from app.audit import AuditEntry  # noqa: F401
from app.associations.models import Association, Membership, association_markets  # noqa: F401
from app.auth.models import Region, User, user_regions  # noqa: F401
from app.experts.models import Expert, ExpertTag, Unavailability  # noqa: F401
from app.imports.models import ImportBatch, ImportItem  # noqa: F401
from app.markets.models import Market, ScreeningWeights  # noqa: F401
from app.outbox.models import OutboxMessage  # noqa: F401
from app.seminars.models import Question, Registration, Seminar, Speaker  # noqa: F401
from app.visits.models import ConflictOverride, Escalation, Visit, VisitMember, VisitSettings  # noqa: F401
