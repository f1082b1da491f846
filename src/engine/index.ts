/**
 * The engine facade: the only module that surfaces (CLI, jobs, MCP, bots) import from the engine.
 * Named exports only.
 */
export { SmolmapError, isSmolmapError, toSmolmapError } from './errors.js';
export { createLogger, type Logger } from './log.js';
export type { ApiCall } from './calls.js';
export type { Catalog, Operation, Parameter, HttpMethod, JsonSchema } from './specs/types.js';
export { openEngine, type Engine, type EngineOptions } from './engine.js';
export { STRICT_POLICY, addressAllowed, netPolicyFromEnv, type NetPolicy } from './net/address.js';
export { pruneHistory, type PruneOptions } from './store/retention.js';
export { guardedFetch, guardedFetchFunction, type GuardedRequest } from './net/fetch.js';
export {
  executable,
  executeConfigFor,
  prepareCall,
  sendCall,
  underBase,
  callPolicy,
  type ExecuteConfig,
  type SpecAccessConfig,
  type PreparedCall,
  type CallResponse,
} from './net/execute.js';
export type {
  Store,
  StoreData,
  FileRef,
  SpecRef,
  SpecRecord,
  SpecVersionRecord,
  BaseModelRecord,
  DatasetRecord,
  DatasetStats,
  ModelRecord,
  ModelStatus,
  LoraSettings,
  EvalMetrics,
  LossPoint,
  JobRecord,
  JobKind,
  JobStatus,
  JobProgress,
  SessionRecord,
  QueryRecord,
  CorrectionRecord,
  Surface,
} from './store.js';
export {
  addSpec,
  listSpecs,
  getSpec,
  specOperations,
  diffSpecVersions,
  removeSpec,
  type AddSpecResult,
  type SpecSummary,
  type SpecDetails,
  type SpecDiff,
  type OperationChange,
  type OperationSummary,
  type RemoveSpecResult,
} from './specs/registry.js';
export { LOCAL_TENANT, actingTenant, checkTenantName, ownedBy, type TenantOption } from './tenant.js';
export { loadSpecFile, loadSpecSource, type LoadedSpec } from './specs/ingest.js';
export { buildCatalog } from './specs/catalog.js';
export {
  loadTokenizer,
  loadTokenizerFromGguf,
  type Tokenizer,
  type ChatMessage,
} from './model/tokenizer/index.js';
export {
  generateData,
  importDataset,
  showDataset,
  loadDataset,
  type DatasetResult,
  type GenerateDataOptions,
  type ImportDataOptions,
  type ShowDatasetResult,
} from './data/dataset.js';
export { generateDataset, defaultCount } from './data/generate.js';
export {
  addCorrection,
  listCorrections,
  correctionDraft,
  recordCompletion,
  CORRECTION_WEIGHT,
  type AddCorrectionOptions,
} from './data/corrections.js';
export {
  correctCall,
  type CallEdits,
  type CorrectCallOptions,
  type CorrectCallResult,
} from './data/correct-call.js';
export { parseTaskFile, toTaskLine, combineExamples } from './data/taskfile.js';
export { datasetStats, type DatasetReport } from './data/stats.js';
export { optionalCount, unstatedValues } from './data/stated.js';
export type {
  TaskExample,
  ExpectedCall,
  ExampleMeta,
  SkippedOperation,
  GenerateOptions,
} from './data/types.js';
export {
  validateCall,
  findOperation,
  buildUrl,
  renderCurl,
  renderFetch,
  normaliseScalars,
  type CallIssue,
} from './calls.js';
export {
  scoreCalls,
  meanScores,
  type CallScores,
  type OperationScore,
  type ScoredItem,
} from './train/metrics.js';
export { buildMessages, callToTarget, parseTarget, type PromptOptions } from './infer/prompt.js';
export { callGrammar } from './infer/grammar/call-grammar.js';
export type { TokenGrammar, GrammarMatcher } from './infer/grammar/matcher.js';
export {
  DEFAULT_LIMITS as DEFAULT_GRAMMAR_LIMITS,
  type GrammarLimits,
} from './infer/grammar/schema-grammar.js';
export { HTTP_METHODS } from './specs/types.js';
export {
  loraConfigSchema,
  createAdapter,
  loraModules,
  loraScale,
  loraTensorName,
  saveAdapter,
  loadAdapter,
  mergeAdapter,
  type LoraConfig,
  type LoraAdapter,
  type LoraModule,
  type AdapterMeta,
} from './model/lora.js';
export { LORA_TARGETS, type LoraTarget } from './model/types.js';
export {
  parseTrainOptions,
  trainOptionsSchema,
  type TrainOptions,
  type TrainOptionsInput,
} from './train/options.js';
export { trainLoop, type TrainDeps, type TrainProgress, type TrainResult } from './train/loop.js';
export {
  runTrainJob,
  LOSS_PNG,
  type TrainJobInput,
  type TrainJobResult,
  type TrainJobHooks,
} from './train/job.js';
export { lossChartPng, evalChartPng, type LossChartOptions, type EvalChartInput } from './train/chart.js';
export {
  evaluateTraining,
  heldOutSample,
  EVAL_PNG,
  EVAL_TASKS_PER_OPERATION,
  type TrainingEval,
} from './train/chart-eval.js';
export {
  startTraining,
  listJobs,
  getJob,
  stopJob,
  resumeJob,
  waitForJob,
  trainingSummary,
  type StartTrainingOptions,
  type TrainJobOptions,
  type TrainingSummary,
  type IncrementalOutcome,
} from './train/jobs.js';
export {
  operationDiff,
  REPLAY_PER_OPERATION,
  INCREMENTAL_PASSES,
  INCREMENTAL_MIN_STEPS,
  INCREMENTAL_MAX_SHARE,
  type IncrementalInfo,
} from './train/incremental.js';
export {
  claimNextJob,
  startDispatchedJob,
  workerInput as trainJobWorkerInput,
  adoptRunningJobs,
  recordJobProgress,
  recordJobCheckpoint,
  finishTrainingJob,
  notWorse,
  failJob,
  reconcileJobs,
  resumeInterruptedJobs,
} from './train/job-records.js';
export { sweepSpecOrphans } from './specs/orphans.js';
export { acquireRunnerLock, releaseRunnerLock, liveRunner } from './train/runner-lock.js';
export { DEFAULT_JOB_LIMITS, resolveJobLimits, type JobLimits } from './train/limits.js';
export {
  importModel,
  pullModel,
  listModels,
  showModel,
  removeModel,
  baseModelPath,
  loadBaseModel,
  DEFAULT_REPO as DEFAULT_BASE_REPO,
  type BaseModelSummary,
  type ImportModelResult,
  type ShowModelResult,
} from './model/registry.js';
export { loadWeights, type LoadedWeights } from './model/weights/load.js';
export type { LlamaConfig, F32Tensor, WeightMap } from './model/types.js';
export {
  generate,
  promptIds,
  baseRuntime,
  type GenerateTextOptions,
  type GenerateTextResult,
} from './infer/generate.js';
export {
  loadRuntime,
  createRuntime,
  releaseRuntimes,
  type BaseRuntime,
  type RuntimeOptions,
} from './infer/runtime.js';
export {
  decode,
  type DecodeConstraint,
  type DecodeOptions,
  type DecodeResult,
  type DecodeTimings,
  type GeneratedToken,
  type StopReason,
} from './infer/decode.js';
export type { SamplingOptions } from './infer/sample.js';
export { PrefixCache, type PrefixCacheLimits } from './infer/prefix.js';
export { AnswerHistory, type LookupOptions } from './infer/lookup.js';
export { decodeBatch, type BatchOptions, type BatchRow } from './infer/batch.js';
export {
  WEIGHT_QUANTS,
  QUANT_REQUESTS,
  checkQuant,
  type QuantRequest,
  type WeightQuant,
} from './model/quant.js';
export { machineKey, readChecks, type MachineKey, type ModeCheck } from './infer/weight-mode.js';
export { PROBES, MIN_TOP1, type ProbeScore } from './infer/selfcheck.js';
export { doctor, type DoctorOptions, type DoctorReport } from './infer/doctor.js';
export { mapTask, callConfidence, type MapOptions, type MapResult, type Confidence } from './infer/mapper.js';
export { missingValues, unstatedOptionals, withoutNeeds, type Need, type ValueRef } from './infer/clarify.js';
export {
  ask,
  history,
  resolveMapper,
  type AskOptions,
  type AskResult,
  type MapperTarget,
  type ResolvedMapper,
  type HistoryOptions,
} from './infer/ask.js';
export {
  evaluate,
  compareAdapters,
  percentile,
  type EvaluateOptions,
  type EvaluateResult,
  type EvalFailure,
  type CompareResult,
} from './infer/eval.js';
export {
  listAdapters,
  showAdapter,
  activateAdapter,
  rollbackAdapter,
  type AdapterSummary,
  type AdapterDetails,
  type ActivationResult,
} from './models.js';
export {
  exportAdapter,
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportOptions,
  type ExportResult,
} from './infer/export.js';
export { GGUF_LORA_OUTTYPES, type GgufLoraOuttype } from './infer/export-gguf.js';
