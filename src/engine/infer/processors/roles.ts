/**
 * Matching a stated number's role (language/evidence.ts: "page 4" is a page, "10 per page" a page size, "3 of
 * item 5521" a quantity and an item) to a parameter by the words of its name. A key whose name says none of
 * the roles takes any number; a key that says some roles takes only numbers with one of them or with no role.
 */
import type { ValueRole } from '../../language/evidence.js';
import { identWords } from '../../data/words.js';

const ROLE_WORDS: [ValueRole, RegExp][] = [
  ['page', /^page( (number|no|num|index))?$/],
  ['pageSize', /\b(page size|per page|page limit|limit|size|max results|max|top|first|results)\b/],
  ['count', /\b(limit|count|size|max results|max|top|first|results|num)\b/],
  ['offset', /\b(offset|skip|start index|cursor)\b/],
  ['quantity', /\b(quantity|qty|amount|count|units)\b/],
  ['item', /\b(id|item|product|sku)\b/],
  ['start', /\b(start|from|since|after|begin|min)\b/],
  ['end', /\b(end|to|until|before|max)\b/],
];

const cache = new Map<string, Set<ValueRole>>();

/** The roles a key's name says it takes (empty: it says none). */
export function keyRoles(key: string): Set<ValueRole> {
  let roles = cache.get(key);
  if (!roles) {
    const words = identWords(key).join(' ');
    roles = new Set(ROLE_WORDS.filter(([, re]) => re.test(words)).map(([role]) => role));
    cache.set(key, roles);
  }
  return roles;
}

/** True when a number of `role` may go into `key`. */
export function roleFits(role: ValueRole | null, key: string): boolean {
  if (role === null) return true;
  const roles = keyRoles(key);
  return roles.size === 0 || roles.has(role);
}
