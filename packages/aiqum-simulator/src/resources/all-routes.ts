import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';
import { accessEndpointRoutes } from './access-endpoints.js';
import { activeDirectoryMappingRoutes } from './active-directory-mappings.js';
import { adminRoutes } from './admin.js';
import { dataPlacementRoutes } from './data-placement.js';
import { datasourceRoutes } from './datasources.js';
import { fileShareRoutes } from './file-shares.js';
import { gatewayRoutes } from './gateway.js';
import { igroupRoutes } from './igroups.js';
import { inventoryRoutes } from './inventory-routes.js';
import { jobRoutes } from './jobs.js';
import { lunRoutes } from './luns.js';
import { performanceServiceLevelRoutes } from './performance-service-levels.js';
import { storageEfficiencyPolicyRoutes } from './storage-efficiency-policies.js';
import { svmRoutes } from './svms.js';

/** Every route the simulator serves, unversioned (`/api/v2/` is normalised to `/api/` before matching). */
export function allRoutes(state: SimulatorState): Route[] {
  return [
    ...inventoryRoutes(state),
    ...lunRoutes(state),
    ...fileShareRoutes(state),
    ...accessEndpointRoutes(state),
    ...activeDirectoryMappingRoutes(state),
    ...svmRoutes(state),
    ...igroupRoutes(state),
    ...performanceServiceLevelRoutes(state),
    ...storageEfficiencyPolicyRoutes(state),
    ...datasourceRoutes(state),
    ...dataPlacementRoutes(state),
    ...jobRoutes(state),
    ...gatewayRoutes(state),
    ...adminRoutes(state),
  ];
}
