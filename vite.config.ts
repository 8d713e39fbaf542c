// Vite settings shared by the demo (issue 4) and the test page. wgsl_reflect is imported through
// its ES module file directly (see src/wgsl.d.ts), so no alias is needed here.
import { defineConfig } from 'vite';

export default defineConfig({
  server: { port: Number(process.env.PORT ?? 5173) },
});
