// The model panel: the networks the settings form describes, layer by layer (index, module as
// PyTorch prints it, output shape, parameters) with each network's total, from the library's
// modelSummary. It follows the form as it is edited, before Apply; invalid settings show why.
import { type Architecture, type GanConfig, modelSummary, type NetworkSummary } from 'webgpu-gan';
import { networkRows } from './modelFormat.js';
import { $, message } from './page.js';

const el = {
  error: $('model-error'),
  tables: $('model-tables'),
  note: $('model-note'),
  slow: $('model-slow'),
  generator: $<HTMLTableElement>('model-g'),
  discriminator: $<HTMLTableElement>('model-d'),
};

export interface ModelView {
  /** The Model chosen in the form, valid settings or not. */
  architecture: Architecture;
  /** The form's settings as a configuration (resolveGanConfig's), or why they are refused. */
  pending: { config: GanConfig } | { error: string };
  /** What trains now. */
  running: GanConfig;
  /** Whether the adapter is a CPU implementation, where a convolutional step takes seconds. */
  software: boolean;
}

let shown = '';

/** Shows the form's model (rebuilt only when something it shows changed). */
export function showModel(view: ModelView): void {
  const key = JSON.stringify(view);
  if (key === shown) return;
  shown = key;
  el.slow.hidden = !(view.software && view.architecture === 'dcgan');
  if ('error' in view.pending) {
    message(el.error, view.pending.error, true);
    el.tables.hidden = true;
    el.note.textContent = '';
    return;
  }
  message(el.error, '');
  el.tables.hidden = false;
  const summary = modelSummary(view.pending.config);
  fill(el.generator, 'Generator', summary.generator);
  fill(el.discriminator, 'Discriminator', summary.discriminator);
  const training = JSON.stringify(summary) === JSON.stringify(modelSummary(view.running));
  el.note.textContent = training
    ? 'This is the model training now.'
    : 'Not training yet: Apply restarts training with this model.';
}

function fill(table: HTMLTableElement, name: string, network: NetworkSummary): void {
  const { input, rows, total } = networkRows(network);
  table.caption!.textContent = `${name}, from an input of ${input}`;
  table.tBodies[0]!.replaceChildren(...rows.map((row) => tableRow([row.index, row.module, row.shape, row.parameters])));
  table.tFoot!.replaceChildren(tableRow(['', 'Total', '', total], 'th'));
}

function tableRow(cells: string[], kind: 'td' | 'th' = 'td'): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const text of cells) {
    const cell = document.createElement(kind);
    cell.textContent = text;
    tr.append(cell);
  }
  return tr;
}
