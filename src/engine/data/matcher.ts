import type { JsonSchema } from '../specs/types.js';
import type { Mention } from './mention.js';
import type { ValueCtx } from './values.js';
import { T, val, type Phrase } from './words.js';

/**
 * Label matchers (`{name, value, isRegex}`, the Prometheus/Alertmanager matcher shape): people state one as a
 * whole — `instance=db-01`, "HighCPU alerts", "whose job label matches the regex api-.*" — not field by field,
 * and they leave `isRegex: false` unsaid. This rewrites the three sampled fields into one realistic matcher and
 * one mention.
 */
export const LABEL_NAMES = [
  'alertname',
  'severity',
  'team',
  'service',
  'env',
  'region',
  'job',
  'cluster',
  'instance',
  'owner',
];

/** The label a matcher names when a task says "HighCPU alerts": Prometheus's alert name label. */
export const IMPLIED_LABEL = 'alertname';

/** True for an object schema of the matcher shape: string `name` and `value`, boolean `isRegex`. */
export function isLabelMatcher(s: JsonSchema): boolean {
  const props = (s.properties ?? {}) as Record<string, JsonSchema>;
  return (
    props['name']?.type === 'string' &&
    props['value']?.type === 'string' &&
    props['isRegex']?.type === 'boolean'
  );
}

const ALERT_WORDS = ['High', 'Low', 'Slow', 'Failed', 'Missing', 'Stale', 'Degraded', 'Excessive'];
const ALERT_NOUNS = [
  'Memory',
  'Latency',
  'ErrorRate',
  'Disk',
  'Traffic',
  'Load',
  'Backlog',
  'Replicas',
  'Heartbeat',
  'Certificate',
  'QueueDepth',
];

/** A CamelCase alert name in the style Prometheus alerting rules use ("HighLatency", "InstanceDown"). */
export function alertName(ctx: ValueCtx): string {
  return ctx.rng.chance(0.8)
    ? `${ctx.rng.pick(ALERT_WORDS)}${ctx.rng.pick(ALERT_NOUNS)}`
    : `${ctx.rng.pick(ALERT_NOUNS)}${ctx.rng.pick(['Down', 'Full', 'Unreachable', 'Flapping'])}`;
}

/** A label value: host-like, team-like or an environment word. */
export function labelValueFor(name: string, ctx: ValueCtx): string {
  if (name === 'alertname') return alertName(ctx);
  const noun =
    ctx.faker.word
      .noun()
      .toLowerCase()
      .replace(/[^a-z]/g, '') || 'api';
  if (name === 'severity') return ctx.rng.pick(['critical', 'warning', 'info', 'page']);
  if (name === 'env') return ctx.rng.pick(['prod', 'staging', 'dev', 'test']);
  if (name === 'instance') return `${noun}-${String(ctx.rng.int(1, 20)).padStart(2, '0')}`;
  return ctx.rng.chance(0.5) ? noun : `${noun}-${ctx.rng.int(1, 9)}`;
}

function phrasings(name: string, value: string, regex: boolean, ctx: ValueCtx, negated = false): Phrase[] {
  const [n, v] = [val(name), val(value)];
  // `isEqual: false` is the negative matcher (`!=`, `!~` in Alertmanager's filter syntax).
  if (negated)
    return regex
      ? [
          T(n, '!~', v),
          T('whose ', n, ' does not match ', v),
          T('where ', n, ' does not match the regex ', v),
        ]
      : [T(n, '!=', v), T('where ', n, ' is not ', v), T(n, ' other than ', v), T('except ', n, '=', v)];
  if (regex)
    return [
      T(n, '=~', v),
      T('whose ', n, ' label matches the regex ', v),
      T(n, ' matching regex ', v),
      T('where ', n, ' matches ', v, ' (regex)'),
      T('every alert whose ', n, ' matches ', v),
    ];
  const out = [
    T(n, '=', v),
    T(n, '="', v, '"'),
    T('where ', n, ' is ', v),
    T(n, ' ', v),
    T('with label ', n, '=', v),
    T('for ', n, ' ', v),
  ];
  if (name === 'alertname')
    out.push(T(v, ' alerts'), T('the ', v, ' alert'), T(v, ' alerts'), T('alert ', v));
  return ctx.rng.chance(0.2) ? [T('matcher ', n, '=', v)] : out;
}

/**
 * When `out` is a matcher object, resamples it as a realistic matcher and replaces the mentions of its fields
 * (keys under `prefix`) by one clause. Returns false (and changes nothing) for any other object.
 */
export function fuseMatcher(
  prefix: string,
  out: Record<string, unknown>,
  mentions: Mention[],
  ctx: ValueCtx,
): boolean {
  if (
    typeof out['name'] !== 'string' ||
    typeof out['value'] !== 'string' ||
    typeof out['isRegex'] !== 'boolean'
  )
    return false;
  const name = ctx.rng.chance(0.4) ? IMPLIED_LABEL : ctx.rng.pick(LABEL_NAMES);
  const regex = name !== IMPLIED_LABEL && ctx.rng.chance(0.3);
  const base = labelValueFor(name, ctx);
  const value = regex ? `${base.replace(/-\d+$/, '')}-.*` : base;
  out['name'] = name;
  out['value'] = value;
  out['isRegex'] = regex;
  // A stated `isEqual` is only worth saying when it negates ("env!=prod"); "equal: yes" is how nobody talks.
  const negated = typeof out['isEqual'] === 'boolean';
  if (negated) out['isEqual'] = false;
  const mine = new Set(['name', 'value', 'isRegex', 'isEqual'].map((k) => prefix + k));
  const at = mentions.findIndex((m) => mine.has(m.key));
  const clause = ctx.rng.pick(phrasings(name, value, regex, ctx, negated));
  const fused: Mention = { key: `${prefix}name`, clause, bare: clause, primary: false };
  for (let i = mentions.length - 1; i >= 0; i--) if (mine.has(mentions[i]!.key)) mentions.splice(i, 1);
  mentions.splice(Math.max(0, Math.min(at, mentions.length)), 0, fused);
  return true;
}
