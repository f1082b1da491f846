/**
 * Completing an answer that asked for values: the user's answers to the card's questions (from the *Fill in*
 * form, or a reply in the answer's thread) go into the call where the engine's clarification says they belong
 * (path, query, header or body field), and the completed call is checked against the spec, recorded as an
 * answer of its own, and shown as a card with its buttons.
 */
import {
  SmolmapError,
  buildUrl,
  correctionDraft,
  getSpec,
  missingValues,
  recordCompletion,
  renderCurl,
  validateCall,
  withoutNeeds,
  type ApiCall,
  type Catalog,
  type Engine,
  type Need,
} from '../../engine/index.js';
import type { AnswerCard } from './cards.js';
import type { BotDeps } from './handler.js';
import type { Actor } from './permissions.js';
import type { Reply } from './render.js';
import { offersRun } from './run.js';

/** Field id of a need in a form: where it goes and its name. */
export const needId = (n: Need): string => `${n.in}:${n.name}`.slice(0, 100);

/** The questions of an answer, as its card shows them. */
export async function answerNeeds(engine: Engine, tenant: string, queryId: string): Promise<Need[]> {
  const d = await correctionDraft(engine, queryId, { tenant });
  if (!d.call) return [];
  const { catalog } = await getSpec(engine, d.spec.name, { tenant, version: d.spec.version });
  return missingValues(d.task, d.call, catalog);
}

/** A body field's answer typed as its schema says (numbers, booleans, JSON); text otherwise. */
function bodyValue(call: ApiCall, catalog: Catalog, name: string, text: string): unknown {
  const op = catalog.operations.find((o) => o.method === call.method && o.path === call.path);
  const type = op?.requestBody?.schema?.properties?.[name]?.type;
  if (type === undefined || type === 'string') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A question the conversation is waiting on: the answer that asked, and the values given so far. */
export interface Awaiting {
  queryId: string;
  needs: Need[];
  /** Keyed by `needId`. */
  values: Record<string, string>;
}

/** A reply without `name: value` parts and longer than this reads as a new task, not as values. */
export const MAX_ANSWER_WORDS = 6;

const NAMED = /^\s*([\w.\-[\]]+)\s*[:=]\s*(.+?)\s*$/;

/**
 * The values a chat reply gives for `needs`: `name: value` (or `name = value`) parts, one per line or
 * separated by `;` or `,`, go to the question of that name; other parts answer the remaining questions in the
 * order asked. A reply to a single question is its value whole. `named` says whether any part named its
 * question. Null when the reply reads as a new task (no named part, and more than MAX_ANSWER_WORDS words).
 */
export function answersFrom(
  text: string,
  needs: readonly Need[],
): { values: Record<string, string>; named: boolean } | null {
  const reply = text.trim();
  if (reply === '' || needs.length === 0) return null;
  const byName = new Map(needs.map((n) => [n.name.toLowerCase(), n]));
  const parts = (needs.length === 1 ? reply.split(/\n/) : reply.split(/[\n;,]/))
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const values: Record<string, string> = {};
  const unnamed: string[] = [];
  for (const part of parts) {
    const m = NAMED.exec(part);
    const need = m ? byName.get(m[1]!.toLowerCase()) : undefined;
    if (m && need) values[needId(need)] = m[2]!;
    else unnamed.push(part);
  }
  const named = Object.keys(values).length > 0;
  if (!named && reply.split(/\s+/).length > MAX_ANSWER_WORDS) return null;
  const open = needs.filter((n) => values[needId(n)] === undefined);
  if (needs.length === 1 && !named) return { values: { [needId(needs[0]!)]: reply }, named };
  unnamed.slice(0, open.length).forEach((v, k) => (values[needId(open[k]!)] = v));
  return { values, named };
}

/** The questions of `awaiting` no value answers yet. */
export const stillOpen = (a: Awaiting): Need[] =>
  a.needs.filter((n) => (a.values[needId(n)] ?? '').trim() === '');

/** The original task with the values the user gave, so the recorded answer states every value it carries. */
function completedTask(task: string, needs: readonly Need[], values: Record<string, string>): string {
  const given = needs.map((n) => `${n.name}: ${values[needId(n)]!.trim()}`).join(', ');
  return `${task} (${given})`;
}

/** `call` with the answers put where each need says. */
function filledCall(
  call: ApiCall,
  needs: readonly Need[],
  values: Record<string, string>,
  catalog: Catalog,
): ApiCall {
  const base = withoutNeeds(call, needs, catalog);
  const object = base.body !== null && typeof base.body === 'object' && !Array.isArray(base.body);
  const body = object
    ? { ...(base.body as Record<string, unknown>) }
    : needs.some((n) => n.in === 'body')
      ? {}
      : base.body;
  const filled: ApiCall = {
    ...base,
    pathParams: { ...base.pathParams },
    query: { ...base.query },
    headers: { ...base.headers },
    body,
  };
  for (const n of needs) {
    const v = values[needId(n)]!.trim();
    if (n.in === 'path') filled.pathParams[n.name] = v;
    else if (n.in === 'query') filled.query[n.name] = v;
    else if (n.in === 'header') filled.headers[n.name] = v;
    else (filled.body as Record<string, unknown>)[n.name] = bodyValue(base, catalog, n.name, v);
  }
  filled.url = buildUrl(filled, catalog);
  return filled;
}

/**
 * The answer `queryId` completed with `values` (keyed by `needId`), for `actor`. Every question needs an
 * answer and the completed call must conform to the spec; it is then recorded as an answer of its own, so its
 * card has the buttons of any answer (*Run* when sending is enabled for the spec and the actor may run calls).
 */
export async function completeAnswer(
  deps: Pick<BotDeps, 'engine' | 'permissions' | 'quota' | 'execute'>,
  actor: Actor,
  queryId: string,
  values: Record<string, string>,
): Promise<AnswerCard> {
  deps.quota.admit(actor);
  const { engine } = deps;
  const scope = { tenant: actor.tenant };
  const d = await correctionDraft(engine, queryId, scope);
  if (!d.call)
    throw new SmolmapError('bot_clarify_no_call', 'that answer has no call to complete; ask again');
  const { catalog } = await getSpec(engine, d.spec.name, { ...scope, version: d.spec.version });
  const needs = missingValues(d.task, d.call, catalog);
  const unanswered = needs.filter((n) => (values[needId(n)] ?? '').trim() === '');
  if (unanswered.length > 0)
    throw new SmolmapError(
      'bot_clarify_incomplete',
      `still missing: ${unanswered.map((n) => n.question).join(' ')} Answer every question`,
    );
  const filled = filledCall(d.call, needs, values, catalog);
  const issues = validateCall(filled, catalog);
  if (issues.length > 0)
    throw new SmolmapError(
      'bot_clarify_invalid',
      `with those values the call does not fit the spec: ${issues.map((i) => i.message).join('; ')}; give the values again`,
    );
  const task = completedTask(d.task, needs, values);
  const id = await recordCompletion(engine, queryId, { task, call: filled }, scope);
  return {
    queryId: id,
    task,
    spec: d.spec.name,
    specVersion: d.spec.version,
    call: filled,
    curl: renderCurl(filled, catalog),
    confidence: null,
    model: '',
    untrained: false,
    notes: [],
    needs: [],
    runnable:
      deps.execute?.enabled === true &&
      offersRun(deps.execute, deps.permissions, actor, d.spec.name, catalog),
    completed: true,
  };
}

/** What a reply to an answer's questions leads to: the completed card, or the questions still open. */
export type QuestionsReply = { done: Reply } | { ask: Reply; awaiting: Awaiting };

/**
 * Takes `values` (from `answersFrom`) as answers to `awaiting`'s questions: with every question answered,
 * the completed answer's card (recorded, validated; throws the coded error otherwise, `awaiting` unchanged);
 * else the questions still open, with the values so far kept.
 */
export async function answerQuestions(
  deps: Pick<BotDeps, 'engine' | 'permissions' | 'quota' | 'execute'>,
  actor: Actor,
  awaiting: Awaiting,
  values: Record<string, string>,
): Promise<QuestionsReply> {
  const merged: Awaiting = { ...awaiting, values: { ...awaiting.values, ...values } };
  const open = stillOpen(merged);
  if (open.length > 0) {
    const how = open.length === 1 ? 'Reply with it' : 'Reply with them, one `name: value` a line';
    return {
      ask: { text: `Still missing: ${open.map((n) => n.question).join(' ')} ${how}, or use *Fill in*.` },
      awaiting: merged,
    };
  }
  const card = await completeAnswer(deps, actor, awaiting.queryId, merged.values);
  return { done: { text: `\`${card.call.method} ${card.call.url}\``, card } };
}

/** Forgets the questions of answer `queryId` wherever a conversation waits on them (they were answered). */
export function settleQuestions(sessions: Map<string, { awaiting?: Awaiting }>, queryId: string): void {
  for (const s of sessions.values()) if (s.awaiting?.queryId === queryId) delete s.awaiting;
}
