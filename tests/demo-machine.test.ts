// The demo's state machine (demo/machine.ts) without a browser: every phase's allowed events and
// where they lead, what is refused, and that an interruption (saving, repairing, a lost device)
// goes back to where it found the page: training, paused or idle, or training when asked meanwhile.
import { describe, expect, it } from 'vitest';
import {
  hasDevice,
  type Interruption,
  LOADING,
  type Mode,
  type PageEvent,
  type Settled,
  transition,
  wantsTraining,
  allows,
} from '../demo/machine.js';

const EVENTS: PageEvent[] = [
  'ready',
  'start',
  'pause',
  'step',
  'save',
  'saved',
  'repair',
  'repaired',
  'rebuild',
  'rebuilt',
  'lost',
  'recovered',
  'gaveUp',
];
const SETTLED: Settled[] = ['idle', 'training', 'paused'];
const at = (phase: Exclude<Mode['phase'], Interruption>): Mode => ({ phase });
const during = (phase: Interruption, after: Settled): Mode => ({ phase, after });
/** A mode as text: `saving→paused` is saving, then back to paused. */
const show = (mode: Mode | null) => (mode ? ('after' in mode ? `${mode.phase}→${mode.after}` : mode.phase) : 'refused');

/** Every event from `mode`, as event → next; events left out of `allowed` must be refused. */
function expectTable(mode: Mode, allowed: Partial<Record<PageEvent, string>>): void {
  const table = Object.fromEntries(EVENTS.map((event) => [event, show(transition(mode, event))]));
  expect(table).toEqual({ ...Object.fromEntries(EVENTS.map((e) => [e, 'refused'])), ...allowed });
}

describe('the demo page as a state machine', () => {
  it('loading: only ready, to idle', () => {
    expectTable(LOADING, { ready: 'idle' });
  });

  it('idle (a run not started) and paused: start, step once, and interruptions that come back to them', () => {
    for (const phase of ['idle', 'paused'] as const)
      expectTable(at(phase), {
        start: 'training',
        step: 'paused',
        save: `saving→${phase}`,
        repair: `repairing→${phase}`,
        rebuild: 'rebuilding→idle',
        lost: `deviceLost→${phase}`,
      });
  });

  it('training: pause, and interruptions that go on training after', () => {
    expectTable(at('training'), {
      pause: 'paused',
      save: 'saving→training',
      repair: 'repairing→training',
      rebuild: 'rebuilding→training',
      lost: 'deviceLost→training',
    });
  });

  it('saving and repairing end where they began, and Start or Pause meanwhile says where', () => {
    for (const [phase, done] of [
      ['saving', 'saved'],
      ['repairing', 'repaired'],
    ] as const)
      for (const after of SETTLED)
        expectTable(during(phase, after), {
          [done]: after,
          start: `${phase}→training`,
          pause: `${phase}→${after === 'training' ? 'paused' : after}`,
          // A save reads the session back: a restart waits for it to end.
          ...(phase === 'repairing' && { rebuild: `rebuilding→${after === 'training' ? 'training' : 'idle'}` }),
          lost: `deviceLost→${after}`,
        });
  });

  it('rebuilding: a new run that goes on training if the page was, and Start or Pause meanwhile says whether', () => {
    for (const after of SETTLED)
      expectTable(during('rebuilding', after), {
        // A rebuilt run is new: "paused" there means not started.
        rebuilt: after === 'paused' ? 'idle' : after,
        start: 'rebuilding→training',
        pause: `rebuilding→${after === 'training' ? 'paused' : after}`,
        lost: `deviceLost→${after}`,
      });
  });

  it('a restart keeps training: Apply while training trains the new run, Pause meanwhile leaves it idle', () => {
    let mode: Mode | null = at('training');
    const seen: string[] = [];
    for (const event of ['rebuild', 'rebuilt', 'rebuild', 'pause', 'rebuilt'] as PageEvent[]) {
      mode = transition(mode!, event);
      seen.push(show(mode));
    }
    expect(seen).toEqual(['rebuilding→training', 'training', 'rebuilding→training', 'rebuilding→paused', 'idle']);
  });

  it('a lost device: recovered goes back to where the page was; gaveUp fails for good', () => {
    for (const after of SETTLED)
      expectTable(during('deviceLost', after), {
        recovered: after,
        gaveUp: 'failed',
        start: 'deviceLost→training',
        pause: `deviceLost→${after === 'training' ? 'paused' : after}`,
      });
    expectTable(at('failed'), {});
  });

  it('a run paused during a save goes back to paused, and Start during a repair trains after it', () => {
    const events: PageEvent[] = ['ready', 'start', 'save', 'pause', 'saved', 'repair', 'start', 'repaired'];
    let mode: Mode | null = LOADING;
    const seen = [show(mode)];
    for (const event of events) {
      mode = transition(mode!, event);
      seen.push(show(mode));
    }
    expect(seen).toEqual([
      'loading',
      'idle',
      'training',
      'saving→training',
      'saving→paused',
      'paused',
      'repairing→paused',
      'repairing→training',
      'training',
    ]);
  });

  it('what the controls read from a mode', () => {
    expect(wantsTraining(at('training'))).toBe(true);
    for (const phase of ['saving', 'repairing', 'deviceLost'] as const) {
      expect(wantsTraining(during(phase, 'training'))).toBe(true);
      expect(wantsTraining(during(phase, 'paused'))).toBe(false);
    }
    for (const phase of ['loading', 'idle', 'paused', 'failed'] as const) expect(wantsTraining(at(phase))).toBe(false);
    expect(wantsTraining(during('rebuilding', 'training'))).toBe(true);
    expect(wantsTraining(during('rebuilding', 'idle'))).toBe(false);
    expect(hasDevice(LOADING)).toBe(false);
    expect(hasDevice(at('failed'))).toBe(false);
    expect(hasDevice(during('deviceLost', 'training'))).toBe(false);
    for (const phase of ['idle', 'training', 'paused'] as const) expect(hasDevice(at(phase))).toBe(true);
    for (const phase of ['saving', 'repairing', 'rebuilding'] as const)
      expect(hasDevice(during(phase, 'idle'))).toBe(true);
    // Repair's button: enabled in a settled phase, not while an autosave or a rebuild holds the session.
    for (const phase of ['idle', 'training', 'paused'] as const) expect(allows(at(phase), 'repair')).toBe(true);
    for (const phase of ['saving', 'repairing', 'rebuilding', 'deviceLost'] as const)
      expect(allows(during(phase, 'training'), 'repair')).toBe(false);
    expect(allows(LOADING, 'repair')).toBe(false);
  });
});
