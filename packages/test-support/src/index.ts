export {
  type AiqumRequestOptions,
  type AiqumWrite,
  igroupRequest,
  type Json,
  type LunRequestOptions,
  lunRequest,
  missingKey,
} from './aiqum-requests.js';
export { deleteKeysWithPrefix } from './delete-keys.js';
export {
  type EventFilter,
  type EventStream,
  type OfType,
  readEvents,
  type StreamEvent,
  type StreamRange,
  waitForEvents,
} from './events.js';
export {
  type HttpReceiver,
  type ReceivedRequest,
  type ReceiverAnswer,
  type Respond,
  startHttpReceiver,
} from './http-receiver.js';
export { type LogLine, type LogSink, logSink } from './log-sink.js';
export { type MetricSample, metricValue, parseMetricSamples } from './metric-samples.js';
export { RedisCluster, type RedisClusterOptions } from './redis-cluster.js';
export { freePort, RedisServer, type RedisServerOptions } from './redis-server.js';
export { redisTimeMs } from './redis-time.js';
export {
  type CommandResult,
  type ProcessExit,
  type ProcessOptions,
  type Readiness,
  type RunOptions,
  runCommand,
  type StartOptions,
  TestProcess,
} from './test-process.js';
export { type TestRedis, useTestRedis } from './test-redis.js';
export { waitUntil } from './wait-until.js';
