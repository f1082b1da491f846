/**
 * Which weight mode answers: a mode other than f32 is used only after it passed the self-check (selfcheck.ts)
 * on this machine, and `auto` picks the fastest mode that passed. Results are cached in
 * `<modelsDir>/selfcheck.json`, keyed by the CPU (model and the instruction sets the quantised kernels use),
 * the onnxruntime version and the model file's SHA-256, so a probe runs once per machine and model.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

import { SmolmapError } from '../errors.js';
import type { QuantRequest, WeightQuant } from '../model/quant.js';
import type { BaseRuntime } from './runtime.js';
import { referenceWalk, scoreMode, type ProbeScore, type Reference } from './selfcheck.js';

/** Modes `auto` tries besides f32, fastest-looking first (the probe's timing decides). */
const AUTO_CANDIDATES: readonly WeightQuant[] = ['q4', 'i8', 'q8'];

/** CPU flags that change which quantised kernels ORT runs (from /proc/cpuinfo where the OS has it). */
const KERNEL_FLAGS = [
  'avx2',
  'fma',
  'avx512f',
  'avx512bw',
  'avx512_vnni',
  'avx_vnni',
  'avx512_bf16',
  'amx_int8',
];

export interface MachineKey {
  cpu: string;
  features: string[];
  ort: string;
}

export interface ModeCheck extends MachineKey {
  model: string;
  mode: WeightQuant;
  score: ProbeScore;
  checkedAt: string;
}

interface CheckFile {
  checks: ModeCheck[];
  /** SHA-256 of model files by path, reused while size and mtime are unchanged. */
  hashes: Record<string, { size: number; mtimeMs: number; sha256: string }>;
}

function cpuFlags(): string[] {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = /^flags\s*:(.*)$/m.exec(info)?.[1] ?? '';
    const have = new Set(line.trim().split(/\s+/));
    return KERNEL_FLAGS.filter((f) => have.has(f));
  } catch {
    return [];
  }
}

function ortVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}

let machine: MachineKey | undefined;

/** This machine's key, read once per process (/proc/cpuinfo and the ORT package do not change under it). */
export function machineKey(): MachineKey {
  machine ??= { cpu: os.cpus()[0]?.model.trim() ?? 'unknown', features: cpuFlags(), ort: ortVersion() };
  return machine;
}

const sameMachine = (a: MachineKey, b: MachineKey): boolean =>
  a.cpu === b.cpu && a.ort === b.ort && a.features.join() === b.features.join();

const checkPath = (modelsDir: string): string => path.join(modelsDir, 'selfcheck.json');

export async function readChecks(modelsDir: string): Promise<CheckFile> {
  try {
    const parsed = JSON.parse(await readFile(checkPath(modelsDir), 'utf8')) as Partial<CheckFile>;
    return { checks: parsed.checks ?? [], hashes: parsed.hashes ?? {} };
  } catch {
    return { checks: [], hashes: {} }; // none yet, or unreadable: probes run again
  }
}

async function writeChecks(modelsDir: string, file: CheckFile): Promise<void> {
  await mkdir(modelsDir, { recursive: true });
  const tmp = `${checkPath(modelsDir)}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(file, null, 2));
  await rename(tmp, checkPath(modelsDir));
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The model's identity: SHA-256 of the GGUF file, or of a folder's weight and config files in name order. */
async function modelHash(source: string, file: CheckFile): Promise<string> {
  const s = await stat(source);
  const files = s.isDirectory()
    ? (await readdir(source))
        .filter((f) => f.endsWith('.safetensors') || f === 'config.json')
        .sort()
        .map((f) => path.join(source, f))
    : [source];
  const parts: string[] = [];
  for (const f of files) {
    const fs = await stat(f);
    const known = file.hashes[f];
    if (known && known.size === fs.size && known.mtimeMs === fs.mtimeMs) {
      parts.push(known.sha256);
      continue;
    }
    const sha256 = await sha256File(f);
    file.hashes[f] = { size: fs.size, mtimeMs: fs.mtimeMs, sha256 };
    parts.push(sha256);
  }
  return parts.length === 1 ? parts[0]! : createHash('sha256').update(parts.join()).digest('hex');
}

/** How the resolver reaches runtimes: `load` creates (or reuses) one, `drop` releases one no longer wanted. */
export interface RuntimeSource {
  modelsDir: string;
  /** The model file or folder (its hash keys the cache). */
  source: string;
  load(quant: WeightQuant): Promise<BaseRuntime>;
  drop(quant: WeightQuant): Promise<void>;
}

function refused(mode: WeightQuant, score: ProbeScore, passing: WeightQuant[]): SmolmapError {
  const use = `use --quant ${passing.filter((m) => m !== mode).join(' or ')}`;
  return new SmolmapError(
    'weight_mode_refused',
    `weight mode ${mode} failed its self-check on this machine: ${score.reason}; ${use}, or --quant auto to pick the fastest mode that passes here (\`smolmap doctor\` shows every result)`,
    { details: { mode, score, passing } },
  );
}

/**
 * The runtime for a requested mode: f32 as is; another mode only when its self-check passes (run now if this
 * machine has no result for it); `auto` the fastest passing mode, f32 included.
 */
export async function checkedRuntime(src: RuntimeSource, request: QuantRequest): Promise<BaseRuntime> {
  if (request === 'f32') return src.load('f32');
  // A mode resolved once serves every later ask of the process without re-reading the cache or the model's hash.
  const resolvedKey = `${src.modelsDir}\0${src.source}\0${request}`;
  const known = resolved.get(resolvedKey);
  if (known) return src.load(known);
  const mode = await resolveMode(src, request);
  resolved.set(resolvedKey, mode);
  return src.load(mode);
}

/** Modes that passed, by models dir, model source and request, for the life of the process. */
const resolved = new Map<string, WeightQuant>();

/** The mode to run for `request` (not f32): checked, probed where this machine has no result, or refused. */
async function resolveMode(src: RuntimeSource, request: QuantRequest): Promise<WeightQuant> {
  const file = await readChecks(src.modelsDir);
  const key = { ...machineKey(), model: await modelHash(src.source, file) };
  const ours = (c: ModeCheck): boolean => sameMachine(c, key) && c.model === key.model;
  let ref: Reference | undefined;
  let changed = false;
  const resultFor = async (mode: WeightQuant): Promise<ProbeScore> => {
    const hit = file.checks.find((c) => ours(c) && c.mode === mode);
    if (hit) return hit.score;
    ref ??= await referenceWalk(await src.load('f32'));
    const score = mode === 'f32' ? f32Score(ref) : await scoreMode(await src.load(mode), ref);
    file.checks = file.checks.filter((c) => !(ours(c) && c.mode === mode));
    file.checks.push({ ...key, mode, score, checkedAt: new Date().toISOString() });
    changed = true;
    return score;
  };
  try {
    if (request !== 'auto') {
      const score = await resultFor(request);
      if (ref) await src.drop('f32'); // loaded only as the probe's reference
      if (!score.passed) {
        await src.drop(request);
        const passing = file.checks.filter((c) => ours(c) && c.score.passed);
        throw refused(request, score, ['f32', ...passing.map((c) => c.mode).filter((m) => m !== 'f32')]);
      }
      return request;
    }
    const scores = new Map<WeightQuant, ProbeScore>();
    for (const mode of ['f32', ...AUTO_CANDIDATES] as const) scores.set(mode, await resultFor(mode));
    const best = [...scores].filter(([, s]) => s.passed).sort((a, b) => a[1].stepMs - b[1].stepMs)[0]![0];
    for (const mode of scores.keys()) if (mode !== best) await src.drop(mode);
    return best;
  } finally {
    if (changed) await writeChecks(src.modelsDir, file);
  }
}

const f32Score = (ref: Reference): ProbeScore => ({
  top1: 1,
  maxAbsDiff: 0,
  answersMatch: true,
  chatAnswer: '',
  stepMs: ref.stepMs,
  passed: true,
  reason: '',
});
