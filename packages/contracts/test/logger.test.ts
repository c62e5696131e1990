import { logSink, useTestRedis } from '@aiqum-jobs/test-support';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';

describe('createLogger', () => {
  it('writes structured JSON lines with the logger name', () => {
    const { destination, lines } = logSink();
    createLogger({ name: 'test', destination }).info({ target: 'lab' }, 'hello');
    const [line] = lines();
    expect(line).toMatchObject({ name: 'test', msg: 'hello', target: 'lab' });
  });

  it('redacts credentials wherever a caller puts them', () => {
    const sink = logSink();
    const logger = createLogger({ name: 'test', destination: sink.destination });
    logger.info({ password: 'hunter2', target: { password: 'hunter3', token: 't0ken' } }, 'a');
    logger.info({ headers: { authorization: 'Basic c2VjcmV0', Authorization: 'Basic c2VjcmV1' } }, 'b');
    logger.info({ req: { headers: { authorization: 'Bearer abc.def' } } }, 'c');
    const text = sink.text();
    expect(sink.lines()).toHaveLength(3);
    for (const secret of ['hunter2', 'hunter3', 't0ken', 'c2VjcmV0', 'c2VjcmV1', 'abc.def']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
  });

  it('logs an error as { err } with its message, code and stack, and never the command ioredis attached', async () => {
    const redis = await useTestRedis();
    try {
      const connection = redis.connect();
      const secret = `s3cret-${Date.now()}`;
      const failure = await connection
        .call('INCRBY', `${redis.prefix}:counter`, secret)
        .catch((error) => error);
      // ioredis hangs the failed command, with its arguments, on the error.
      expect(failure).toMatchObject({
        command: { name: 'INCRBY', args: [`${redis.prefix}:counter`, secret] },
      });
      const sink = logSink();
      const cause = new Error('inner', { cause: failure });
      createLogger({ name: 'test', destination: sink.destination }).error({ err: cause }, 'failed');
      const [line] = sink.lines();
      expect(line?.err).toMatchObject({
        type: 'Error',
        message: 'inner',
        stack: expect.stringContaining('logger.test.ts'),
        cause: { type: 'ReplyError', message: expect.stringContaining('not an integer') },
      });
      expect(sink.text()).not.toContain(secret);
      createLogger({ name: 'test', destination: sink.destination }).warn({ err: 'plain words' }, 'odd');
      expect(sink.lines()[1]?.err).toEqual({ type: 'string', message: 'plain words' });
    } finally {
      await redis.close();
    }
  });
});
