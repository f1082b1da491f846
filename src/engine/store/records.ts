/**
 * Every record the store keeps. Records are plain JSON; payloads too large for the index (spec documents,
 * catalogs, datasets, adapters) live as files under the data directory, referenced by `FileRef`.
 * Every record may carry a `tenant` (a bot workspace or guild) so surfaces can scope what a user sees.
 */
import type { ApiCall, ExpectedCall } from '../calls.js';
import type { LlamaConfig, LoraTarget } from '../model/types.js';
import type { WeightQuant } from '../model/quant.js';

/** A file under the data directory (or the models directory where a record says so). */
export interface FileRef {
  /** Relative, with forward slashes, e.g. `specs/petstore/1/document.yaml`. */
  path: string;
  /** Hex sha256 of the file's bytes, checked when the file is read back. */
  sha256: string;
  bytes: number;
}

export interface Tenanted {
  tenant?: string;
}

/** Which spec version a dataset, adapter or query belongs to. */
export interface SpecRef {
  name: string;
  version: number;
}

export interface SpecVersionRecord {
  /** 1, 2, 3, ... per spec name; a new one only when the content hash changes. */
  version: number;
  /** sha256 of the document's bytes as added. */
  contentHash: string;
  title: string;
  /** info.version of the API. */
  apiVersion: string;
  /** "2.0", "3.0.3", "3.1.0", ... */
  sourceFormat: string;
  operations: number;
  /** File path or URL it was added from. */
  source: string;
  /** The document exactly as added. */
  document: FileRef;
  /** Its Catalog as JSON (types.ts). */
  catalog: FileRef;
  addedAt: string;
}

export interface SpecRecord extends Tenanted {
  /** Unique per tenant; [a-z0-9][a-z0-9._-]*. */
  name: string;
  /** Oldest first. */
  versions: SpecVersionRecord[];
  /** Highest version number ever given (removed versions included), so numbers are not reused. */
  lastVersion: number;
  createdAt: string;
  updatedAt: string;
}

export interface BaseModelRecord extends Tenanted {
  name: string;
  /** A local path or a Hugging Face repo id (`HuggingFaceTB/SmolLM2-135M-Instruct`). */
  source: string;
  format: 'hf' | 'gguf';
  /** Relative to the models directory. */
  dir: string;
  /** File names inside `dir`. */
  files: string[];
  config: LlamaConfig;
  addedAt: string;
}

export interface DatasetStats {
  operationsCovered: number;
  /** Examples per operationId. */
  byOperation: Record<string, number>;
  /** Train / validation split sizes when the dataset is split. */
  train?: number;
  validation?: number;
  [key: string]: unknown;
}

export interface DatasetRecord extends Tenanted {
  id: string;
  spec: SpecRef;
  kind: 'synthetic' | 'imported' | 'mixed';
  /** The task file (JSON Lines). */
  file: FileRef;
  examples: number;
  /** The synthesis seed; null for imported data. */
  seed: number | null;
  stats: DatasetStats;
  createdAt: string;
}

export interface LoraSettings {
  r: number;
  alpha: number;
  dropout: number;
  targets: LoraTarget[];
}

/** Scores of an evaluation run. */
export interface EvalMetrics {
  n: number;
  endpointAccuracy: number;
  exactMatch: number;
  validRate: number;
  paramF1: number;
  latencyMs?: { p50: number; p95: number };
  /** Weight mode the evaluation ran in; absent on records from before it was kept (those ran f32). */
  quant?: WeightQuant;
}

export interface LossPoint {
  step: number;
  loss: number;
  valLoss?: number;
  lr?: number;
}

export type ModelStatus = 'training' | 'ready' | 'failed';

/** A trained LoRA adapter for one spec version on one base model. */
export interface ModelRecord extends Tenanted {
  id: string;
  spec: SpecRef;
  /** BaseModelRecord.name. */
  baseModel: string;
  datasetId: string | null;
  /** The PEFT adapter folder, relative to the models directory. */
  dir: string;
  lora: LoraSettings;
  metrics: EvalMetrics | null;
  lossHistory: LossPoint[];
  status: ModelStatus;
  /** The adapter `ask` uses for its spec when none is named; at most one active per spec (and tenant). */
  active: boolean;
  jobId: string | null;
  createdAt: string;
}

export type JobKind = 'train' | 'eval' | 'dataset';
/** `interrupted`: its runner died while it ran; the next runner resumes it from its checkpoint. */
export type JobStatus = 'queued' | 'running' | 'interrupted' | 'succeeded' | 'failed' | 'stopped';

export interface JobProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number | null;
  valLoss: number | null;
  lr: number | null;
  tokensPerSecond: number | null;
  etaSeconds: number | null;
}

export interface JobRecord extends Tenanted {
  id: string;
  kind: JobKind;
  status: JobStatus;
  /** The job's options as parsed (plain JSON). */
  options: Record<string, unknown>;
  progress: JobProgress | null;
  error: { code: string; message: string } | null;
  /** Last checkpoint folder (relative to the models directory), to resume from. */
  checkpoint: string | null;
  /** The optimizer step of that checkpoint, where a resumed run restarts. */
  checkpointStep?: number;
  /** Times the job died with its process or worker; past the crash limit it is failed, not resumed. */
  crashes?: number;
  /** When a coordinator handed this queued job to a shared queue; it stays `queued` until a worker takes it. */
  dispatchedAt?: string | null;
  /** The job's result document (e.g. the `train --json` output). */
  result: unknown;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

export type Surface = 'cli' | 'slack' | 'discord' | 'mcp' | 'http';

/** A playground conversation on one surface (a Slack thread, a Discord channel, an MCP client). */
export interface SessionRecord extends Tenanted {
  id: string;
  surface: Surface;
  /** The surface's own id for the conversation (thread ts, channel id, ...). */
  externalId: string | null;
  /** The user on that surface, when there is one. */
  user: string | null;
  spec: SpecRef | null;
  /** ModelRecord.id in use, or null for the spec's active adapter. */
  model: string | null;
  createdAt: string;
  lastActiveAt: string;
}

/** One task asked in a session and what came back. */
export interface QueryRecord extends Tenanted {
  id: string;
  sessionId: string | null;
  input: string;
  /** The model's raw text. */
  output: string;
  call: ApiCall | null;
  valid: boolean;
  /** Why the call is not valid, when it is not. */
  issues: string[];
  confidence: number | null;
  latencyMs: number;
  /** ModelRecord.id, or the base model name when no adapter was used. */
  model: string;
  /** Weight mode that answered; absent on records from before it was kept (those ran f32). */
  quant?: WeightQuant;
  spec: SpecRef;
  createdAt: string;
}

/**
 * A person's correction of an answer: the task with the call it should have produced, validated against the
 * spec version it names. Training on that spec mixes corrections in as labelled examples.
 */
export interface CorrectionRecord extends Tenanted {
  id: string;
  spec: SpecRef;
  task: string;
  expected: ExpectedCall;
  /** The answer being corrected, when the correction came from one. */
  queryId: string | null;
  /** Who corrected it, on which surface. */
  user: string | null;
  surface: Surface;
  createdAt: string;
}

export const STORE_SCHEMA_VERSION = 1;

/** The whole index file (`<dataDir>/smolmap.json`). */
export interface StoreData {
  schemaVersion: number;
  specs: SpecRecord[];
  baseModels: BaseModelRecord[];
  datasets: DatasetRecord[];
  models: ModelRecord[];
  jobs: JobRecord[];
  sessions: SessionRecord[];
  queries: QueryRecord[];
  /** Absent in stores written before corrections existed; read as empty. */
  corrections?: CorrectionRecord[];
}

export function emptyStoreData(): StoreData {
  return {
    schemaVersion: STORE_SCHEMA_VERSION,
    specs: [],
    baseModels: [],
    datasets: [],
    models: [],
    jobs: [],
    sessions: [],
    queries: [],
  };
}
