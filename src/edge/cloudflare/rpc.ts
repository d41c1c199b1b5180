import { ROOT_CONTEXT, SpanKind, trace, type Attributes, type Context } from '@opentelemetry/api';
import { extractInto, formatTraceparent, outgoingFlags } from '../../core/propagation';
import type { EdgeAgent } from '../agent';
import { agentOf, edgeContext, withAgent } from '../context';
import { endSpanWith, runInSpan } from '../span';

/*
 * Workers RPC (service bindings to a WorkerEntrypoint, Durable Object stubs) has no
 * headers. The trace crosses a call as one hidden trailing argument, a plain object
 * `{ "tracelet.traceparent": …, "tracelet.tracestate"?: … }` (structured-cloned like every
 * argument); an instrumented callee takes it off before the method runs, so the method
 * sees exactly the arguments the caller gave. A callee that is not instrumented sees it
 * as one extra argument (most methods ignore it; `...rest` would not): turn it off with
 * `rpcContext: false` on the caller.
 */

export const RPC_SYSTEM = 'cloudflare_rpc';
const CARRIER_TP = 'tracelet.traceparent';
const CARRIER_TS = 'tracelet.tracestate';

type Carrier = { [CARRIER_TP]: string; [CARRIER_TS]?: string };

function isCarrier(v: unknown): v is Carrier {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return false;
  const keys = Object.keys(v);
  return typeof (v as Carrier)[CARRIER_TP] === 'string' && keys.every((k) => k === CARRIER_TP || k === CARRIER_TS);
}

/** The call's own arguments and the caller's context, if a traced caller sent one. */
export function takeCarrier(args: unknown[]): { args: unknown[]; carrier?: Carrier } {
  const last = args[args.length - 1];
  return isCarrier(last) ? { args: args.slice(0, -1), carrier: last } : { args };
}

/** The parent context of an RPC call: the caller's span, or none (a fresh trace). */
export function rpcParent(agent: EdgeAgent, carrier: Carrier | undefined): Context {
  const root = withAgent(ROOT_CONTEXT, agent);
  return carrier ? extractInto(root, carrier[CARRIER_TP], carrier[CARRIER_TS]) : root;
}

/** A SERVER span for one RPC call, `service/method`, continuing `parent`. */
export function serveRpc<T>(agent: EdgeAgent, parent: Context, service: string, method: string, call: () => T | Promise<T>): Promise<T> {
  const attributes: Attributes = { 'rpc.system': RPC_SYSTEM, 'rpc.service': service, 'rpc.method': method };
  const span = agent.tracer.startSpan(service + '/' + method, { kind: SpanKind.SERVER, attributes }, parent);
  return runInSpan(span, parent, call);
}

/**
 * `method` of a binding or stub, called inside a traced event: a CLIENT span and the
 * hidden carrier. Outside one, the call passes through untouched. The stub's result
 * (an RpcPromise) is awaited, so promise pipelining through a traced stub waits for the
 * first call; the value is the same.
 */
export function traceRpcMethod(service: string, method: string, call: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    const ctx = edgeContext.active();
    const agent = agentOf(ctx);
    if (!agent) return call(...args);
    const attributes: Attributes = { 'rpc.system': RPC_SYSTEM, 'rpc.service': service, 'rpc.method': method };
    const span = agent.tracer.startSpan(service + '/' + method, { kind: SpanKind.CLIENT, attributes }, ctx);
    const sc = span.spanContext();
    const carrier: Carrier = { [CARRIER_TP]: formatTraceparent(sc.traceId, sc.spanId, outgoingFlags(sc)) };
    const ts = sc.traceState?.serialize();
    if (ts) carrier[CARRIER_TS] = ts;
    const propagate = agent.config.rpcContext;
    let pending: unknown;
    try {
      pending = edgeContext.with(trace.setSpan(ctx, span), () => (propagate ? call(...args, carrier) : call(...args)));
    } catch (err) {
      pending = Promise.reject(err);
    }
    return endSpanWith(span, pending);
  };
}
