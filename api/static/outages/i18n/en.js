// The public outage map's words in English.
export default {
  'app.title': 'Power outages',
  'totals.out': { one: '{n} outage', other: '{n} outages' },
  'totals.customers': { one: '{n} customer without power', other: '{n} customers without power' },
  'updated': 'Updated {time}',
  'legend.out': 'Out', 'legend.reopened': 'Out again', 'legend.restored': 'Restored',
  'list.none': 'No outages known now.',
  'list.problem': 'The outage information cannot be loaded now; trying again shortly.',
  'status.out': 'Out', 'status.restored': 'Restored', 'status.upcoming': 'Planned', 'status.reopened': 'Out again',
  'stage.reported': 'Reported, a crew will be sent', 'stage.crew_assigned': 'Crew assigned',
  'stage.crew_on_the_way': 'Crew on the way', 'stage.crew_on_site': 'Crew on site',
  'where.zone': 'Area {zone}', 'where.unknown': 'Location being confirmed',
  'where.transformers': { one: '{n} transformer area', other: '{n} transformer areas' },
  'field.customers': 'Customers out', 'field.since': 'Since', 'field.etr': 'Estimated restoration',
  'field.restored': 'Restored at', 'field.cause': 'Cause', 'field.stage': 'Progress',
  'field.reopened': 'Power went off again after', 'etr.unknown': 'being assessed',
  'map.roads_attribution': 'Roads © OpenStreetMap contributors',
};
