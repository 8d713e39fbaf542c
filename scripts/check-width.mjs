// @ts-check
// Fails when a line of the tree's code is wider than the formatter's width (biome.json): Biome
// wraps code but not strings, comments or regular expressions, so those are held here.
//   node scripts/check-width.mjs
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const WIDTH = JSON.parse(readFileSync(new URL('../biome.json', import.meta.url), 'utf8')).formatter.lineWidth;
const CHECKED = /\.(ts|mjs|js|wgsl|css|html)$/;

const files = execFileSync('git', ['ls-files'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => CHECKED.test(f));
const wide = [];
for (const file of files) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      // Characters, not bytes: × and ᵀ count once, as the formatter counts them.
      const length = [...line].length;
      if (length > WIDTH) wide.push(`${file}:${i + 1}: ${length} characters`);
    });
}
if (wide.length > 0) {
  console.error(`check-width: ${wide.length} line(s) wider than ${WIDTH} characters (biome.json's lineWidth):`);
  for (const line of wide) console.error(`  ${line}`);
  process.exit(1);
}
console.log(`check-width: ${files.length} files, no line wider than ${WIDTH} characters`);
