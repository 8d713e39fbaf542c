// Measured matmul choices: for one adapter, the variant, split-K and shape specialisation that
// timed fastest for each shape (`npm run bench -- --tune`, BENCHMARKS.md). createMatmul's 'auto'
// looks a shape up here first and falls back to the rules in matmul.ts for shapes and adapters
// nobody has measured.
// Tables ship in matmul-tuning.json; registerMatmulTuning adds one measured elsewhere.
import { ArgumentError } from '../base/errors.js';
import type { AdapterDescription } from '../gpu/adapter.js';
import builtInTables from './matmul-tuning.json';
import { requireString } from '../base/arguments.js';

export type MatmulVariant = 'v1' | 'v3' | 'v4' | 'v5';
export const MATMUL_VARIANTS: readonly MatmulVariant[] = ['v1', 'v3', 'v4', 'v5'];

/** What a matmul's speed depends on (epilogues cost next to nothing and are left out). */
export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  /** Whether the kernel also accumulates row sums of op(A) (fused bias gradients). */
  rowSums: boolean;
}

export interface MatmulChoice {
  variant: MatmulVariant;
  splitK: number;
  /** A pipeline with this shape's dimensions built in as constants (see MatmulSpec.specialize). */
  specialized?: boolean;
}

export interface MatmulTuning {
  /** The adapter it was measured on, as tuningAdapterKey() writes it. */
  adapter: string;
  /** Where and when, e.g. the bench command and date. */
  measured: string;
  /** By shapeKey(); extra fields (the timings behind a choice) are kept for reading, not used. */
  choices: Record<string, MatmulChoice & Record<string, unknown>>;
}

export function shapeKey(s: MatmulShape): string {
  return `${s.m}x${s.n}x${s.k}${s.transposeA ? ' tA' : ''}${s.transposeB ? ' tB' : ''}${s.rowSums ? ' rowsums' : ''}`;
}

/**
 * Vendor, architecture and device name: the same GPU whatever its driver or runtime. Null for an
 * adapter that reports none of them (some browsers hide them), which no table can then match.
 */
export function tuningAdapterKey(a: Pick<AdapterDescription, 'vendor' | 'architecture' | 'device'>): string | null {
  if (!a.vendor && !a.architecture && !a.device) return null;
  return [a.vendor, a.architecture, a.device].join(' / ');
}

const tables = new Map<string, MatmulTuning>();

/**
 * Adds (or replaces, for the same adapter) a table of measured choices, for matmuls built from
 * now on. Checked first: a table with an unknown variant or a bad split is refused.
 */
export function registerMatmulTuning(table: MatmulTuning): void {
  if (
    typeof table?.adapter !== 'string' ||
    table.adapter.replace(/[ /]/g, '') === '' ||
    typeof table.choices !== 'object' ||
    table.choices === null
  ) {
    throw new ArgumentError(
      'table',
      'must be { adapter, measured, choices } with a named adapter, as `npm run bench -- --tune` writes it',
    );
  }
  for (const [key, choice] of Object.entries(table.choices)) {
    if (!MATMUL_VARIANTS.includes(choice?.variant))
      throw new ArgumentError(
        `choices["${key}"].variant`,
        `must be one of ${MATMUL_VARIANTS.join(', ')}, got ${String(choice?.variant)}`,
      );
    if (!Number.isInteger(choice.splitK) || choice.splitK < 1)
      throw new ArgumentError(`choices["${key}"].splitK`, `must be a positive integer, got ${String(choice.splitK)}`);
    if (choice.specialized !== undefined && typeof choice.specialized !== 'boolean')
      throw new ArgumentError(
        `choices["${key}"].specialized`,
        `must be true or false, got ${String(choice.specialized)}`,
      );
  }
  tables.set(table.adapter, table);
}

/** The table registered for an adapter (a tuningAdapterKey()), if any. */
export function registeredMatmulTuning(adapter: string): MatmulTuning | undefined {
  return tables.get(adapter);
}

/** Removes a registered table (tests, or to time the fallback rules on a tuned adapter). */
export function unregisterMatmulTuning(adapter: string): void {
  requireString('adapter', adapter, "a tuning table's adapter name");
  tables.delete(adapter);
}

/** The measured choice for this shape on this adapter, or null where there is none. */
export function tunedChoice(adapter: AdapterDescription, shape: MatmulShape): MatmulChoice | null {
  const key = tuningAdapterKey(adapter);
  const choice = key === null ? undefined : tables.get(key)?.choices[shapeKey(shape)];
  return choice ? { variant: choice.variant, splitK: choice.splitK, specialized: choice.specialized === true } : null;
}

for (const table of builtInTables as MatmulTuning[]) registerMatmulTuning(table);
