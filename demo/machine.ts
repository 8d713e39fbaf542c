// What the page is doing, as one explicit state machine: a phase, and whether training goes on
// when the phase ends. Each event is allowed in some phases only; a pure transition function
// says what it leads to (null: not now), so the page never holds two modes at once (saving while
// rebuilding, training on a lost device) and the rules are tested without a browser.

export type Phase =
  /** The page finds WebGPU and loads MNIST. */
  | 'loading'
  | 'idle'
  | 'training'
  /** A checkpoint is read back (Save, or an autosave): no steps are submitted meanwhile. */
  | 'saving'
  /** A repair searches on a snapshot of the networks: training waits. */
  | 'repairing'
  /** A new session is built (Reset, new settings, other pictures, a checkpoint loaded). */
  | 'rebuilding'
  /** The GPU device was lost; a new one is sought. */
  | 'deviceLost'
  /** No device could be had again: the page stops and says how to go on. */
  | 'failed';

export type PageEvent =
  | 'ready'
  | 'start'
  | 'pause'
  | 'save'
  | 'saved'
  | 'repair'
  | 'repaired'
  | 'rebuild'
  | 'rebuilt'
  | 'lost'
  | 'recovered'
  | 'gaveUp';

export interface Mode {
  phase: Phase;
  /** In a phase that interrupts training (saving, repairing, deviceLost): train again after it. */
  resume: boolean;
}

export const LOADING: Mode = { phase: 'loading', resume: false };

const at = (phase: Phase, resume = false): Mode => ({ phase, resume });

/** The phases in which training is interrupted, to go on (or not) when they end. */
const INTERRUPTIONS: readonly Phase[] = ['saving', 'repairing', 'deviceLost'];

/** The mode `event` leads to from `mode`, or null when the event is not allowed there. */
export function transition(mode: Mode, event: PageEvent): Mode | null {
  const { phase, resume } = mode;
  if (phase === 'failed') return null;
  if (phase === 'loading') return event === 'ready' ? at('idle') : null;
  if (event === 'lost') return phase === 'deviceLost' ? null : at('deviceLost', wantsTraining(mode));
  if (phase === 'deviceLost') {
    if (event === 'recovered') return at(resume ? 'training' : 'idle');
    if (event === 'gaveUp') return at('failed');
    return event === 'start' || event === 'pause' ? at('deviceLost', event === 'start') : null;
  }
  if (phase === 'rebuilding') return event === 'rebuilt' ? at('idle') : null;
  if (event === 'rebuild') return at('rebuilding');
  if (phase === 'idle' || phase === 'training') {
    const training = phase === 'training';
    if (event === 'start') return training ? null : at('training');
    if (event === 'pause') return training ? at('idle') : null;
    if (event === 'save') return at('saving', training);
    if (event === 'repair') return at('repairing', training);
    return null;
  }
  // Saving or repairing: Start and Pause say what happens after it.
  if (event === 'start' || event === 'pause') return at(phase, event === 'start');
  if ((phase === 'saving' && event === 'saved') || (phase === 'repairing' && event === 'repaired'))
    return at(resume ? 'training' : 'idle');
  return null;
}

/** Whether training is on, or goes on after what interrupts it now. */
export function wantsTraining(mode: Mode): boolean {
  return mode.phase === 'training' || (INTERRUPTIONS.includes(mode.phase) && mode.resume);
}

/** Whether the page has a GPU device to work with. */
export function hasDevice(mode: Mode): boolean {
  return mode.phase !== 'deviceLost' && mode.phase !== 'failed' && mode.phase !== 'loading';
}
