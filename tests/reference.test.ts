// The references themselves, checked against published values and identities before they are
// trusted to judge the kernels.
import { describe, expect, it } from 'vitest';
import { bceReference, matmulReference, philox4x32, softplus } from '../reference/cpu.js';

describe('CPU references', () => {
  it('Philox4x32-10 matches the Random123 known-answer vectors', () => {
    expect(philox4x32([0, 0, 0, 0], [0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])).toEqual([
      0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd,
    ]);
    expect(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])).toEqual([
      0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1,
    ]);
  });

  it('softplus is log(1 + e^x) without overflow', () => {
    expect(softplus(0)).toBeCloseTo(Math.log(2), 15);
    expect(softplus(1e4)).toBe(1e4);
    expect(softplus(-1e4)).toBe(0);
    expect(softplus(-30)).toBeCloseTo(Math.exp(-30), 25);
  });

  it('BCE with logits equals −t·log p − (1−t)·log(1−p) where that is finite', () => {
    const logits = [-3, -0.5, 0, 0.7, 2.5];
    const ref = bceReference(logits, 2, 0.9, 0.1);
    let direct = 0;
    logits.forEach((x, i) => {
      const p = 1 / (1 + Math.exp(-x));
      const t = i < 2 ? 0.9 : 0.1;
      direct -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
    });
    expect(ref.loss).toBeCloseTo(direct / logits.length, 12);
  });

  it('matmul with transposes agrees with the plain product of explicitly transposed inputs', () => {
    const a = [1, 2, 3, 4, 5, 6]; // 2×3
    const b = [7, 8, 9, 10, 11, 12]; // 3×2
    expect([...matmulReference({ m: 2, n: 2, k: 3, a, b }).c]).toEqual([58, 64, 139, 154]);
    const aT = [1, 4, 2, 5, 3, 6]; // the same A stored 3×2
    const bT = [7, 9, 11, 8, 10, 12]; // the same B stored 2×3
    expect([...matmulReference({ m: 2, n: 2, k: 3, a: aT, b: bT, transposeA: true, transposeB: true }).c]).toEqual([
      58, 64, 139, 154,
    ]);
  });
});
