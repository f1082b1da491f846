/**
 * A local fake of the Slack Web API: records every method call (form or JSON body, bearer token) and answers
 * the way Slack does for the methods the bot uses. It also serves uploaded files at `/files/<name>`
 * (private: bearer token required) and takes the file uploads of files.uploadV2.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  token: string | undefined;
  args: Record<string, unknown>;
  /** What the fake answered. */
  response: Record<string, unknown>;
}

export interface FakeSlack {
  url: string;
  calls: SlackCall[];
  /** Users that users.info reports as admins. */
  admins: Set<string>;
  /** Files served at `${url}files/<name>`. */
  files: Map<string, string>;
  /** Bytes received by upload URLs. */
  uploads: Buffer[];
  /** Channels the bot is not a member of: posting there fails as on Slack (`not_in_channel`). */
  notIn: Set<string>;
  /** A response_url served by the fake; what is posted to it is recorded as method `respond`. */
  responseUrl(id: string): string;
  close(): Promise<void>;
  of(method: string): SlackCall[];
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function parseArgs(raw: Buffer, type: string | undefined): Record<string, unknown> {
  if (type?.includes('application/json'))
    return JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) {
    try {
      out[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
    } catch {
      out[k] = v;
    }
  }
  return out;
}

/** `extra` adds or overrides method answers (e.g. apps.connections.open for Socket Mode). */
export async function startFakeSlack(
  token: string,
  extra: Record<string, Record<string, unknown>> = {},
): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const admins = new Set<string>();
  const files = new Map<string, string>();
  const uploads: Buffer[] = [];
  const notIn = new Set<string>();
  let ts = 1700000000;
  let base = '';

  const answer = (method: string, args: Record<string, unknown>): Record<string, unknown> => {
    if (extra[method]) return extra[method];
    const posting = method === 'chat.postMessage' || method === 'chat.postEphemeral';
    if (posting && notIn.has(String(args['channel']))) return { ok: false, error: 'not_in_channel' };
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1', user: 'smolmap' };
      case 'chat.postMessage':
        return { ok: true, channel: args['channel'], ts: `${++ts}.000100`, message: { text: args['text'] } };
      case 'chat.update':
        return { ok: true, channel: args['channel'], ts: args['ts'] };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: `${++ts}.000200` };
      case 'views.open':
        return { ok: true, view: { id: 'V1' } };
      case 'users.info': {
        const id = String(args['user']);
        return { ok: true, user: { id, is_admin: admins.has(id), is_owner: false } };
      }
      case 'files.getUploadURLExternal':
        return { ok: true, upload_url: `${base}upload/F${++ts}`, file_id: `F${ts}` };
      case 'files.completeUploadExternal':
        return { ok: true, files: [{ id: 'F1' }] };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await body(req);
      const url = req.url ?? '/';
      if (url.startsWith('/files/')) {
        const f = files.get(url.slice('/files/'.length));
        const ok = req.headers.authorization === `Bearer ${token}` && f !== undefined;
        res.writeHead(ok ? 200 : 404, { 'content-type': 'application/octet-stream' }).end(ok ? f : 'no');
        return;
      }
      if (url.startsWith('/respond/')) {
        const args = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        calls.push({ method: 'respond', token: undefined, args, response: { url } });
        res.writeHead(200).end('');
        return;
      }
      if (url.startsWith('/upload/')) {
        uploads.push(raw);
        res.writeHead(200).end('OK');
        return;
      }
      const method = url.replace(/^\/api\//, '').split('?')[0]!;
      const args = parseArgs(raw, req.headers['content-type']);
      const auth = req.headers.authorization;
      const response = answer(method, args);
      calls.push({ method, token: auth?.replace(/^Bearer /, ''), args, response });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(response));
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  base = root;
  return {
    url: `${root}api/`,
    calls,
    admins,
    files,
    uploads,
    notIn,
    responseUrl: (id) => `${root}respond/${id}`,
    of: (m) => calls.filter((c) => c.method === m),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
