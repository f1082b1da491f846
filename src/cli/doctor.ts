/** `smolmap doctor`: the machine's CPU features and which weight modes passed their self-check on it. */
import { SmolmapError, doctor, type DoctorReport } from '../engine/index.js';
import { defineCommand, type Command } from './command.js';
import { optionalString } from './mapper-options.js';

function human(r: DoctorReport): string {
  const lines = [
    `cpu:      ${r.machine.cpu} (${r.cores} cores, ${r.memoryGiB} GiB)`,
    `features: ${r.machine.features.join(' ') || 'none of the quantised kernels\u2019 extensions'}`,
    `runtime:  onnxruntime-node ${r.machine.ort}, Node.js ${r.node}`,
  ];
  if (r.checks.length === 0) {
    lines.push('self-checks: none yet (run `smolmap doctor --check`, or ask with --quant auto|q4|q8|i8)');
    return lines.join('\n');
  }
  lines.push('', 'mode  result  top-1    max |dlogit|  step     chat answer');
  for (const c of r.checks) {
    const s = c.score;
    lines.push(
      [
        c.mode.padEnd(5),
        (s.passed ? 'pass' : 'FAIL').padEnd(7),
        `${(100 * s.top1).toFixed(1)} %`.padEnd(8),
        s.maxAbsDiff.toFixed(3).padEnd(13),
        `${s.stepMs.toFixed(1)} ms`.padEnd(8),
        c.mode === 'f32' ? '(reference)' : JSON.stringify(s.chatAnswer),
      ].join(' '),
    );
    if (!s.passed) lines.push(`      ${s.reason}`);
  }
  if (r.auto) lines.push('', `auto picks ${r.auto} on this machine`);
  return lines.join('\n');
}

const doctorCommand = defineCommand<DoctorReport>({
  name: 'doctor',
  summary: "the CPU's features and which weight modes (--quant) pass their self-check on this machine",
  args: '',
  options: { check: { type: 'boolean' }, model: { type: 'string' } },
  optionHelp: {
    check: 'run every weight mode\u2019s self-check now (loads each mode once; results are cached)',
    'model N': 'base model to check (default: the first registered)',
  },
  async run(ctx, positionals, values) {
    if (positionals.length > 0)
      throw new SmolmapError('usage_bad_arguments', '`smolmap doctor` takes no arguments, only options');
    const model = optionalString(values, 'model');
    return doctor(await ctx.engine(), {
      check: values['check'] === true,
      tenant: ctx.tenant,
      ...(model ? { model } : {}),
    });
  },
  human,
});

export const doctorCommands: Command[] = [doctorCommand];
