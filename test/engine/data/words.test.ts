import { describe, expect, it } from 'vitest';
import { identWords, plural, singular, phraseText, lit, val } from '../../../src/engine/data/words.js';
import { addTypos, lowerLiterals, typoWord } from '../../../src/engine/data/typos.js';
import { enumPhrases, enumWordForms } from '../../../src/engine/data/names.js';
import { Rng } from '../../../src/engine/rng.js';

describe('identWords', () => {
  it.each([
    ['getBatchScrapeStatus', 'get batch scrape status'],
    ['passenger_name', 'passenger name'],
    ['generateLLMsTxt', 'generate llms txt'],
    ['silenceID', 'silence id'],
    ['get-stations', 'get stations'],
    ['receiver_matchers', 'receiver matchers'],
  ])('%s → %s', (ident, words) => expect(identWords(ident).join(' ')).toBe(words));
});

describe('singular/plural', () => {
  it.each([
    ['bookings', 'booking'],
    ['glossaries', 'glossary'],
    ['matches', 'match'],
    ['status', 'status'],
    ['alerts', 'alert'],
  ])('%s ↔ %s', (pl, sg) => {
    expect(singular(pl)).toBe(sg);
    if (sg !== 'status') expect(plural(sg)).toBe(pl);
  });
});

describe('typos', () => {
  it('changes a word by one edit and never touches value segments', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 200; i++) {
      const w = typoWord('booking', rng);
      expect(Math.abs(w.length - 'booking'.length)).toBeLessThanOrEqual(1);
    }
    const phrase = [...lit('please delete the booking '), ...val('ABCDEF-1234'), ...lit(' today')];
    for (let seed = 0; seed < 50; seed++) {
      const out = addTypos(phrase, 2, new Rng(seed));
      expect(out[1]).toEqual({ text: 'ABCDEF-1234', value: true });
      expect(phraseText(out)).not.toBe(phraseText(phrase));
    }
    expect(phraseText(lowerLiterals([...lit('Show '), ...val('Paris')]))).toBe('show Paris');
  });
});

describe('enum word forms', () => {
  const desc =
    'Target language:\n * `DE` - German\n * `EN-GB` - English (British)\n * `PT` - Portuguese (unspecified variant for backward compatibility)\n * `ZH` - Chinese\n';
  it('reads names from the description and from Intl, dropping shared ones', () => {
    const forms = enumWordForms(['DE', 'EN-GB', 'PT', 'ZH'], 'target_lang', desc, new Map());
    expect(forms.get('DE')).toContain('German');
    expect(forms.get('EN-GB')).toContain('British English');
    expect(forms.get('PT')).toContain('Portuguese');
    const codeNames = new Map([['de', ['German']]]);
    expect(enumWordForms(['de', 'en'], 'source_lang', '', codeNames).get('de')).toEqual(['German']);
    expect(enumWordForms(['eur', 'chf'], 'currency', 'ISO currency code', new Map()).get('eur')).toEqual(
      expect.arrayContaining(['Euro', 'EUR']),
    );
    expect(enumWordForms(['a', 'b'], 'mode', '', new Map()).get('a')).toEqual([]);
  });

  it('takes value phrases only when they are short and unique', () => {
    const phrases = enumPhrases(
      ['default', 'more', 'less'],
      '* `default` (default)\n* `more` - for a more formal language\n* `less` - for a more informal language',
    );
    expect(phrases.get('more')).toBe('for a more formal language');
    expect(phrases.has('default')).toBe(false);
  });
});
