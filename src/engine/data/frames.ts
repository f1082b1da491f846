import type { Intent } from './intent.js';
import type { Rng } from '../rng.js';
import { capitalize, lit, phraseText, type Phrase, T } from './words.js';

/**
 * Sentence frames around an intent and its clauses: commands, politeness, questions, indirect requests,
 * fragments, clauses-first word order, and a bit of context. The frame name is half of the template family.
 */

export type Frame =
  'command' | 'please' | 'could' | 'want' | 'casual' | 'front' | 'question' | 'terse' | 'context';

const CONTEXTS = [
  'Quick one',
  'For the weekly report',
  'Before the standup',
  'Just checking',
  'Need this for a customer',
  'Following up on yesterday',
  'Small request',
  'When you get a chance',
];

/** Clauses appended after the intent, with varied connectors. */
export function joinClauses(clauses: Phrase[], rng: Rng, terse: boolean): Phrase {
  const out: Phrase = [];
  clauses.forEach((c, i) => {
    const sep = terse
      ? ' '
      : i === 0
        ? rng.pick([' ', ' ', ', '])
        : i === clauses.length - 1
          ? rng.pick([' and ', ', and ', ', ', ' '])
          : rng.pick([', ', ', ', '; ', ' ']);
    out.push(...lit(sep), ...c);
  });
  return out;
}

function capFirst(p: Phrase): Phrase {
  if (p.length === 0 || p[0]!.value) return p;
  return [{ ...p[0]!, text: capitalize(p[0]!.text) }, ...p.slice(1)];
}

export function applyFrame(frame: Frame, intent: Intent, clauses: Phrase[], rng: Rng): Phrase {
  const c = joinClauses(clauses, rng, frame === 'terse');
  const cmd = T(intent.command, c);
  const end = rng.pick(['.', '.', '', '!']);
  switch (frame) {
    case 'command':
      return capFirst(T(cmd, end));
    case 'please':
      return capFirst(
        rng.pick([
          T('please ', cmd, '.'),
          T(cmd, ', please.'),
          T(cmd, ' pls'),
          T('pls ', cmd),
          T('kindly ', cmd, '.'),
          T(cmd, ' please'),
        ]),
      );
    case 'could':
      return capFirst(
        rng.pick([
          T('could you ', cmd, '?'),
          T('can you ', cmd, '?'),
          T('would you ', cmd, '?'),
          T('could you please ', cmd, '?'),
          T('can you please ', cmd, '?'),
        ]),
      );
    case 'want': {
      // "I want to show me …" is not English: the first person asks to see/get.
      const first = cmd[0];
      if (first && !first.value)
        cmd[0] = {
          text: first.text.replace(/^(show|give) me(?= |$)/, (_m, v: string) =>
            v === 'show' ? 'see' : 'get',
          ),
        };
      return capFirst(
        rng.pick([
          T("I'd like to ", cmd, end),
          T('I want to ', cmd, end),
          T('I need to ', cmd, end),
          T('we need to ', cmd, end),
          T('help me ', cmd, end),
          T("let's ", cmd, end),
          T('I have to ', cmd, end),
        ]),
      );
    }
    case 'casual':
      return capFirst(
        rng.pick([
          T('hey, ', cmd),
          T('hi! ', cmd, ', thanks'),
          T(cmd, ' - thanks!'),
          T('yo ', cmd),
          T('hey can you ', cmd, '?'),
          T('ok so ', cmd),
        ]),
      );
    case 'front': {
      if (clauses.length === 0) return capFirst(T(cmd, end));
      const front = joinClauses(clauses, rng, false).slice(1);
      // "With from French to German, translate …" is not English: a clause that opens with a preposition stands alone.
      const prep =
        /^(from|to|into|between|starting|with|without|on|for|in|at|until|only|by|via|using|no|not|don't|do not|where)\b/i.test(
          phraseText(front),
        );
      return capFirst(
        rng.pick([
          T(front, ': ', intent.command, end),
          T(front, ' - ', intent.command, end),
          prep ? T(front, ', ', intent.command, end) : T('with ', front, ', ', intent.command, end),
        ]),
      );
    }
    case 'question':
      return capFirst(T(intent.question ?? T('can you ', intent.command), c, '?'));
    case 'terse':
      return T(intent.terse, c);
    case 'context':
      return capFirst(T(rng.pick(CONTEXTS), rng.pick([': ', '. ', ' - ']), capFirst(cmd), end));
  }
}

export const FRAMES: readonly (readonly [Frame, number])[] = [
  ['command', 5],
  ['please', 2],
  ['could', 2],
  ['want', 2],
  ['casual', 1],
  ['front', 1],
  ['question', 2],
  ['terse', 2],
  ['context', 1],
];
