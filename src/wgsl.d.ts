// WGSL sources are imported as text (Vite/Vitest `?raw`; the CLI bundle uses a text loader).
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}

// wgsl_reflect's Node entry is CommonJS inside an ESM package and fails to load; its ES module
// build works everywhere, so we import that file directly and give it the package's types.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
