"""Every package's tables on one metadata: what Alembic compares the database with (the tables
themselves are created by migrations/). It imports every domain package, so no package imports it."""
from dispatch.accounts.models import ApiToken, User
from dispatch.core.heartbeats import WorkerHeartbeat
from dispatch.core.idempotency import IdempotencyKey
from dispatch.core.models import Base
from dispatch.core.outbox import OutboxMessage
from dispatch.crews.models import Crew, CrewPosition, Depot
from dispatch.customers.models import Callback, ChannelClient, Notification, PlannedOutage, PlannedOutageCall
from dispatch.gis.models import (
    Bus,
    Customer,
    GridImport,
    GridState,
    Line,
    Source,
    Switch,
    SwitchOperation,
    Transformer,
    Zone,
)
from dispatch.incidents.models import (
    Complaint,
    DeviceEvent,
    Incident,
    IncidentEvent,
    IncidentNotice,
    MeterEvent,
    Report,
)
from dispatch.live.models import OutboxRelay
from dispatch.reporting.models import CustomerInterruption, InterruptionTally
from dispatch.routing.models import Road, RoadClosure, RoadNode

__all__ = [
    "ApiToken", "Base", "Bus", "Callback", "ChannelClient", "Complaint", "Crew", "CrewPosition", "Customer", "CustomerInterruption",
    "Depot", "DeviceEvent", "GridImport", "GridState", "IdempotencyKey", "Incident", "IncidentEvent", "IncidentNotice",
    "InterruptionTally", "Line",
    "MeterEvent", "Notification", "OutboxMessage", "PlannedOutage", "PlannedOutageCall",
    "OutboxRelay", "Report", "Road", "RoadClosure", "RoadNode", "Source", "Switch", "SwitchOperation", "Transformer",
    "User", "WorkerHeartbeat", "Zone",
]
