// `npm run bench:report -- DIR`: prints the markdown tables of one device run's folder (see
// bench/report.ts); a missing or unreadable file is said in one line, not a stack trace.
import { readDeviceRun, renderReport, ReportError } from './report.js';

const args = process.argv.slice(2);
if (args.length !== 1 || args[0] === '--help') {
  console.error(
    'usage: npm run bench:report -- DIR\nPrints the tables of BENCHMARKS.md from the files a device run of ' +
      'bench/h100.sh left in DIR.',
  );
  process.exit(args[0] === '--help' ? 0 : 2);
}
try {
  process.stdout.write(renderReport(readDeviceRun(args[0]!)));
} catch (e) {
  if (!(e instanceof ReportError)) throw e;
  console.error(`bench:report: ${e.message}`);
  process.exit(1);
}
