import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../../../src/engine/model/weights/load.js';
import { argmax, referenceLogits, topK } from '../reference-forward.js';
import { REFERENCE_DIR } from '../../../fixtures/paths.js';

const REF = REFERENCE_DIR;
const REAL = process.env['SMOLMAP_REAL_MODEL'];

interface OracleRow {
  ids: number[];
  argmax: number[];
  lastTop5: { ids: number[]; logits: number[] };
  first8OfLastRow: number[];
}

describe('loadWeights (HF folder)', () => {
  it('loads the transformers tiny Llama so that a plain forward matches PyTorch logits to 1e-4', async () => {
    const { config, weights } = await loadWeights(`${REF}/tiny-llama/model`);
    expect(config).toMatchObject({
      hidden_size: 64,
      num_hidden_layers: 2,
      head_dim: 16,
      tie_word_embeddings: true,
    });
    const oracle = JSON.parse(await readFile(`${REF}/tiny-llama/oracle.json`, 'utf8')) as {
      base: OracleRow[];
    };
    const row = oracle.base[0]!;
    const logits = referenceLogits(config, weights, row.ids);
    expect(logits.map(argmax)).toEqual(row.argmax);
    const last = logits.at(-1)!;
    row.first8OfLastRow.forEach((v, i) => expect(last[i]).toBeCloseTo(v, 4));
    expect(topK(last, 5).ids).toEqual(row.lastTop5.ids);
  });
});

if (!REAL)
  console.warn('[skipped] real-model GGUF loader checks: set SMOLMAP_REAL_MODEL to the SmolLM2 GGUF path');

describe.skipIf(!REAL)('loadWeights (real SmolLM2-135M-Instruct Q4_1 GGUF)', () => {
  it('reads the config and reproduces transformers logits (dequantisation + q/k un-permutation)', async () => {
    const { config, weights } = await loadWeights(REAL!);
    expect(config).toMatchObject({
      num_hidden_layers: 30,
      hidden_size: 576,
      num_attention_heads: 9,
      num_key_value_heads: 3,
      vocab_size: 49152,
      rope_theta: 100000,
      tie_word_embeddings: true,
    });
    const ref = JSON.parse(await readFile(`${REF}/smollm2-135m-instruct-q4_1.json`, 'utf8')) as {
      logits: { ids: number[]; top5: { ids: number[]; logits: number[] }; argmaxPerPosition: number[] }[];
    };
    const probe = ref.logits[0]!;
    const logits = referenceLogits(config, weights, probe.ids);
    expect(logits.map(argmax)).toEqual(probe.argmaxPerPosition);
    const top = topK(logits.at(-1)!, 5);
    expect(top.ids).toEqual(probe.top5.ids);
    top.logits.forEach((v, i) => expect(Math.abs(v - probe.top5.logits[i]!)).toBeLessThan(2e-3));
  });
});
