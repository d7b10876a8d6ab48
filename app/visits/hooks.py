"""An escalation waits for a manager only while its opportunity is open: when the opportunity is won
or lost, by whatever code (the opportunity form here, a won order on the key-account pages), its
pending escalations close in the same flush, saying why."""
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from app.accounts.models import Opportunity, OpportunityStage
from app.visits import services
from app.visits.conflicts import ALL
from app.visits.models import ClosedBecause, Escalation, EscalationStatus

ENDED = {OpportunityStage.WON: ClosedBecause.WON, OpportunityStage.LOST: ClosedBecause.LOST}


@event.listens_for(Session, "before_flush")
def _close_escalations_of_ended_opportunities(session, flush_context, instances) -> None:
    ended = {o.id: ENDED[o.stage] for o in session.dirty
             if isinstance(o, Opportunity) and o.stage in ENDED and inspect(o).attrs.stage.history.has_changes()}
    if not ended:
        return
    with session.no_autoflush:
        pending = session.scalars(select(Escalation).where(Escalation.opportunity_id.in_(ended),
                                                           Escalation.status == EscalationStatus.PENDING)
                                  .execution_options(**ALL))
        for escalation in pending:
            services.close_escalation(escalation, ended[escalation.opportunity_id])
