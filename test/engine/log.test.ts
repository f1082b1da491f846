/** The logger's redaction: credentials by field name, token shapes inside any string, errors included. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubSecrets } from '../../src/engine/log.js';

const DISCORD_TOKEN = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTpzZWNyZXQtaW50ZXJhY3Rpb24tdG9rZW4';
const WEBHOOK = `https://discord.com/api/v10/webhooks/1234567890123/${DISCORD_TOKEN}/messages/@original`;

function capture(): { lines: () => string; logger: ReturnType<typeof createLogger> } {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { lines: () => out, logger: createLogger('debug', sink) };
}

describe('log redaction', () => {
  it('censors credential fields and authorization headers', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        token: 'xoxb-1234-5678-abcdefgh',
        config: { accessToken: 'tok-123456789', webhookUrl: 'https://example.com/hook' },
        req: { headers: { authorization: 'Bearer abcdefghijkl', accept: 'application/json' } },
      },
      'starting',
    );
    const text = lines();
    expect(text).not.toContain('xoxb-1234');
    expect(text).not.toContain('tok-123456789');
    expect(text).not.toContain('abcdefghijkl');
    expect(text).not.toContain('example.com/hook');
    expect(text).toContain('application/json');
    expect(text).toContain('[redacted]');
  });

  it('scrubs a Discord interaction token from an error url, message and stack', () => {
    const { lines, logger } = capture();
    const err = Object.assign(new Error(`Unknown Webhook at ${WEBHOOK}`), {
      url: WEBHOOK,
      method: 'PATCH',
      requestBody: { json: { content: 'hi' } },
    });
    logger.error({ err }, 'discord: command failed');
    const text = lines();
    expect(text).not.toContain(DISCORD_TOKEN);
    expect(text).toContain('/webhooks/1234567890123/[redacted]');
    expect(text).toContain('Unknown Webhook');
    expect(text).toContain('"method":"PATCH"');
  });

  it('scrubs token shapes in messages', () => {
    const { lines, logger } = capture();
    logger.warn(
      `posting to https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX with Bearer hf_abcdefghijklmnopqrstuv`,
    );
    const text = lines();
    expect(text).not.toContain('XXXXXXXXXXXX');
    expect(text).not.toContain('hf_abcdef');
    expect(text).toContain('hooks.slack.com/services/[redacted]');
  });

  it('keeps ordinary text as it is', () => {
    const plain = 'GET https://api.example.com/v1/pets/42 answered 404 after 120 ms';
    expect(scrubSecrets(plain)).toBe(plain);
  });
});
