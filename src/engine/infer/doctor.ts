/**
 * `doctor` (facade): what this machine offers inference — CPU, instruction sets, cores, memory, runtime
 * versions — and the weight modes' self-check results for it (weight-mode.ts), optionally running the probes.
 */
import os from 'node:os';

import type { Engine } from '../engine.js';
import { baseModelPath, resolveBaseModelName } from '../model/registry.js';
import { baseRuntime } from './generate.js';
import { machineKey, readChecks, type MachineKey, type ModeCheck } from './weight-mode.js';

export interface DoctorOptions {
  /** Run the self-check of every mode for this base model (default: the first registered) before reporting. */
  check?: boolean;
  model?: string;
  tenant?: string;
}

export interface DoctorReport {
  machine: MachineKey;
  cores: number;
  memoryGiB: number;
  node: string;
  /** The mode `auto` picks for the checked model, when `check` ran. */
  auto: string | null;
  /** Self-check results recorded on this machine (every model). */
  checks: ModeCheck[];
}

export async function doctor(engine: Engine, options: DoctorOptions = {}): Promise<DoctorReport> {
  let auto: string | null = null;
  if (options.check) {
    const model = resolveBaseModelName(await engine.store.read(), options.model, options.tenant);
    await baseModelPath(engine, model); // a clear error for a model whose files are gone, before any probe
    auto = (await baseRuntime(engine, model, 'auto')).quant;
  }
  const machine = machineKey();
  const { checks } = await readChecks(engine.modelsDir);
  return {
    machine,
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    auto,
    checks: checks.filter(
      (c) => c.cpu === machine.cpu && c.ort === machine.ort && c.features.join() === machine.features.join(),
    ),
  };
}
