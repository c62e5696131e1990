import { z } from 'zod';

/**
 * Any JSON value: a body sent to AIQUM, or the body of its synchronous answer. One shared instance, so the
 * API document names its recursive definition once (`JsonValue`) instead of repeating it at every use.
 */
export const jsonValueSchema = z.json();

/** Whether a parsed JSON value is an object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
