/**
 * How a job's failure travels through BullMQ: a worker fails a job with `<code>: <message>` (a SmolmapError
 * flattened), and BullMQ fails one that stalled more than its limit (its worker died that many times).
 */
import { SmolmapError } from '../../engine/index.js';

export function failureReason(e: SmolmapError): string {
  return `${e.code}: ${e.message}`;
}

export function parseFailure(reason: string, maxCrashes: number): { code: string; message: string } {
  if (/stalled more than/i.test(reason))
    return {
      code: 'job_crash_loop',
      message: `the job ended its worker ${maxCrashes} times (limit maxCrashes); it is not handed out again by itself. Check the workers' logs, then \`smolmap jobs resume\` to try once more`,
    };
  const m = /^([a-z][a-z0-9_]*): ([\s\S]*)$/.exec(reason);
  return m ? { code: m[1]!, message: m[2]! } : { code: 'job_worker_failed', message: reason };
}
