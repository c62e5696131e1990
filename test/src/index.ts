export { ApiProbe, type ProbeAnswer, type ProbeAudit } from './api-probe.js';
export {
  type GuaranteeReport,
  guaranteesKept,
  type OutageWindow,
  type PipelineOptions,
  PipelineUnderTest,
} from './pipeline-under-test.js';
export { type RedisOutageRun, redisOutagePipeline, runThroughRedisOutage } from './redis-outage.js';
export { bins, type ServiceProcess, startProducerProcess, startWorkerProcess } from './service-process.js';
export { type WorkerKill, WorkerKiller } from './worker-kills.js';
