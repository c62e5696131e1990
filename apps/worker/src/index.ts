export { type AiqumWorker, type StartAiqumWorkerOptions, startAiqumWorker } from './aiqum-worker.js';
export { idleCheckMs } from './due-poller.js';
export { shutdownLogMessages } from './shutdown-log-messages.js';
export { loadWorkerConfig, type WorkerConfig } from './worker-config.js';
