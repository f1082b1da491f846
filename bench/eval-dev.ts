/**
 * The eval-dev set the benches report on: real public specs with human-written tasks, held out from everything
 * the product is tuned on, and kept outside the repository. Its folder holds `specs/` and `tasks/<spec>.jsonl`.
 *
 * Where it is: `--eval-dev DIR`, else $SMOLMAP_EVAL_DEV, else `../shared/eval-dev` beside the repository.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The parseArgs option a bench that reads eval-dev declares, so `--eval-dev DIR` passes its strict parsing. */
export const EVAL_DEV_OPTION = { 'eval-dev': { type: 'string' } } as const;

/** The eval-dev folder for this run; exits with a message saying how to point at it when it is missing. */
export function evalDevDir(argv: readonly string[] = process.argv.slice(2)): string {
  const i = argv.indexOf('--eval-dev');
  const flag =
    i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--eval-dev='))?.slice('--eval-dev='.length);
  const dir = path.resolve(
    flag ??
      process.env['SMOLMAP_EVAL_DEV'] ??
      path.join(import.meta.dirname, '..', '..', 'shared', 'eval-dev'),
  );
  if (!existsSync(path.join(dir, 'specs')) || !existsSync(path.join(dir, 'tasks'))) {
    console.error(
      `eval-dev set not found at ${dir} (it needs specs/ and tasks/): pass --eval-dev DIR or set SMOLMAP_EVAL_DEV`,
    );
    process.exit(2);
  }
  return dir;
}

export const EVAL_DEV = evalDevDir();

/** The command line without `--eval-dev DIR`, for benches that read plain positional arguments. */
export function argsWithoutEvalDev(argv: readonly string[] = process.argv.slice(2)): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--eval-dev') i++;
    else if (!argv[i]!.startsWith('--eval-dev=')) out.push(argv[i]!);
  }
  return out;
}

/** The SmolLM2 tokenizer the benches use without the real model: the tiny reference model's, in the repo. */
export const TOKENIZER_DIR = path.join(
  import.meta.dirname,
  '..',
  'test',
  'fixtures',
  'reference',
  'tiny-llama',
  'model',
);

/** Spec name → file under `${EVAL_DEV}/specs`; tasks are `${EVAL_DEV}/tasks/<name>.jsonl`. */
export const SPECS: Record<string, string> = {
  'train-travel': 'train-travel.yaml',
  alertmanager: 'alertmanager.yaml',
  deepl: 'deepl.yaml',
  firecrawl: 'firecrawl.json',
};
