/**
 * The `spec add` modal: a file input, a URL field and a paste box. Its submission becomes one of
 * the three upload kinds; which channel to answer in travels in `private_metadata`.
 */
import type { ModalView } from '@slack/types';
import type { ViewOutput } from '@slack/bolt';
import { SmolmapError } from '../../engine/index.js';
import type { SpecUpload } from '../common/upload.js';

export const SPEC_ADD_CALLBACK = 'smolmap_spec_add';
const B = { file: 'spec_file', url: 'spec_url', paste: 'spec_paste', name: 'spec_name' } as const;

/** Only where to answer: the tenant and user always come from the signed submission itself. */
export interface ModalMeta {
  channel: string;
  /** The command's response_url (valid 30 minutes): the answer reaches the user even where the bot cannot post. */
  responseUrl?: string;
}

const optionalInput = (block: string, label: string, element: Record<string, unknown>) => ({
  type: 'input',
  block_id: block,
  optional: true,
  label: { type: 'plain_text', text: label },
  element: { action_id: block, ...element },
});

export function specAddModal(meta: ModalMeta): ModalView {
  return {
    type: 'modal',
    callback_id: SPEC_ADD_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: 'Add an OpenAPI spec' },
    submit: { type: 'plain_text', text: 'Add' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      optionalInput(B.file, 'Spec file (.json, .yaml)', {
        type: 'file_input',
        filetypes: ['json', 'yaml', 'yml'],
        max_files: 1,
      }),
      optionalInput(B.url, 'or its URL', { type: 'url_text_input' }),
      optionalInput(B.paste, 'or paste it', { type: 'plain_text_input', multiline: true }),
      optionalInput(B.name, 'Name (default: from the file or title)', { type: 'plain_text_input' }),
    ],
  } as ModalView;
}

/** What the user gave: a file to download, a URL, or pasted text (in that order of preference). */
export type ModalInput =
  | { kind: 'file'; filename: string; url: string; contentType?: string; name?: string }
  | { kind: 'url'; url: string; name?: string }
  | { kind: 'paste'; upload: SpecUpload; name?: string };

export function parseMeta(view: ViewOutput): ModalMeta {
  try {
    const m = JSON.parse(view.private_metadata) as Partial<ModalMeta>;
    if (typeof m.channel === 'string')
      return {
        channel: m.channel,
        ...(typeof m.responseUrl === 'string' && { responseUrl: m.responseUrl }),
      };
  } catch {
    // fall through: a view we did not open
  }
  throw new SmolmapError('internal', 'internal: spec add modal without its channel metadata');
}

/** Reads the submission; returns the per-block error Slack shows in the modal when nothing usable was given. */
export function readSubmission(view: ViewOutput): ModalInput | { errors: Record<string, string> } {
  const v = view.state.values;
  const text = (block: string): string | undefined => v[block]?.[block]?.value?.trim() || undefined;
  const name = text(B.name);
  const named = name === undefined ? {} : { name };
  const file = v[B.file]?.[B.file]?.files?.[0];
  if (file) {
    const url = file.url_private_download ?? file.url_private;
    if (!url) return { errors: { [B.file]: 'Slack gave no download link for this file; upload it again' } };
    return {
      kind: 'file',
      filename: file.name ?? 'spec.yaml',
      url,
      ...(file.mimetype && { contentType: file.mimetype }),
      ...named,
    };
  }
  const url = text(B.url);
  if (url !== undefined) {
    if (!/^https?:\/\//i.test(url)) return { errors: { [B.url]: 'give an http(s) URL' } };
    return { kind: 'url', url, ...named };
  }
  const paste = text(B.paste);
  if (paste !== undefined) {
    const filename = paste.startsWith('{') ? 'pasted.json' : 'pasted.yaml';
    return { kind: 'paste', upload: { filename, bytes: Buffer.from(paste, 'utf8') }, ...named };
  }
  return { errors: { [B.file]: 'upload a file, give a URL or paste the spec' } };
}
