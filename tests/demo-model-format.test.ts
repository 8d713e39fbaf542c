// The demo's model table and settings messages as pure functions, in Node: how a shape, a count and
// a network's rows are written (from the library's modelSummary), and a refusal in the form's words.
import { describe, expect, it } from 'vitest';
import { countText, networkRows, shapeText } from '../demo/modelFormat.js';
import { pageMessage } from '../demo/settings.js';
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
    // Settings and losses named within the sentence too, as the form and its dropdown name them.
    const hinge = 'is 0.9, but the hinge loss has no targets to smooth: choose the bce or least-squares loss';
    expect(pageMessage(new ArgumentError('realLabel', hinge))).toBe(
      'Real label: is 0.9, but the hinge loss has no targets to smooth: choose the non-saturating BCE or ' +
        'least squares loss',
    );
    expect(pageMessage(new ArgumentError('labeled', 'is 20, but set labelClasses'))).toBe(
      'Labelled images: is 20, but set Labelled images',
    );
  });
});

describe('a conditional DCGAN’s tables', () => {
  it('show the one-hot beside the noise in G’s input and the class projection as D’s last row', () => {
    const { generator, discriminator } = modelSummary(resolveGanConfig({ architecture: 'dcgan', classes: 10 }));
    const g = networkRows(generator);
    expect(g.input).toBe('110×1×1');
    expect(g.rows[0]!.module).toBe('ConvTranspose2d(110, 256, 7, stride=1, padding=0, bias=False)');
    const d = networkRows(discriminator);
    expect(d.rows.at(-1)).toEqual({
      index: 'projection',
      module: 'Embedding(10, 6272)',
      shape: '1',
      parameters: '62,720',
    });
    const sequential = discriminator.layers.reduce((sum, layer) => sum + layer.parameters, 0);
    expect(discriminator.parameters).toBe(sequential + 62720);
  });
});
