// The demo's model table and settings messages as pure functions, in Node: how a shape, a count and
// a network's rows are written (from the library's modelSummary), and a refusal in the form's words.
import { describe, expect, it } from 'vitest';
import { countText, networkRows, shapeText } from '../demo/modelFormat.js';
import { modelConflict, pageMessage } from '../demo/settings.js';
import { ArgumentError } from '../src/base/errors.js';
import { resolveGanConfig } from '../src/gan/config.js';
import { modelSummary } from '../src/gan/modelSummary.js';

describe('the model table’s formatting', () => {
  it('writes shapes with × and counts with thousands separators', () => {
    expect(shapeText([256, 7, 7])).toBe('256×7×7');
    expect(shapeText([784])).toBe('784');
    expect(countText(1254400)).toBe('1,254,400');
    expect(countText(0)).toBe('0');
    expect(countText(512)).toBe('512');
  });

  it('writes each layer of the 28×28 DCGAN as a row, and each network’s total', () => {
    const { generator, discriminator } = modelSummary(resolveGanConfig({ architecture: 'dcgan' }));
    const g = networkRows(generator);
    expect(g.input).toBe('100×1×1');
    expect(g.rows[0]).toEqual({
      index: '0',
      module: 'ConvTranspose2d(100, 256, 7, stride=1, padding=0, bias=False)',
      shape: '256×7×7',
      parameters: '1,254,400',
    });
    expect(g.rows.at(-1)).toEqual({ index: '7', module: 'Tanh()', shape: '1×28×28', parameters: '0' });
    expect(g.total).toBe(countText(generator.parameters));
    const d = networkRows(discriminator);
    expect(d.input).toBe('1×28×28');
    expect(d.rows.map((r) => r.module)).not.toContain('BatchNorm2d(128)');
  });
});

describe('the settings form’s refusals', () => {
  it('names a refused setting as the form labels it', () => {
    expect(pageMessage(new ArgumentError('realLabel', 'is 0.9, but hinge'))).toBe('Real label: is 0.9, but hinge');
    expect(pageMessage(new ArgumentError('classes', 'not with dcgan'))).toBe('Conditional: not with dcgan');
    expect(pageMessage(new ArgumentError('architecture', 'must be mlp or dcgan'))).toBe('Model: must be mlp or dcgan');
    expect(pageMessage(new ArgumentError('oneHotValue', 'odd'))).toBe('oneHotValue: odd');
    expect(pageMessage(new Error('plain'))).toBe('plain');
  });

  it('refuses a conditional DCGAN in the form’s words, and nothing else', () => {
    expect(modelConflict('dcgan', 10)).toMatch(
      /^Conditional is not available with the Model “convolutional \(DCGAN\)”/,
    );
    expect(modelConflict('dcgan', 10)).toContain('“fully connected (the design)”');
    expect(modelConflict('dcgan', 0)).toBeNull();
    expect(modelConflict('mlp', 10)).toBeNull();
  });
});
