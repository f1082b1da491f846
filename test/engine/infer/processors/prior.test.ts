import { describe, expect, it } from 'vitest';

import type { AllowedLogits } from '../../../../src/engine/infer/decode.js';
import { callGrammar } from '../../../../src/engine/infer/grammar/call-grammar.js';
import { JsonScan } from '../../../../src/engine/infer/json-scan.js';
import { collectCodeNames } from '../../../../src/engine/data/names.js';
import {
  countGrounded,
  cutShort,
  flagMentioned,
  grounded,
  labelStems,
  startsAtLabel,
  statedEnumValues,
  taskValues,
} from '../../../../src/engine/language/naming.js';
import { taskPrior } from '../../../../src/engine/infer/processors/index.js';
import { keyRoles, roleFits } from '../../../../src/engine/infer/processors/roles.js';
import { stem, stemIn, taskStems } from '../../../../src/engine/language/lexicon.js';
import { applyMask } from '../../../../src/engine/infer/sample.js';
import type { ExpectedCall } from '../../../../src/engine/calls.js';
import type { Tokenizer } from '../../../../src/engine/model/tokenizer/types.js';
import type { Catalog, JsonSchema } from '../../../../src/engine/specs/types.js';
import { maskIds, runBias, smolTokenizer } from '../grammar-helpers.js';
import { OWN_SPECS, ownCatalog, ownTasks } from '../own-specs.js';

/** The key and value processors alone (no sibling mask), with the key knob `keyBias`. */
const keyPrior = (catalog: Catalog, tok: Tokenizer, task: string, text: () => string, keyBias: number) =>
  taskPrior(catalog, tok, task, text, { keyBias });

describe('JsonScan', () => {
  it('follows keys, sections and key boundaries of a compact target prefix', () => {
    const s = JsonScan.of('{"op":"GET /trips","query":{"origin":"a,b}","date":"x\\"y"');
    expect(s.path()).toEqual(['query']);
    expect(s.keys()).toEqual(['origin', 'date']);
    expect(s.inObject()).toBe(true);
    expect(s.atKeyName()).toBe(false);
    const typing = JsonScan.of('{"op":"GET /trips","query":{"origin":"a","bic');
    expect(typing.keyStarted(typing.depth(), typing.keys().length)).toBe('bic');
    expect(JsonScan.of('{"op":"POST /alerts","body":[{"labels":{"a":"b"},').path()).toEqual(['body', '[]']);
    expect(typing.atKeyName()).toBe(true);
    expect(JsonScan.of('{"op":"GET /trips","query":{"limit":5,').atKeyName()).toBe(true);
    expect(JsonScan.of('{"op":"GET /trips","query":{"filter":["a"').inObject()).toBe(false);
  });

  it('says what a continuation began: a key, part of one, or nothing', () => {
    const s = JsonScan.of('{"op":"GET /trips","query":{"origin":"a"');
    const started = (text: string): string | null => {
      const c = s.clone();
      c.feed(text);
      return c.keyStarted(s.depth(), s.keys().length);
    };
    expect(started(',')).toBe('');
    expect(started(',"do')).toBe('do');
    expect(started(',"dogs":')).toBe('dogs"');
    expect(started('}')).toBeNull();
    expect(started('}}')).toBeNull();
  });
});

describe('grounding of parameter names', () => {
  it('matches name words and enum values outside quoted values, with light stemming', () => {
    expect(stem('bicycles')).toBe(stem('bicycle'));
    expect(stem('formality')).toBe(stem('formal'));
    expect(stem('muted')).toBe(stem('mute'));
    const stems = taskStems('She is bringing her bicycle along; translate "dogs are formal" please');
    expect(grounded('has_bicycle', { type: 'boolean' }, stems)).toBe(true);
    expect(grounded('dogs', { type: 'boolean' }, stems)).toBe(false); // only inside the quoted text
    expect(grounded('formality', { type: 'string' }, stems)).toBe(false);
    // Contractions are not quotes: the words between two of them still count.
    expect(taskStems("She'll take her bicycle, it's a short crossing").has(stem('bicycle'))).toBe(true);
    expect(taskStems("Translate 'my bicycle' please").has(stem('bicycle'))).toBe(false);
    const shot = taskStems('grab a screenshot of the full page at https://example.org/docs');
    const formats = { type: 'array', items: { type: 'string', enum: ['markdown', 'screenshot@fullPage'] } };
    expect(grounded('formats', formats, shot)).toBe(true);
    // Common words as enum values ground nothing ("more" as a formality level).
    expect(grounded('formality', { type: 'string', enum: ['more', 'less'] }, taskStems('more please'))).toBe(
      false,
    );
  });
});

describe('values and counts the task states', () => {
  it('finds enum values by code or by name, the longest name winning, routes by their preposition', async () => {
    const catalog = await ownCatalog(DEEPL);
    const names = collectCodeNames(catalog);
    const translate = catalog.operations.find((o) => o.operationId === 'translateText')!;
    const props = (translate.requestBody?.schema?.properties ?? {}) as Record<string, never>;
    const stated = (name: string, task: string): string[] => statedEnumValues(name, props[name], task, names);
    const task = 'translate "Wo ist der Bahnhof?" from German into American English';
    expect(stated('source_lang', task)).toEqual(['DE']);
    expect(stated('target_lang', task)).toEqual(['EN-US']); // not EN for its "English"
    const pair = "Translate 'The parcel has shipped.' from English to Polish";
    expect(stated('source_lang', pair)).toEqual(['EN']);
    expect(stated('target_lang', pair)).toEqual(['PL']);
    // "Spanish to Swedish": the source is the name said right before "to".
    expect(stated('source_lang', 'a word list for Spanish to Swedish')).toEqual(['ES']);
    // A name inside quotes is text to translate, and a bare name is no route end.
    expect(stated('target_lang', 'translate "auf Polnisch" please')).toEqual([]);
    expect(stated('source_lang', 'Italian notes; translate them to Polish')).toEqual([]);
  });

  it('grounds a result-count parameter only when the task asks for a count', () => {
    const stems = (t: string): Set<string> => taskStems(t);
    const int = { type: 'integer' } as const;
    const t1 = 'ferries with room for dogs on Friday, only the first 3 results';
    expect(countGrounded('limit', int, t1, stems(t1))).toBe(true);
    const t2 = 'Build a link list for https://example.net, checking up to 25 URLs.';
    expect(countGrounded('maxUrls', int, t2, stems(t2))).toBe(true);
    // Other name words must be in the task ("depth" is not), and a count needs its phrase.
    expect(countGrounded('maxDepth', int, t2, stems(t2))).toBe(false);
    const t3 = 'ferries departing at 7 from Hull';
    expect(countGrounded('limit', int, t3, stems(t3))).toBe(false);
    expect(countGrounded('limit', { type: 'string' }, t1, stems(t1))).toBe(false);
  });

  it("raises a stated enum value against the enum's other values", async () => {
    const catalog = await ownCatalog(DEEPL);
    const tok = await smolTokenizer();
    const task = "Translate 'The parcel has shipped.' from English to Polish";
    const m = callGrammar(catalog, tok).matcher({ copyFrom: task });
    for (const id of tok.encode(
      '{"op":"POST /translate","body":{"text":["The parcel has shipped."],"source_lang":',
      {
        addSpecialTokens: false,
      },
    ))
      m.accept(id);
    const { raised } = apply(
      tok,
      m.allowed(),
      keyPrior(catalog, tok, task, () => m.text(), 3)!,
    );
    expect(raised.length).toBeGreaterThan(0);
    for (const t of raised) expect('"EN"'.startsWith(t) || t.startsWith('"EN"')).toBe(true);
  });
});

describe('values the task states bare', () => {
  it('finds quoted strings and numbers written as words, not the digits of ids, dates or card expiries', () => {
    expect(
      taskValues("List the links on https://shop.example.com about 'returns', up to 150 links."),
    ).toEqual({
      strings: ['returns'],
      numbers: ['150'],
    });
    expect(
      taskValues(`Pay 12.50 GBP for booking ${A}: CVC 987, expires 08/2029, from 2026-02-03T09:15:00Z.`),
    ).toEqual({ strings: [], numbers: ['12.50', '987'] });
    // The day and year of a date written with its month name are in the call in another form.
    expect(taskValues('between February 11, 2026 08:30 UTC and 7 April 2026, Oct. 2').numbers).toEqual([]);
    // Quoted text is one string value; a contraction is not a quote.
    expect(taskValues(`It's "Queue 80% full" at 4 o'clock`)).toEqual({
      strings: ['Queue 80% full'],
      numbers: ['4'],
    });
  });
});

describe('keyPrior', () => {
  it('biases the tokens that open a grounded optional key the grammar still allows, and nothing else', async () => {
    const catalog = await ownCatalog('ferry');
    const tok = await smolTokenizer();
    const grammar = callGrammar(catalog, tok);
    const m = grammar.matcher({ copyFrom: TASK });
    for (const id of tok.encode(`${SAILINGS}"date":"${WHEN}"`, { addSpecialTokens: false })) m.accept(id);
    const prior = keyPrior(catalog, tok, TASK, () => m.text(), 3)!;
    const row = new Float32Array(tok.vocabSize);
    applyMask(row, m.allowed());
    const before = Float32Array.from(row);
    runBias(prior, row);
    const text = (id: number): string => new TextDecoder().decode(tok.tokenBytes(id));
    const raised = [...row.keys()].filter((i) => row[i] !== before[i]).map(text);
    expect(raised.length).toBeGreaterThan(0);
    // Every raised token opens a key that can become "dogs" (bicycles is not named, "}" closes).
    for (const t of raised) expect(`,"dogs"`.startsWith(t) || t.startsWith(',"dogs"')).toBe(true);
    const close = [...row.keys()].find((i) => before[i] !== -Infinity && text(i).startsWith('}'));
    expect(close).toBeDefined();
    expect(row[close!]).toBe(before[close!]);
    // A task naming no optional parameter moves nothing; a bias of 0 gives no prior at all.
    const plain = Float32Array.from(before);
    runBias(
      keyPrior(catalog, tok, 'show me my bookings', () => m.text(), 3)!,
      plain,
    );
    expect(plain).toEqual(before);
    expect(keyPrior(catalog, tok, TASK, () => m.text(), 0)).toBeNull();
  });

  it('raises the merged tokens that close a value and open a grounded key', async () => {
    const catalog = await ownCatalog('ferry');
    const tok = await smolTokenizer();
    const m = callGrammar(catalog, tok).matcher({ copyFrom: TASK });
    for (const id of tok.encode(`${SAILINGS}"date":"${WHEN}`, { addSpecialTokens: false })) m.accept(id);
    const { raised } = apply(
      tok,
      m.allowed(),
      keyPrior(catalog, tok, TASK, () => m.text(), 3)!,
    );
    expect(raised.some((t) => t.includes(','))).toBe(true);
    for (const t of raised) expect(t.includes('}')).toBe(false);
  });

  it('raises the grounded key against the other keys when a key is being named', async () => {
    const catalog = await ownCatalog('ferry');
    const tok = await smolTokenizer();
    const task = TASK.replace('dogs', 'bicycles');
    const m = callGrammar(catalog, tok).matcher({ copyFrom: task });
    for (const id of tok.encode(`${SAILINGS}"date":"${WHEN}","`, { addSpecialTokens: false })) m.accept(id);
    const prior = keyPrior(catalog, tok, task, () => m.text(), 3)!;
    const text = (id: number): string => new TextDecoder().decode(tok.tokenBytes(id));
    const allowed = maskIds(m.allowed());
    const dogs = allowed.find((id) => text(id).length > 0 && 'dogs"'.startsWith(text(id)));
    expect(dogs).toBeDefined();
    // The model leans to "dogs" (after "bicycles" in the spec's order): only bicycles' tokens are raised, and
    // the tokens that can only open "dogs" (which would give bicycles up) are lowered.
    const { raised, lowered } = apply(tok, m.allowed(), prior, dogs!);
    expect(raised.length).toBeGreaterThan(0);
    for (const t of raised) expect('bicycles"'.startsWith(t)).toBe(true);
    expect(lowered).toContain(text(dogs!));
    for (const t of lowered) expect('dogs"'.startsWith(t)).toBe(true);
  });

  it('does not steer away from an ungrounded key that carries a stated value', async () => {
    const catalog = await ownCatalog('ferry');
    const tok = await smolTokenizer();
    const task = `Book sailing ${A} for Ingrid Solberg. She will bring her bicycle.`;
    const m = callGrammar(catalog, tok).matcher({ copyFrom: task });
    for (const id of tok.encode(`{"op":"POST /bookings","body":{"sailing_id":"${A}","`, {
      addSpecialTokens: false,
    }))
      m.accept(id);
    const prior = keyPrior(catalog, tok, task, () => m.text(), 3)!;
    const text = (id: number): string => new TextDecoder().decode(tok.tokenBytes(id));
    const allowed = maskIds(m.allowed());
    const only = (key: string): number | undefined =>
      allowed.find(
        (id) => text(id).length > 1 && `${key}"`.startsWith(text(id)) && !'has_bicycle"'.startsWith(text(id)),
      );
    const passenger = only('passenger_name');
    expect(passenger).toBeDefined();
    expect(apply(tok, m.allowed(), prior, passenger!).raised).toEqual([]);
    // Heading for a flag (has_dog), the grounded flag is raised instead.
    const dog = only('has_dog');
    if (dog !== undefined) {
      const { raised } = apply(tok, m.allowed(), prior, dog);
      expect(raised.length).toBeGreaterThan(0);
      for (const t of raised) expect('has_bicycle"'.startsWith(t)).toBe(true);
    }
  });
});

describe('keyPrior: values the answer has not used', () => {
  const LINKS = "List the links on https://shop.example.com about 'returns', up to 150 links.";

  it('raises a key that takes an unused value, and lowers a key that would strand it', async () => {
    const p = await priorAt('site', LINKS, '{"op":"POST /links","body":{"url":"https://shop.example.com","');
    // The model leans to `limit` (named by "up to 150 links"), which comes after `search` in the spec's
    // order: writing it first would leave 'returns' no string key to go to.
    const { raised, lowered } = p.apply('limit');
    expect(raised).toContain('search');
    expect(lowered).toContain('limit');
    for (const t of raised) expect('search"'.startsWith(t)).toBe(true);
  });

  it('raises the key for an unused number once the earlier key is written, and never cuts a value short', async () => {
    // No count phrase: `limit` has only the unused 150 for evidence.
    const task = "List the links on https://shop.example.com about 'returns'; I want 150 of them";
    // Inside a string value the unused values say nothing: no token that closes "ret" early is raised.
    const p = await priorAt(
      'site',
      task,
      '{"op":"POST /links","body":{"url":"https://shop.example.com","search":"ret',
    );
    expect(p.apply().raised).toEqual([]);
    p.feed('urns"');
    const { raised } = p.apply();
    expect(raised.length).toBeGreaterThan(0);
    for (const t of raised) expect(t.startsWith(',')).toBe(true);
    for (const t of raised) expect(t.includes('}')).toBe(false);
  });

  it('lowers a required key that would give up an optional key the task names', async () => {
    const p = await priorAt('ferry', `${TASK}, only the first 4 results`, '{"op":"GET /sailings","query":{"');
    // `limit` comes before `origin` in the spec's order; the model heading for the required key is no reason
    // to leave the count out.
    const { raised, lowered } = p.apply('origin');
    expect(raised).toContain('limit');
    expect(lowered).toContain('origin');
    // Writing the count, the stated number's digits are raised; once it is written, no more digits are.
    p.feed('limit":');
    expect(p.apply().raised).toEqual(['4']);
    p.feed('4');
    const after = p.apply().raised;
    expect(after.some((t) => /^[0-9]/.test(t))).toBe(false);
    expect(after.some((t) => t.startsWith(','))).toBe(true); // dogs, named by the task, is still to come
  });
});

describe('keyPrior: the roles of stated numbers', () => {
  it('reads which roles a key takes from its name', () => {
    expect([...keyRoles('page')]).toEqual(['page']);
    expect(keyRoles('pageSize').has('pageSize')).toBe(true);
    expect(keyRoles('PageSize').has('page')).toBe(false);
    expect(keyRoles('petId').has('item')).toBe(true);
    expect(keyRoles('colour').size).toBe(0);
    expect(roleFits('pageSize', 'page')).toBe(false);
    expect(roleFits('pageSize', 'limit')).toBe(true);
    expect(roleFits('page', 'colour')).toBe(true);
    expect(roleFits(null, 'page')).toBe(true);
  });

  it('keeps a page size out of the page, and writes it into the count', async () => {
    // "20 per page" is a page size: at `page` its digits are lowered, not raised; the page number is raised.
    const task = `${TASK}, 20 per page, page 3`;
    const p = await priorAt('ferry', task, '{"op":"GET /sailings","query":{"page":');
    const { raised, lowered } = p.apply();
    expect(raised).toEqual(['3']);
    expect(lowered).toContain('2');
    p.feed('3,"limit":');
    expect(p.apply().raised).toEqual(['2']);
  });
});

describe('keyPrior: copied strings cut short', () => {
  it('tells a copy that would end inside a word or a comma-joined list', () => {
    const task = 'Make a glossary named Kitchen words; entries as CSV: spoon,Loeffel. Owner Annika Lindqvist';
    expect(cutShort(task, 'Ann')).toBe(true);
    expect(cutShort(task, 'Annika')).toBe(false);
    expect(cutShort(task, 'spoon')).toBe(true);
    expect(cutShort(task, 'spoon,Loeffel')).toBe(false); // the full stop is punctuation after the value
    expect(cutShort(task, 'Kitchen words')).toBe(false); // before "; " (a space follows)
    expect(cutShort(task, 'glossary')).toBe(false);
    expect(cutShort(task, 'not in the task')).toBe(false);
    // One place where the copy ends cleanly is enough.
    expect(cutShort('tag art and artists', 'art')).toBe(false);
    // A piece of a date is cut short; the whole date, or its day part, is not.
    const range = 'usage from 2024-03-01T00:00:00Z to 2024-03-02';
    expect(cutShort(range, '2024')).toBe(true);
    expect(cutShort(range, '2024-03-01T00:00')).toBe(true);
    expect(cutShort(range, '2024-03-01T00:00:00Z')).toBe(false);
    expect(cutShort(range, '2024-03-01')).toBe(false);
    expect(cutShort(range, '2024-03-02')).toBe(false);
  });

  it('lowers the tokens that would close such a string, and only those', async () => {
    const p = await priorAt(
      DEEPL,
      "Make a glossary named 'Kitchen words' from English to German, with entries as CSV: spoon,Loeffel",
      '{"op":"POST /glossaries","body":{"name":"Kitchen words","source_lang":"en","target_lang":"de","entries":"spoon',
    );
    const { raised, lowered } = p.apply();
    expect(raised).toEqual([]);
    expect(lowered.length).toBeGreaterThan(0);
    for (const t of lowered) expect(t.includes('"')).toBe(true); // each ends the string (`,"` as "spoon,")
    // The comma that continues the copy is not touched.
    expect(p.allowed()).toContain(',');
    expect(lowered).not.toContain(',');
  });
});

describe('keyPrior: a value begins after the word that labels it', () => {
  it('tells a copy that would begin at a label word followed by a value', () => {
    const receiver = labelStems('receiver', 'A regex matching receivers to filter alerts by');
    const task = 'Show alerts sent to receivers matching ops-.* or "matching crew"';
    expect(startsAtLabel(task, 'matching', receiver)).toBe(false); // also inside the quoted value
    const bare = 'Show alerts sent to receivers matching ops-.*';
    expect(startsAtLabel(bare, 'matching', receiver)).toBe(true);
    expect(startsAtLabel(bare, 'match', receiver)).toBe(true);
    expect(startsAtLabel(bare, 'ops', receiver)).toBe(false);
    // A label word followed by a plain word labels nothing ("receivers matching the crew").
    expect(startsAtLabel('receivers matching the crew', 'matching', receiver)).toBe(false);
    const name = labelStems('name', 'Full name of the cardholder as printed on the card.');
    expect(startsAtLabel('pay by card: cardholder Maren Olsen', 'card', name)).toBe(false); // "card:" is not
    expect(startsAtLabel('cardholder Maren Olsen', 'cardholder', name)).toBe(true);
  });

  it("lowers a free string's first tokens that begin at the label", async () => {
    const p = await priorAt(
      'examples/alertmanager.yaml',
      'Show alerts sent to receivers matching ops-.*',
      '{"op":"GET /alerts","query":{"receiver":"',
    );
    const { raised, lowered } = p.apply();
    // Nothing but the value the label introduces may be raised; the label is lowered, and so are tokens that
    // would begin a copy inside a word ("atching"), never the value's own first tokens.
    for (const t of raised) expect('ops-.*"'.startsWith(t)).toBe(true);
    expect(lowered).toContain('matching');
    for (const t of lowered) expect('ops-.*'.startsWith(t)).toBe(false);
  });
});

/** Top-level free-string values of an expected call's query and body, with their keys' descriptions. */
function freeStrings(
  catalog: Catalog,
  expected: ExpectedCall,
): { key: string; value: string; description: string }[] {
  const op = catalog.operations.find((o) => o.method === expected.method && o.path === expected.path)!;
  const out: { key: string; value: string; description: string }[] = [];
  for (const [key, v] of Object.entries(expected.query)) {
    const p = op.parameters.find((x) => x.in === 'query' && x.name === key);
    if (typeof v === 'string' && p?.schema.type === 'string' && !p.schema.enum)
      out.push({ key, value: v, description: p.description ?? '' });
  }
  const body = expected.body;
  const props = (op.requestBody?.schema?.properties ?? {}) as Record<string, JsonSchema>;
  if (body && typeof body === 'object' && !Array.isArray(body))
    for (const [key, v] of Object.entries(body as Record<string, unknown>)) {
      const schema = props[key];
      if (typeof v === 'string' && schema?.type === 'string' && !schema.enum)
        out.push({ key, value: v, description: schema.description ?? '' });
    }
  return out;
}

describe('keyPrior against the data', () => {
  it.each(OWN_SPECS)(
    'never cuts short, nor starts at a label, a string a generated %s example copies',
    async (spec) => {
      const catalog = await ownCatalog(spec);
      const hits: string[] = [];
      let copies = 0;
      for (const { task, expected } of ownTasks(catalog, 300, 3)) {
        for (const { key, value, description } of freeStrings(catalog, expected)) {
          if (!task.includes(value)) continue;
          copies++;
          if (cutShort(task, value)) hits.push(`cut: ${key}=${value} <- ${task}`);
          const first = /^[A-Za-z]+/.exec(value)?.[0];
          if (first && startsAtLabel(task, first, labelStems(key, description)))
            hits.push(`label: ${key}=${value} <- ${task}`);
        }
      }
      expect(copies).toBeGreaterThan(COPIES_AT_LEAST);
      expect(hits, spec).toEqual([]);
    },
    60_000,
  );
});

describe('keyPrior: flags the task does not mention', () => {
  it('finds a flag by a word of its name, a synonym or a one-edit typo', () => {
    const inTask = (task: string) => stemIn(taskStems(task));
    expect(flagMentioned('bicycles', inTask('hide bikes'))).toBe(true);
    expect(flagMentioned('has_bicycle', inTask('she brings her bicycle'))).toBe(true);
    expect(flagMentioned('pending', inTask('list pneding silences please'))).toBe(true);
    expect(flagMentioned('bicycles', inTask('any dog frendly ferries tmrw?'))).toBe(false);
    expect(flagMentioned('has_dog', inTask('she has a cat'))).toBe(false); // "has" names nothing
  });

  it('mentions every flag a generated example writes', async () => {
    const missed: string[] = [];
    let flags = 0;
    for (const spec of OWN_SPECS) {
      const catalog = await ownCatalog(spec);
      for (const { task, expected } of ownTasks(catalog, 300, 3)) {
        const op = catalog.operations.find((o) => o.method === expected.method && o.path === expected.path)!;
        const props = (op.requestBody?.schema?.properties ?? {}) as Record<string, JsonSchema>;
        const body =
          expected.body && typeof expected.body === 'object' && !Array.isArray(expected.body)
            ? Object.keys(expected.body)
            : [];
        const written = [
          ...Object.keys(expected.query).filter(
            (k) => op.parameters.find((p) => p.in === 'query' && p.name === k)?.schema.type === 'boolean',
          ),
          ...body.filter((k) => props[k]?.type === 'boolean'),
        ];
        const inTask = stemIn(taskStems(task));
        for (const k of written) {
          flags++;
          if (!flagMentioned(k, inTask)) missed.push(`${k} <- ${task}`);
        }
      }
    }
    expect(flags).toBeGreaterThan(FLAGS_AT_LEAST);
    expect(missed).toEqual([]);
  }, 60_000);

  it('lowers, while a key is named, the tokens that open only an unmentioned flag', async () => {
    const p = await priorAt(
      'ferry',
      `any dog frendly ferries frm ${A} to ${B} on ${WHEN}`,
      `${SAILINGS}"date":"${WHEN}","`,
    );
    const { raised, lowered } = p.apply();
    expect(raised).toContain('dogs');
    expect(lowered.length).toBeGreaterThan(0);
    for (const t of lowered) expect('bicycles"'.startsWith(t)).toBe(true);
  });
});

const DEEPL = 'examples/deepl.yaml';
const A = '0b7e4c2a-5d19-4f3e-a8c6-2e9d1f7b3a40';
const B = '7c1f9e3d-2a64-4b8e-9f05-c3d2e1a0b9f8';
const WHEN = '2026-04-02T06:45:00Z';
const TASK = `Find sailings from ${A} to ${B} on ${WHEN} that let dogs on board`;
const SAILINGS = `{"op":"GET /sailings","query":{"origin":"${A}","destination":"${B}",`;
/** Floors for the data-wide checks: enough copies and flags that the checks mean something. */
const COPIES_AT_LEAST = 20;
const FLAGS_AT_LEAST = 100;

/**
 * A matcher on a spec's grammar copying from `task`, fed `prefix`, and its key prior (bias 3): `apply(top)`
 * runs the prior on the allowed tokens (the one spelled `top` leading), `feed` writes on, `allowed` spells them.
 */
async function priorAt(spec: string, task: string, prefix: string) {
  const [catalog, tok] = await Promise.all([ownCatalog(spec), smolTokenizer()]);
  const m = callGrammar(catalog, tok).matcher({ copyFrom: task });
  const prior = keyPrior(catalog, tok, task, () => m.text(), 3)!;
  const text = (id: number): string => new TextDecoder().decode(tok.tokenBytes(id));
  const feed = (more: string): void => {
    for (const id of tok.encode(more, { addSpecialTokens: false })) m.accept(id);
  };
  feed(prefix);
  return {
    feed,
    allowed: (): string[] => maskIds(m.allowed()).map(text),
    apply: (top?: string): { raised: string[]; lowered: string[] } => {
      const id = top === undefined ? undefined : maskIds(m.allowed()).find((i) => text(i) === top);
      if (top !== undefined && id === undefined) throw new Error(`"${top}" is not allowed here`);
      return apply(tok, m.allowed(), prior, id);
    },
  };
}

/** Runs the prior on a row that is 0 where allowed (10 at `top`), returning the raised and lowered tokens. */
function apply(
  tok: Tokenizer,
  mask: Uint32Array,
  prior: (allowed: AllowedLogits) => void,
  top?: number,
): { raised: string[]; lowered: string[] } {
  const row = new Float32Array(tok.vocabSize);
  applyMask(row, mask);
  if (top !== undefined) row[top] = 10;
  const before = Float32Array.from(row);
  runBias(prior, row);
  const text = (i: number): string => new TextDecoder().decode(tok.tokenBytes(i));
  return {
    raised: [...row.keys()].filter((i) => row[i]! > before[i]!).map(text),
    lowered: [...row.keys()].filter((i) => row[i]! < before[i]!).map(text),
  };
}
