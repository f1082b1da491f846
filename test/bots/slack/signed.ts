/** Signed requests to a Bolt HTTP receiver, as Slack sends them (v0 HMAC over timestamp and body). */
import { createHmac } from 'node:crypto';

export function sign(
  body: string,
  secret: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const sig = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': `v0=${sig}` };
}

/** Posts a form (slash command, or `payload=` of an interaction); resolves with status and response body. */
export async function postForm(
  url: string,
  form: Record<string, string>,
  secret: string,
): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams(form).toString();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body, secret) },
    body,
  });
  return { status: res.status, body: await res.text() };
}
