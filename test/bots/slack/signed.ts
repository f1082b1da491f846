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

/**
 * The payload of a click on button `actionId` (carrying `value`) of a bot message in channel C1 of `team`, by
 * `user`; `n` makes its trigger id and response URL (`responseUrl(`act-${n}`)`) unique.
 */
export function buttonClick(
  team: string,
  user: string,
  actionId: string,
  value: string,
  n: number,
  responseUrl: (id: string) => string,
): Record<string, unknown> {
  return {
    type: 'block_actions',
    team: { id: team, domain: 'd' },
    user: { id: user, username: 'u', name: 'u', team_id: team },
    api_app_id: 'A1',
    token: 'x',
    trigger_id: `trig-${n}`,
    container: { type: 'message', message_ts: '1.1', channel_id: 'C1', is_ephemeral: false },
    channel: { id: 'C1', name: 'general' },
    response_url: responseUrl(`act-${n}`),
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'b',
        value,
        action_ts: '1',
        text: { type: 'plain_text', text: 'x' },
      },
    ],
  };
}
