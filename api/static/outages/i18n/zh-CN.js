// 停电地图的中文。
export default {
  'app.title': '停电信息',
  'totals.out': '{n} 处停电',
  'totals.customers': '{n} 户停电',
  'updated': '更新于 {time}',
  'legend.out': '停电中', 'legend.reopened': '再次停电', 'legend.restored': '已复电',
  'list.none': '目前没有已知的停电。',
  'list.problem': '暂时无法获取停电信息，稍后自动重试。',
  'status.out': '停电中', 'status.restored': '已复电', 'status.upcoming': '计划停电', 'status.reopened': '再次停电',
  'stage.reported': '已受理，即将派出抢修队', 'stage.crew_assigned': '已派抢修队',
  'stage.crew_on_the_way': '抢修队在途', 'stage.crew_on_site': '抢修队已到现场',
  'where.zone': '{zone}片区', 'where.unknown': '位置确认中',
  'where.transformers': '{n} 个台区',
  'field.customers': '停电户数', 'field.since': '停电时间', 'field.etr': '预计复电',
  'field.restored': '复电时间', 'field.cause': '原因', 'field.stage': '抢修进度',
  'field.reopened': '此前复电于', 'etr.unknown': '评估中',
  'map.roads_attribution': '道路 © OpenStreetMap 贡献者',
};
