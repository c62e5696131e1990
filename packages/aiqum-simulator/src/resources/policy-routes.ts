import type { z } from 'zod';
import type { Collection, Keyed } from '../collection.js';
import { conflict } from '../conflict.js';
import { errorCodes, HttpError, invalidField } from '../errors.js';
import type { Inventory } from '../inventory.js';
import { requireKey, requireSomeField } from '../references.js';
import { parseBody } from '../request-body.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';

interface Policy extends Keyed {
  system_defined: boolean;
}

export interface PolicyRoutesOptions<T extends Policy, C extends z.ZodType, P extends z.ZodType> {
  path: string;
  records: (inv: Inventory) => Collection<T>;
  /** Names the policy in errors: `<label> "<name>"`. */
  label: string;
  createSchema: C;
  patchSchema: P;
  create: (body: z.output<C>, key: string, links: Keyed['_links']) => T;
  /** The policy with the PATCH applied; throws an HttpError for a combination it refuses. */
  update: (current: T, body: z.output<P>) => T;
  /** The name of a record that uses the policy, if any: such a policy cannot be deleted. */
  usedBy: (inv: Inventory, policy: T) => string | undefined;
}

/**
 * The SYNCHRONOUS writes of a catalogue of policies (performance service levels, storage efficiency
 * policies): POST 201 with the record, PATCH 200 with the record, DELETE 200. System-defined policies
 * cannot be changed or deleted; a policy in use cannot be deleted (409).
 */
export function policyRoutes<
  T extends Policy,
  C extends z.ZodType<{ name: string }>,
  P extends z.ZodType<{ name?: string | undefined }>,
>(state: SimulatorState, options: PolicyRoutesOptions<T, C, P>): Route[] {
  const duplicate = (name: string) =>
    new HttpError(400, `${options.label} "${name}" already exists.`, errorCodes.duplicateName, {
      target: 'name',
    });
  const userDefined = (policy: T, verb: string): void => {
    if (policy.system_defined) {
      throw invalidField('key', `${options.label} "${policy.name}" is system-defined and cannot be ${verb}.`);
    }
  };
  return [
    {
      method: 'POST',
      template: options.path,
      handler: (ctx) => {
        const body = parseBody(options.createSchema, ctx.body);
        const records = options.records(state.inventory);
        if (records.findByName(body.name)) throw duplicate(body.name);
        const key = state.inventory.ids.uuid();
        const record = records.add(options.create(body, key, records.links(key)));
        return { status: 201, body: record, headers: { location: record._links.self.href } };
      },
    },
    {
      method: 'PATCH',
      template: `${options.path}/{key}`,
      handler: (ctx) => {
        const records = options.records(state.inventory);
        const current = requireKey(records, ctx.params.key, options.label);
        const body = parseBody(options.patchSchema, ctx.body);
        requireSomeField(body);
        userDefined(current, 'modified');
        const renamed = body.name;
        if (renamed !== undefined && renamed !== current.name && records.findByName(renamed))
          throw duplicate(renamed);
        // Added again under its key: the collection re-indexes a new name.
        const record = records.add(options.update(current, body));
        return { status: 200, body: record };
      },
    },
    {
      method: 'DELETE',
      template: `${options.path}/{key}`,
      handler: (ctx) => {
        const inv = state.inventory;
        const records = options.records(inv);
        const current = requireKey(records, ctx.params.key, options.label);
        userDefined(current, 'deleted');
        const user = options.usedBy(inv, current);
        if (user !== undefined) {
          throw conflict(
            `${options.label} "${current.name}" is assigned to "${user}": assign another one first.`,
            'key',
          );
        }
        records.delete(current.key);
        return { status: 200, body: {} };
      },
    },
  ];
}
