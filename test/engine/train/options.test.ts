import { describe, expect, it } from 'vitest';

import { parseTrainOptions } from '../../../src/engine/train/options.js';

describe('parseTrainOptions', () => {
  it('takes LoRA dropout in [0, 0.9] and refuses anything else where the options arrive', () => {
    expect(parseTrainOptions({}).lora.dropout).toBe(0);
    expect(parseTrainOptions({ lora: { dropout: 0.1 } }).lora.dropout).toBe(0.1);
    for (const dropout of [-0.1, 0.95, 1])
      expect(() => parseTrainOptions({ lora: { dropout } })).toThrow(
        expect.objectContaining({
          code: 'train_bad_option',
          message: expect.stringContaining('lora.dropout'),
        }),
      );
  });

  it('refuses unknown options', () => {
    expect(() => parseTrainOptions({ dropout: 0.1 })).toThrow(
      expect.objectContaining({ code: 'train_bad_option' }),
    );
  });
});
