// The demo's state machine (demo/machine.ts) without a browser: every phase's allowed events and
// where they lead, what is refused, and that an interruption (saving, repairing, a lost device)
// goes back to training only when training was on, or asked for meanwhile.
import { describe, expect, it } from 'vitest';
import {
  hasDevice,
  LOADING,
  type Mode,
  type PageEvent,
  type Phase,
  transition,
  wantsTraining,
} from '../demo/machine.js';

const EVENTS: PageEvent[] = [
  'ready',
  'start',
  'pause',
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
const at = (phase: Phase, resume = false): Mode => ({ phase, resume });
const show = (mode: Mode | null) => (mode ? `${mode.phase}${mode.resume ? '+resume' : ''}` : 'refused');

/** Every event from `mode`, as 'event → next'. */
function table(mode: Mode): Record<string, string> {
  return Object.fromEntries(EVENTS.map((event) => [event, show(transition(mode, event))]));
}

describe('the demo page as a state machine', () => {
  it('loading: only ready, to idle', () => {
    expect(table(LOADING)).toEqual({ ...refusedAll(), ready: 'idle' });
  });

  it('idle and training: start and pause between them; save, repair, rebuild and lost interrupt', () => {
    expect(table(at('idle'))).toEqual({
      ...refusedAll(),
      start: 'training',
      save: 'saving',
      repair: 'repairing',
      rebuild: 'rebuilding',
      lost: 'deviceLost',
    });
    expect(table(at('training'))).toEqual({
      ...refusedAll(),
      pause: 'idle',
      save: 'saving+resume',
      repair: 'repairing+resume',
      rebuild: 'rebuilding',
      lost: 'deviceLost+resume',
    });
  });

  it('saving and repairing end where training was, and Start or Pause meanwhile says where', () => {
    for (const [phase, done] of [
      ['saving', 'saved'],
      ['repairing', 'repaired'],
    ] as const) {
      for (const resume of [false, true]) {
        expect(table(at(phase, resume))).toEqual({
          ...refusedAll(),
          [done]: resume ? 'training' : 'idle',
          start: `${phase}+resume`,
          pause: phase,
          rebuild: 'rebuilding',
          lost: resume ? 'deviceLost+resume' : 'deviceLost',
        });
      }
    }
  });

  it('rebuilding: only rebuilt (to idle) or a lost device', () => {
    expect(table(at('rebuilding'))).toEqual({ ...refusedAll(), rebuilt: 'idle', lost: 'deviceLost' });
  });

  it('a lost device: recovered goes back to training if it was on; gaveUp fails for good', () => {
    expect(table(at('deviceLost', true))).toEqual({
      ...refusedAll(),
      recovered: 'training',
      gaveUp: 'failed',
      start: 'deviceLost+resume',
      pause: 'deviceLost',
    });
    expect(transition(at('deviceLost'), 'recovered')).toEqual(at('idle'));
    expect(table(at('failed'))).toEqual(refusedAll());
  });

  it('what the controls read from a mode', () => {
    expect(wantsTraining(at('training'))).toBe(true);
    expect(wantsTraining(at('saving', true))).toBe(true);
    expect(wantsTraining(at('saving', false))).toBe(false);
    expect(wantsTraining(at('rebuilding', true))).toBe(false);
    expect(wantsTraining(at('idle'))).toBe(false);
    for (const phase of ['loading', 'deviceLost', 'failed'] as const) expect(hasDevice(at(phase))).toBe(false);
    for (const phase of ['idle', 'training', 'saving', 'repairing', 'rebuilding'] as const)
      expect(hasDevice(at(phase))).toBe(true);
  });
});

function refusedAll(): Record<string, string> {
  return Object.fromEntries(EVENTS.map((event) => [event, 'refused']));
}
