export { ApiProbe, type ProbeAnswer, type ProbeAudit } from './api-probe.js';
export { type GuaranteeReport, type PipelineOptions, PipelineUnderTest } from './pipeline-under-test.js';
export { bins, runCommand, ServiceProcess } from './service-process.js';
