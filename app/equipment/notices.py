"""A part falling below its minimum tells the region's managers, in the transaction of the move that
took it there (an issue, a transfer out or a count correction).

Once per crossing: the key names the move that crossed, so stock that is filled again and falls
again is told again, and a move that leaves it below (already told) says nothing.
"""
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from app.auth.models import User
from app.equipment.models import PartStock, StockMove
from app.extensions import db
from app.notifications.services import link_to, managers_of, notify


def stock_moved(stock: PartStock | None, before: int, after: int, move: StockMove, *, by=None) -> None:
    """Notify the region's managers when this move took the stock from its minimum or above to below it."""
    if stock is None or not (after < stock.minimum <= before):
        return
    part, region = stock.part, stock.region
    number, name = part.number, part.name
    minimum, order_up_to, lead_days = stock.minimum, stock.order_up_to, stock.lead_days
    kind, quantity = move.kind, abs(move.quantity)
    mover = by if isinstance(by, User) else (db.session.get(User, by) if by else None)
    mover_name = mover.name if mover is not None else ""

    def subject() -> str:
        return _("Below minimum: %(part)s in %(region)s (%(left)s left, minimum %(minimum)s)",
                 part=name, region=region.display_name, left=format_decimal(after), minimum=format_decimal(minimum))

    def body() -> str:
        lines = [_("%(number)s %(name)s: %(left)s on hand in %(region)s, below the minimum of %(minimum)s.",
                   number=number, name=name, left=format_decimal(after), region=region.display_name,
                   minimum=format_decimal(minimum))]
        last = (_("Last move: %(kind)s %(quantity)s by %(by)s.", kind=kind.label, quantity=format_decimal(quantity),
                  by=mover_name) if mover_name else
                _("Last move: %(kind)s %(quantity)s.", kind=kind.label, quantity=format_decimal(quantity)))
        lines.append(last)
        lines.append(ngettext("Order %(quantity)s to fill it up to %(up_to)s (lead time %(num)s day).",
                              "Order %(quantity)s to fill it up to %(up_to)s (lead time %(num)s days).", lead_days,
                              quantity=format_decimal(max(0, order_up_to - after)), up_to=format_decimal(order_up_to)))
        return "\n".join(lines)

    link = link_to("equipment.stock_item", stock_id=stock.id)
    for manager in managers_of(stock.region_id):
        notify(manager, "part_below_minimum", f"part-below-minimum:{stock.id}:move:{move.id}", subject=subject,
               body=body, link=link)
