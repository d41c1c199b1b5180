/** What an `exception` event says of a thrown value. */
export interface ErrorDescription {
  type: string;
  message: string;
  stack?: string;
}

/**
 * An Error by its name, message and stack; anything else by its constructor (or `typeof`) and
 * its JSON. The agent's exception spans and the loader's own exit both describe with this
 * (lent to the agent), so an error reads the same whichever stage delivered it.
 */
export function describeError(reason: unknown): ErrorDescription {
  if (reason instanceof Error) return { type: reason.name || 'Error', message: reason.message, stack: reason.stack };
  let message: string;
  try {
    message = typeof reason === 'string' ? reason : (JSON.stringify(reason) ?? String(reason));
  } catch {
    message = Object.prototype.toString.call(reason);
  }
  return { type: typeof reason === 'object' && reason ? (reason.constructor?.name ?? 'Object') : typeof reason, message };
}
