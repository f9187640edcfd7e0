// Every table leaves the page as it is shown: CSV made here (UTF-8 with a byte-order mark, so that
// Excel opens Chinese names right) or an Excel workbook made by the server (POST
// /api/v1/reports/workbook, the same sheets as `flask reports monthly`).

import { download } from './api.js';
import { plain, workbookFormat } from './format.js';
import { t } from './common/i18n.js';
import { h } from './common/dom.js';

const BOM = '\uFEFF';

/** A column's heading in exports: its group and its title ("Arrival (commitment) · missed"). */
export function heading(column) {
  return column.group ? `${t(column.group)} · ${t(column.title)}` : t(column.title);
}

function csvField(text) {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The table as CSV text, BOM first, CRLF lines (RFC 4180). */
export function csv({ caption, columns, rows, total }) {
  const lines = [];
  if (caption) lines.push(csvField(caption), '');
  lines.push(columns.map((c) => csvField(heading(c))).join(','));
  for (const row of total ? [...rows, total] : rows) {
    lines.push(columns.map((c) => csvField(plain(row[c.key], row.kinds?.[c.key] ?? c.kind))).join(','));
  }
  return `${BOM}${lines.join('\r\n')}\r\n`;
}

/** The table as one sheet of the workbook request. */
export function sheet({ name, caption, columns, rows, total }) {
  const cleanName = name.replace(/[[\]:*?/\\]/g, ' ').replace(/^'+|'+$/g, '').slice(0, 31).trim() || 'Sheet';
  const value = (row) => Object.fromEntries(columns.map((c) => [c.key, row[c.key] ?? null]));
  return {
    name: cleanName,
    caption,
    columns: columns.map((c) => ({ key: c.key, title: heading(c), ...(workbookFormat(c.kind) ? { format: workbookFormat(c.kind) } : {}) })),
    rows: rows.map(value),
    ...(total ? { total: value(total) } : {}),
  };
}

/** Hand `blob` to the browser as a download named `filename`. */
export function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/**
 * The CSV and XLSX buttons of a table. `table()` gives {name, caption, columns, rows, total} at the
 * moment of the click; `file` names the downloads (without extension); `onProblem(error)` shows a refusal.
 */
export function exportButtons(id, file, table, onProblem) {
  const asCsv = () => save(new Blob([csv(table())], { type: 'text/csv;charset=utf-8' }), `${file()}.csv`);
  async function asXlsx(event) {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      save(await download('/api/v1/reports/workbook', { sheets: [sheet(table())] }), `${file()}.xlsx`);
    } catch (error) {
      onProblem(error);
    } finally {
      button.disabled = false;
    }
  }
  return h('span', { class: 'exports' },
    h('button', { type: 'button', class: 'export', id: `${id}-csv`, onclick: asCsv, title: t('export.csv_hint') }, 'CSV'),
    h('button', { type: 'button', class: 'export', id: `${id}-xlsx`, onclick: asXlsx, title: t('export.xlsx_hint') }, 'Excel'));
}
