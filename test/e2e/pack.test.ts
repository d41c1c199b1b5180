import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The package as published: `npm pack`, installed into a fresh project outside the repo
 * (no access to its node_modules: only the tarball and the registry, through npm's cache),
 * then every entry imported by Node's ESM resolver and type-checked by `tsc --strict` under
 * moduleResolution bundler and node16. dist/ comes from the build `npm test` runs before
 * vitest; the tarball is packed with --ignore-scripts so this test does not rebuild it (the
 * `prepack` script does that for a real `npm pack`/`npm publish`).
 */

const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const ENTRIES = ['tracelet', 'tracelet/zone', 'tracelet/cloudflare', 'tracelet/deno'];
const run = promisify(execFile);

let app: string;
let packed: { filename: string; files: { path: string }[] };

/** npm in `cwd`, with the registry's packages taken from the local cache when it has them. */
const npm = (cwd: string, args: string[]) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd, env: { ...process.env, npm_config_update_notifier: 'false' }, maxBuffer: 16 << 20 });

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  app = mkdtempSync(join(tmpdir(), 'tracelet-pack-'));
  // Nothing above the project may hold a node_modules the resolver would fall back to.
  for (let dir = app; ; dir = dirname(dir)) {
    expect(existsSync(join(dir, 'node_modules')), `${dir}/node_modules`).toBe(false);
    if (dirname(dir) === dir) break;
  }
  const { stdout } = await npm(ROOT, ['pack', '--ignore-scripts', '--json', '--pack-destination', app]);
  packed = JSON.parse(stdout)[0];
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'tracelet-pack-check', private: true, type: 'module' }));
  // The app's own copy of the API, as the peer dependency asks, and the compiler.
  const typescript = pkg.devDependencies.typescript;
  await npm(app, ['install', join(app, packed.filename), `@opentelemetry/api@${pkg.devDependencies['@opentelemetry/api']}`, `typescript@${typescript}`]);
}, 180_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('declares what a published package needs', () => {
    expect(pkg.repository?.url).toMatch(/^git\+https:\/\//);
    expect(pkg.keywords).toContain('opentelemetry');
    expect(pkg.engines?.node).toBeDefined();
    expect(pkg.scripts.prepack).toBe('npm run build');
    // One @opentelemetry/api for the app and tracelet: a peer, in the range of the SDK packages it builds on.
    expect(pkg.dependencies['@opentelemetry/api']).toBeUndefined();
    expect(pkg.peerDependencies['@opentelemetry/api']).toBe('>=1.3.0 <1.10.0');
  });

  it('ships every entry, its types and the script-tag files, and nothing from the repo around them', () => {
    const files = packed.files.map((f) => f.path);
    for (const entry of Object.values(pkg.exports) as ({ import: string; types: string } | string)[]) {
      for (const file of typeof entry === 'string' ? [entry] : [entry.import, entry.types]) expect(files, file).toContain(file.replace(/^\.\//, ''));
    }
    // Every script-tag build the repo's build made (the loader, the full agent, the Zone build…), with its map.
    const scriptTags = readdirSync(join(ROOT, 'dist')).filter((f) => /^tracelet[\w.-]*\.min\.js$/.test(f));
    expect(scriptTags).toContain('tracelet.min.js');
    for (const f of scriptTags) {
      expect(files).toContain(`dist/${f}`);
      expect(files).toContain(`dist/${f}.map`);
    }
    expect(files).toContain('README.md');
    expect(files.filter((f) => /^(test|demo|bench|examples|node_modules)\//.test(f))).toEqual([]);
  });

  it('installs into a clean project with one @opentelemetry/api', async () => {
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/tracelet/package.json'), 'utf8'));
    expect(installed.version).toBe(pkg.version);
    const { stdout } = await npm(app, ['ls', '@opentelemetry/api', '--all', '--json']);
    const versions = new Set<string>();
    const walk = (deps: Record<string, { version: string; dependencies?: object }> = {}) => {
      for (const [name, d] of Object.entries(deps)) {
        if (name === '@opentelemetry/api') versions.add(d.version);
        walk(d.dependencies as never);
      }
    };
    walk(JSON.parse(stdout).dependencies);
    expect([...versions]).toEqual([pkg.devDependencies['@opentelemetry/api']]);
    expect(readdirSync(join(app, 'node_modules/@opentelemetry')).filter((d) => existsSync(join(app, 'node_modules/@opentelemetry', d, 'node_modules/@opentelemetry/api')))).toEqual([]);
  });

  it.each(ENTRIES)('imports %s under Node ESM resolution without touching browser globals', async (entry) => {
    // Node has no window or document: an entry that read them at import would throw here.
    const script = `const m = await import(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(m).sort()));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app });
    const names: string[] = JSON.parse(stdout.trim().split('\n').pop()!);
    const expected: Record<string, string[]> = {
      tracelet: ['ConfigError', 'getAgent', 'init'],
      'tracelet/zone': ['getAgent', 'init'],
      'tracelet/cloudflare': ['ConfigError', 'instrument'],
      'tracelet/deno': ['ConfigError', 'flush', 'instrument', 'serve'],
    };
    expect(names).toEqual(expect.arrayContaining(expected[entry]));
  });

  it.each(['bundler', 'node16'])('type-checks each entry with tsc --strict, moduleResolution %s', async (resolution) => {
    const dir = join(app, resolution);
    rmSync(dir, { recursive: true, force: true });
    const source = `
import { trace, type Tracer } from '@opentelemetry/api';
import { init, getAgent, onReady, ConfigError, type Agent, type Options, type Tracelet } from 'tracelet';
import { init as initZone } from 'tracelet/zone';
import { instrument as instrumentWorker, type ExportedHandler } from 'tracelet/cloudflare';
import { instrument as instrumentDeno, flush, type ServeHandler } from 'tracelet/deno';

const options: Options = { serviceName: 'shop-web', endpoint: 'https://collector.example.com/v1/traces', propagateTo: ['https://api.example.com'], sampleRate: 0.5 };
export function start(zone: boolean): Tracelet {
  const tracelet = zone ? initZone(options) : init(options);
  tracelet.onReady((agent: Agent) => {
    const tracer: Tracer = agent.tracer;
    tracer.startActiveSpan('checkout', (span) => span.end());
    trace.getTracer('app').startSpan('mine').end();
    const stats: number = agent.stats().exported;
    void stats;
  });
  onReady((agent) => void (getAgent() === agent));
  return tracelet;
}
export const isConfigError = (e: unknown): boolean => e instanceof ConfigError;

interface Env { OTLP_ENDPOINT: string }
const worker: ExportedHandler<Env> = { fetch: async (request) => new Response(request.url) };
export default instrumentWorker(worker, (env: Env) => ({ serviceName: 'edge', endpoint: env.OTLP_ENDPOINT }));

const handler: ServeHandler = (request) => new Response(new URL(request.url).pathname);
export const denoHandler = instrumentDeno(handler, { serviceName: 'edge', endpoint: 'https://collector.example.com/v1/traces' });
export const done: Promise<void> = flush();
`;
    const compilerOptions = {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      lib: ['ES2022', 'DOM', 'DOM.Iterable'],
      types: [],
      skipLibCheck: false,
      ...(resolution === 'bundler' ? { module: 'ESNext', moduleResolution: 'bundler' } : { module: 'node16', moduleResolution: 'node16' }),
    };
    mkdirSync(dir);
    writeFileSync(join(dir, 'app.ts'), source);
    // One deliberate error in a second file, so the check can fail and shows it reads the types.
    writeFileSync(join(dir, 'wrong.ts'), "import { init } from 'tracelet';\nexport const wrong: number = init({ serviceName: 'x', endpoint: '/v1/traces' }).enabled;\n");
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['app.ts', 'wrong.ts'] }));
    const tsc = join(app, 'node_modules/typescript/bin/tsc');
    const output = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: app }).then(
      () => '',
      (err: { stdout: string }) => err.stdout,
    );
    const errors = output.split('\n').filter((l) => /error TS\d+/.test(l));
    expect(errors, output).toHaveLength(1);
    expect(errors[0]).toMatch(/(^|\/)wrong\.ts\(2,14\): error TS2322: Type 'boolean' is not assignable to type 'number'/);
  }, 120_000);
});
