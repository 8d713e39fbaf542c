// Types of scripts/wgsl.mjs for the TypeScript files that load it (configs, tests).
import type { Plugin as EsbuildPlugin } from 'esbuild';
import type { Plugin as VitePlugin } from 'vite';
import type { WgslShader } from '../src/gpu/layout.js';

export function stripComments(text: string): string;
export function buildShader(path: string): { shader: WgslShader; files: string[] };
export function shaderModuleSource(path: string): { code: string; files: string[] };
export function wgslVitePlugin(): VitePlugin;
export const wgslEsbuildPlugin: EsbuildPlugin;
