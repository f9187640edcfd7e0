// A report's table: headings grouped over their columns ("Arrival, company commitment"), numbers
// right-aligned with their unit in the heading, missed counts marked, every count that stands for
// incidents a link to the list of them (the drill-down), and the total row last.

import { t } from './common/i18n.js';
import { h } from './common/dom.js';
import { numeric, shown } from './format.js';

function headings(columns) {
  const grouped = columns.some((c) => c.group);
  const titles = h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: numeric(c.kind) ? 'num' : '',
    'data-key': c.key }, t(c.title))));
  if (!grouped) return h('thead', {}, titles);
  const spans = [];
  for (const column of columns) {
    const last = spans[spans.length - 1];
    if (last && last.group === column.group) last.span += 1;
    else spans.push({ group: column.group, span: 1 });
  }
  const groups = h('tr', { class: 'groups' }, spans.map(({ group, span }) =>
    h('th', { scope: 'colgroup', colspan: span, class: group ? 'group' : '' }, group ? t(group) : '')));
  return h('thead', {}, groups, titles);
}

function cell(row, column, { onDrill }) {
  const value = row[column.key];
  const kind = row.kinds?.[column.key] ?? column.kind; // a row of its own kind (a share among indices)
  const classes = [numeric(column.kind) ? 'num' : '', column.key === 'label' ? 'label' : ''];
  if (column.missed && value > 0) classes.push('missed');
  if (column.good && value > 0) classes.push('met');
  const text = shown(value, kind);
  const content = column.drill && onDrill && typeof value === 'number' && value > 0
    ? h('a', { href: '#', class: 'drill', 'data-measure': column.key, title: t('table.show_incidents'),
      onclick: (event) => { event.preventDefault(); onDrill(row, column); } }, text)
    : text;
  return h(column.key === 'label' ? 'th' : 'td', { class: classes.filter(Boolean).join(' ') || undefined,
    scope: column.key === 'label' ? 'row' : undefined, 'data-key': column.key }, content);
}

/**
 * The table of `rows` (and `total`) in `columns` [{key, title, kind, group?, missed?, good?, drill?}];
 * `onDrill(row, column)` opens the incidents behind a count (the total's too when `drillTotal`).
 */
export function reportTable({ id, columns, rows, total, onDrill, drillTotal = false, rowKey = 'group' }) {
  const body = rows.map((row) => h('tr', { 'data-row': row[rowKey] ?? undefined },
    columns.map((c) => cell(row, c, { onDrill }))));
  const foot = total ? h('tfoot', {}, h('tr', { class: 'total' }, columns.map((c) => cell(total, c, { onDrill: drillTotal ? onDrill : null })))) : null;
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'report', id }, headings(columns), h('tbody', {}, body.length ? body
      : h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, t('table.empty')))), foot));
}
