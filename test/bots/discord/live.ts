/**
 * Real discord.js interaction objects for tests: a `Client` whose REST points at the local fake API builds
 * them from gateway INTERACTION_CREATE payloads through its own InteractionCreate action, exactly as it does
 * for a dispatch from the gateway, so `deferReply`, `editReply`, `showModal` … are discord.js's own.
 */
import { Client, Events, type Interaction } from 'discord.js';

export function discordClient(api: string): Client {
  const client = new Client({ intents: [], rest: { api, retries: 0 } });
  client.rest.setToken('bot-token');
  return client;
}

interface WithActions {
  actions: { InteractionCreate: { handle(data: unknown): void } };
}

/** The interaction discord.js makes of `payload` (the `d` of an INTERACTION_CREATE dispatch). */
export function live<T extends Interaction = Interaction>(client: Client, payload: unknown): T {
  let made: Interaction | undefined;
  const grab = (i: Interaction): void => {
    made = i;
  };
  client.on(Events.InteractionCreate, grab);
  try {
    (client as unknown as WithActions).actions.InteractionCreate.handle(payload);
  } finally {
    client.off(Events.InteractionCreate, grab);
  }
  if (!made) throw new Error('discord.js built no interaction from this payload');
  return made as T;
}

interface Adds {
  _add(data: unknown, ...rest: unknown[]): unknown;
}

/**
 * What GUILD_CREATE and THREAD_CREATE dispatches put in the client's cache (the bot runs with the Guilds
 * intent): a guild and some of its channels and threads.
 */
export function cacheChannels(
  client: Client,
  guild: string,
  channels: { id: string; type: number; parent_id?: string }[],
): void {
  if (!client.guilds.cache.has(guild))
    (client.guilds as unknown as Adds)._add({ id: guild, name: guild, channels: [], threads: [], roles: [] });
  const g = client.guilds.cache.get(guild);
  for (const c of channels)
    (client.channels as unknown as Adds)._add({ ...c, guild_id: guild, name: `c${c.id}` }, g);
}

let seq = 0;

/**
 * The `d` of an INTERACTION_CREATE dispatch in guild G1, channel 500, from user U1 with `permissions`: `type` 2
 * a slash command, 3 a component (then with the bot's message `messageId` it was clicked on), 4 autocomplete,
 * 5 a modal submit. Ids and tokens are unique per call.
 */
export function interactionPayload(
  type: number,
  data: Record<string, unknown>,
  permissions = '0',
  messageId = '900',
): Record<string, unknown> {
  const n = ++seq;
  return {
    id: `7700${n}`,
    application_id: 'APP',
    type,
    token: `itok-${n}`,
    version: 1,
    guild_id: 'G1',
    channel_id: '500',
    channel: { id: '500', type: 0, name: 'general' },
    member: {
      user: { id: 'U1', username: 'u', discriminator: '0', global_name: null, avatar: null },
      permissions,
      roles: [],
      joined_at: '2024-01-01T00:00:00.000Z',
      deaf: false,
      mute: false,
      flags: 0,
    },
    data,
    locale: 'en-US',
    app_permissions: '0',
    entitlements: [],
    authorizing_integration_owners: {},
    context: 0,
    attachment_size_limit: 8388608,
    ...(type === 3 && { message: botMessage(messageId) }),
  };
}

/** A message of the bot in channel 500, as Discord sends it with a click on one of its buttons. */
function botMessage(id: string): Record<string, unknown> {
  return {
    id,
    type: 0,
    channel_id: '500',
    content: '',
    author: {
      id: 'APP',
      username: 'smolmap',
      discriminator: '0',
      global_name: null,
      avatar: null,
      bot: true,
    },
    embeds: [],
    components: [],
    attachments: [],
    mentions: [],
    mention_roles: [],
    pinned: false,
    mention_everyone: false,
    tts: false,
    timestamp: '2024-01-01T00:00:00.000Z',
    edited_timestamp: null,
    flags: 0,
  };
}
