/**
 * The *Fill in* form: one text field per value the task did not state, labelled with its question. Which
 * answer and where to reply travel in `private_metadata`; the tenant and user come from the signed submission.
 */
import type { ModalView } from '@slack/types';
import type { ViewOutput } from '@slack/bolt';
import { SmolmapError, type Need } from '../../engine/index.js';
import { needId } from '../common/clarify.js';

export const FILL_CALLBACK = 'smolmap_fill';

export interface FillMeta {
  queryId: string;
  channel: string;
  responseUrl?: string;
}

/** Slack labels hold at most 2000 characters; keep them to a line. */
const label = (s: string): string => (s.length <= 150 ? s : `${s.slice(0, 149)}…`);

export function fillModal(meta: FillMeta, needs: Need[]): ModalView {
  return {
    type: 'modal',
    callback_id: FILL_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: 'Fill in the values' },
    submit: { type: 'plain_text', text: 'Complete' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: needs.map((n) => ({
      type: 'input',
      block_id: needId(n),
      label: { type: 'plain_text', text: label(n.question) },
      hint: { type: 'plain_text', text: `${n.in} ${n.name}` },
      element: { type: 'plain_text_input', action_id: needId(n) },
    })),
  } as ModalView;
}

export function parseFillMeta(view: ViewOutput): FillMeta {
  try {
    const m = JSON.parse(view.private_metadata) as Partial<FillMeta>;
    if (typeof m.queryId === 'string' && typeof m.channel === 'string')
      return {
        queryId: m.queryId,
        channel: m.channel,
        ...(typeof m.responseUrl === 'string' && { responseUrl: m.responseUrl }),
      };
  } catch {
    // fall through: a view we did not open
  }
  throw new SmolmapError('internal', 'internal: fill-in modal without its metadata');
}

/** The answers, keyed by field id. */
export function readFill(view: ViewOutput): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [block, actions] of Object.entries(view.state.values))
    values[block] = actions[block]?.value?.trim() ?? '';
  return values;
}
