/**
 * Completing an answer that asked for values: the user's answers to the card's questions go into the call
 * where the engine's clarification says they belong (path, query, header or body field), and the completed
 * call is checked against the spec before it is shown.
 */
import {
  SmolmapError,
  buildUrl,
  correctionDraft,
  getSpec,
  missingValues,
  renderCurl,
  validateCall,
  withoutNeeds,
  type ApiCall,
  type Catalog,
  type Engine,
  type Need,
} from '../../engine/index.js';
import type { AnswerCard } from './cards.js';

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

/**
 * The answer `queryId` completed with `values` (keyed by `needId`): a card without buttons. Every question
 * needs an answer, and the completed call must conform to the spec.
 */
export async function completeAnswer(
  engine: Engine,
  tenant: string,
  queryId: string,
  values: Record<string, string>,
): Promise<AnswerCard> {
  const d = await correctionDraft(engine, queryId, { tenant });
  if (!d.call)
    throw new SmolmapError('bot_clarify_no_call', 'that answer has no call to complete; ask again');
  const { catalog } = await getSpec(engine, d.spec.name, { tenant, version: d.spec.version });
  const needs = missingValues(d.task, d.call, catalog);
  const unanswered = needs.filter((n) => (values[needId(n)] ?? '').trim() === '');
  if (unanswered.length > 0)
    throw new SmolmapError(
      'bot_clarify_incomplete',
      `still missing: ${unanswered.map((n) => n.question).join(' ')} Answer every question`,
    );
  const call = withoutNeeds(d.call, needs, catalog);
  const body =
    call.body !== null && typeof call.body === 'object' && !Array.isArray(call.body)
      ? { ...(call.body as Record<string, unknown>) }
      : call.body;
  const filled: ApiCall = {
    ...call,
    pathParams: { ...call.pathParams },
    query: { ...call.query },
    headers: { ...call.headers },
    body,
  };
  for (const n of needs) {
    const v = values[needId(n)]!.trim();
    if (n.in === 'path') filled.pathParams[n.name] = v;
    else if (n.in === 'query') filled.query[n.name] = v;
    else if (n.in === 'header') filled.headers[n.name] = v;
    else (filled.body as Record<string, unknown>)[n.name] = bodyValue(call, catalog, n.name, v);
  }
  filled.url = buildUrl(filled, catalog);
  const issues = validateCall(filled, catalog);
  if (issues.length > 0)
    throw new SmolmapError(
      'bot_clarify_invalid',
      `with those values the call does not fit the spec: ${issues.map((i) => i.message).join('; ')}; fill in again`,
    );
  return {
    queryId,
    task: d.task,
    spec: d.spec.name,
    specVersion: d.spec.version,
    call: filled,
    curl: renderCurl(filled, catalog),
    confidence: null,
    model: '',
    untrained: false,
    notes: [],
    needs: [],
    runnable: false,
    completed: true,
  };
}
