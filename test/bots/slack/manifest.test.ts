/** The Slack app manifest in the repo asks for what the bot uses, and nothing breaks Socket Mode by default. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

interface Manifest {
  features: { slash_commands: { command: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    socket_mode_enabled: boolean;
    interactivity: { is_enabled: boolean };
    event_subscriptions: { bot_events: string[] };
  };
}

describe('slack-manifest.yaml', () => {
  it('declares /smolmap, the scopes the bot calls, thread events and Socket Mode', async () => {
    const file = path.resolve(import.meta.dirname, '../../../slack-manifest.yaml');
    const m = parse(await readFile(file, 'utf8')) as Manifest;
    expect(m.features.slash_commands.map((c) => c.command)).toEqual(['/smolmap']);
    // chat.postMessage/update/postEphemeral, files.uploadV2, url_private_download, users.info, thread messages
    for (const scope of [
      'commands',
      'chat:write',
      'files:read',
      'files:write',
      'users:read',
      'channels:history',
    ])
      expect(m.oauth_config.scopes.bot).toContain(scope);
    expect(m.settings.event_subscriptions.bot_events).toContain('message.channels');
    expect(m.settings.interactivity.is_enabled).toBe(true);
    expect(m.settings.socket_mode_enabled).toBe(true);
  });
});
