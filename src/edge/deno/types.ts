import type { EdgeOptions } from '../config';

/*
 * The parts of Deno's API the wrapper touches, declared structurally so tracelet needs no
 * Deno types to build; Deno's own types fit these shapes.
 */

/** Options of `tracelet/deno`: the edge options plus signal handling. */
export interface DenoOptions extends EdgeOptions {
  /**
   * On SIGINT/SIGTERM: shut down the servers `serve()` started, flush (at most 2 s) and
   * exit with 130/143, as Deno would have. Turn it off when the app handles these signals
   * itself, and call `flush()` there. Default true.
   */
  handleSignals?: boolean;
}

/** What `Deno.serve` passes a handler besides the request. */
export interface ServeHandlerInfo {
  remoteAddr?: { hostname?: string; port?: number };
  completed?: Promise<void>;
}

/** A `Deno.serve` handler; `info` is Deno's ServeHandlerInfo (typed loosely so Deno's own types fit). */
export type ServeHandler = (request: Request, info: any) => Response | Promise<Response>;

/** The server `Deno.serve` returns (the parts tracelet uses and documents). */
export interface DenoServer {
  readonly addr: { transport: string; hostname?: string; port?: number; path?: string };
  readonly finished: Promise<void>;
  shutdown(): Promise<void>;
}

/** The parts of the `Deno` namespace used here (no Deno types needed to build). */
export interface DenoNamespace {
  serve(options: object, handler: ServeHandler): DenoServer;
  addSignalListener(signal: string, listener: () => void): void;
  removeSignalListener(signal: string, listener: () => void): void;
  exit(code: number): never;
  version?: { deno?: string };
  telemetry?: { tracerProvider?: unknown };
}
