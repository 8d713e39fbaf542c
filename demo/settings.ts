// The settings form: read, validated against sane bounds, and refused with a message naming the
// field — invalid values never reach the GPU.
import type { GanConfig } from 'webgpu-gan';

export type Settings = Pick<GanConfig, 'lr' | 'beta1' | 'batch' | 'realLabel' | 'emaDecay' | 'emaWarmup' | 'seed'>;

const FIELDS: Record<keyof Settings, { label: string; min: number; max: number; integer: boolean }> = {
  lr: { label: 'Learning rate', min: 1e-6, max: 0.1, integer: false },
  beta1: { label: 'Adam β1', min: 0, max: 0.999, integer: false },
  batch: { label: 'Batch size', min: 1, max: 1024, integer: true },
  realLabel: { label: 'Real label', min: 0.5, max: 1, integer: false },
  emaDecay: { label: 'Moving average decay', min: 0, max: 0.9999, integer: false },
  emaWarmup: { label: 'Moving average warm-up', min: 0, max: 1e6, integer: true },
  seed: { label: 'Seed', min: 0, max: 2147483647, integer: true },
};

export function writeSettings(form: HTMLFormElement, s: Settings): void {
  for (const name of Object.keys(FIELDS) as Array<keyof Settings>) {
    (form.elements.namedItem(name) as HTMLInputElement).value = String(s[name]);
  }
}

export function readSettings(form: HTMLFormElement): { settings: Settings } | { error: string; field: string } {
  const settings = {} as Settings;
  for (const [name, f] of Object.entries(FIELDS) as Array<[keyof Settings, (typeof FIELDS)[keyof Settings]]>) {
    const text = (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    const value = Number(text);
    if (text === '' || !Number.isFinite(value)) return { error: `${f.label} must be a number.`, field: name };
    if (f.integer && !Number.isInteger(value)) return { error: `${f.label} must be a whole number.`, field: name };
    if (value < f.min || value > f.max)
      return { error: `${f.label} must be between ${f.min} and ${f.max}.`, field: name };
    settings[name] = value;
  }
  return { settings };
}
