/**
 * An answer as a card, shared by both bots: Slack renders it as Block Kit (slack/blocks.ts), Discord as an
 * embed (discord/embeds.ts). The card holds what a person checks before using a call (method, path,
 * parameters, URL, curl, confidence, adapter) and the ids its buttons carry.
 *
 * Buttons: *Copy curl* (the curl line alone, for copying), *Correct* (a form prefilled with the call; the
 * corrected call becomes a labelled example), *Run* (sends the call, only when the operator enabled sending
 * for the spec and the asker may run calls), *Fill in* (a form with one field per value the task did not
 * state) and *Stop* on a training's progress message.
 */
import type { ApiCall, AskResult, ExpectedCall, Need } from '../../engine/index.js';

/** Action ids (Slack `action_id`, Discord `custom_id` prefix before `:`). */
export const ACTIONS = {
  copyCurl: 'smolmap_copy_curl',
  correct: 'smolmap_correct',
  stop: 'smolmap_stop',
  run: 'smolmap_run',
  fill: 'smolmap_fill',
} as const;

export interface AnswerCard {
  /** The query record: buttons refer to it. */
  queryId: string;
  task: string;
  spec: string;
  specVersion: number;
  call: ApiCall;
  curl: string;
  /** 0..1, or null when unknown. */
  confidence: number | null;
  /** The adapter that answered, or the base model when the spec has none. */
  model: string;
  untrained: boolean;
  /** Short warnings shown under the call (untrained, not valid). */
  notes: string[];
  /** Values the task did not state, each with its question: the card asks instead of offering Run. */
  needs: Need[];
  /** Whether the card offers *Run* (sending is enabled for the spec and the asker may run calls). */
  runnable: boolean;
  /** A call completed from the user's answers (recorded as an answer of its own, so its buttons act on it). */
  completed?: boolean;
}

export function answerCard(task: string, r: AskResult, runnable = false): AnswerCard {
  const notes = [
    r.untrained && 'untrained: answered by the base model; `/smolmap train` improves it',
    !r.valid && `not valid: ${r.issues.join('; ')}`,
  ].filter((n): n is string => typeof n === 'string');
  return {
    queryId: r.queryId,
    task,
    spec: r.spec,
    specVersion: r.specVersion,
    call: r,
    curl: r.curl,
    confidence: r.confidence,
    model: r.model,
    untrained: r.untrained,
    notes,
    needs: r.needs,
    runnable: runnable && r.needs.length === 0,
  };
}

/** One line per parameter, `in name = value`, in path, query, body order. */
export function parameterLines(call: ApiCall): string[] {
  const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
  const lines = [
    ...Object.entries(call.pathParams).map(([k, v]) => `path  ${k} = ${v}`),
    ...Object.entries(call.query).map(([k, v]) => `query ${k} = ${show(v)}`),
  ];
  if (call.body !== null && call.body !== undefined) lines.push(`body  ${JSON.stringify(call.body)}`);
  return lines;
}

export const confidenceText = (c: number | null): string => (c === null ? '–' : `${Math.round(c * 100)}%`);

/** The call as the correction form shows it: the fields of a task file's `expected`, as JSON. */
export function expectedJson(call: ApiCall): string {
  const expected: ExpectedCall = {
    method: call.method,
    path: call.path,
    operationId: call.operationId,
    pathParams: call.pathParams,
    query: call.query,
    body: call.body ?? null,
  };
  return JSON.stringify(expected, null, 2);
}
