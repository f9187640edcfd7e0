"""The database model: grid, crews, roads, incidents and users (tables are created by migrations/)."""
from dispatch.models.base import Base
from dispatch.models.crews import Crew, CrewPosition, Depot
from dispatch.models.grid import Bus, Customer, GridState, Line, Source, Switch, Transformer, Zone
from dispatch.models.incidents import Incident, IncidentEvent, Report
from dispatch.models.roads import Road, RoadClosure, RoadNode
from dispatch.models.users import ApiToken, User

__all__ = [
    "ApiToken", "Base", "Bus", "Crew", "CrewPosition", "Customer", "Depot", "GridState", "Incident", "IncidentEvent",
    "Line", "Report", "Road", "RoadClosure", "RoadNode", "Source", "Switch", "Transformer", "User", "Zone",
]
