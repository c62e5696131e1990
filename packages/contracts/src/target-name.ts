import { z } from 'zod';

const targetNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The name of a configured AIQUM target, as requests, events and the targets file spell it. */
export const targetNameSchema = z
  .string()
  .regex(targetNamePattern, 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit');
