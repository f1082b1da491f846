/**
 * Child process for lock.test.ts: appends `count` sessions named `<prefix>-<i>` to the store at `dataDir`,
 * one read-modify-write each, pausing inside the change to widen the window another process could write in.
 * Usage: node --import tsx store-writer.ts <dataDir> <prefix> <count>
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { openStore } from '../../../src/engine/store.js';

const [dataDir, prefix, countText] = process.argv.slice(2);
if (!dataDir || !prefix || !countText) throw new Error('usage: store-writer.ts <dataDir> <prefix> <count>');
const store = openStore(dataDir, { lock: { waitMs: 60_000 } });
for (let i = 0; i < Number(countText); i++) {
  await store.update(async (d) => {
    await sleep(1);
    const now = new Date().toISOString();
    d.sessions.push({
      id: `${prefix}-${i}`,
      surface: 'cli',
      externalId: null,
      user: null,
      spec: null,
      model: null,
      createdAt: now,
      lastActiveAt: now,
    });
  });
}
