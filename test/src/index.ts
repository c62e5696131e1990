export { WorkerProcess } from './worker-process.js';
