import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors/app-error.js';

/** Whether a request comes with a body: a non-zero Content-Length, or chunked. */
export function hasBody(request: IncomingMessage): boolean {
  const declared = request.headers['content-length'];
  return (declared !== undefined && declared !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/** Reads a request body, refusing it as soon as it passes the limit (nothing more is buffered). */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(new AppError('body_too_large'));
  if (declared === 0 && request.headers['transfer-encoding'] === undefined) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        request.pause();
        reject(new AppError('body_too_large'));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Deeper documents are refused before validation, whose recursion would otherwise run out of stack. */
export const maxJsonDepth = 64;

/** How deeply arrays and objects nest in a parsed JSON value (iterative: any depth is safe to measure). */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > deepest) deepest = depth + 1;
    if (deepest > maxJsonDepth) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** JSON or form fields by content type; empty is undefined. Malformed JSON is 400, other types 415. */
export function parseBody(contentType: string | undefined, raw: Buffer | null): unknown {
  if (!raw || raw.length === 0) return undefined;
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/x-www-form-urlencoded') {
    return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  }
  if (type === '' || type === 'application/json' || type.endsWith('+json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8')) as unknown;
    } catch {
      throw new AppError('invalid_json');
    }
    if (nestingDepth(parsed) > maxJsonDepth) throw new AppError('invalid_json', `JSON nested deeper than ${maxJsonDepth} levels`);
    return parsed;
  }
  throw new AppError('unsupported_media_type');
}
