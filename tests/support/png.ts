// Pictures the CLI tests hand to restore and read back: a 28×28 white bar on black, the shape of
// a "1", as a PNG a user would have; and a PNG file read into its pixels.
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';

export function barPng(): Buffer {
  const png = new PNG({ width: 28, height: 28 });
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      const on = Math.abs(x - 14) < 3 && y > 4 && y < 24 ? 255 : 0;
      png.data.set([on, on, on, 255], (y * 28 + x) * 4);
    }
  return PNG.sync.write(png);
}

export const readPng = (file: string) => PNG.sync.read(readFileSync(file));
