import commonjs from '@rollup/plugin-commonjs';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import { standIns } from './rollup.standins.mjs';

/*
 * tracelet/cloudflare and tracelet/deno: one self-contained ES module each, so they load
 * unchanged in workerd and Deno. Everything is bundled but `node:*` builtins
 * (node:async_hooks), resolved for the browser platform: the OTel packages' node builds
 * read `process` and load modules with `require`, which neither runtime has.
 */
const entries = { cloudflare: 'src/cloudflare.ts', deno: 'src/deno.ts' };
const external = (id) => id.startsWith('node:');
// The npm entries' dependencies stay external in the types: users import @opentelemetry/api themselves.
const typesExternal = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('src/');

export default Object.entries(entries).flatMap(([name, input]) => [
  {
    input,
    output: {
      file: `dist/${name}.js`,
      format: 'es',
      sourcemap: true,
      plugins: [terser({ ecma: 2020, module: true, compress: { passes: 2 }, format: { comments: false } })],
    },
    external,
    // The SDK counts every span into a meter tracelet never gives it: no-op work per span.
    plugins: [standIns(['noSpanMetrics', 'noMeter']), resolve({ browser: true, preferBuiltins: false }), commonjs(), typescript({ tsconfig: './tsconfig.build.json' })],
  },
  {
    input,
    output: { file: `dist/${name}.d.ts`, format: 'es' },
    external: typesExternal,
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
  },
]);
