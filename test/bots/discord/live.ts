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
