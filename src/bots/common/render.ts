/**
 * Rendering shared by both bots. Replies use the Markdown subset Slack mrkdwn and Discord both display the
 * same way (`code`, ```blocks```, • bullets, plain links); bold is left to each surface's conventions.
 */
import type {
  AdapterSummary,
  AddSpecResult,
  ApiCall,
  QueryRecord,
  JobRecord,
  Operation,
  RemoveSpecResult,
  SpecSummary,
} from '../../engine/index.js';
import type { AnswerCard } from './cards.js';

/** What a command answers: text, optional files (the loss curve), and a job to keep watching. */
export interface Reply {
  text: string;
  files?: { name: string; data: Uint8Array }[];
  /** A job id: the surface keeps this reply's message updated with the job's progress. */
  watch?: string;
  /** Whether only the caller should see the reply (errors, help). */
  ephemeral?: boolean;
  /** An answer: the surface shows it as a card (Block Kit, embed) with its buttons; `text` is the fallback. */
  card?: AnswerCard;
  /** A running job: the surface adds a *Stop* button for it. */
  stop?: string;
}

/** Chat messages have limits (Slack ~40k, Discord 2000 characters): long lists are cut with a note. */
export const MAX_REPLY = 1900;

export function clip(text: string, max = MAX_REPLY): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 40);
  return `${cut.slice(0, cut.lastIndexOf('\n') > 0 ? cut.lastIndexOf('\n') : cut.length)}\n… (cut; use the CLI for all)`;
}

export function progressBar(done: number, total: number, width = 20): string {
  const f = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const full = Math.round(f * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)} ${Math.round(f * 100)}%`;
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const fmt = (x: number | null | undefined, digits = 4): string =>
  x === null || x === undefined ? '–' : x.toFixed(digits);

export function renderSpecAdded(r: AddSpecResult): string {
  const what = r.created ? `added as *${r.name}* v${r.version}` : `unchanged (*${r.name}* v${r.version})`;
  return `Spec ${what}: ${r.title} — ${r.operations} operations (OpenAPI ${r.sourceFormat})`;
}

export function renderSpecList(specs: SpecSummary[]): string {
  if (specs.length === 0) return 'No specs yet: `/smolmap spec add` uploads one.';
  return clip(
    specs.map((s) => `• \`${s.name}\` v${s.version} — ${s.title} (${s.operations} ops)`).join('\n'),
  );
}

export function renderOps(spec: string, ops: Operation[]): string {
  const lines = ops.map(
    (o) => `${o.method.padEnd(6)} ${o.path}  ${o.operationId}${o.summary ? ` — ${o.summary}` : ''}`,
  );
  // Cut whole lines inside the code block so the fence stays closed.
  const shown: string[] = [];
  let size = spec.length + 40;
  for (const l of lines) {
    if (size + l.length + 1 > MAX_REPLY - 40) break;
    shown.push(l);
    size += l.length + 1;
  }
  const more = lines.length > shown.length ? `\n… ${lines.length - shown.length} more (use the CLI)` : '';
  return `*${spec}*: ${ops.length} operations\n\`\`\`\n${shown.join('\n')}\n\`\`\`${more}`;
}

export function renderRemoved(r: RemoveSpecResult): string {
  return r.remaining.length === 0
    ? `Removed spec *${r.name}*.`
    : `Removed ${r.name} v${r.removed.join(', v')}; left: v${r.remaining.join(', v')}`;
}

/** One line per job, newest first. */
export function renderJobs(jobs: JobRecord[]): string {
  if (jobs.length === 0) return 'No jobs: `/smolmap train <spec>` starts one.';
  const line = (j: JobRecord): string => {
    const p = j.progress;
    const at = p ? ` step ${p.step}/${p.totalSteps}, loss ${fmt(p.loss)}` : '';
    return `• \`${j.id}\` ${j.status}${at}`;
  };
  return clip(
    [...jobs]
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .map(line)
      .join('\n'),
  );
}

/** The progress message of a training: bar, step, loss, ETA. */
export function renderProgress(job: JobRecord): string {
  const head = `Training \`${job.id}\` — ${job.status}`;
  const p = job.progress;
  if (!p) return `${head}\n${progressBar(0, 1)} waiting for the job runner…`;
  const eta = p.etaSeconds === null ? '' : ` · ETA ${duration(p.etaSeconds)}`;
  const val = p.valLoss === null ? '' : ` · val ${fmt(p.valLoss)}`;
  return `${head}\n${progressBar(p.step, p.totalSteps)} · step ${p.step}/${p.totalSteps} · loss ${fmt(p.loss)}${val}${eta}`;
}

export interface TrainOutcome {
  model: string | null;
  trainLoss: number | null;
  valLoss: number | null;
  tokensPerSecond: number | null;
  seconds: number | null;
}

/** The final state of a training message: metrics, or the job's coded error. */
export function renderFinished(job: JobRecord, s: TrainOutcome): string {
  if (job.status === 'failed')
    return `Training \`${job.id}\` failed — ${job.error?.code ?? 'job_failed'}: ${job.error?.message ?? ''}`;
  if (job.status === 'stopped')
    return `Training \`${job.id}\` stopped (resumable with \`smolmap jobs resume\`).`;
  return [
    `Training \`${job.id}\` done ${progressBar(1, 1)}`,
    `model \`${s.model ?? '?'}\` · train loss ${fmt(s.trainLoss)} · val loss ${fmt(s.valLoss)}`,
    `${fmt(s.tokensPerSecond, 0)} tokens/s · ${s.seconds === null ? '–' : duration(s.seconds)}`,
  ].join('\n');
}

/** An answered task: the call, its curl, confidence and the model used. */
export interface AskView {
  call: ApiCall;
  curl: string;
  confidence: number | null;
  model: string;
  spec: string;
  specVersion: number;
}

export function renderAnswer(a: AskView): string {
  const c = a.call;
  const conf = a.confidence === null ? '–' : `${Math.round(a.confidence * 100)}%`;
  return clip(
    [
      `\`${c.method} ${c.path}\` (${c.operationId})`,
      '```',
      JSON.stringify(
        { pathParams: c.pathParams, query: c.query, headers: c.headers, body: c.body },
        null,
        1,
      ).replace(/\n\s*/g, ' '),
      '```',
      '```',
      a.curl,
      '```',
      `confidence ${conf} · model \`${a.model}\` · ${a.spec} v${a.specVersion}`,
    ].join('\n'),
  );
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

export function renderModels(models: AdapterSummary[]): string {
  if (models.length === 0) return 'No trained models yet: `/smolmap train <spec>` makes one.';
  const line = (m: AdapterSummary): string => {
    const scores = m.metrics
      ? ` — exact ${pct(m.metrics.exactMatch)}, endpoint ${pct(m.metrics.endpointAccuracy)} (n=${m.metrics.n})`
      : '';
    return `• \`${m.id}\` ${m.spec.name} v${m.spec.version} ${m.status}${m.active ? ' *(active)*' : ''}${scores}`;
  };
  return clip(models.map(line).join('\n'));
}

/** The last asks, newest last, each with the call it produced. */
export function renderHistory(queries: QueryRecord[]): string {
  if (queries.length === 0) return 'Nothing asked yet: `/smolmap ask <spec> <task>`.';
  const line = (q: QueryRecord): string => {
    const result = q.call ? `\`${q.call.method} ${q.call.path}\`` : 'no call';
    return `• ${q.createdAt.slice(0, 16).replace('T', ' ')} ${q.spec.name}: “${q.input}” → ${result}`;
  };
  return clip(queries.map(line).join('\n'));
}

export function renderError(code: string, message: string): string {
  return `⚠️ ${code}: ${message}`;
}
