import type { FieldInfo, ValueCtx } from './values.js';
import { singular } from './words.js';

/** Free text, names, titles and web addresses as people type them, drawn from faker with the generator's RNG. */

/**
 * Free text (comments, prompts, texts to translate). Mostly short, as people type them: every token of a long
 * sentence is paid for twice in training (task and target) and teaches nothing more about copying.
 */
export function sentence(ctx: ValueCtx): string {
  const s = ctx.rng.weighted<() => string>([
    [() => `${ctx.faker.word.adjective()} ${ctx.faker.word.noun()}`, 3],
    [
      () =>
        `${ctx.faker.word.noun()} ${ctx.rng.pick(['maintenance', 'upgrade', 'migration', 'test', 'outage', 'rollout'])}`,
      2,
    ],
    [() => `${ctx.faker.word.verb()} the ${ctx.faker.word.noun()}`, 2],
    [() => ctx.faker.hacker.phrase(), 1],
    [() => ctx.faker.company.catchPhrase(), 1],
    [() => `The ${ctx.faker.word.noun()} is ${ctx.faker.word.adjective()} today.`, 1],
    [() => `${ctx.faker.word.interjection()}, the ${ctx.faker.commerce.product().toLowerCase()} arrived`, 1],
  ])();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function topic(ctx: ValueCtx): string {
  return ctx.rng.pick([
    () => ctx.faker.commerce.productName().toLowerCase(),
    () => `${ctx.faker.word.adjective()} ${ctx.faker.word.noun()}`,
    () =>
      `${ctx.faker.hacker.adjective()} ${ctx.faker.hacker.noun()} ${ctx.rng.pick(['trends', 'pricing', 'alternatives', 'reviews', 'news'])}`,
    () => ctx.faker.location.city(),
    () => `${ctx.faker.company.buzzNoun()} in ${ctx.faker.location.country()}`,
  ])();
}

/**
 * A web address the way people paste them: mostly short brand-like hosts (`acme.io`, `docs.shop.com`); paths
 * are words, file names or a wildcard. Short, so the target stays within the grammar's string-length limit.
 */
export function url(ctx: ValueCtx): string {
  const word = (): string =>
    ctx.faker.word
      .noun()
      .toLowerCase()
      .replace(/[^a-z]/g, '') || 'site';
  const tld = ctx.rng.pick(['com', 'com', 'org', 'io', 'dev', 'net', 'co.uk', 'de']);
  const host = ctx.rng.weighted<() => string>([
    [() => `${word()}.${tld}`, 4],
    [() => `www.${word()}.${tld}`, 2],
    [() => `${ctx.rng.pick(['blog', 'docs', 'shop', 'news', 'app', 'help'])}.${word()}.${tld}`, 2],
    [() => `${word()}${word()}.${tld}`, 1],
  ])();
  const path = ctx.rng.pick([
    '',
    '',
    `/${word()}`,
    `/${word()}/${word()}`,
    `/${ctx.faker.system.commonFileName('html').replace(/_/g, '-')}`,
    `/${word()}/*`,
  ]);
  return `${ctx.rng.chance(0.9) ? 'https' : 'http'}://${host}${path}`;
}

export const personName = (ctx: ValueCtx): string =>
  `${ctx.faker.person.firstName()} ${ctx.faker.person.lastName()}`;

export function titleLike(f: FieldInfo, ctx: ValueCtx): string {
  const noun = f.parent ? singular(f.parent.split(' ').pop() ?? '') : ctx.faker.word.noun();
  return ctx.rng.pick([
    () => `${ctx.faker.commerce.department()} ${noun}`,
    () => ctx.faker.company.name().replace(/,/g, ''),
    () => `${ctx.faker.word.adjective()} ${ctx.faker.word.noun()}`.replace(/^./, (c) => c.toUpperCase()),
    () => ctx.faker.commerce.productName(),
  ])();
}

export function digits(ctx: ValueCtx, n: number): string {
  let s = String(ctx.rng.int(1, 9));
  while (s.length < n) s += String(ctx.rng.int(0, 9));
  return s;
}
