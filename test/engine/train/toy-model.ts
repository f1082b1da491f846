/**
 * A real training graph in miniature for the loop's tests: a frozen bigram language model (embedding → head)
 * with one LoRA pair on the head, HF-style shifted cross-entropy over label positions (−100 ignored), and the
 * gradients of A and B from the graph engine's autodiff. One session.run per micro-batch, as with SmolLM2.
 */
import { grad } from '../../../src/engine/model/graph/autodiff.js';
import { Graph } from '../../../src/engine/model/graph/builder.js';
import { serialize } from '../../../src/engine/model/graph/serialize.js';
import { createSession, f32, type Session } from '../../../src/engine/infer/ort.js';
import type { Batch, Sequence } from '../../../src/engine/train/batching.js';
import type { Grads, Tensors } from '../../../src/engine/train/optim.js';
import type { TrainDeps } from '../../../src/engine/train/loop.js';
import { Rng } from '../../../src/engine/rng.js';

export const VOCAB = 16;
const HIDDEN = 8;
export const RANK = 4;
const SCALE = 2;

function random(n: number, seed: number, scale: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-scale, scale));
}

function build(): Graph {
  const g = new Graph();
  const ids = g.input('input_ids', 'int64', ['batch', 'seq']);
  const labels = g.input('labels', 'int64', ['batch', 'seq']);
  const a = g.input('lora_A', 'float32', [RANK, HIDDEN]);
  const b = g.input('lora_B', 'float32', [VOCAB, RANK]);
  const embed = g.initializer('embed', { shape: [VOCAB, HIDDEN], data: random(VOCAB * HIDDEN, 1, 1) });
  const head = g.initializer('head', { shape: [HIDDEN, VOCAB], data: random(HIDDEN * VOCAB, 2, 0.3) });
  const x = g.gather(embed, ids, 0); // [B, T, H]
  const delta = g.matmul(g.matmul(x, g.transpose(a, [1, 0])), g.transpose(b, [1, 0])); // [B, T, V]
  const logits = g.add(g.matmul(x, head), g.mul(delta, SCALE)); // [B, T, V]
  // Position t predicts labels[t + 1].
  const lg = g.slice(logits, [0], [-1], [1]); // [B, T-1, V]
  const lb = g.slice(labels, [1], [Infinity], [1]); // [B, T-1]
  const ignored = g.equal(lb, g.scalar(-100, 'int64'));
  const safe = g.where(ignored, g.scalar(0, 'int64'), lb);
  const mask = g.where(ignored, g.scalar(0), g.scalar(1)); // [B, T-1]
  const picked = g.squeeze(g.gatherElements(g.logSoftmax(lg, -1), g.unsqueeze(safe, [2]), 2), [2]);
  const loss = g.div(
    g.neg(g.reduceSum(g.mul(picked, mask), [0, 1], false)),
    g.reduceSum(mask, [0, 1], false),
  );
  const [ga, gb] = grad(g, loss, [a, b]);
  g.output('loss', loss);
  g.output('grad_A', ga!);
  g.output('grad_B', gb!);
  return g;
}

export interface Toy {
  session: Session;
  /** Fresh LoRA tensors (A seeded, B zero), keyed as the loop expects. */
  lora(): Tensors;
  deps: Pick<TrainDeps, 'step' | 'evalLoss'>;
}

export async function createToy(): Promise<Toy> {
  const session = await createSession(serialize(build()).model, { threads: 1 });
  const feeds = (batch: Batch, lora: Tensors) => ({
    input_ids: { dtype: 'int64' as const, dims: [batch.batchSize, batch.seqLen], data: batch.inputIds },
    labels: { dtype: 'int64' as const, dims: [batch.batchSize, batch.seqLen], data: batch.labels },
    lora_A: f32(lora.get('A')!.data, [RANK, HIDDEN]),
    lora_B: f32(lora.get('B')!.data, [VOCAB, RANK]),
  });
  return {
    session,
    lora: () =>
      new Map([
        ['A', { shape: [RANK, HIDDEN], data: random(RANK * HIDDEN, 3, 1 / Math.sqrt(HIDDEN)) }],
        ['B', { shape: [VOCAB, RANK], data: new Float32Array(VOCAB * RANK) }],
      ]),
    deps: {
      async step(batch, lora) {
        const out = await session.run(feeds(batch, lora));
        const grads: Grads = new Map([
          ['A', Float32Array.from(out['grad_A']!.data as Float32Array)],
          ['B', Float32Array.from(out['grad_B']!.data as Float32Array)],
        ]);
        return { loss: (out['loss']!.data as Float32Array)[0]!, grads };
      },
      async evalLoss(batch, lora) {
        const out = await session.run(feeds(batch, lora), ['loss']);
        return (out['loss']!.data as Float32Array)[0]!;
      },
    },
  };
}

/**
 * Sequences in the shape of chat examples: a "prompt" of random tokens (masked) followed by a "target" that
 * follows a fixed bigram rule next = (3·cur + 5) mod V (labelled), so a LoRA on the head can learn it.
 */
export function toySequences(n: number, seed: number): Sequence[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const promptLen = 2 + Math.floor(rng.next() * 5);
    const targetLen = 3 + Math.floor(rng.next() * 6);
    const ids: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < promptLen; i++) {
      ids.push(Math.floor(rng.next() * VOCAB));
      labels.push(-100);
    }
    for (let i = 0; i < targetLen; i++) {
      const next = (3 * ids[ids.length - 1]! + 5) % VOCAB;
      ids.push(next);
      labels.push(next);
    }
    return { ids, labels };
  });
}
