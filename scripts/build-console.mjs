// Builds the operator console (console-ui/) into dist/console-ui/: index.html, assets/app.js, assets/app.css.
// The server serves that folder at /console; its CSP allows only these files (no inline script or style, no CDN).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = join(root, 'console-ui');
const out = join(root, 'dist', 'console-ui');
const assets = join(out, 'assets');

await rm(out, { recursive: true, force: true });
await mkdir(assets, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: [
    { in: 'console-ui/src/main.tsx', out: 'app' },
    { in: 'console-ui/styles.css', out: 'app' },
  ],
  outdir: assets,
  bundle: true,
  minify: true,
  // ES modules, split: the mapping editor (CodeMirror, most of the code) is a chunk loaded when its page opens.
  format: 'esm',
  splitting: true,
  chunkNames: 'chunk-[hash]',
  platform: 'browser',
  target: 'es2020',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: 'console-ui/tsconfig.json',
  define: { 'process.env.NODE_ENV': '"production"' },
  // No source maps: they would carry this machine's absolute paths.
  sourcemap: false,
  legalComments: 'eof',
  charset: 'utf8',
  logLevel: 'warning',
  write: false,
});

// The page names its assets with a digest of their content, so a browser never runs a new page with an old script.
let html = await readFile(join(source, 'index.html'), 'utf8');
const sizes = [];
for (const file of result.outputFiles) {
  const name = file.path.slice(assets.length + 1);
  await writeFile(file.path, file.contents);
  const digest = createHash('sha256').update(file.contents).digest('hex').slice(0, 12);
  html = html.replace(`"assets/${name}"`, `"assets/${name}?v=${digest}"`);
  sizes.push(`${name} ${kib(file.contents.length)} (gzip ${kib(gzipSync(file.contents, { level: 9 }).length)})`);
}
await writeFile(join(out, 'index.html'), html);
console.log(`console-ui: dist/console-ui/assets/ ${sizes.join(', ')}`);

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
