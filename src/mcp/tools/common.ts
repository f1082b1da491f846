/** Argument schemas several tools share, so each field is described once. */
import { z } from 'zod';

export const specName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a spec name: lowercase letters, digits, ".", "_" or "-"')
  .describe('spec name, as list_specs shows it');

export const specVersion = z
  .number()
  .int()
  .positive()
  .optional()
  .describe('spec version number (default: the latest)');

export const jobId = z.string().min(1).max(200).describe('job id, as train_model returned it');

export const modelId = z.string().min(1).max(200).describe('model (adapter) id, as list_models shows it');
