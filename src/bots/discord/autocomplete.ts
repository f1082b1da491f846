/**
 * Autocomplete for the `spec`, `model` and `job` options: the names of the guild's own specs, adapters and
 * jobs that contain what the user typed, at most 25 (Discord's limit), answered within its 3 s.
 */
import type { AutocompleteInteraction } from 'discord.js';
import { listAdapters, listJobs, listSpecs, type Engine } from '../../engine/index.js';
import type { DiscordHandlerOptions } from './interaction.js';

const MAX_CHOICES = 25;

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

/** Answers an autocomplete interaction with the matching names of the guild (none in DMs). */
export async function handleAutocomplete(
  o: DiscordHandlerOptions,
  i: AutocompleteInteraction,
): Promise<void> {
  const focused = i.options.getFocused(true);
  let names: string[] = [];
  if (i.guildId !== null) {
    const typed = String(focused.value).toLowerCase();
    names = (await namesFor(o.deps.engine, focused.name, `discord:${i.guildId}`))
      .filter((n) => n.toLowerCase().includes(typed))
      .slice(0, MAX_CHOICES);
  }
  await i.respond(names.map((n) => ({ name: n, value: n })));
}
