// What the page is doing, as one explicit state machine. Each event is allowed in some phases
// only; a pure transition function says what it leads to (null: not now), so the page never holds
// two modes at once (saving while rebuilding, training on a lost device) and the rules are tested
// without a browser. No DOM here: the panels render from the mode they are given.

/** Where the page rests between interruptions: a new run not started, training, or paused. */
export type Settled = 'idle' | 'training' | 'paused';

/** Phases that stop training for a while and then go back to where they found it (`after`). */
export type Interruption =
  /** A checkpoint is read back (Save, or an autosave): no steps are submitted meanwhile. */
  | 'saving'
  /** A repair searches on a snapshot of the networks: training waits. */
  | 'repairing'
  /** The GPU device was lost; a new one is sought. */
  | 'deviceLost'
  /**
   * A new session is built (Reset, new settings, other pictures, a checkpoint loaded). It goes back
   * to training if the page was training (or Start was pressed meanwhile), else to a new run, idle.
   */
  | 'rebuilding';

export type Phase =
  /** The page finds WebGPU and loads MNIST. */
  | 'loading'
  | Settled
  | Interruption
  /** No device could be had again: the page stops and says how to go on. */
  | 'failed';

/** An interruption carries where it goes back to; Start and Pause meanwhile change that. */
export type Mode = { phase: Exclude<Phase, Interruption> } | { phase: Interruption; after: Settled };

export type PageEvent =
  | 'ready'
  | 'start'
  | 'pause'
  /** Step once: one frame of one step, from a run that is not training. */
  | 'step'
  | 'save'
  | 'saved'
  | 'repair'
  | 'repaired'
  | 'rebuild'
  | 'rebuilt'
  | 'lost'
  | 'recovered'
  | 'gaveUp';

export const LOADING: Mode = { phase: 'loading' };

const INTERRUPTIONS: readonly Phase[] = ['saving', 'repairing', 'deviceLost', 'rebuilding'];
const isInterruption = (mode: Mode): mode is { phase: Interruption; after: Settled } =>
  INTERRUPTIONS.includes(mode.phase);
const isSettled = (phase: Phase): phase is Settled => phase === 'idle' || phase === 'training' || phase === 'paused';

/** The event that ends each interruption (a lost device ends by `recovered`, or `gaveUp` to failed). */
const ENDS: Record<Interruption, PageEvent> = {
  saving: 'saved',
  repairing: 'repaired',
  deviceLost: 'recovered',
  rebuilding: 'rebuilt',
};

/** The mode `event` leads to from `mode`, or null when the event is not allowed there. */
export function transition(mode: Mode, event: PageEvent): Mode | null {
  const { phase } = mode;
  if (phase === 'failed') return null;
  if (phase === 'loading') return event === 'ready' ? { phase: 'idle' } : null;
  if (event === 'lost') return phase === 'deviceLost' ? null : { phase: 'deviceLost', after: settledOf(mode) };
  // Not while saving either: the save reads the session back, so run.ts's rebuild waits for it to end.
  if (event === 'rebuild')
    return ['rebuilding', 'deviceLost', 'saving'].includes(phase)
      ? null
      : { phase: 'rebuilding', after: restartTo(mode) };
  if (isInterruption(mode)) return interrupted(mode, event);
  if (!isSettled(phase)) return null;
  if (event === 'start') return phase === 'training' ? null : { phase: 'training' };
  if (event === 'pause') return phase === 'training' ? { phase: 'paused' } : null;
  if (event === 'step') return phase === 'training' ? null : { phase: 'paused' };
  if (event === 'save') return { phase: 'saving', after: phase };
  if (event === 'repair') return { phase: 'repairing', after: phase };
  return null;
}

/** Within an interruption, Start and Pause say where it goes back to; its own end goes there. */
function interrupted(mode: { phase: Interruption; after: Settled }, event: PageEvent): Mode | null {
  const { phase, after } = mode;
  // A rebuilt run is a new one: it trains if asked to, and is otherwise not started (idle).
  if (event === ENDS[phase]) return { phase: phase === 'rebuilding' && after === 'paused' ? 'idle' : after };
  if (event === 'start') return { phase, after: 'training' };
  if (event === 'pause') return { phase, after: after === 'training' ? 'paused' : after };
  if (phase === 'deviceLost') return event === 'gaveUp' ? { phase: 'failed' } : null;
  return null;
}

/** Where a restart goes: on training if the page was training (or was to go on after an interruption). */
function restartTo(mode: Mode): Settled {
  return wantsTraining(mode) ? 'training' : 'idle';
}

/** Where the page goes back to after what happens now. */
function settledOf(mode: Mode): Settled {
  if (isInterruption(mode)) return mode.after;
  return isSettled(mode.phase) ? mode.phase : 'idle';
}

/** Whether training is on, or goes on after what interrupts it now. */
export function wantsTraining(mode: Mode): boolean {
  return mode.phase === 'training' || (isInterruption(mode) && mode.after === 'training');
}

/** Whether `event` may happen now: a control that sends it is enabled only then, never ignored when clicked. */
export const allows = (mode: Mode, event: PageEvent): boolean => transition(mode, event) !== null;

/** Whether the page has a GPU device to work with. */
export function hasDevice(mode: Mode): boolean {
  return mode.phase !== 'deviceLost' && mode.phase !== 'failed' && mode.phase !== 'loading';
}
