import type { Catalog, JsonSchema } from '../specs/types.js';
import { escapeRegExp, humanize } from './words.js';

/**
 * Human names for enum codes, so a task can say "German" where the call needs `DE`
 * (a call carries values normalised to what the schema accepts). Two sources, both only used when they make
 * the mapping unambiguous within one enum: the spec's own descriptions ("* `DE` - German") and, for fields that
 * are about languages, countries or currencies, ECMA-402 `Intl.DisplayNames` (built into Node's ICU).
 */
export type CodeNames = Map<string, string[]>;

const CODE_LINE = /`([A-Za-z0-9_-]{1,16})`\s*[-–:]\s*([^\n`*;]{2,60})/g;

function cleanName(raw: string): string[] {
  let name = raw
    .trim()
    .replace(/\s*\[[^\]]*\]/g, '')
    .replace(/[.,]$/, '');
  const paren = /^(.*?)\s*\(([^)]*)\)?\s*$/.exec(name);
  if (paren) {
    const [, head, inner] = paren as unknown as [string, string, string];
    if (/unspecified|default|deprecated|backward/i.test(inner)) return [head.trim()];
    name = head.trim();
    if (inner.trim().split(/\s+/).length > 2) return [name];
    return [`${inner.trim()} ${name}`, `${name} (${inner.trim()})`];
  }
  return [name];
}

function walkDescriptions(s: JsonSchema | null | undefined, out: string[], depth = 0): void {
  if (!s || depth > 8) return;
  if (s.description) out.push(s.description);
  for (const sub of Object.values(s.properties ?? {})) walkDescriptions(sub, out, depth + 1);
  for (const sub of [...(s.oneOf ?? []), ...(s.anyOf ?? []), ...(s.allOf ?? [])])
    walkDescriptions(sub, out, depth + 1);
  if (s.items) walkDescriptions(s.items, out, depth + 1);
}

/** Collects "`CODE` - Name" pairs from every description in the catalog (keys lower-cased). */
export function collectCodeNames(catalog: Catalog): CodeNames {
  const texts: string[] = [];
  for (const op of catalog.operations) {
    for (const p of op.parameters) {
      if (p.description) texts.push(p.description);
      walkDescriptions(p.schema, texts);
    }
    walkDescriptions(op.requestBody?.schema, texts);
  }
  const names: CodeNames = new Map();
  for (const text of texts) {
    for (const m of text.matchAll(CODE_LINE)) {
      const key = (m[1] as string).toLowerCase();
      const forms = cleanName(m[2] as string).filter(isNameLike);
      if (!names.has(key) && forms.length > 0) names.set(key, forms);
    }
  }
  return names;
}

/** A short proper name ("German", "British English"), not a sentence from a description. */
function isNameLike(name: string): boolean {
  const bare = name.replace(/\([^)]*\)/g, '').trim();
  return (
    /^[A-Z]/.test(bare) &&
    bare.split(/\s+/).length <= 3 &&
    !/\b(the|that|for|is|are|to|be|all|no|will|not|of|when|if)\b/i.test(bare)
  );
}

type DisplayKind = 'language' | 'region' | 'currency';

function displayKind(fieldName: string, description: string): DisplayKind | null {
  const text = `${humanize(fieldName)} ${description}`.toLowerCase();
  if (/\blang(uage)?s?\b/.test(text)) return 'language';
  if (/\bcurrenc/.test(text)) return 'currency';
  if (/\bcountr/.test(text)) return 'region';
  return null;
}

function intlName(code: string, kind: DisplayKind): string | null {
  try {
    const name = new Intl.DisplayNames(['en'], { type: kind }).of(
      kind === 'region' ? code.toUpperCase() : code,
    );
    return name && name.toLowerCase() !== code.toLowerCase() ? name : null;
  } catch {
    return null;
  }
}

/** Abbreviated codes and the words people say for them (general English usage). */
const ABBREVIATED: Record<string, string[]> = {
  asc: ['ascending', 'lowest first', 'oldest first', 'smallest first'],
  desc: ['descending', 'highest first', 'newest first', 'latest first', 'largest first'],
  ascending: ['asc'],
  descending: ['desc'],
  del: ['delete'],
  rm: ['remove'],
  upd: ['update'],
  ins: ['insert'],
  hangup: ['hang up'],
  unsub: ['unsubscribe'],
};

/**
 * Word forms a user might say for each value of an enum, keyed by the value. A name shared by two values of the
 * same enum is dropped (it would make the call ambiguous).
 */
export function enumWordForms(
  values: readonly string[],
  fieldName: string,
  description: string,
  codeNames: CodeNames,
): Map<string, string[]> {
  const kind = displayKind(fieldName, description);
  const forms = new Map<string, string[]>();
  for (const v of values) {
    const alts = new Set<string>(codeNames.get(v.toLowerCase()) ?? []);
    if (kind) {
      const n = intlName(v, kind);
      if (n) alts.add(n);
      if (kind === 'currency' && v !== v.toUpperCase()) alts.add(v.toUpperCase());
    }
    if (/[_@]|[a-z][A-Z]/.test(v)) alts.add(humanize(v.replace(/@/g, ' ')));
    // People type words in lower case: `REGISTERED` is "registered", `IN_PROGRESS` "in progress" (codes of
    // three letters or fewer, `DA` or `EUR`, keep their case).
    if (v.length >= 4 && (/^[A-Z][A-Z_]+$/.test(v) || /^[A-Z][a-z]+$/.test(v)))
      alts.add(humanize(v).toLowerCase());
    for (const word of ABBREVIATED[v.toLowerCase()] ?? []) alts.add(word);
    // `screenshot@fullPage` is a variant of `screenshot`: said with the variant first ("full-page screenshot").
    const at = /^([A-Za-z]+)@([A-Za-z]+)$/.exec(v);
    if (at) alts.add(`${humanize(at[2] as string).replace(/ /g, '-')} ${humanize(at[1] as string)}`);
    forms.set(
      v,
      [...alts].filter((a) => a !== v),
    );
  }
  const owners = new Map<string, number>();
  for (const alts of forms.values())
    for (const a of alts) owners.set(a.toLowerCase(), (owners.get(a.toLowerCase()) ?? 0) + 1);
  for (const [v, alts] of forms)
    forms.set(
      v,
      alts.filter((a) => owners.get(a.toLowerCase()) === 1),
    );
  return forms;
}

/**
 * Short descriptions the spec gives for enum values ("* `more` - for a more formal language"), usable as the
 * clause itself: "… for a more formal language" → `formality: "more"`.
 */
export function enumPhrases(values: readonly string[], description: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values) {
    const esc = escapeRegExp(v);
    const m = new RegExp(`\`${esc}\`(?:\\s*\\(default\\))?\\s*[-–:]\\s*([a-z][^\\n\`]*)`).exec(description);
    if (!m) continue;
    const phrase = (m[1] as string)
      .split(/,\s*otherwise|;|\.\s/)[0]!
      .trim()
      .replace(/[.,]$/, '');
    if (phrase.split(/\s+/).length <= 10 && !/[[\]()]/.test(phrase)) out.set(v, phrase);
  }
  const seen = new Map<string, number>();
  for (const p of out.values()) seen.set(p, (seen.get(p) ?? 0) + 1);
  for (const [v, p] of out) if ((seen.get(p) ?? 0) > 1) out.delete(v);
  return out;
}

/**
 * True for an enum that is a boolean in disguise: its values are among `true`, `false`, `1`, `0` (strings or
 * numbers), with a yes and a no.
 */
export function isBooleanLikeEnum(values: readonly unknown[] | undefined): boolean {
  if (!Array.isArray(values) || values.length < 2) return false;
  const words = values.map(String);
  return (
    words.every((v) => /^(true|false|1|0)$/.test(v)) &&
    words.some((v) => v === 'true' || v === '1') &&
    words.some((v) => v === 'false' || v === '0')
  );
}

/** True when a value of a boolean-like enum says yes (`true`, `1`). */
export const saysYes = (v: unknown): boolean => v === true || v === 'true' || v === 1 || v === '1';
