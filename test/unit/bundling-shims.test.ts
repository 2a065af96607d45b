import { describe, expect, it } from 'vitest';
import { ReadableStream } from '../../infra/shims/stream-web.js';

describe('the node:stream/web stand-in of Lambda bundles', () => {
  it('tells a web stream from anything else, as the real class would', () => {
    expect(new globalThis.ReadableStream() instanceof ReadableStream).toBe(true);
    expect({ getReader: () => undefined } instanceof ReadableStream).toBe(false);
    expect(new Uint8Array(1) instanceof ReadableStream).toBe(false);
  });
});
