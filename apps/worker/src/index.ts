export { type AiqumWorker, type StartAiqumWorkerOptions, startAiqumWorker } from './aiqum-worker.js';
export { loadWorkerConfig, type WorkerConfig } from './worker-config.js';
