import { z } from 'zod';

const authFlavours = z.enum([
  'any',
  'none',
  'never',
  'krb5',
  'krb5i',
  'krb5p',
  'kerberos5',
  'kerberos5i',
  'kerberos5p',
  'ntlm',
  'sys',
]);

/** A97 sends a rule's index as the text of its list input ("1"). */
const ruleIndexSchema = z.preprocess(
  (v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
  z.number().int().min(1),
);

/**
 * One export rule, as both Unified Manager's `export_policy_provision` (a file share's new policy) and ONTAP's
 * `POST /protocols/nfs/export-policies` (through the gateway) take it: which clients, over which protocols,
 * with which security for reads and writes.
 */
export const exportRuleSchema = z.object({
  index: ruleIndexSchema.optional(),
  clients: z.array(z.object({ match: z.string().min(1) })).min(1),
  protocols: z.array(z.enum(['any', 'nfs', 'nfs3', 'nfs4', 'cifs'])).default([]),
  ro_rule: z.array(authFlavours).min(1),
  rw_rule: z.array(authFlavours).min(1),
});
