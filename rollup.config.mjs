import commonjs from '@rollup/plugin-commonjs';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import pkg from './package.json' with { type: 'json' };
import edge from './rollup.edge.mjs';
import { fromLoader } from './rollup.lent.mjs';
import { standIns } from './rollup.standins.mjs';

const ts = () => typescript({ tsconfig: './tsconfig.build.json' });
const compress = { passes: 3, pure_getters: true, unsafe_arrows: true, unsafe_methods: true };
/*
 * V8's explicit compile hint (v8.dev/blog/explicit-compile-hints, Chromium 136+): with this
 * magic comment first in a script-tag file, every function is compiled on the streaming
 * thread while the file downloads, not lazily on the main thread at its first call. The
 * script tags run nearly all their functions at once anyway; the hint took the loader's
 * script time before the load event from about 13 to 7 ms, and the eager bundle's from about
 * 40 to 17 ms (npm run bench, part 4). Other engines read it as a comment.
 */
const COMPILE_HINT = '//# allFunctionsCalledOnLoad';
const KEEP_HINT = /^# allFunctionsCalledOnLoad$/;
const minifyScript = () => terser({ ecma: 2020, module: false, compress, format: { comments: KEEP_HINT } });
/*
 * The zoneless script tag is one closed bundle, so the `_private` fields of the OTel classes
 * inside it can take short names (about 800 B gzip). Not the Zone build: an app's own zone.js
 * may be the one ZoneContextManager talks to, and it keeps its names.
 */
const minifyClosed = () =>
  terser({ ecma: 2020, module: false, compress, mangle: { properties: { regex: /^_[a-zA-Z]/ } }, format: { comments: KEEP_HINT } });
// The npm entries leave dependencies to the app's bundler, so @opentelemetry/api is shared.
const external = (id) => Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }).some((d) => id === d || id.startsWith(d + '/')) || id.startsWith('node:');
const browser = () => [standIns(), resolve({ browser: true }), commonjs(), ts()];

export default [
  // <script> tag, stage one: the loader (about a kilobyte). It sets the global `Tracelet` itself.
  {
    input: 'src/script.ts',
    output: { file: 'dist/tracelet.min.js', format: 'iife', sourcemap: true, banner: COMPILE_HINT, plugins: [minifyScript()] },
    plugins: browser(),
  },
  // Stage two: the agent, added by the loader when the page is idle.
  {
    input: 'src/script.agent.ts',
    output: { file: 'dist/tracelet.agent.min.js', format: 'iife', sourcemap: true, banner: COMPILE_HINT, plugins: [minifyClosed()] },
    plugins: [fromLoader(), ...browser()],
  },
  // Loader and agent in one eager file, for a single request.
  {
    input: 'src/script.bundle.ts',
    output: { file: 'dist/tracelet.bundle.min.js', format: 'iife', name: 'Tracelet', sourcemap: true, banner: COMPILE_HINT, plugins: [minifyClosed()] },
    plugins: browser(),
  },
  // The opt-in Zone build for a script tag.
  {
    input: 'src/script.zone.ts',
    output: { file: 'dist/tracelet.zone.min.js', format: 'iife', name: 'Tracelet', sourcemap: true, banner: COMPILE_HINT, plugins: [minifyScript()] },
    plugins: browser(),
  },
  // `import { init } from 'tracelet'` (and 'tracelet/zone'): ESM for bundlers, tree-shakable.
  // One file per source module (dist/esm/), so the app's bundler sees what only the agent
  // uses and splits it into the chunk of `init`'s dynamic import: a shared chunk of ours
  // would put the agent's modules in the app's first chunk.
  {
    input: { index: 'src/index.ts', zone: 'src/zone.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, preserveModules: true, preserveModulesRoot: 'src', entryFileNames: (c) => (c.isEntry ? '[name].js' : 'esm/[name].js') },
    external,
    plugins: browser(),
  },
  {
    input: { index: 'src/index.ts', zone: 'src/zone.ts' },
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts' },
    external,
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
  },
  ...edge,
];
