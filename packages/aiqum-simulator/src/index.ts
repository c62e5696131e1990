export type { AiqumJobRecord } from './aiqum-job-record.js';
export type { CollectionPage } from './collection-query.js';
export { type ErrorBody, errorCodes } from './errors.js';
export type { OntapJobRecord } from './ontap-job-record.js';
export type { JobGroundTruth } from './resources/admin.js';
export {
  type FaultRule,
  type JobOutcome,
  type JobRule,
  jobOutcomes,
  type Scenario,
  type ScenarioInput,
  scenarioSchema,
} from './scenario.js';
export { type SeedInventoryKeys, seedInventoryKeys } from './seed-inventory-keys.js';
export {
  type Dialect,
  defaultUsers,
  type SimulatorOptions,
  type SimulatorUser,
  type UserRole,
  userRoles,
} from './simulator-options.js';
export { type Simulator, startSimulator } from './start-simulator.js';
export type { SimulatorStats, WriteFault } from './stats.js';
