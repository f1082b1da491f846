/**
 * A local fake of Discord's REST API (v10) for the routes the bot uses: interaction callbacks, webhook edits
 * of the original reply, channel messages and threads. It records every request (JSON body, or payload_json
 * plus file names for multipart) and serves attachment files at `/cdn/<name>`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DiscordRequest {
  method: string;
  path: string;
  auth: string | undefined;
  body: Record<string, unknown>;
  files: string[];
  at: number;
  /** What the fake answered (JSON), when it answered with a body. */
  response?: unknown;
}

export interface FakeDiscord {
  /** REST base (without version), for `new REST({ api })`. */
  api: string;
  cdn: string;
  requests: DiscordRequest[];
  files: Map<string, string>;
  /** Requests whose path matches. */
  to(re: RegExp, method?: string): DiscordRequest[];
  close(): Promise<void>;
}

async function parse(
  raw: Buffer,
  type: string | undefined,
): Promise<{ body: Record<string, unknown>; files: string[] }> {
  if (type?.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    const files: string[] = [];
    let body: Record<string, unknown> = {};
    for (const [k, v] of form) {
      if (k === 'payload_json') body = JSON.parse(String(v)) as Record<string, unknown>;
      else if (typeof v !== 'string') files.push(v.name);
    }
    return { body, files };
  }
  const text = raw.toString('utf8');
  return { body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), files: [] };
}

/** `gateway`: the WebSocket URL GET /gateway/bot hands out (for gateway tests). */
export async function startFakeDiscord(gateway?: string): Promise<FakeDiscord> {
  const requests: DiscordRequest[] = [];
  const files = new Map<string, string>();
  let ids = 1000;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks);
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
      if (path.startsWith('/cdn/')) {
        const f = files.get(path.slice(5));
        res.writeHead(f === undefined ? 404 : 200).end(f ?? 'missing');
        return;
      }
      const { body, files: names } = await parse(raw, req.headers['content-type']);
      const method = req.method ?? 'GET';
      const request: DiscordRequest = {
        method,
        path,
        auth: req.headers.authorization,
        body,
        files: names,
        at: Date.now(),
      };
      requests.push(request);
      const json = (status: number, v: unknown) => {
        request.response = v;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
      };
      if (/\/callback$/.test(path)) return void res.writeHead(204).end();
      if (path.endsWith('/gateway/bot') && gateway !== undefined)
        return json(200, {
          url: gateway,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
        });
      if (path.endsWith('/applications/@me')) return json(200, { id: '4242', name: 'smolmap' });
      if (/\/applications\/\d+(\/guilds\/\d+)?\/commands$/.test(path) && method === 'PUT')
        return json(
          200,
          (body as unknown as { name: string }[]).map((c, n) => ({ ...c, id: String(7000 + n) })),
        );
      const channel = /\/channels\/(\d+)/.exec(path)?.[1] ?? '500';
      const message = (id: string) => ({
        id,
        type: 0,
        channel_id: channel,
        content: body['content'] ?? '',
        flags: body['flags'] ?? 0,
        author: {
          id: '4242',
          username: 'smolmap',
          discriminator: '0',
          global_name: null,
          avatar: null,
          bot: true,
        },
        embeds: body['embeds'] ?? [],
        components: body['components'] ?? [],
        attachments: [],
        mentions: [],
        mention_roles: [],
        pinned: false,
        mention_everyone: false,
        tts: false,
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
      });
      if (/\/channels\/\d+$/.test(path) && method === 'GET')
        return json(200, { id: channel, type: 0, guild_id: 'G1', name: 'general', position: 0 });
      if (/\/threads$/.test(path)) return json(201, { id: String(++ids), type: 11, parent_id: channel });
      if (/\/webhooks\/\w+\/[^/]+$/.test(path) && method === 'POST') return json(200, message(String(++ids)));
      if (/\/messages/.test(path) && method === 'DELETE') return void res.writeHead(204).end();
      if (/\/messages/.test(path)) {
        const edited = /\/messages\/(\d+)$/.exec(path)?.[1];
        return json(200, message(edited ?? String(++ids)));
      }
      json(404, { message: 'Unknown route', code: 0 });
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    api: `${root}/api`,
    cdn: `${root}/cdn`,
    requests,
    files,
    to: (re, method) =>
      requests.filter((r) => re.test(r.path) && (method === undefined || r.method === method)),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
