// Each command's --help: every flag's help is set apart from the flag by two spaces at least, even
// a flag whose name and values outgrow the column (train's --loss bce|hinge|least-squares did).
import { describe, expect, it } from 'vitest';
import { flagHelp, helpText } from '../src/cli/args.js';
import { EVAL_FLAGS } from '../src/cli/eval.js';
import { REPAIR_FLAGS } from '../src/cli/repair.js';
import { RESTORE_FLAGS } from '../src/cli/restore.js';
import { SAMPLE_FLAGS } from '../src/cli/sample.js';
import { TRAIN_FLAGS } from '../src/cli/train.js';

describe('--help', () => {
  it.each([
    ['train', TRAIN_FLAGS],
    ['sample', SAMPLE_FLAGS],
    ['eval', EVAL_FLAGS],
    ['repair', REPAIR_FLAGS],
    ['restore', RESTORE_FLAGS],
  ])('%s: a flag, two spaces or more, then its help', (command, flags) => {
    const lines = helpText(command, 'summary', flags)
      .split('\n')
      .filter((line) => line.startsWith('  --'));
    expect(lines).toHaveLength(Object.keys(flags).length);
    for (const [line, [name, spec]] of lines.map((l, i) => [l, Object.entries(flags)[i]!] as const)) {
      expect(line, name).toMatch(new RegExp(`^  --${name}\\S*( \\S+)? {2,}`));
      expect(line.endsWith(flagHelp(spec)), name).toBe(true);
    }
  });
});
