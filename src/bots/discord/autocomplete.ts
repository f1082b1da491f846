/**
 * Autocomplete for the `spec`, `model` and `job` options: the names of the guild's own specs, adapters and
 * jobs that contain what the user typed, at most 25 (Discord's limit), answered within its 3 s.
 */
import {
  ApplicationCommandOptionType as T,
  InteractionResponseType,
  InteractionType,
  Routes,
  type APIApplicationCommandInteractionDataOption,
  type APIApplicationCommandOptionChoice,
  type APIInteraction,
} from 'discord.js';
import { listAdapters, listJobs, listSpecs, type Engine } from '../../engine/index.js';
import type { DiscordHandlerOptions } from './interaction.js';

const MAX_CHOICES = 25;
type Option = APIApplicationCommandInteractionDataOption & { focused?: boolean; value?: unknown };

function focusedOf(options: Option[] | undefined): { name: string; typed: string } | undefined {
  for (const o of options ?? []) {
    if ((o.type === T.Subcommand || o.type === T.SubcommandGroup) && 'options' in o) {
      const inner = focusedOf(o.options as Option[] | undefined);
      if (inner) return inner;
    } else if (o.focused) return { name: o.name, typed: String(o.value ?? '') };
  }
  return undefined;
}

/** The tenant's names for an option, newest jobs first. */
export async function namesFor(engine: Engine, option: string, tenant: string): Promise<string[]> {
  switch (option) {
    case 'spec':
      return (await listSpecs(engine, { tenant })).map((s) => s.name);
    case 'model':
      return (await listAdapters(engine, { tenant })).map((m) => m.id);
    case 'job':
      return (await listJobs(engine, { tenant }))
        .filter((j) => j.status === 'queued' || j.status === 'running')
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .map((j) => j.id);
    default:
      return [];
  }
}

/** Answers an autocomplete interaction; false when the interaction is something else. */
export async function handleAutocomplete(o: DiscordHandlerOptions, i: APIInteraction): Promise<boolean> {
  if (i.type !== InteractionType.ApplicationCommandAutocomplete) return false;
  const focused = focusedOf(i.data.options as Option[]);
  let choices: APIApplicationCommandOptionChoice<string>[] = [];
  if (focused && i.guild_id !== undefined) {
    const typed = focused.typed.toLowerCase();
    const names = await namesFor(o.deps.engine, focused.name, `discord:${i.guild_id}`);
    choices = names
      .filter((n) => n.toLowerCase().includes(typed))
      .slice(0, MAX_CHOICES)
      .map((n) => ({ name: n, value: n }));
  }
  await o.rest.post(Routes.interactionCallback(i.id, i.token), {
    body: { type: InteractionResponseType.ApplicationCommandAutocompleteResult, data: { choices } },
    auth: false,
  });
  return true;
}
