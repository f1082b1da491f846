/**
 * The guarded outbound client against real loopback servers: the operator's allowance opens loopback for the
 * first hop, and every other blocked range stays closed at each redirect.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  STRICT_POLICY,
  addressAllowed,
  guardedFetch,
  netPolicyFromEnv,
  type NetPolicy,
} from '../../../src/engine/index.js';

const LOOPBACK: NetPolicy = { allow: ['127.0.0.1'] };

let server: Server;
let base: string;
const seen: { url: string; authorization: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
    if (req.url?.startsWith('/redirect') && to) res.writeHead(302, { Location: to }).end();
    else if (req.url === '/loop') res.writeHead(302, { Location: '/loop' }).end();
    else if (req.url === '/big') res.end(Buffer.alloc(64 * 1024, 0x61));
    else if (req.url === '/slow') setTimeout(() => res.end('late'), 2000).unref();
    else res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const redirectTo = (to: string) => `${base}/redirect?to=${encodeURIComponent(to)}`;

describe('address ranges', () => {
  it.each([
    ['127.0.0.1'],
    ['10.1.2.3'],
    ['172.16.0.1'],
    ['192.168.1.1'],
    ['169.254.169.254'],
    ['100.100.100.200'],
    ['0.0.0.0'],
    ['::1'],
    ['::'],
    ['::ffff:127.0.0.1'],
    ['::ffff:169.254.169.254'],
    ['::127.0.0.1'],
    ['fe80::1'],
    ['fd00:ec2::254'],
    ['64:ff9b::a9fe:a9fe'],
  ])('%s is blocked by default', (address) => {
    expect(addressAllowed(address, STRICT_POLICY)).toBe(false);
  });

  it.each([['1.1.1.1'], ['140.82.112.3'], ['2606:4700:4700::1111']])('%s is public', (address) => {
    expect(addressAllowed(address, STRICT_POLICY)).toBe(true);
  });

  it('opens exactly what SMOLMAP_NET_ALLOW names', () => {
    const policy = netPolicyFromEnv({ SMOLMAP_NET_ALLOW: '10.0.0.0/8, 127.0.0.1' });
    expect(addressAllowed('10.9.9.9', policy)).toBe(true);
    expect(addressAllowed('127.0.0.1', policy)).toBe(true);
    expect(addressAllowed('127.0.0.2', policy)).toBe(false);
    expect(addressAllowed('169.254.169.254', policy)).toBe(false);
    expect(() => netPolicyFromEnv({ SMOLMAP_NET_ALLOW: '10.0.0.0/33' })).toThrow(/SMOLMAP_NET_ALLOW/);
    expect(() => netPolicyFromEnv({ SMOLMAP_NET_ALLOW: 'intranet' })).toThrow(/not an IP address/);
  });
});

describe('guardedFetch', () => {
  it('refuses loopback unless the operator allows it', async () => {
    await expect(guardedFetch(`${base}/`, { policy: STRICT_POLICY })).rejects.toMatchObject({
      code: 'net_blocked_address',
    });
    const res = await guardedFetch(`${base}/`, { policy: LOOPBACK });
    expect(await res.text()).toBe('ok');
  });

  it('refuses a name that resolves to a blocked address before connecting', async () => {
    const port = new URL(base).port;
    await expect(guardedFetch(`http://localhost:${port}/`, { policy: STRICT_POLICY })).rejects.toMatchObject({
      code: 'net_blocked_address',
    });
  });

  it('refuses a redirect to a link-local (metadata) address without connecting', async () => {
    const before = seen.length;
    for (const target of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/latest/meta-data/',
      'http://[fe80::1]/',
    ]) {
      const err = await guardedFetch(redirectTo(target), { policy: LOOPBACK, timeoutMs: 5000 }).catch(
        (e: unknown) => e,
      );
      // A connection attempt to an unrouted link-local address would time out or fail, not be refused by code.
      expect(err).toMatchObject({ code: 'net_blocked_address' });
      expect((err as Error).message).toMatch(/SMOLMAP_NET_ALLOW/);
    }
    expect(seen.length - before).toBe(3);
  });

  it('opens no connection to a blocked hop: a server listening there sees nothing', async () => {
    // 127.0.0.2 is a blocked address (the allowance names 127.0.0.1 only) where a real server listens.
    const trap = createServer((_req, res) => res.end('reached'));
    let connections = 0;
    trap.on('connection', () => connections++);
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.2', resolve));
    try {
      const trapUrl = `http://127.0.0.2:${(trap.address() as AddressInfo).port}/`;
      await expect(guardedFetch(redirectTo(trapUrl), { policy: LOOPBACK })).rejects.toMatchObject({
        code: 'net_blocked_address',
      });
      expect(connections).toBe(0);
      // The same server answers when the operator opens its address: the refusal above was the check.
      const opened = await guardedFetch(redirectTo(trapUrl), {
        policy: { allow: ['127.0.0.1', '127.0.0.2'] },
      });
      expect(await opened.text()).toBe('reached');
      expect(connections).toBe(1);
    } finally {
      trap.closeAllConnections();
      await new Promise((resolve) => trap.close(resolve));
    }
  });

  it('follows a redirect that stays allowed, and drops credentials when the origin changes', async () => {
    const port = new URL(base).port;
    const same = await guardedFetch(redirectTo(`${base}/final`), {
      policy: LOOPBACK,
      headers: { Authorization: 'Bearer same-origin' },
    });
    expect(await same.text()).toBe('ok');
    expect(seen.at(-1)).toEqual({ url: '/final', authorization: 'Bearer same-origin' });
    // localhost is another origin on the same server: the credential stays behind.
    const policy: NetPolicy = { allow: ['127.0.0.1', '::1'] };
    const other = await guardedFetch(redirectTo(`http://localhost:${port}/elsewhere`), {
      policy,
      headers: { Authorization: 'Bearer secret' },
    });
    expect(await other.text()).toBe('ok');
    expect(seen.at(-1)).toEqual({ url: '/elsewhere', authorization: undefined });
  });

  it('refuses non-http schemes, at the start and in a redirect', async () => {
    await expect(guardedFetch('file:///etc/passwd', { policy: LOOPBACK })).rejects.toMatchObject({
      code: 'net_bad_url',
    });
    await expect(guardedFetch(redirectTo('file:///etc/passwd'), { policy: LOOPBACK })).rejects.toMatchObject({
      code: 'net_bad_url',
    });
  });

  it('stops redirect loops, bodies over the cap, and slow servers', async () => {
    await expect(guardedFetch(`${base}/loop`, { policy: LOOPBACK })).rejects.toMatchObject({
      code: 'net_too_many_redirects',
    });
    const big = await guardedFetch(`${base}/big`, { policy: LOOPBACK, maxBytes: 1024 });
    await expect(big.arrayBuffer()).rejects.toMatchObject({ code: 'net_too_large' });
    await expect(guardedFetch(`${base}/slow`, { policy: LOOPBACK, timeoutMs: 200 })).rejects.toMatchObject({
      code: 'net_timeout',
    });
  });

  it('returns the 3xx itself with redirect: manual', async () => {
    const res = await guardedFetch(redirectTo('http://169.254.169.254/'), {
      policy: LOOPBACK,
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://169.254.169.254/');
  });
});
