/** Shared fixtures for the bot tests: a tiny spec, a temp engine, and a simulated job runner. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import {
  acquireRunnerLock,
  finishTrainingJob,
  openEngine,
  recordJobProgress,
  releaseRunnerLock,
  type ApiCall,
  type Engine,
  type TrainJobResult,
} from '../../src/engine/index.js';
import type { BotDeps } from '../../src/bots/common/handler.js';
import type { Permissions } from '../../src/bots/common/permissions.js';
import { DEFAULT_LIMITS, createQuota, type BotLimits } from '../../src/bots/common/limits.js';

export const TINY_SPEC = `openapi: 3.0.3
info: { title: Tiny Pets, version: 1.0.0 }
servers: [{ url: https://pets.example.com/v1 }]
paths:
  /pets/{petId}:
    get:
      operationId: getPet
      summary: Get a pet
      parameters:
        - { name: petId, in: path, required: true, schema: { type: integer } }
      responses: { '200': { description: ok } }
  /pets:
    get:
      operationId: listPets
      summary: List pets
      parameters:
        - { name: status, in: query, schema: { type: string, enum: [available, sold] } }
      responses: { '200': { description: ok } }
`;

/** Broken on line 3 (a flow mapping never closed). */
export const BROKEN_SPEC = 'openapi: 3.0.3\ninfo: { title: Broken, version: 1.0.0 }\npaths: { /x: { get: {\n';

export interface TempEngine {
  engine: Engine;
  dir: string;
  close(): Promise<void>;
}

export async function tempEngine(): Promise<TempEngine> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-bots-'));
  const engine = await openEngine({
    dataDir: path.join(dir, 'data'),
    modelsDir: path.join(dir, 'models'),
    logger: pino({ level: 'silent' }),
    // The fake Slack and Discord servers host uploads on loopback.
    net: { allow: ['127.0.0.1'] },
  });
  return { engine, dir, close: () => rm(dir, { recursive: true, force: true }) };
}

/** Serves every workspace unless a test passes its own limits. */
export const OPEN_LIMITS: BotLimits = { ...DEFAULT_LIMITS, tenants: 'open' };

export function botDeps(engine: Engine, permissions: Permissions, limits: BotLimits = OPEN_LIMITS): BotDeps {
  return { engine, permissions, quota: createQuota(limits), sessions: new Map() };
}

/** Registers a base model record so startTraining accepts the request (no runner runs it here). */
export async function fakeBaseModel(engine: Engine, name = 'tiny'): Promise<void> {
  await engine.store.update((d) => {
    d.baseModels.push({
      name,
      source: 'test',
      format: 'hf',
      dir: `base/${name}`,
      files: [],
      config: {} as never,
      addedAt: new Date().toISOString(),
    });
  });
}

/** What the job runner does for a job, step by step, through the same facade functions it uses. */
export async function simulateTraining(engine: Engine, jobId: string, steps: number): Promise<void> {
  // This process plays the runner: without a live runner, a running job reads as interrupted.
  const lock = await acquireRunnerLock(engine);
  await engine.store.update((d) => {
    const j = d.jobs.find((x) => x.id === jobId)!;
    j.status = 'running';
  });
  const history = [];
  for (let step = 1; step <= steps; step++) {
    const loss = 2 / step;
    history.push({ step, loss });
    await recordJobProgress(engine, jobId, {
      step,
      totalSteps: steps,
      epoch: 0,
      loss,
      valLoss: null,
      lr: 1e-4,
      gradNorm: 1,
      tokensPerSecond: 100,
      etaSeconds: steps - step,
    });
    await new Promise((r) => setTimeout(r, 30));
  }
  const result: TrainJobResult = {
    status: 'completed',
    step: steps,
    totalSteps: steps,
    trainLoss: 2 / steps,
    valLoss: 2.5 / steps,
    lossHistory: history,
    tokensPerSecond: 100,
    seconds: 3,
    examples: { train: 10, validation: 2, tooLong: 0, unwritable: 0 },
  };
  await finishTrainingJob(engine, jobId, result);
  await releaseRunnerLock(engine, lock);
}

/** Polls until `check` returns a value (tests wait on asynchronous posts without fixed sleeps). */
export async function eventually<T>(check: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Records an answer as `ask` does (a QueryRecord), with a call chosen by the test instead of by a model. */
export async function recordAnswer(
  engine: Engine,
  o: { id: string; tenant: string; spec: string; task: string; call: ApiCall },
): Promise<void> {
  await engine.store.update((d) => {
    d.queries.push({
      id: o.id,
      tenant: o.tenant,
      sessionId: null,
      input: o.task,
      output: JSON.stringify(o.call),
      call: o.call,
      valid: true,
      issues: [],
      confidence: 0.9,
      latencyMs: 1,
      model: 'tiny',
      spec: { name: o.spec, version: 1 },
      createdAt: new Date().toISOString(),
    });
  });
}
