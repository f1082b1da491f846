/** Reads a JSON request body with a byte cap, so one request cannot make the server buffer without bound. */
import type { IncomingMessage } from 'node:http';

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413; message: string };

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) {
    req.resume();
    return tooLarge(maxBytes);
  }
  // Past the cap the rest is drained, not buffered: destroying the request would also drop the 413 answer.
  const text = await new Promise<string | null>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.once('end', () => resolve(size > maxBytes ? null : Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
  if (text === null) return tooLarge(maxBytes);
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 400, message: 'parse error: the request body is not JSON' };
  }
}

function tooLarge(maxBytes: number): BodyResult {
  return { ok: false, status: 413, message: `request body larger than ${maxBytes} bytes` };
}
