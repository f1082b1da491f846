/** The eval-dev specs the benches measure on (../shared/eval-dev: real specs with human-written tasks). */
export const EVAL_DEV = '/work/shared/eval-dev';

/** Spec name → file under `${EVAL_DEV}/specs`; tasks are `${EVAL_DEV}/tasks/<name>.jsonl`. */
export const SPECS: Record<string, string> = {
  'train-travel': 'train-travel.yaml',
  alertmanager: 'alertmanager.yaml',
  deepl: 'deepl.yaml',
  firecrawl: 'firecrawl.json',
};
