/** `smolmap discord register`: registers the /smolmap slash command. */
import { SmolmapError } from '../engine/index.js';
import type { RegisterResult } from '../bots/discord/register.js';
import { defineCommand, type Command } from './command.js';

const register = defineCommand<RegisterResult>({
  name: 'discord register',
  summary: 'register the /smolmap slash command with Discord (one guild, or global)',
  args: '',
  options: { guild: { type: 'string' }, application: { type: 'string' } },
  optionHelp: {
    'guild ID': 'register in this guild only (shows at once); default global',
    'application ID': 'the application id (default: the one $DISCORD_TOKEN belongs to)',
  },
  async run(_ctx, positionals, values) {
    if (positionals.length > 0)
      throw new SmolmapError(
        'usage_bad_arguments',
        '`smolmap discord register` takes no arguments; use --guild',
      );
    const token = process.env['DISCORD_TOKEN'];
    if (!token)
      throw new SmolmapError(
        'usage_missing_env',
        'set DISCORD_TOKEN to the bot token (Developer Portal → Bot → Reset Token)',
      );
    const guild = values['guild'];
    const application = values['application'] ?? process.env['DISCORD_APPLICATION_ID'];
    const apiUrl = process.env['SMOLMAP_DISCORD_API_URL'];
    if (guild !== undefined && (typeof guild !== 'string' || !/^\d{5,25}$/.test(guild)))
      throw new SmolmapError(
        'usage_bad_option',
        `--guild "${String(guild)}" is not a guild id (a number; Developer Mode → Copy Server ID)`,
      );
    // discord.js loads only for this command (CLI start-up: see commands.ts).
    const { registerSlashCommands } = await import('../bots/discord/register.js');
    return registerSlashCommands({
      token,
      ...(typeof guild === 'string' && { guild }),
      ...(typeof application === 'string' && { applicationId: application }),
      ...(apiUrl && { apiUrl }),
    });
  },
  human: (r) =>
    `registered /${r.commands.map((c) => c.name).join(', /')} for application ${r.application} ` +
    (r.scope === 'guild' ? `in guild ${r.guild} (available now)` : 'globally (may take a while to show)'),
});

export const discordCommands: Command[] = [register];
