/** A gzip-encoded export body (sent with `Content-Encoding: gzip`). */
export type GzipBody = Uint8Array<ArrayBuffer>;

/**
 * `text` as UTF-8, gzipped by the runtime's CompressionStream (native, off the JS heap's
 * critical path), or undefined where there is none (Safari before 16.4) or it fails: the
 * caller sends plain JSON then.
 */
export async function gzipAsync(text: string): Promise<GzipBody | undefined> {
  if (typeof CompressionStream !== 'function') return undefined;
  try {
    const stream = new Response(text).body!.pipeThrough(new CompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    return undefined;
  }
}
