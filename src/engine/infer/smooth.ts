/**
 * SmoothQuant (Xiao et al. 2023) factors for the int8 weight mode (model/quant.ts `int8Projector`): per input
 * channel k of each frozen projection, s_k = max|X_k|^α / max|W_k|^(1−α), so the product runs on x/s and W·s,
 * moving outlier channels' range from the activations (quantised per tensor at run time) into the weights
 * (quantised per column once). max|X_k| is measured once per load on fixed mapper-shaped calibration prompts
 * (a chat turn and a JSON call, fixed in the code, not drawn from any task set), with the base model in f32.
 */
import { SmolmapError } from '../errors.js';
import { concatRows, fusedWeightName, type Projector } from '../model/llama.js';
import { encodeChat, type Tokenizer } from '../model/tokenizer/index.js';
import { isHeadProjection } from '../model/quant.js';
import type { LlamaConfig, WeightMap } from '../model/types.js';
import { KvCache } from './kv.js';
import { TRAINED_SYSTEM } from './prompt.js';
import type { BaseRuntime, RuntimeOptions } from './runtime.js';

const CALIBRATION: readonly [string, string][] = [
  [
    'find the 20 newest open orders for customer 4411 placed after 2024-03-01',
    '{"op":"GET /orders","query":{"customer_id":4411,"status":"open","created_after":"2024-03-01","limit":20}}',
  ],
  [
    'Create a webhook that posts to https://hooks.example.net/in whenever an invoice is paid.',
    '{"op":"POST /webhooks","body":{"url":"https://hooks.example.net/in","events":["invoice.paid"]}}',
  ],
  [
    "rename project 8c1f2e9a-77b0-4d2e-a0c4-5d1e9b3f6a21 to 'Q3 launch' and archive it",
    '{"op":"PATCH /projects/{project_id}","path":{"project_id":"8c1f2e9a-77b0-4d2e-a0c4-5d1e9b3f6a21"},"body":{"name":"Q3 launch","archived":true}}',
  ],
  [
    'Wie viele Tickets mit Priorität hoch sind seit Montag unbearbeitet?',
    '{"op":"GET /tickets/count","query":{"priority":"high","state":"unassigned","since":"monday"}}',
  ],
];

/** The prompt as the mapper's chat turn, or plain text for a model whose template encodeChat refuses. */
function calibrationIds(tokenizer: Tokenizer, task: string, call: string): number[] {
  try {
    return encodeChat(tokenizer, [
      { role: 'system', content: TRAINED_SYSTEM },
      { role: 'user', content: task },
      { role: 'assistant', content: call },
    ]);
  } catch {
    return tokenizer.encode(`${TRAINED_SYSTEM}\n${task}\n${call}`);
  }
}

/** One frozen projection's input: the weights it applies (row-concatenated) and max |x_k| per input channel. */
export interface ActivationRange {
  parts: readonly string[];
  max: Float32Array;
}

/** Per fused projection name: max |x_k| over every position of the calibration prompts. */
export async function activationMaxima(
  config: LlamaConfig,
  weights: WeightMap,
  tokenizer: Tokenizer,
  create: (options: RuntimeOptions) => Promise<BaseRuntime>,
): Promise<Map<string, ActivationRange>> {
  const names = new Map<string, readonly string[]>();
  const projector: Projector = (g, x, parts) => {
    const name = fusedWeightName(parts);
    if (!isHeadProjection(parts)) {
      names.set(name, parts);
      g.output(`calibration.${name}`, x);
    }
    return g.matmul(x, g.transpose(g.initializer(`${name}.calibration`, concatRows(weights, parts)), [1, 0]));
  };
  const rt = await create({ quant: 'f32', lazyHead: false, projector });
  const maxima = new Map<string, ActivationRange>();
  // KvCache builds the feeds; this tap reads the calibration outputs each run also returns.
  const tap: BaseRuntime = {
    ...rt,
    session: {
      ...rt.session,
      run: async (feeds, outputs) => {
        const out = await rt.session.run(feeds, outputs);
        for (const [name, parts] of names) {
          const t = out[`calibration.${name}`]!;
          const k = t.dims[t.dims.length - 1]!;
          const data = t.data as Float32Array;
          let range = maxima.get(name);
          if (!range) maxima.set(name, (range = { parts, max: new Float32Array(k) }));
          const m = range.max;
          for (let i = 0; i < data.length; i++) {
            const v = Math.abs(data[i]!);
            if (v > m[i % k]!) m[i % k] = v;
          }
        }
        return out;
      },
    },
  };
  try {
    for (const [task, call] of CALIBRATION) {
      await new KvCache(tap, 1, rt.loraFeeds(null)).stepRows(calibrationIds(tokenizer, task, call));
    }
  } finally {
    await rt.release();
  }
  return maxima;
}

/** s_k = max|X_k|^α / max|W_k|^(1−α) per fused projection (max over all its weights' rows), at least 1e-5. */
export function smoothingFactors(
  weights: WeightMap,
  maxima: ReadonlyMap<string, ActivationRange>,
  alpha: number,
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, { parts, max: xMax }] of maxima) {
    const k = xMax.length;
    const wMax = new Float32Array(k);
    for (const part of parts) {
      const w = weights.get(part);
      if (!w || w.shape[1] !== k) {
        throw new SmolmapError('internal', `internal: no ${part} weight of input width ${k} to smooth`);
      }
      for (let at = 0; at < w.data.length; at += k) {
        for (let i = 0; i < k; i++) {
          const v = Math.abs(w.data[at + i]!);
          if (v > wMax[i]!) wMax[i] = v;
        }
      }
    }
    const s = new Float32Array(k);
    for (let i = 0; i < k; i++) {
      s[i] = Math.max(1e-5, Math.max(xMax[i]!, 1e-5) ** alpha / Math.max(wMax[i]!, 1e-5) ** (1 - alpha));
    }
    out.set(name, s);
  }
  return out;
}
