// Charts with Apache ECharts (vendored from npm; its Chinese locale built in). Tooltips are drawn
// on the canvas (renderMode 'richText'): ECharts' HTML tooltips carry inline styles, which the
// page's Content-Security-Policy refuses.

import * as echarts from './vendor/echarts/echarts.esm.min.mjs';
import { language } from './common/i18n.js';

const charts = new Map();

function chartIn(element) {
  let chart = charts.get(element);
  if (!chart) {
    chart = echarts.init(element, null, { renderer: 'canvas', locale: language() === 'zh-CN' ? 'ZH' : 'EN' });
    charts.set(element, chart);
    new ResizeObserver(() => chart.resize()).observe(element);
  }
  return chart;
}

/** Bars per category: `series` [{name, data, colour, stack?}], the value axis named `axis`. */
export function barChart(element, { categories, series, axis }) {
  const chart = chartIn(element);
  element.hidden = categories.length === 0;
  chart.setOption({
    animation: false,
    textStyle: { fontFamily: 'system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif' },
    tooltip: { trigger: 'axis', renderMode: 'richText', axisPointer: { type: 'shadow' } },
    legend: { top: 0 },
    grid: { left: 56, right: 24, top: 40, bottom: 56, containLabel: false },
    xAxis: { type: 'category', data: categories, axisLabel: { interval: 0, rotate: categories.length > 8 ? 30 : 0,
      width: 110, overflow: 'truncate' } },
    yAxis: { type: 'value', name: axis, minInterval: 1 },
    series: series.map((s) => ({ type: 'bar', name: s.name, data: s.data, stack: s.stack, itemStyle: { color: s.colour },
      barMaxWidth: 36 })),
  }, { notMerge: true });
  chart.resize();
  return chart;
}
