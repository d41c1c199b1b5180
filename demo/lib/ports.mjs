import { DemoError } from './http.mjs';

/** Fixed defaults so URLs stay the same between runs; 4318 is the usual OTLP/HTTP port. */
export const DEFAULT_PORTS = { shop: 8080, edge: 8081, origin: 8082, receiver: 4318 };
const ORDER = ['shop', 'edge', 'origin', 'receiver'];

function parsePort(text, name) {
  const n = Number(text);
  if (!/^\d+$/.test(String(text).trim()) || n < 1 || n > 65535) throw new DemoError(`${name} must be a port number 1..65535, got "${text}"`);
  return n;
}

/**
 * Ports for each part. `--ports=auto` (or DEMO_PORTS=auto) takes free ports (0); else
 * DEMO_PORT_BASE=N gives N..N+3 in ORDER, and DEMO_<PART>_PORT overrides one part.
 */
export function choosePorts(argv = process.argv.slice(2), env = process.env) {
  if (argv.includes('--ports=auto') || env.DEMO_PORTS === 'auto') return { auto: true, ports: { shop: 0, edge: 0, origin: 0, receiver: 0 } };
  const unknown = argv.find((a) => a !== '--ports=auto');
  if (unknown !== undefined) throw new DemoError(`unknown argument "${unknown}" (the only one is --ports=auto)`);
  const ports = { ...DEFAULT_PORTS };
  if (env.DEMO_PORT_BASE) {
    const base = parsePort(env.DEMO_PORT_BASE, 'DEMO_PORT_BASE');
    if (base + ORDER.length - 1 > 65535) throw new DemoError(`DEMO_PORT_BASE ${base} leaves no room for ${ORDER.length} ports`);
    ORDER.forEach((part, i) => (ports[part] = base + i));
  }
  for (const part of ORDER) {
    const name = `DEMO_${part.toUpperCase()}_PORT`;
    if (env[name]) ports[part] = parsePort(env[name], name);
  }
  return { auto: false, ports };
}
