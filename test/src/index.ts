export { bins, runCommand, ServiceProcess } from './service-process.js';
