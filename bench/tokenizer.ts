/**
 * Tokenizer speed: load time, the one-off per-token byte table (constrained decoding reads all of it),
 * and amortised encode/decode of a ~200-token chat prompt. Prints figures; asserts nothing.
 *   npx tsx bench/tokenizer.ts [hf-model-dir] [file.gguf]   (the folder defaults to the tiny reference model in
 *   test/fixtures, which carries SmolLM2's tokenizer; the GGUF to $SMOLMAP_REAL_MODEL)
 */
import path from 'node:path';

import { loadTokenizer, loadTokenizerFromGguf } from '../src/engine/model/tokenizer/index.js';

const dir =
  process.argv[2] ??
  path.join(import.meta.dirname, '..', 'test', 'fixtures', 'reference', 'tiny-llama', 'model');
const gguf = process.argv[3] ?? process.env['SMOLMAP_REAL_MODEL'];

function ms(start: number): string {
  return (performance.now() - start).toFixed(1);
}

async function main(): Promise<void> {
  let t = performance.now();
  const tok = await loadTokenizer(dir);
  console.log(`load ${dir}: ${ms(t)} ms (vocab ${tok.vocabSize})`);
  if (gguf) {
    t = performance.now();
    await loadTokenizerFromGguf(gguf);
    console.log(`rebuild from ${gguf}: ${ms(t)} ms (header read + tokenizer.json rebuild + load)`);
  }

  t = performance.now();
  tok.tokenBytes(0);
  console.log(`byte table for ${tok.vocabSize} tokens: ${ms(t)} ms`);

  const task =
    'List all pets with status sold and show me their names, tags and photo URLs; limit 10, sort by id. ' +
    'Use https://petstore3.swagger.io/api/v3/pet/findByStatus?status=sold&tags=dog if it fits. ';
  const prompt = tok.applyChatTemplate(
    [
      {
        role: 'system',
        content: 'You map a task to one call of the Swagger Petstore API. Answer with JSON.',
      },
      { role: 'user', content: task.repeat(3) },
    ],
    { addGenerationPrompt: true },
  );
  const ids = tok.encode(prompt);
  const rounds = 2000;
  for (let i = 0; i < 200; i++) tok.encode(prompt); // warm-up (JIT)
  t = performance.now();
  for (let i = 0; i < rounds; i++) tok.encode(prompt);
  const encodeMs = (performance.now() - t) / rounds;
  t = performance.now();
  for (let i = 0; i < rounds; i++) tok.decode(ids);
  const decodeMs = (performance.now() - t) / rounds;
  console.log(
    `encode ${ids.length}-token prompt: ${encodeMs.toFixed(3)} ms; decode: ${decodeMs.toFixed(3)} ms (mean of ${rounds})`,
  );
}

await main();
