import { describe, expect, it } from 'vitest';
import { EXAMPLES, helpText, parseCommand, words } from '../../../src/bots/common/grammar.js';

describe('bot command grammar', () => {
  it.each([
    ['', { verb: 'help' }],
    ['spec', { verb: 'spec list' }],
    ['spec add', { verb: 'spec add' }],
    [
      'spec add https://x.example/o.yaml?a=1 name=pets',
      { verb: 'spec add', url: 'https://x.example/o.yaml?a=1', name: 'pets' },
    ],
    ['spec ops pets', { verb: 'spec ops', spec: 'pets' }],
    ['spec rm pets', { verb: 'spec rm', spec: 'pets' }],
    ['train pets steps=5 --lr 0.001', { verb: 'train', spec: 'pets', options: { steps: '5', lr: '0.001' } }],
    ['jobs', { verb: 'jobs' }],
    ['stop train-1', { verb: 'stop', job: 'train-1' }],
    ['ask pets show me pet 42', { verb: 'ask', spec: 'pets', task: 'show me pet 42' }],
    ['models', { verb: 'models' }],
    ['models pets', { verb: 'models', spec: 'pets' }],
    ['activate pets-1', { verb: 'activate', model: 'pets-1' }],
    ['HISTORY', { verb: 'history' }],
  ])('%s', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it.each([
    ['train', /give the spec/],
    ['train pets speed=9', /unknown option "speed".*steps/],
    ['train pets steps', /"steps" is not an option/],
    ['ask pets', /give the spec and the task/],
    ['stop', /give the job id/],
    ['jobs now', /takes no arguments/],
    ['spec add ftp://x/y.yaml', /not an http\(s\) URL/],
    ['deploy', /not a smolmap command/],
  ])('%s is a usage error', (text, message) => {
    expect(() => parseCommand(text)).toThrow(message);
    try {
      parseCommand(text);
    } catch (e) {
      expect((e as { code: string }).code).toBe('bot_usage');
    }
  });

  it('keeps quoted phrases whole (straight and curly quotes)', () => {
    expect(words('ask pets "find sold pets" “and more”')).toEqual([
      'ask',
      'pets',
      'find sold pets',
      'and more',
    ]);
  });

  it('shows examples in the help that are commands the grammar accepts', () => {
    const help = helpText();
    expect(EXAMPLES.length).toBeGreaterThan(0);
    for (const e of EXAMPLES) {
      expect(help).toContain(`/smolmap ${e.command}`);
      expect(parseCommand(e.command).verb).not.toBe('help');
    }
    expect(EXAMPLES.map((e) => parseCommand(e.command).verb)).toEqual(['spec add', 'train', 'ask']);
  });
});
