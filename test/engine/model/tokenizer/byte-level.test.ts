import { describe, expect, it } from 'vitest';
import {
  BYTE_TO_UNICODE,
  byteLevelToBytes,
  bytesToByteLevel,
} from '../../../../src/engine/model/tokenizer/byte-level.js';

describe('GPT-2 byte-level alphabet', () => {
  it('is a bijection of 256 single code points', () => {
    expect(new Set(BYTE_TO_UNICODE).size).toBe(256);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(byteLevelToBytes(bytesToByteLevel(all))).toEqual(all);
  });

  it.each([
    [0x20, 'Ġ'], // space, U+0120: the 33rd non-printable byte
    [0x0a, 'Ċ'], // newline, U+010A
    [0x09, 'ĉ'], // tab
    [0x00, 'Ā'], // first non-printable byte → U+0100
    [0x41, 'A'], // printable ASCII maps to itself
    [0xad, 'Ń'], // soft hyphen is not printable → U+0143
    [0xe6, 'æ'], // printable Latin-1 maps to itself
  ])('byte 0x%s ↔ %s', (byte, ch) => {
    expect(BYTE_TO_UNICODE[byte]).toBe(ch);
    expect(byteLevelToBytes(ch)).toEqual(Uint8Array.of(byte));
  });

  it('rejects characters outside the alphabet', () => {
    expect(byteLevelToBytes('a€')).toBeNull();
  });
});
