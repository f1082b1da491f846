/**
 * `smolmap correct`: say which call a task should have produced. From a recorded answer (`ask` prints its id)
 * the correction starts from that answer's call and changes only what is given; with --spec and --task it
 * is a new labelled example. Either way it is validated against the spec and stored with who and when.
 */
import os from 'node:os';

import {
  SmolmapError,
  correctCall,
  correctionDraft,
  type ApiCall,
  type CorrectCallResult,
  type CorrectionRecord,
} from '../engine/index.js';
import { defineCommand, type Command, type OptionValues } from './command.js';
import { optionalString } from './mapper-options.js';

type Draft = Awaited<ReturnType<typeof correctionDraft>>;
type CorrectResult = ({ stored: true } & CorrectCallResult) | { stored: false; draft: Draft };

const list = (values: OptionValues, key: string): string[] => {
  const v = values[key];
  return v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String);
};

/** `--param NAME=VALUE` (repeatable; a name given twice is a list). */
function params(values: OptionValues): Record<string, string | string[]> | undefined {
  const out: Record<string, string | string[]> = {};
  for (const p of list(values, 'param')) {
    const at = p.indexOf('=');
    if (at < 1)
      throw new SmolmapError(
        'usage_bad_option',
        `--param takes NAME=VALUE (got "${p}"), e.g. --param status=sold`,
      );
    const [name, value] = [p.slice(0, at), p.slice(at + 1)];
    const had = out[name];
    out[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function body(values: OptionValues): unknown {
  const raw = optionalString(values, 'body');
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (e) {
    throw new SmolmapError(
      'usage_bad_option',
      `--body is not JSON (${(e as Error).message}); quote it, e.g. --body '{"name":"Rex"}', or --body null for none`,
    );
  }
}

/** The person correcting: the login name of this process's user, when the system knows it. */
function who(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return process.env['USER'] ?? undefined;
  }
}

const show = (call: { method: string; path: string; pathParams: object; query: object; body: unknown }) =>
  [
    `${call.method} ${call.path}`,
    ...(Object.keys(call.pathParams).length ? [`path ${JSON.stringify(call.pathParams)}`] : []),
    ...(Object.keys(call.query).length ? [`query ${JSON.stringify(call.query)}`] : []),
    ...(call.body !== null && call.body !== undefined ? [`body ${JSON.stringify(call.body)}`] : []),
  ].join('  ');

export function renderCorrection(c: CorrectionRecord): string {
  return `${c.createdAt}  ${c.id}  ${c.user ?? '-'} (${c.surface})  ${c.spec.name} v${c.spec.version}\n  “${c.task}” → ${show(c.expected)}`;
}

function human(r: CorrectResult): string {
  if (!r.stored) {
    const call: ApiCall | null = r.draft.call;
    return [
      `Answer ${r.draft.queryId} (${r.draft.spec.name} v${r.draft.spec.version}): “${r.draft.task}”`,
      `  ${call ? show(call) : '(no call)'}`,
      `Nothing stored. Correct it with \`smolmap correct ${r.draft.queryId} [OPERATION] [--param NAME=VALUE …] [--drop NAME] [--body JSON]\`, or store it as right with --as-is.`,
    ].join('\n');
  }
  const c = r.correction;
  return [
    `Saved correction ${c.id} of ${c.spec.name} v${c.spec.version} by ${c.user ?? 'unknown'} at ${c.createdAt}`,
    `  task: “${c.task}”`,
    ...(r.previous ? [`  was:  ${show(r.previous)}`] : []),
    `  now:  ${show(c.expected)}`,
    `\`smolmap train --spec ${c.spec.name}\` mixes it in; \`smolmap train --spec ${c.spec.name} --incremental\` learns it from the active adapter in a few minutes.`,
  ].join('\n');
}

const correct = defineCommand<CorrectResult>({
  name: 'correct',
  summary:
    'store the call a task should have produced, as a labelled example for training: from an answer id (`ask` prints it), or with --spec and --task',
  args: '[<answer-id>] [OPERATION | METHOD PATH]',
  options: {
    spec: { type: 'string' },
    task: { type: 'string' },
    version: { type: 'string' },
    param: { type: 'string', multiple: true },
    drop: { type: 'string', multiple: true },
    body: { type: 'string' },
    'as-is': { type: 'boolean', default: false },
  },
  optionHelp: {
    'spec S': 'correct no answer: a new example for spec S (then give --task and the operation)',
    'task T': 'the task (default: the answer’s)',
    'version V': 'with --spec: the spec version (default: the latest)',
    'param NAME=VALUE':
      'set a path or query parameter (repeatable; the spec says where it goes; a name given twice is a list)',
    'drop NAME': 'leave a parameter of the answer out (repeatable)',
    'body JSON': 'the request body as JSON (null: none)',
    'as-is': 'store the answer unchanged, as a right one',
  },
  async run(ctx, positionals, values) {
    const spec = optionalString(values, 'spec');
    const [answer, ...opWords] = spec === undefined ? positionals : [undefined, ...positionals];
    if (spec === undefined && answer === undefined)
      throw new SmolmapError(
        'usage_bad_arguments',
        '`smolmap correct` needs an answer id (`smolmap ask` and `smolmap history` show it), or --spec S --task T and the operation; e.g. `smolmap correct q-1a2b3c4d5e6f GET /pet/{petId} --param petId=42`',
      );
    if (spec !== undefined && optionalString(values, 'task') === undefined)
      throw new SmolmapError(
        'usage_missing_option',
        '`smolmap correct --spec S` needs --task T and the operation (METHOD PATH or operationId); to correct an answer, give its id instead of --spec',
      );
    if (opWords.length > 2)
      throw new SmolmapError(
        'usage_bad_arguments',
        `after the answer id give one operation: METHOD PATH or an operationId (got "${opWords.join(' ')}"); put values in --param NAME=VALUE`,
      );
    const version = optionalString(values, 'version');
    if (version !== undefined && (spec === undefined || !/^[1-9]\d*$/.test(version)))
      throw new SmolmapError('usage_bad_option', '--version takes a positive whole number, with --spec');
    const edits = {
      ...(opWords.length > 0 ? { operation: opWords.join(' ') } : {}),
      ...(params(values) ? { set: params(values) } : {}),
      ...(list(values, 'drop').length ? { drop: list(values, 'drop') } : {}),
      ...(body(values) !== undefined ? { body: body(values) } : {}),
      ...(optionalString(values, 'task') !== undefined ? { task: optionalString(values, 'task') } : {}),
    };
    const engine = await ctx.engine();
    if (answer !== undefined && Object.keys(edits).length === 0 && values['as-is'] !== true)
      return { stored: false, draft: await correctionDraft(engine, answer, { tenant: ctx.tenant }) };
    const r = await correctCall(engine, {
      ...edits,
      ...(answer !== undefined ? { queryId: answer } : {}),
      ...(spec !== undefined ? { spec } : {}),
      ...(version !== undefined ? { version: Number(version) } : {}),
      ...(who() !== undefined ? { user: who() } : {}),
      tenant: ctx.tenant,
      surface: 'cli',
    });
    return { stored: true, ...r };
  },
  human,
});

export const correctCommands: Command[] = [correct];
