import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import type { EdgeAgent } from '../agent';
import { withAgent } from '../context';
import { traceRequest } from '../httpServer';
import { runInSpan } from '../span';
import { traceEnv } from './bindings';
import { rpcParent, serveRpc, takeCarrier } from './rpc';

/** Base classes whose own methods are the runtime's, not the user's RPC methods. */
const RUNTIME_BASES = new Set(['WorkerEntrypoint', 'DurableObject', 'RpcTarget', 'WorkflowEntrypoint', 'Object']);
/** Hibernatable WebSocket and alarm handlers: no caller, so each call is a root span. */
const EVENTS = new Set(['alarm', 'webSocketMessage', 'webSocketClose', 'webSocketError']);

type AnyClass = new (...args: any[]) => object;
type Method = (this: object, ...args: unknown[]) => unknown;

/** The user's method names on `Class`'s prototype chain, up to the runtime's base class. */
function methodNames(Class: AnyClass): string[] {
  const names = new Set<string>();
  for (let proto = Class.prototype; proto && !RUNTIME_BASES.has(proto.constructor?.name); proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (name !== 'constructor' && typeof d?.value === 'function') names.add(name);
    }
  }
  return [...names];
}

interface Instance {
  /** ExecutionContext (WorkerEntrypoint) or DurableObjectState: what `waitUntil` is on. */
  ctx: { waitUntil?(p: Promise<unknown>): void } | undefined;
  agent: EdgeAgent | undefined;
}

/** Exports after `work`, inside the instance's `waitUntil` (DurableObjectState has one in current workerd). */
function flushAfter<T>(inst: Instance, agent: EdgeAgent, work: Promise<T>): Promise<T> {
  const done = work.then(agent.flushUnlessBusy, agent.flushUnlessBusy);
  if (typeof inst.ctx?.waitUntil === 'function') inst.ctx.waitUntil(done);
  return work;
}

/**
 * A subclass of a `WorkerEntrypoint` or Durable Object class whose `fetch` gets a SERVER
 * span with the HTTP attributes, whose RPC methods get a SERVER span (`rpc.*`) continuing
 * the caller's trace (see rpc.ts), and whose `alarm` and hibernated WebSocket handlers get
 * a root span each; `env`'s bindings are traced inside. The class keeps its name, and its
 * methods see the arguments their caller gave.
 */
export function instrumentClass<C extends AnyClass>(Class: C, agentFor: (env: unknown) => EdgeAgent | undefined): C {
  const service = Class.name || 'anonymous';
  const state = new WeakMap<object, Instance>();
  const Traced = class extends Class {
    constructor(...args: any[]) {
      // (ctx, env): the base class keeps a traced env as `this.env`.
      const agent = agentFor(args[1]);
      if (agent) args[1] = traceEnv(args[1]);
      super(...args);
      state.set(this, { ctx: args[0], agent });
    }
  };
  Object.defineProperty(Traced, 'name', { value: Class.name });
  for (const name of methodNames(Class)) {
    const original = Class.prototype[name] as Method;
    const wrapped = function (this: object, ...raw: unknown[]): unknown {
      const inst = state.get(this);
      const { args, carrier } = takeCarrier(raw);
      const agent = inst?.agent;
      if (!agent || !inst) return original.apply(this, args);
      const call = () => original.apply(this, args);
      if (name === 'fetch' && args[0] instanceof Request) {
        return flushAfter(inst, agent, traceRequest(agent, args[0], call as () => Promise<Response>));
      }
      if (EVENTS.has(name)) {
        const parent = withAgent(ROOT_CONTEXT, agent);
        const span = agent.tracer.startSpan(service + '.' + name, { kind: SpanKind.SERVER, attributes: { 'rpc.service': service, 'rpc.method': name } }, parent);
        return flushAfter(inst, agent, runInSpan(span, parent, call));
      }
      return flushAfter(inst, agent, serveRpc(agent, rpcParent(agent, carrier), service, name, call));
    };
    Object.defineProperty(wrapped, 'name', { value: name });
    Object.defineProperty(Traced.prototype, name, { value: wrapped, writable: true, configurable: true });
  }
  return Traced;
}
