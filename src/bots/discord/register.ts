/**
 * Registers the `/smolmap` slash command with Discord: in one guild (available at once, for trying it out)
 * or globally (every guild the bot is in; Discord may take a while to show changes). PUT replaces the
 * application's commands in that scope, so registering again updates them.
 */
import { DiscordAPIError, REST, Routes, type APIApplication, type APIApplicationCommand } from 'discord.js';
import { SmolmapError } from '../../engine/index.js';
import { SLASH_COMMAND } from './commands.js';

export interface RegisterOptions {
  token: string;
  /** Default: the application the token belongs to (GET /applications/@me). */
  applicationId?: string;
  guild?: string;
  /** REST base without version (default Discord's). */
  apiUrl?: string;
}

export interface RegisterResult {
  application: string;
  scope: 'guild' | 'global';
  guild: string | null;
  commands: { id: string; name: string }[];
}

function apiError(e: unknown, what: string): SmolmapError {
  if (e instanceof DiscordAPIError && e.status === 401)
    return new SmolmapError(
      'discord_bad_token',
      `Discord refused DISCORD_TOKEN while ${what}; copy it again from Developer Portal → Bot`,
      { cause: e },
    );
  if (e instanceof DiscordAPIError && e.status === 403)
    return new SmolmapError(
      'discord_forbidden',
      `Discord forbade ${what}; invite the bot with the applications.commands scope`,
      { cause: e },
    );
  return new SmolmapError('discord_api_error', `Discord failed while ${what}: ${(e as Error).message}`, {
    cause: e,
  });
}

export async function registerSlashCommands(o: RegisterOptions): Promise<RegisterResult> {
  const rest = new REST({ ...(o.apiUrl !== undefined && { api: o.apiUrl }), retries: 1 }).setToken(o.token);
  let application = o.applicationId;
  if (application === undefined) {
    try {
      application = ((await rest.get(Routes.currentApplication())) as APIApplication).id;
    } catch (e) {
      throw apiError(e, 'looking up the application');
    }
  }
  const route =
    o.guild === undefined
      ? Routes.applicationCommands(application)
      : Routes.applicationGuildCommands(application, o.guild);
  let saved: APIApplicationCommand[];
  try {
    saved = (await rest.put(route, { body: [SLASH_COMMAND] })) as APIApplicationCommand[];
  } catch (e) {
    throw apiError(e, 'registering the commands');
  }
  return {
    application,
    scope: o.guild === undefined ? 'global' : 'guild',
    guild: o.guild ?? null,
    commands: saved.map((c) => ({ id: c.id, name: c.name })),
  };
}
