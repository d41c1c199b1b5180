type Events = WindowEventMap & DocumentEventMap;

/** addEventListener that returns its own removal, so features can hand back one stop function. */
export function listen<K extends keyof Events>(type: K, fn: (e: Events[K]) => void, target: EventTarget = window, capture = false): () => void {
  target.addEventListener(type, fn as EventListener, capture);
  return () => target.removeEventListener(type, fn as EventListener, capture);
}
