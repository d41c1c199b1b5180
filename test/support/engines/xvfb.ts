import { spawn, type ChildProcess } from 'node:child_process';

export interface Display {
  /** `:N`, for DISPLAY. */
  name: string;
  stop(): Promise<void>;
}

/**
 * A virtual X display for WebKitGTK, which has no headless mode: Xvfb picks a free display
 * number itself (-displayfd), so parallel test files and other users of the machine do not
 * collide, and listens on no TCP port.
 */
export async function startXvfb(): Promise<Display> {
  const xvfb: ChildProcess = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp', '-noreset'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  xvfb.stderr!.on('data', (d) => (stderr += d));
  const name = await new Promise<string>((resolveName, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start in 10 s: ${stderr}`)), 10_000);
    xvfb.once('error', (e) => (clearTimeout(timer), reject(new Error(`cannot start Xvfb (apt-get install xvfb): ${e.message}`))));
    xvfb.once('exit', (code) => (clearTimeout(timer), reject(new Error(`Xvfb exited with ${code}: ${stderr}`))));
    (xvfb.stdio[3] as NodeJS.ReadableStream).on('data', (d) => {
      out += d;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolveName(':' + out.trim());
      }
    });
  });
  xvfb.removeAllListeners('exit');
  return {
    name,
    stop: () => stopProcess(xvfb),
  };
}

/** SIGTERM, then SIGKILL if it lingers; resolves when the process is gone. */
export function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => p.kill('SIGKILL'), 3000);
    p.once('exit', () => (clearTimeout(kill), done()));
    p.kill('SIGTERM');
  });
}
