/**
 * The *Correct* form: the task and the call as task-file JSON, prefilled with the answer. Which answer, spec
 * and where to reply travel in `private_metadata`; the tenant and user come from the signed submission.
 */
import type { ModalView } from '@slack/types';
import type { ViewOutput } from '@slack/bolt';
import { SmolmapError, type ApiCall } from '../../engine/index.js';
import { expectedJson } from '../common/cards.js';

export const CORRECT_CALLBACK = 'smolmap_correct';
export const CORRECT_BLOCKS = { task: 'correct_task', call: 'correct_call' } as const;

export interface CorrectionMeta {
  queryId: string;
  spec: string;
  version: number;
  channel: string;
  responseUrl?: string;
}

/** Slack caps a plain_text_input's initial value at 3000 characters. */
const MAX_INPUT = 3000;

function input(block: string, label: string, value: string, multiline: boolean, hint?: string) {
  return {
    type: 'input',
    block_id: block,
    label: { type: 'plain_text', text: label },
    ...(hint !== undefined && { hint: { type: 'plain_text', text: hint } }),
    element: {
      type: 'plain_text_input',
      action_id: block,
      multiline,
      initial_value: value.slice(0, MAX_INPUT),
    },
  };
}

export function correctionModal(meta: CorrectionMeta, task: string, call: ApiCall | null): ModalView {
  const json = call ? expectedJson(call) : '{\n  "method": "GET",\n  "path": "/"\n}';
  return {
    type: 'modal',
    callback_id: CORRECT_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: 'Correct the answer' },
    submit: { type: 'plain_text', text: 'Save' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      input(CORRECT_BLOCKS.task, 'Task', task, false),
      input(
        CORRECT_BLOCKS.call,
        'The call it should be',
        json,
        true,
        `method and path of an operation of ${meta.spec} (\`/smolmap spec ops ${meta.spec}\`), with pathParams, query and body`,
      ),
    ],
  } as ModalView;
}

export function parseCorrectionMeta(view: ViewOutput): CorrectionMeta {
  try {
    const m = JSON.parse(view.private_metadata) as Partial<CorrectionMeta>;
    if (
      typeof m.queryId === 'string' &&
      typeof m.spec === 'string' &&
      typeof m.version === 'number' &&
      typeof m.channel === 'string'
    )
      return {
        queryId: m.queryId,
        spec: m.spec,
        version: m.version,
        channel: m.channel,
        ...(typeof m.responseUrl === 'string' && { responseUrl: m.responseUrl }),
      };
  } catch {
    // fall through: a view we did not open
  }
  throw new SmolmapError('internal', 'internal: correction modal without its metadata');
}

/** The task and the call as the user left them; a per-block error when the call is not JSON. */
export function readCorrection(
  view: ViewOutput,
): { task: string; expected: unknown } | { errors: Record<string, string> } {
  const v = view.state.values;
  const text = (b: string): string => v[b]?.[b]?.value?.trim() ?? '';
  const task = text(CORRECT_BLOCKS.task);
  if (task === '') return { errors: { [CORRECT_BLOCKS.task]: 'give the task' } };
  try {
    return { task, expected: JSON.parse(text(CORRECT_BLOCKS.call)) as unknown };
  } catch (e) {
    return { errors: { [CORRECT_BLOCKS.call]: `not JSON: ${(e as Error).message}` } };
  }
}
