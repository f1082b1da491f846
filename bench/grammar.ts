/**
 * Spec-constrained decoding: our grammar vs XGrammar (@mlc-ai/web-xgrammar, WASM) vs
 * @huggingface/transformers-structured-output, on the four eval-dev specs with the SmolLM2 tokenizer (the tiny
 * reference model's, in test/fixtures).
 * Prints, per spec and engine: grammar build time, whether every expected call's canonical target is accepted,
 * the share of random walks (uniform over allowed tokens) that end in a call `validateCall` accepts, and mask
 * latency per step (cold = first pass over the expected targets, warm = second pass).
 * Run: npx tsx bench/grammar.ts [walksPerSpec=30] [--eval-dev DIR]
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { validateCall, type ExpectedCall } from '../src/engine/calls.js';
import { callGrammar } from '../src/engine/infer/grammar/call-grammar.js';
import { targetLayout } from '../src/engine/infer/grammar/target.js';
import { callToTarget, parseTarget } from '../src/engine/infer/prompt.js';
import { loadTokenizer } from '../src/engine/model/tokenizer/index.js';
import type { Tokenizer } from '../src/engine/model/tokenizer/types.js';
import { loadSpecFile } from '../src/engine/specs/ingest.js';
import type { Catalog, JsonSchema } from '../src/engine/specs/types.js';
import { argsWithoutEvalDev, EVAL_DEV, TOKENIZER_DIR } from './eval-dev.js';

const EVAL = EVAL_DEV;
const SPECS = [
  ['train-travel', 'train-travel.yaml'],
  ['alertmanager', 'alertmanager.yaml'],
  ['deepl', 'deepl.yaml'],
  ['firecrawl', 'firecrawl.json'],
] as const;
const WALKS = Number(argsWithoutEvalDev()[0] ?? 30);
const MAX_STEPS = 1500;

/** The minimal surface of a token-mask engine the bench drives. */
interface Engine {
  mask(): Promise<Uint32Array> | Uint32Array;
  accept(id: number): boolean;
  done(): boolean;
  text(): string;
}

interface XgModule {
  TokenizerInfo: {
    createTokenizerInfo(
      vocab: string[],
      type: string,
      prepend: boolean,
      size: number,
      stop: number[],
    ): Promise<unknown>;
  };
  GrammarCompiler: {
    createGrammarCompiler(
      info: unknown,
      cache: boolean,
    ): Promise<{
      compileJSONSchema(
        s: string,
        ws: boolean,
        indent: number,
        sep: [string, string],
        strict: boolean,
      ): Promise<unknown>;
    }>;
  };
  GrammarMatcher: {
    createGrammarMatcher(compiled: unknown): Promise<{
      getNextTokenBitmask(): Promise<Int32Array>;
      acceptToken(id: number): boolean;
      isTerminated(): boolean;
    }>;
  };
}

/** XGrammar's web bundle is UMD labelled as ESM: evaluate it as CommonJS. */
function loadXGrammar(): XgModule {
  const require = createRequire(import.meta.url);
  const file = require.resolve('@mlc-ai/web-xgrammar/lib/index.js');
  const module = { exports: {} as { default?: XgModule } };
  // The UMD bundle must run with CommonJS bindings (module, exports, require).
  new Function('module', 'exports', 'require', '__filename', '__dirname', readFileSync(file, 'utf8'))(
    module,
    module.exports,
    require,
    file,
    file.replace(/\/[^/]*$/, ''),
  );
  return (module.exports.default ?? module.exports) as XgModule;
}

/**
 * The same target language as a JSON schema (for the engines that take one). XGrammar writes `/` in a
 * `const` as `\/`, so for it `op` is given as an anchored pattern instead.
 */
function targetSchema(catalog: Catalog, opAsPattern = false): JsonSchema {
  return {
    anyOf: catalog.operations.map((op) => {
      const l = targetLayout(op);
      const opField: JsonSchema = opAsPattern
        ? { type: 'string', pattern: `^${l.opName.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$` }
        : { const: l.opName };
      const properties: Record<string, JsonSchema> = { op: opField };
      if (l.path) properties.path = l.path;
      if (l.query) properties.query = l.query;
      if (l.body)
        properties.body = l.body.required ? l.body.schema : { anyOf: [l.body.schema, { type: 'null' }] };
      return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
    }),
  };
}

function ids(mask: Uint32Array): number[] {
  const out: number[] = [];
  for (let w = 0; w < mask.length; w++)
    for (let b = 0; b < 32; b++) if (((mask[w] ?? 0) >>> b) & 1) out.push(w * 32 + b);
  return out;
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const percentile = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;

async function measure(
  name: string,
  catalog: Catalog,
  tok: Tokenizer,
  make: () => Promise<Engine>,
  targets: number[][],
) {
  const cold: number[] = [];
  const warm: number[] = [];
  let accepted = 0;
  for (const pass of [cold, warm]) {
    accepted = 0;
    for (const target of targets) {
      const e = await make();
      let ok = true;
      for (const id of target) {
        const t = performance.now();
        await e.mask();
        pass.push(performance.now() - t);
        if (!e.accept(id)) {
          ok = false;
          break;
        }
      }
      if (ok) accepted++;
    }
  }
  let valid = 0;
  for (let seed = 1; seed <= WALKS; seed++) {
    const random = rng(seed);
    const e = await make();
    for (let step = 0; step < MAX_STEPS && !e.done(); step++) {
      const allowed = ids(await e.mask());
      if (allowed.length === 0) break;
      e.accept(allowed[Math.floor(random() * allowed.length)] ?? -1);
    }
    try {
      if (e.done() && validateCall(parseTarget(e.text(), catalog), catalog).length === 0) valid++;
    } catch {
      // unparsable: counted as invalid
    }
  }
  const f = (x: number): string => x.toFixed(3);
  console.log(
    `${name.padEnd(14)} targets accepted ${accepted}/${targets.length}  walks valid ${valid}/${WALKS}  ` +
      `mask ms cold p50 ${f(percentile(cold, 0.5))} p95 ${f(percentile(cold, 0.95))} max ${f(Math.max(...cold))}  ` +
      `warm p50 ${f(percentile(warm, 0.5))} p95 ${f(percentile(warm, 0.95))}`,
  );
  void tok;
}

/**
 * Mask latency with the copy constraint (matcher({copyFrom: task})) along each task's expected target, next
 * to the plain grammar on the same steps: cold = first pass (empty per-matcher caches every task; the grammar's
 * shared caches warm), warm = second pass. Also how many targets the copy grammar accepts.
 */
function measureCopy(
  grammar: ReturnType<typeof callGrammar>,
  catalog: Catalog,
  tasks: { task: string; expected: ExpectedCall }[],
  tok: Tokenizer,
): void {
  const catalogTargets = tasks.map((t) => tok.encode(callToTarget(t.expected, catalog)));
  const times = { copy: [[], []] as number[][], plain: [[], []] as number[][] };
  let accepted = 0;
  for (const pass of [0, 1]) {
    accepted = 0;
    tasks.forEach(({ task }, i) => {
      const copy = grammar.matcher({ copyFrom: task });
      const plain = grammar.matcher();
      let ok = true;
      for (const id of catalogTargets[i]!) {
        let t = performance.now();
        copy.allowed();
        times.copy[pass]!.push(performance.now() - t);
        t = performance.now();
        plain.allowed();
        times.plain[pass]!.push(performance.now() - t);
        plain.accept(id);
        if (!copy.isAllowed(id)) ok = false;
        if (ok) copy.accept(id);
      }
      if (ok) accepted++;
    });
  }
  const f = (xs: number[], p: number): string => percentile(xs, p).toFixed(3);
  for (const [label, [cold, warm]] of Object.entries(times)) {
    console.log(
      `${`ours ${label}`.padEnd(14)} mask ms per step cold p50 ${f(cold!, 0.5)} p95 ${f(cold!, 0.95)} max ${Math.max(...cold!).toFixed(3)}  ` +
        `warm p50 ${f(warm!, 0.5)} p95 ${f(warm!, 0.95)}` +
        (label === 'copy' ? `  (copy grammar accepts ${accepted}/${tasks.length} expected targets)` : ''),
    );
  }
}
async function main(): Promise<void> {
  const tok = await loadTokenizer(TOKENIZER_DIR);
  const xg = loadXGrammar();
  const vocabJson = tok.toJSON() as {
    model: { vocab: Record<string, number> };
    added_tokens: { id: number; content: string }[];
  };
  const encoded: string[] = new Array<string>(tok.vocabSize).fill('');
  for (const [s, id] of Object.entries(vocabJson.model.vocab)) encoded[id] = s;
  for (const t of vocabJson.added_tokens) encoded[t.id] = t.content;
  let t0 = performance.now();
  const info = await xg.TokenizerInfo.createTokenizerInfo(encoded, 'byte_level', false, tok.vocabSize, [
    ...tok.stopTokenIds,
  ]);
  const compiler = await xg.GrammarCompiler.createGrammarCompiler(info, false);
  console.log(`xgrammar tokenizer info + compiler: ${(performance.now() - t0).toFixed(0)} ms`);

  for (const [name, file] of SPECS) {
    const { catalog } = await loadSpecFile(`${EVAL}/specs/${file}`);
    const tasks = readFileSync(`${EVAL}/tasks/${name}.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { task: string; expected: ExpectedCall });
    const targets = tasks.map((t) => tok.encode(callToTarget(t.expected, catalog)));
    const stop = new Set(tok.stopTokenIds);
    console.log(`\n== ${name}: ${catalog.operations.length} operations, ${targets.length} expected targets`);

    t0 = performance.now();
    const ours = callGrammar(catalog, tok);
    console.log(
      `ours           build ${(performance.now() - t0).toFixed(0)} ms (${ours.dfa.program.nodes.length} grammar nodes)`,
    );
    await measure(
      'ours',
      catalog,
      tok,
      async () => {
        const m = ours.matcher();
        return {
          mask: () => m.allowed(),
          accept: (id) => (m.isAllowed(id) ? (m.accept(id), true) : false),
          done: () => m.done(),
          text: () => m.text(),
        };
      },
      targets,
    );

    measureCopy(ours, catalog, tasks, tok);

    t0 = performance.now();
    let compiled: unknown;
    try {
      compiled = await compiler.compileJSONSchema(
        JSON.stringify(targetSchema(catalog, true)),
        false,
        -1,
        [',', ':'],
        true,
      );
      console.log(`xgrammar       build ${(performance.now() - t0).toFixed(0)} ms`);
    } catch (e) {
      console.log(`xgrammar       cannot compile the target schema: ${(e as Error).message.slice(0, 200)}`);
    }
    if (compiled) {
      await measure(
        'xgrammar',
        catalog,
        tok,
        async () => {
          const m = await xg.GrammarMatcher.createGrammarMatcher(compiled);
          const accepted: number[] = [];
          return {
            mask: async () => new Uint32Array((await m.getNextTokenBitmask()).buffer),
            accept: (id) => {
              const ok = m.acceptToken(id);
              if (ok && !stop.has(id)) accepted.push(id);
              return ok;
            },
            done: () => m.isTerminated(),
            text: () => tok.decode(accepted),
          };
        },
        targets,
      );
    }

    try {
      const sop = (await import('@huggingface/transformers-structured-output')) as unknown as {
        StructuredOutputProcessor: new (t: unknown, f: unknown) => unknown;
      };
      const { AutoTokenizer } = await import('@huggingface/transformers');
      const hfTok = await AutoTokenizer.from_pretrained(TOKENIZER_DIR, { local_files_only: true });
      t0 = performance.now();
      new sop.StructuredOutputProcessor(hfTok, { type: 'json_schema', json_schema: targetSchema(catalog) });
      console.log(
        `structured-out build ${(performance.now() - t0).toFixed(0)} ms (mask latency not measured: it runs only as a Transformers.js logits processor)`,
      );
    } catch (e) {
      console.log(`structured-out rejects the target schema: ${(e as Error).message.slice(0, 200)}`);
    }
  }
}

await main();
