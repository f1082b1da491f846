/**
 * Hostile traffic against the real surfaces, on loopback only and bounded: MCP requests with rebinding Host
 * names, foreign Origins, missing or wrong tokens and initializes the transport refuses; spec URLs that point
 * at metadata, private and loopback addresses (directly and through a redirect); and one chat user sending
 * many asks on the tiny seeded model; 200 generated hostile specs (abuse-specs.ts). Prints, per attack, what was sent, what was refused by which code, and
 * the process memory; checks the store is unchanged by the refused traffic. Asserts nothing.
 * Each attack is one entry of ATTACKS: add more by appending a function of the same shape.
 * Run: npx tsx bench/abuse.ts [mcpRequests=1000] [asks=500]
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { addSpec, openEngine, releaseRuntimes, toSmolmapError, type Engine } from '../src/engine/index.js';
import { tinyConfig, writeTinyModel } from '../src/engine/model/tiny.js';
import { defaultMcpConfig, startMcpHttp } from '../src/mcp/index.js';
import { handleCommand } from '../src/bots/common/handler.js';
import { parseCommand } from '../src/bots/common/grammar.js';
import { DEFAULT_LIMITS, createQuota } from '../src/bots/common/limits.js';
import { addHostileSpecs } from './abuse-specs.js';

const MCP_REQUESTS = Number(process.argv[2] ?? 1000);
const ASKS = Number(process.argv[3] ?? 500);

/** What one attack reports: requests sent, and how each ended (an error code, an HTTP status, or `served`). */
export interface AttackResult {
  name: string;
  sent: number;
  outcomes: Map<string, number>;
  seconds: number;
  /** Extra lines worth printing (leak counters, what was served). */
  notes: string[];
}

export interface AttackContext {
  engine: Engine;
  dir: string;
}

type Attack = (ctx: AttackContext) => Promise<AttackResult>;

function tally(outcomes: Map<string, number>, key: string): void {
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
}

/** One raw HTTP request with the headers as given (fetch would rewrite Host). */
function rawPost(port: number, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'abuse', version: '0' } },
});

const mcpRequests: Attack = async ({ engine }) => {
  const server = await startMcpHttp({ engine, port: 0, config: defaultMcpConfig(), pollMs: 60_000 });
  const token = server.auth.kind === 'file' ? (await readFile(server.auth.file, 'utf8')).trim() : '';
  const port = server.port;
  const base = {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    Host: `127.0.0.1:${port}`,
  };
  const good = { ...base, Authorization: `Bearer ${token}` };
  const kinds: [string, Record<string, string>][] = [
    ['rebinding Host 127.attacker.example', { ...good, Host: `127.attacker.example:${port}` }],
    ['rebinding Host localhost.evil.example', { ...good, Host: `localhost.evil.example:${port}` }],
    ['foreign Host evil.example', { ...good, Host: `evil.example:${port}` }],
    ['foreign Origin', { ...good, Origin: 'https://evil.example' }],
    ['rebinding Origin', { ...good, Origin: `http://127.attacker.example:${port}` }],
    ['no token', base],
    ['wrong token', { ...base, Authorization: 'Bearer guessed-token-0000' }],
    ['refused initialize (Accept)', { ...good, Accept: 'application/json' }],
  ];
  const outcomes = new Map<string, number>();
  const started = performance.now();
  for (let i = 0; i < MCP_REQUESTS; i += 50) {
    const batch = Array.from(
      { length: Math.min(50, MCP_REQUESTS - i) },
      (_, j) => kinds[(i + j) % kinds.length]!,
    );
    const statuses = await Promise.all(batch.map(([, h]) => rawPost(port, h, INIT)));
    batch.forEach(([kind], j) => tally(outcomes, `${kind} → ${statuses[j]}`));
  }
  const seconds = (performance.now() - started) / 1000;
  const served = await rawPost(port, good, INIT);
  const notes = [
    `then one good initialize: HTTP ${served}; live sessions ${server.sessions()}, ` +
      `change listeners ${server.listeners()} (the refused traffic left none)`,
  ];

  await server.close();
  return { name: 'MCP requests with bad Host/Origin/token', sent: MCP_REQUESTS, outcomes, seconds, notes };
};

const specUrls: Attack = async ({ engine }) => {
  const target = createServer((req, res) => {
    const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
    if (to) res.writeHead(302, { Location: to }).end();
    else res.end('openapi: 3.0.3\n');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const local = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  // Loopback is opened for the first hop only, as an operator with an internal spec server would.
  const allowed = { ...engine, net: { allow: ['127.0.0.1'] } };
  const destinations = [
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://100.100.100.200/latest/meta-data/',
    'http://10.0.0.1/openapi.json',
    'http://192.168.1.1/openapi.json',
    'http://[::1]:9/openapi.json',
    // localhost resolves to 127.0.0.1 here, which the redirect case allows: refused by the closed port.
    'http://localhost:9/openapi.json',
    'file:///etc/passwd',
  ];
  const outcomes = new Map<string, number>();
  const started = performance.now();
  let sent = 0;
  for (let round = 0; round < 10; round++)
    for (const url of destinations) {
      for (const [how, source, e] of [
        ['direct', url, engine],
        ['via redirect', `${local}/r.json?to=${encodeURIComponent(url)}`, allowed],
      ] as const) {
        sent++;
        const code = await addSpec(e, source, { name: 'abuse' }).then(
          () => 'served',
          (err: unknown) => toSmolmapError(err).code,
        );
        tally(outcomes, `${how} → ${code}`);
      }
    }
  target.close();
  return {
    name: 'spec URLs at internal addresses',
    sent,
    outcomes,
    seconds: (performance.now() - started) / 1000,
    notes: [],
  };
};

const TENANT = 'slack:T1';

/** A two-operation spec: the tiny model's context holds its prompt. */
const TINY_SPEC = `openapi: 3.0.3
info: { title: Tiny Pets, version: 1.0.0 }
servers: [{ url: https://pets.example.com/v1 }]
paths:
  /pets/{petId}:
    get:
      operationId: getPet
      parameters: [{ name: petId, in: path, required: true, schema: { type: integer } }]
      responses: { '200': { description: ok } }
  /pets:
    get:
      operationId: listPets
      parameters: [{ name: status, in: query, schema: { type: string, enum: [available, sold] } }]
      responses: { '200': { description: ok } }
`;

/** The store every attack starts from: the tiny seeded model and one spec for the chat tenant. */
async function prepare(engine: Engine, dir: string): Promise<void> {
  await writeTinyModel(path.join(engine.modelsDir, 'base', 'tiny'), { seed: 1, layout: 'hf' });
  await engine.store.update((data) => {
    data.baseModels.push({
      name: 'tiny',
      source: 'tiny.ts seed 1',
      format: 'hf',
      dir: 'base/tiny',
      files: ['config.json', 'model.safetensors', 'tokenizer.json'],
      config: tinyConfig(),
      addedAt: new Date().toISOString(),
    });
  });
  const file = path.join(dir, 'pets.yaml');
  await writeFile(file, TINY_SPEC);
  await addSpec(engine, file, { name: 'pets', tenant: TENANT });
}

const chatAsks: Attack = async ({ engine }) => {
  const tenant = TENANT;
  const deps = {
    engine,
    permissions: { everyone: [], allow: [] },
    quota: createQuota({ ...DEFAULT_LIMITS, tenants: [tenant] }),
    sessions: new Map(),
  };
  const actor = { tenant, user: 'U1', admin: false };
  const stranger = { tenant: 'slack:T666', user: 'U2', admin: true };
  const outcomes = new Map<string, number>();
  const started = performance.now();
  for (let i = 0; i < ASKS; i++) {
    // Every fifth ask is a wall of text; every tenth comes from a workspace nobody listed.
    const task = i % 5 === 4 ? `show pet ${i} `.repeat(100) : `show me pet ${i}`;
    const who = i % 10 === 9 ? stranger : actor;
    const code = await handleCommand(deps, { actor: who, surface: 'slack' }, parseCommand(`ask pets ${task}`))
      .then(() => 'served')
      .catch((e: unknown) => toSmolmapError(e).code);
    tally(outcomes, code);
  }
  const seconds = (performance.now() - started) / 1000;
  const recorded = (await engine.store.read()).queries.length;
  await releaseRuntimes();
  return {
    name: `asks from one chat user (limit ${DEFAULT_LIMITS.asksPerMinute}/min, ${DEFAULT_LIMITS.maxTaskChars} chars)`,
    sent: ASKS,
    outcomes,
    seconds,
    notes: [`asks recorded in history: ${recorded}`],
  };
};

/** 200 generated hostile specs through `addSpec` (abuse-specs.ts); accepted ones change the store. */
const hostileSpecs: Attack = async ({ engine, dir }) => {
  const t0 = performance.now();
  const outcomes = new Map<string, number>();
  const notes = await addHostileSpecs(engine, dir, (key) => tally(outcomes, key));
  const sent = [...outcomes.values()].reduce((a, b) => a + b, 0);
  return { name: 'hostile specs', sent, outcomes, seconds: (performance.now() - t0) / 1000, notes };
};

export const ATTACKS: [Attack, { changesStore: boolean }][] = [
  [mcpRequests, { changesStore: false }],
  [hostileSpecs, { changesStore: true }],
  [specUrls, { changesStore: false }],
  [chatAsks, { changesStore: true }],
];

async function storeHash(dir: string): Promise<string> {
  const text = await readFile(path.join(dir, 'smolmap.json')).catch(() => Buffer.from(''));
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-bench-abuse-'));
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  try {
    const engine = await openEngine({
      dataDir: path.join(dir, 'data'),
      modelsDir: path.join(dir, 'models'),
      logger: pino({ level: 'silent' }),
      net: { allow: [] },
    });
    await prepare(engine, dir);
    console.log(`abuse bench on loopback (load average ${os.loadavg()[0]!.toFixed(2)})`);
    for (const [attack, { changesStore }] of ATTACKS) {
      const before = await storeHash(engine.dataDir);
      const r = await attack({ engine, dir });
      const after = await storeHash(engine.dataDir);
      const refused = [...r.outcomes].filter(([k]) => !/(served|accepted|→ 200)$/.test(k));
      const mem = process.memoryUsage();
      console.log(`\n${r.name}: ${r.sent} sent in ${r.seconds.toFixed(1)} s`);
      for (const [k, n] of [...r.outcomes].sort((a, b) => b[1] - a[1]))
        console.log(`  ${String(n).padStart(5)}  ${k}`);
      console.log(`  refused ${refused.reduce((s, [, n]) => s + n, 0)} of ${r.sent}`);
      for (const note of r.notes) console.log(`  ${note}`);
      console.log(
        `  memory: rss ${mb(mem.rss)}, heap ${mb(mem.heapUsed)}; store ${changesStore ? 'may change' : before === after ? 'unchanged' : 'CHANGED'} (${before} → ${after})`,
      );
    }
  } finally {
    clearInterval(sampler);
    console.log(`\npeak rss ${mb(peakRss)}`);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
