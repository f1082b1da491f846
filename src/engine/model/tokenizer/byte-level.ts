/**
 * GPT-2's byte ↔ unicode alphabet. Byte-level BPE vocabularies (GPT-2, StarCoder, SmolLM2) spell every byte
 * as one printable code point so that merges never see whitespace or control bytes: printable Latin-1 bytes
 * map to themselves, the other 68 bytes to U+0100.. in byte order (openai/gpt-2 `encoder.py::bytes_to_unicode`,
 * mirrored by HF tokenizers `pre_tokenizers/byte_level.rs`).
 */
function buildByteToUnicode(): string[] {
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(printable(b) ? b : 256 + extra++);
  }
  return table;
}

/** byte value → its one-character spelling in byte-level vocabularies. */
export const BYTE_TO_UNICODE: readonly string[] = buildByteToUnicode();

/** code point of a byte-level character → byte value, -1 outside the alphabet (all code points are < 0x144). */
const UNICODE_TO_BYTE: Int16Array = (() => {
  const table = new Int16Array(0x144).fill(-1);
  BYTE_TO_UNICODE.forEach((ch, b) => (table[ch.charCodeAt(0)] = b));
  return table;
})();

/** Spells raw bytes in the byte-level alphabet (what the ByteLevel pre-tokenizer does to text). */
export function bytesToByteLevel(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += BYTE_TO_UNICODE[b];
  return out;
}

/**
 * The bytes a byte-level token stands for, or null when a character is outside the alphabet (such a token
 * can never be produced by byte-level BPE and decodes to nothing useful).
 */
export function byteLevelToBytes(token: string): Uint8Array | null {
  // Every alphabet character is one UTF-16 unit, so a token of n units is at most n bytes.
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = UNICODE_TO_BYTE[token.charCodeAt(i)] ?? -1;
    if (b < 0) return null;
    out[i] = b;
  }
  return out;
}
