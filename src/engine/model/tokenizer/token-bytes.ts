import { SmolmapError } from '../../errors.js';
import { byteLevelToBytes } from './byte-level.js';

/** Maps one vocabulary token to the bytes it decodes to. */
export type TokenByteRule = (token: string) => Uint8Array;

const utf8 = new TextEncoder();
const BYTE_FALLBACK = /^<0x([0-9A-Fa-f]{2})>$/;

interface DecoderJson {
  type?: unknown;
  decoders?: unknown;
  pattern?: unknown;
  content?: unknown;
  replacement?: unknown;
}

function asDecoder(value: unknown): DecoderJson | null {
  return typeof value === 'object' && value !== null ? (value as DecoderJson) : null;
}

/** Flattens `Sequence` decoders into their steps, in order. */
function decoderSteps(decoder: DecoderJson | null): DecoderJson[] {
  if (decoder === null) return [];
  if (decoder.type === 'Sequence' && Array.isArray(decoder.decoders)) {
    return decoder.decoders.flatMap((d) => decoderSteps(asDecoder(d)));
  }
  return [decoder];
}

/**
 * Builds the per-token byte rule from the decoder tokenizer.json declares. Per-token bytes must be exact and
 * context-free, so only decoders whose effect on one token does not depend on its neighbours are supported:
 * - `ByteLevel` (GPT-2 family): undo the byte↔unicode map; a token with characters outside the alphabet is
 *   raw UTF-8, as HF tokenizers' byte_level.rs decode falls back to `t.as_bytes()`.
 * - SentencePiece-style chains (`Replace "▁"→" "`, `ByteFallback`, `Fuse`, `Metaspace`): `<0xNN>` is one byte,
 *   the replacement character is a space. `Strip`/`Metaspace` prefix removal only touches the first token of a
 *   sequence, so per token it is ignored.
 * Anything else cannot be expressed per token and is reported when bytes are asked for.
 */
export function tokenByteRule(decoderJson: unknown): TokenByteRule {
  const steps = decoderSteps(asDecoder(decoderJson));
  if (steps.some((s) => s.type === 'ByteLevel')) {
    return (token) => byteLevelToBytes(token) ?? utf8.encode(token);
  }
  const replacements: Array<[string, string]> = [];
  let byteFallback = false;
  for (const step of steps) {
    if (step.type === 'ByteFallback') byteFallback = true;
    else if (step.type === 'Replace') {
      const pattern = asDecoder(step.pattern) as { String?: unknown } | null;
      if (typeof pattern?.String !== 'string' || typeof step.content !== 'string') return unsupported(step);
      replacements.push([pattern.String, step.content]);
    } else if (step.type === 'Metaspace') {
      replacements.push([typeof step.replacement === 'string' ? step.replacement : '\u2581', ' ']);
    } else if (step.type !== 'Fuse' && step.type !== 'Strip') return unsupported(step);
  }
  return (token) => {
    const hex = byteFallback ? BYTE_FALLBACK.exec(token) : null;
    if (hex?.[1] !== undefined) return Uint8Array.of(parseInt(hex[1], 16));
    let text = token;
    for (const [from, to] of replacements) text = text.split(from).join(to);
    return utf8.encode(text);
  };
}

function unsupported(step: DecoderJson): TokenByteRule {
  return () => {
    throw new SmolmapError(
      'tokenizer_unsupported',
      `tokenizer.json's decoder "${String(step.type)}" has no exact per-token bytes, so constrained decoding ` +
        'cannot use this tokenizer; use a byte-level BPE (GPT-2 style) or SentencePiece byte-fallback tokenizer.',
    );
  };
}

/**
 * All tokens' bytes, built once: the constrained decoder asks for every id (49,152 for SmolLM2). One shared
 * buffer holds them; each entry is a view into it. Special tokens are empty (they never spell text).
 */
export function buildTokenBytesTable(
  vocabSize: number,
  tokenOf: (id: number) => string | undefined,
  isSpecial: (id: number) => boolean,
  isAdded: (id: number) => boolean,
  rule: TokenByteRule,
): Uint8Array[] {
  const parts: Array<Uint8Array | null> = new Array<Uint8Array | null>(vocabSize);
  let total = 0;
  for (let id = 0; id < vocabSize; id++) {
    const token = tokenOf(id);
    let bytes: Uint8Array | null = null;
    if (token !== undefined && !isSpecial(id)) {
      // Added (non-special) tokens are literal text; HF decoders pass them through unchanged.
      bytes = isAdded(id) ? utf8.encode(token) : rule(token);
    }
    parts[id] = bytes;
    total += bytes?.length ?? 0;
  }
  const buffer = new Uint8Array(total);
  const table: Uint8Array[] = new Array<Uint8Array>(vocabSize);
  let offset = 0;
  for (let id = 0; id < vocabSize; id++) {
    const bytes = parts[id];
    const length = bytes?.length ?? 0;
    if (bytes) buffer.set(bytes, offset);
    table[id] = buffer.subarray(offset, offset + length);
    offset += length;
  }
  return table;
}
