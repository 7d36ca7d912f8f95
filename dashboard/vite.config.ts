// Builds the dashboard into dashboard/dist: static files that deploy anywhere (relative URLs, so any path works).
// Beside the bundle it writes build-inputs.json, the source files the build read, so that `npm start` rebuilds
// exactly when one of them is newer than the build (src/local/dashboard-server.ts).
import path from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Lists the repository's files that went into the bundle (not node_modules: the lock file stands for those). */
function buildInputs(): Plugin {
  return {
    name: 'sync-run-log:build-inputs',
    apply: 'build',
    generateBundle() {
      const files = [...this.getModuleIds()]
        .map((id) => id.split('?')[0] as string)
        .filter(
          (id) => path.isAbsolute(id) && id.startsWith(ROOT) && !id.includes(`${path.sep}node_modules${path.sep}`),
        )
        .map((id) => path.relative(ROOT, id))
        .sort();
      const inputs = [...new Set([...files, 'dashboard/index.html', 'dashboard/vite.config.ts', 'package-lock.json'])];
      this.emitFile({ type: 'asset', fileName: 'build-inputs.json', source: `${JSON.stringify(inputs, null, 2)}\n` });
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  logLevel: 'warn',
  publicDir: false,
  plugins: [buildInputs()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
});
