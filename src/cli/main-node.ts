// Runs the CLI as a program (for a bundle run directly with node, as on the H100 machine);
// bin/webgpu-gan.js imports main() instead.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
