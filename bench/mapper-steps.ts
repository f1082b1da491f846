/**
 * Model steps per mapped call without the real model: the tiny reference Llama decodes each eval-dev task with
 * the mapper's prompt, grammar, copy constraint, prefix cache, answer history and speculation, while a teacher
 * (a large logit boost on the next token of the answer's canonical encoding) makes it write a given answer.
 * Given the answer tokens, the number of model steps depends only on the decoding machinery (forced tokens,
 * drafts, the prefill), not on the model, so this measures step-saving changes in seconds and without the CPU
 * lock a real run needs. Checked against real q4 runs of the same answers: 8.07 vs 8.09 and 7.19 vs 7.25 steps
 * per call. Step counts only — a step's cost grows with the tokens it feeds (printed per call); latency needs
 * bench/mapper-ab.ts on the real model.
 *
 *   npx tsx bench/mapper-steps.ts [--answers FILE.jsonl] [--specs a,b] [--draft K] [--max-ngram N]
 *                                 [--min-ngram N] [--verbose]
 * Answers: the eval-dev expected calls (default), or a JSONL of {"spec", "i", "text"} (a real run's answers,
 * task i of the spec's task file).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { decode, type DecodeOptions } from '../src/engine/infer/decode.js';
import { callGrammar } from '../src/engine/infer/grammar/call-grammar.js';
import { groundedCatalog } from '../src/engine/infer/processors/index.js';
import { AnswerHistory, type LookupOptions } from '../src/engine/infer/lookup.js';
import { mapperPromptIds } from '../src/engine/infer/mapper.js';
import { PrefixCache } from '../src/engine/infer/prefix.js';
import { callToTarget } from '../src/engine/infer/prompt.js';
import { createRuntime } from '../src/engine/infer/runtime.js';
import { parseTaskFile } from '../src/engine/data/taskfile.js';
import { loadTokenizer } from '../src/engine/model/tokenizer/index.js';
import { loadSpecFile } from '../src/engine/specs/ingest.js';
import { REF, tinyConfig, tinyWeights } from '../test/engine/model/tiny-ref.js';
import { EVAL_DEV, EVAL_DEV_OPTION, SPECS } from './eval-dev.js';

const { values } = parseArgs({
  options: {
    ...EVAL_DEV_OPTION,
    answers: { type: 'string' },
    specs: { type: 'string', default: Object.keys(SPECS).join(',') },
    draft: { type: 'string' },
    'max-ngram': { type: 'string' },
    'min-ngram': { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});
const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
const lookup: LookupOptions = {
  draftTokens: num(values.draft),
  maxNgram: num(values['max-ngram']),
  minNgram: num(values['min-ngram']),
};

const recorded = new Map<string, string>();
if (values.answers) {
  for (const line of readFileSync(values.answers, 'utf8').split('\n').filter(Boolean)) {
    const a = JSON.parse(line) as { spec: string; i: number; text: string };
    recorded.set(`${a.spec} ${a.i}`, a.text);
  }
}

async function main(): Promise<void> {
  const rt = await createRuntime(tinyConfig(), await tinyWeights(), await loadTokenizer(`${REF}/model`), {
    threads: 1,
  });
  const tok = rt.tokenizer;
  const all = { steps: 0, fed: 0, calls: 0, mismatched: 0 };
  for (const spec of values.specs.split(',')) {
    const file = SPECS[spec];
    if (!file) throw new Error(`unknown eval-dev spec ${spec}`);
    const { catalog } = await loadSpecFile(`${EVAL_DEV}/specs/${file}`);
    const examples = parseTaskFile(readFileSync(`${EVAL_DEV}/tasks/${spec}.jsonl`, 'utf8'), catalog);
    // One answer history and prefix cache per spec, as one adapter's calls in an eval have.
    const speculate = { ...lookup, history: new AnswerHistory() };
    const prefixCache = new PrefixCache();
    let steps = 0;
    let fed = 0;
    for (const [i, ex] of examples.entries()) {
      const answer = recorded.get(`${spec} ${i}`) ?? callToTarget(ex.expected, catalog);
      const prompt = mapperPromptIds(rt, ex.task, catalog, false);
      const matcher = callGrammar(groundedCatalog(catalog, ex.task), tok).matcher({
        copyFrom: ex.task.trim(),
      });
      const teacher: DecodeOptions['processLogits'] = (row, generated) => {
        const done = tok.decode([...generated], { skipSpecialTokens: true });
        const rest = answer.slice(done.length);
        const next = rest.length > 0 ? tok.encode(rest)[0]! : tok.stopTokenIds[0]!;
        row[next] = (row[next] ?? 0) + 1000;
      };
      const r = await decode(rt, prompt, {
        constraint: matcher,
        processLogits: teacher,
        maxTokens: 384,
        prefixCache,
        speculate,
      });
      // Tokens fed after the prompt: decided, forced and draft tokens (the prompt's own tail excluded).
      const callFed = r.tokens.length + r.timings.draftTokens - r.timings.acceptedDraftTokens;
      steps += r.timings.modelSteps;
      fed += callFed;
      if (matcher.text() !== answer) {
        all.mismatched++;
        console.log(
          `  ${spec} ${i}: the grammar did not let the teacher write the answer\n    ${answer}\n    ${matcher.text()}`,
        );
      }
      if (values.verbose) console.log(`  ${spec} ${i}: ${r.timings.modelSteps} steps, ${callFed} tokens fed`);
    }
    const n = examples.length;
    console.log(
      `${spec.padEnd(13)} steps/call ${(steps / n).toFixed(2)}  tokens fed/call ${(fed / n).toFixed(1)}`,
    );
    all.steps += steps;
    all.fed += fed;
    all.calls += n;
  }
  console.log(
    `all           steps/call ${(all.steps / all.calls).toFixed(2)}  tokens fed/call ${(all.fed / all.calls).toFixed(1)}  (${all.calls - all.mismatched}/${all.calls} answers written; ${values.answers ?? 'expected calls'}; lookup ${JSON.stringify(lookup)})`,
  );
}

await main();
