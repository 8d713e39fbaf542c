// The benchmark's figure: one row per degradation and picture, holding the degraded picture (blown
// up to the clean side by repeating its pixels), each method's restoration in the table's order,
// and the truth. Rows of degradations with fewer methods are padded with mid-grey cells, which no
// restoration of a digit looks like.
import { encodePng } from '../../src/io/png.js';
import { upscaleNearest } from '../../src/restore/degradePictures.js';
import { sampleGrid } from '../../src/render/grid.js';

/** Pictures in [0, 1]: the degraded one at its own (square) side, the rest side × side. */
export interface FigureRow {
  degraded: ArrayLike<number>;
  restorations: ArrayLike<number>[];
  truth: ArrayLike<number>;
}

export function figurePng(rows: FigureRow[], side: number): Uint8Array {
  const columns = Math.max(...rows.map((r) => r.restorations.length + 2));
  const plane = side * side;
  const cells = new Float32Array(rows.length * columns * plane); // 0: mid-grey in [−1, 1]
  rows.forEach((row, r) => {
    const put = (picture: ArrayLike<number>, column: number) => {
      for (let p = 0; p < plane; p++) cells[(r * columns + column) * plane + p] = 2 * Number(picture[p]) - 1;
    };
    const small = Math.round(Math.sqrt(row.degraded.length));
    const degraded = upscaleNearest(row.degraded, { channels: 1, height: small, width: small }, side);
    for (const [column, picture] of [degraded, ...row.restorations].entries()) put(picture, column);
    put(row.truth, columns - 1); // the truth always in the last column
  });
  return encodePng(sampleGrid(cells, rows.length * columns, plane, { columns, padding: 2 }));
}
