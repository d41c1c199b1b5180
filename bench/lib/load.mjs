// A small, bounded HTTP load generator (wrk is not installed): `connections` keep-alive
// connections, each sending GETs back to back for a fixed time. Loopback only.
import { Agent, request } from 'node:http';
import { quantile } from './common.mjs';

function get(agent, url) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = request(url, { agent, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: res.statusCode === 200, ms: performance.now() - t0 }));
      res.on('error', () => resolve({ ok: false, ms: performance.now() - t0 }));
    });
    req.on('error', () => resolve({ ok: false, ms: performance.now() - t0 }));
    req.setTimeout(10_000, () => req.destroy());
    req.end();
  });
}

/**
 * Sends load to `url` for `durationMs` after `warmupMs`; returns requests/s, latency p50/p99
 * (ms) and errors over the measured window. `onWindow(start|end)` runs at its edges
 * (the bench samples the server's CPU time there). Never more than `maxRequests`.
 */
export async function load({ url, connections = 16, durationMs = 5000, warmupMs = 1500, maxRequests = 2_000_000, onWindow = async () => {} }) {
  if (!/^http:\/\/127\.0\.0\.1:/.test(url)) throw new Error('load(): loopback URLs only');
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const lat = [];
  let ok = 0;
  let errors = 0;
  let sent = 0;
  let phase = 'warmup';
  const warmEnd = Date.now() + warmupMs;
  let end = Infinity;
  let t0 = 0;
  const worker = async () => {
    while (sent < maxRequests) {
      const now = Date.now();
      if (phase === 'warmup' && now >= warmEnd) {
        phase = 'starting';
        await onWindow('start');
        end = Date.now() + durationMs;
        t0 = performance.now();
        phase = 'measure';
      }
      if (phase === 'measure' && now >= end) break;
      sent++;
      const p = phase;
      const r = await get(agent, url);
      if (p === 'measure' && phase === 'measure') {
        if (r.ok) {
          ok++;
          lat.push(r.ms);
        } else errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - t0) / 1000;
  await onWindow('end');
  agent.destroy();
  return { requests: ok, errors, rps: ok / seconds, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), seconds };
}
