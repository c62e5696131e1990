import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';

function sink(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

describe('createLogger', () => {
  it('writes structured JSON lines with the logger name', () => {
    const { stream, lines } = sink();
    createLogger({ name: 'test', destination: stream }).info({ target: 'lab' }, 'hello');
    const [line] = lines();
    expect(JSON.parse(line ?? '')).toMatchObject({ name: 'test', msg: 'hello', target: 'lab' });
  });

  it('redacts credentials wherever a caller puts them', () => {
    const { stream, lines } = sink();
    const logger = createLogger({ name: 'test', destination: stream });
    logger.info({ password: 'hunter2', target: { password: 'hunter3', token: 't0ken' } }, 'a');
    logger.info({ headers: { authorization: 'Basic c2VjcmV0', Authorization: 'Basic c2VjcmV1' } }, 'b');
    logger.info({ req: { headers: { authorization: 'Bearer abc.def' } } }, 'c');
    const text = lines().join('\n');
    expect(lines()).toHaveLength(3);
    for (const secret of ['hunter2', 'hunter3', 't0ken', 'c2VjcmV0', 'c2VjcmV1', 'abc.def']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
  });
});
