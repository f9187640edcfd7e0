"""Every package's tables on one metadata: what Alembic compares the database with (the tables
themselves are created by migrations/). It imports every domain package, so no package imports it."""
from dispatch.accounts.models import ApiToken, User
from dispatch.core.models import Base
from dispatch.core.outbox import OutboxMessage
from dispatch.crews.models import Crew, CrewPosition, Depot
from dispatch.gis.models import Bus, Customer, GridState, Line, Source, Switch, Transformer, Zone
from dispatch.incidents.models import Incident, IncidentEvent, Report
from dispatch.live.models import OutboxRelay
from dispatch.routing.models import Road, RoadClosure, RoadNode

__all__ = [
    "ApiToken", "Base", "Bus", "Crew", "CrewPosition", "Customer", "Depot", "GridState", "Incident", "IncidentEvent",
    "Line", "OutboxMessage", "OutboxRelay", "Report", "Road", "RoadClosure", "RoadNode", "Source", "Switch",
    "Transformer", "User", "Zone",
]
