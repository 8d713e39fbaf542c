// How the restoration benchmark names a trained restorer's rows: by its network, and its loss,
// edge term and critic where they differ from the defaults; files that differ only in what the
// name leaves out (seed, batch, precision) are told apart by their paths.
import type { RestorerFile } from '../../src/restore/restorerFile.js';

export interface NamedRestorer {
  file: RestorerFile;
  /** Under the --restorers folder. */
  path: string;
  /** Its rows' name in the table. */
  name: string;
}

export function restorerName(file: RestorerFile): string {
  const s = file.settings;
  const notes = [
    s.residual ? 'residual' : '',
    s.loss !== 'l1' ? s.loss : '',
    s.edgeWeight > 0 ? `edges ${s.edgeWeight}` : '',
    s.adversarial > 0 ? `critic ${s.adversarial}` : '',
  ].filter((note) => note !== '');
  return `ours (trained restorer${notes.map((note) => `, ${note}`).join('')}, ${file.step} steps)`;
}

/** The restorers for one degradation, each named, a name two of them share followed by the path. */
export function nameApart(list: readonly NamedRestorer[]): NamedRestorer[] {
  const named = list.map((r) => ({ ...r, name: restorerName(r.file) }));
  return named.map((r) =>
    named.some((other) => other !== r && other.name === r.name) ? { ...r, name: `${r.name} [${r.path}]` } : r,
  );
}
