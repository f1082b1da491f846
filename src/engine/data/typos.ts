import type { Rng } from '../rng.js';
import { SYNONYMS } from '../language/lexicon.js';
import type { Phrase } from './words.js';

/**
 * Realistic typing slips, applied only to literal words (never to values, which the call copies): swapped
 * neighbours, a dropped or doubled letter, or a QWERTY neighbour key — the error classes that dominate real
 * typing (Damerau 1964: ~80% of misspellings are one insertion, deletion, substitution or transposition).
 */
const QWERTY_ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];

function neighbour(c: string, rng: Rng): string {
  for (let r = 0; r < QWERTY_ROWS.length; r++) {
    const row = QWERTY_ROWS[r] as string;
    const i = row.indexOf(c);
    if (i < 0) continue;
    const options = [row[i - 1], row[i + 1]].filter((x): x is string => x !== undefined);
    return options.length > 0 ? rng.pick(options) : c;
  }
  return c;
}

export function typoWord(word: string, rng: Rng): string {
  if (word.length < 4) return word;
  const i = rng.int(1, word.length - 2);
  const c = word[i] as string;
  switch (rng.pick(['swap', 'drop', 'double', 'neighbour'] as const)) {
    case 'swap':
      return word.slice(0, i) + (word[i + 1] ?? '') + c + word.slice(i + 2);
    case 'drop':
      return word.slice(0, i) + word.slice(i + 1);
    case 'double':
      return word.slice(0, i) + c + c + word.slice(i + 1);
    case 'neighbour':
      return word.slice(0, i) + neighbour(c.toLowerCase(), rng) + word.slice(i + 1);
  }
}

/** Puts `n` typos into random literal words of at least four letters. */
export function addTypos(p: Phrase, n: number, rng: Rng): Phrase {
  const out = p.map((s) => ({ ...s }));
  const slots: [number, number][] = [];
  out.forEach((s, i) => {
    if (s.value) return;
    for (const m of s.text.matchAll(/[A-Za-z]{4,}/g)) slots.push([i, m.index]);
  });
  for (const [i, at] of rng.shuffle(slots).slice(0, n)) {
    const seg = out[i] as { text: string };
    const word = /^[A-Za-z]+/.exec(seg.text.slice(at))?.[0] ?? '';
    seg.text = seg.text.slice(0, at) + typoWord(word, rng) + seg.text.slice(at + word.length);
  }
  return out;
}

/** Lower-cases literal text only: values keep their case. */
export function lowerLiterals(p: Phrase): Phrase {
  return p.map((s) => (s.value ? s : { ...s, text: s.text.toLowerCase() }));
}

/** Replaces literal words that have a synonym, each with probability `p` (values are never touched). */
export function swapSynonyms(phrase: Phrase, p: number, rng: Rng): Phrase {
  return phrase.map((s) =>
    s.value
      ? s
      : {
          ...s,
          text: s.text.replace(/[A-Za-z]+/g, (w) => {
            const alts = SYNONYMS[w.toLowerCase()];
            if (!alts || !rng.chance(p)) return w;
            const alt = rng.pick(alts);
            return /^[A-Z]/.test(w) ? alt[0]!.toUpperCase() + alt.slice(1) : alt;
          }),
        },
  );
}
