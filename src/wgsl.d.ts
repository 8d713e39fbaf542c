// A .wgsl import gives the shader with its reflected layouts (scripts/wgsl.mjs makes the module
// in every build: the library's dist/, Vite, Vitest, the Node bundles).
declare module '*.wgsl' {
  const shader: import('./gpu/layout.js').WgslShader;
  export default shader;
}
