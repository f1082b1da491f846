import type { Rng } from '../rng.js';
import type { JsonSchema } from '../specs/types.js';
import { LABEL_NAMES, labelValueFor } from './matcher.js';
import { mapMention, type Mention } from './mention.js';
import type { ValueCtx } from './values.js';
import { humanize, lit, type Phrase } from './words.js';

/** How some body fields are said together: label maps as one clause, fused pairs, ordered ranges. */

/** A label or annotation map (`{ severity: "critical" }`), said as one clause; within `maxProperties`. */
export function labelMap(
  key: string,
  name: string,
  s: JsonSchema,
  ctx: ValueCtx,
  mentions: Mention[],
): Record<string, string> {
  const rng = ctx.rng;
  const max = typeof s['maxProperties'] === 'number' ? Math.max(1, s['maxProperties']) : 2;
  const keys = rng.shuffle(LABEL_NAMES).slice(0, rng.int(1, Math.min(2, max)));
  const free = /annotation|description|summary|comment/.test(name);
  // Alerts are named by their `alertname` label (Prometheus convention), so most label sets carry one.
  if (!free && /label/.test(name) && !keys.includes('alertname') && rng.chance(0.6)) {
    keys.unshift('alertname');
    keys.length = Math.min(keys.length, max);
  }
  const entries: [string, string][] = keys.map((k) => [
    free ? rng.pick(['summary', 'description', 'runbook']) : k,
    free
      ? rng.pick([
          ctx.faker.hacker.phrase().replace(/[!.]$/, ''),
          `${rng.pick(['Disk', 'Memory', 'CPU', 'Queue'])} ${rng.int(50, 99)}% full`,
          `${ctx.faker.word.noun()} is down`,
        ])
      : labelValueFor(k, ctx),
  ]);
  const uniq = Object.fromEntries(entries);
  mentions.push(mapMention(key, humanize(name), Object.entries(uniq), rng));
  return uniq;
}

/** A start after its end reads as a mistake: swap the two values (and what the task says for them). */
export function orderRange(prefix: string, out: Record<string, unknown>, mentions: Mention[]): void {
  const start = Object.keys(out).find((k) => /^(starts?_?at|start(_?(date|time))?|from|begin)$/i.test(k));
  const end = Object.keys(out).find((k) => /^(ends?_?at|end(_?(date|time))?|until)$/i.test(k));
  if (!start || !end) return;
  const [a, b] = [out[start], out[end]];
  if (typeof a !== 'string' || typeof b !== 'string' || Date.parse(a) <= Date.parse(b)) return;
  out[start] = b;
  out[end] = a;
  const ma = mentions.find((m) => m.key === prefix + start);
  const mb = mentions.find((m) => m.key === prefix + end);
  const va = ma?.clause.find((x) => x.value);
  const vb = mb?.clause.find((x) => x.value);
  if (va && vb) [va.text, vb.text] = [vb.text, va.text];
}

/** People say some fields together: "49.99 EUR", "expires 12/2027". */
export function fuseSaid(prefix: string, out: Record<string, unknown>, mentions: Mention[], rng: Rng): void {
  const find = (re: RegExp): Mention | undefined => {
    const name = Object.keys(out).find((k) => re.test(k));
    return name === undefined ? undefined : mentions.find((m) => m.key === prefix + name);
  };
  const pairs: [Mention | undefined, Mention | undefined, (a: Phrase, b: Phrase) => Phrase][] = [
    [
      find(/^(amount|price|total)$/),
      find(/^currency$/),
      (a, b) => [...lit(rng.pick(['', 'amount ', 'for '])), ...a, ...lit(' '), ...b],
    ],
    [
      find(/^exp(iry|iration)?_?month$/i),
      find(/^exp(iry|iration)?_?year$/i),
      (a, b) => [
        ...lit(rng.pick(['expires ', 'expiring ', 'exp ', 'valid until '])),
        ...a,
        ...lit('/'),
        ...b,
      ],
    ],
  ];
  for (const [a, b, join] of pairs) {
    if (!a || !b || !rng.chance(0.6)) continue;
    const fused: Mention = {
      key: a.key,
      clause: join(a.bare, b.bare),
      bare: join(a.bare, b.bare),
      primary: false,
    };
    mentions.splice(mentions.indexOf(a), 1, fused);
    mentions.splice(mentions.indexOf(b), 1);
  }
}
